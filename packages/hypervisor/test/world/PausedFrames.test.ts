import test from 'ava';
import { loadScenarioText, type Report } from '../../src/index.js';
import { buildReport } from '../../src/run/ReportBuilder.js';
import { World } from '../../src/world/World.js';

// What the host does with frames for a paused VM on the VF path (VmNic): with paused_frames:
// queue the VF's NIC keeps writing into the RX buffers the guest posted before the pause, so
// its ring (256 descriptors) takes what fits and the rest is ring-full; with drop, every frame
// that reaches the paused VM is vm-paused. No scenario step pauses a VM that holds a VF (a VF
// blocks migration), so the pause is set on the VM directly here.

const yaml = (pausedFrames: string): string => `
name: paused VF path
duration: 60ms
hosts: [{ name: h1, vfs: 2 }, { name: far, vfs: 0 }]
vms:
  - name: vm1
    host: h1
    memory: 64MiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01', options: { paused_frames: ${pausedFrames} } }]
peers: [{ name: remote, host: far }]
flows: [{ name: in, from: remote, to: vm1/eth0, rate: 100kpps, size: 64 }]
`;

/** Runs the world with vm1 paused from 20 ms to 30 ms of scenario time. */
function runPaused(pausedFrames: string): { world: World; report: Report } {
  const world = new World(loadScenarioText(yaml(pausedFrames), 'paused.yaml'));
  world.boot();
  const vm = world.vms.get('vm1');
  if (vm === undefined) throw new Error('no vm1');
  while (world.now < world.scenario.duration) {
    vm.paused = world.now >= 20_000_000 && world.now < 30_000_000;
    world.tick();
  }
  for (let i = 0; i < 100; i++) world.tick(false);
  world.finish();
  return { world, report: buildReport(world, []) };
}

test('paused_frames: queue on the VF path: the VF ring fills during the pause, the guest reads it at the resume', (t) => {
  const { world, report } = runPaused('queue');
  const f = report.flows['in'];
  t.true(report.conservation.ok, report.conservation.mismatches.join('\n'));
  const vf = world.nics[0]?.vf;
  if (vf === null || vf === undefined) return t.fail('no VF');
  // About 10 ms at 100 kpps reach the paused VM through the VF: 1000 frames (give or take the
  // ticks at the edges), of which the 256-slot RX ring takes 256 and the NIC drops the rest.
  const full = f?.drops['ring-full'] ?? 0;
  t.true(Math.abs(full - (1000 - 256)) <= 10, JSON.stringify(f?.drops));
  t.is(f?.lost, full, 'nothing else is lost');
  t.is(vf.vfStats.rxRingFull, full);
  // The 256 are read after the pause: the first of them waited about the whole pause.
  t.regex(f?.latency.max ?? '', /^(9\.9|10\.)\d*ms$/);
});

test('paused_frames: drop on the VF path: every frame that reaches the paused VM is vm-paused', (t) => {
  const { report } = runPaused('drop');
  const f = report.flows['in'];
  t.true(report.conservation.ok, report.conservation.mismatches.join('\n'));
  t.is(f?.drops['vm-paused'], 1000, JSON.stringify(f?.drops));
  t.is(f?.lost, 1000);
});
