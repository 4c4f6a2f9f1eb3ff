/**
 * Fault tests of whole simulations (issue #7): migrations cancelled in each state, a
 * destination without a free VF, two VMs racing for the last VF, a VF flapping 1000 times
 * under traffic, a path far too slow for its flow (link queue full, pool exhausted), a guest
 * that never ejects. Every run also checks that the books balance and that no VF is leaked.
 */
import test, { type ExecutionContext } from 'ava';
import { NIC_MODELS } from '../../src/scenario/Scenario.js';
import {
  flowBookProblems,
  migrationProblems,
  scenarioOf,
  segmentProblems,
  simulate,
  vfBookProblems,
  type Simulated,
} from './harness.js';

const world = (steps: string, opts = '{}', model = 'virtio-backup', dstVfs = 1): string => `
name: fault
duration: 2s
hosts: [{ name: src, vfs: 1 }, { name: dst, vfs: ${dstVfs} }]
vms:
  - { name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: ${model}, mac: '52:54:00:00:00:01', options: ${opts} }] }
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 20kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 20kpps, size: 512 }
steps: ${steps}
`;

/** Books, VF bookkeeping, migrations, datapath segments: all clean. */
function sound(t: ExecutionContext, sim: Simulated): void {
  t.deepEqual(flowBookProblems(sim.report), [], 'flow books');
  t.deepEqual(vfBookProblems(sim.world), [], 'VF books');
  t.deepEqual(migrationProblems(sim), [], 'migrations');
  t.deepEqual(segmentProblems(sim.world, sim.report), [], 'datapath segments');
}

const states = (sim: Simulated, i = 0): string[] =>
  sim.report.migrations[i]?.states.map((s) => s.state) ?? [];

const lastPath = (sim: Simulated, nic = 'vm1/eth0'): string | undefined =>
  sim.report.timeline.datapath[nic]?.at(-1)?.[2];

test('a cancel at the migration instant finds setup; the unplug was started, so it waits for the eject', (t) => {
  // QEMU asks for the unplug at SETUP and its thread reaches qemu_savevm_wait_unplug only when
  // setup is done: a cancel step at the same time as the migrate step lands before that. The
  // thread then finds CANCELLING and polls every 250 ms for the started eject to end.
  const sim = simulate(
    scenarioOf(
      world(
        '[{ at: 500ms, action: migrate, vm: vm1, to: dst }, { at: 500ms, action: cancel-migration, vm: vm1 }]',
        '{ eject_delay: 50ms }',
      ),
    ),
  );
  sound(t, sim);
  const m = sim.report.migrations[0];
  t.is(m?.result, 'cancelled');
  t.deepEqual(
    m?.states.map((s) => [s.state, s.at]),
    [
      ['setup', '500ms'],
      ['cancelling', '500ms'],
      ['cancelled', '750ms'],
    ],
  );
  t.is(lastPath(sim), 'active');
});

test('cancelled in wait-unplug with the eject under way: waits for it, then the VF is back on the source', (t) => {
  const sim = simulate(
    scenarioOf(
      world(
        '[{ at: 500ms, action: migrate, vm: vm1, to: dst, cancel_at: 520ms }]',
        '{ eject_delay: 50ms }',
      ),
    ),
  );
  sound(t, sim);
  const m = sim.report.migrations[0];
  t.is(m?.result, 'cancelled');
  t.deepEqual(
    m?.states.map((s) => [s.state, s.at]),
    [
      ['setup', '500ms'],
      ['wait-unplug', '500ms'],
      ['cancelling', '520ms'],
      // the eject ends at 550 ms; QEMU's thread wakes at 750 ms (its 250 ms grid from
      // wait-unplug), sees the cancel and nothing pending
      ['cancelled', '750ms'],
    ],
  );
  t.is(lastPath(sim), 'active', 'the VF was re-plugged as the active slave');
  t.is(sim.world.nic('vm1/eth0')?.slot?.host.name, 'src');
  t.is(sim.world.host('dst').freeVfs, 1, 'nothing taken on the destination');
});

for (const [state, steps] of [
  [
    'active',
    // wait-unplug until QEMU's first 250 ms poll (750 ms), then pre-copy
    '[{ at: 500ms, action: migrate, vm: vm1, to: dst, precopy: 400ms, cancel_at: 950ms }]',
  ],
  [
    'device',
    '[{ at: 500ms, action: migrate, vm: vm1, to: dst, precopy: 100ms, downtime: 400ms, cancel_at: 1050ms }]',
  ],
] as const) {
  test(`cancelled in ${state}: cancelled, the VM on the source with its VF as the active slave`, (t) => {
    const sim = simulate(scenarioOf(world(steps)));
    sound(t, sim);
    const names = states(sim);
    t.is(sim.report.migrations[0]?.result, 'cancelled');
    t.is(names[names.indexOf('cancelling') - 1], state);
    t.is(lastPath(sim), 'active');
    t.is(sim.world.vms.get('vm1')?.host.name, 'src');
    t.is(sim.world.nic('vm1/eth0')?.vf !== null, true);
    t.is(sim.world.host('src').freeVfs, 0);
    t.is(sim.world.host('dst').freeVfs, 1);
    t.false(sim.world.vms.get('vm1')?.paused ?? true, 'the VM runs again');
    if (state === 'device') {
      // Eject seen at QEMU's 250 ms poll, pre-copy 100 ms: paused from 850 ms to the cancel at
      // 1050 ms, 200 ms of the 20 kpps flow toward the VM.
      t.is(sim.report.migrations[0]?.downtime, '200ms');
      t.is(sim.report.flows['in']?.drops['vm-paused'], 4000);
    } else t.is(sim.report.flows['in']?.drops['vm-paused'], undefined);
  });
}

for (const model of NIC_MODELS.filter((m) => m !== 'virtio')) {
  test(`${model}: no free VF on the destination: completed, on the backup, source VF returned`, (t) => {
    const sim = simulate(
      scenarioOf(
        world('[{ at: 500ms, action: migrate, vm: vm1, to: dst, downtime: 50ms }]', '{}', model, 0),
      ),
    );
    sound(t, sim);
    t.is(sim.report.migrations[0]?.result, 'completed');
    t.true(sim.report.events.some((e) => e.kind === 'vf-unavailable' && e.host === 'dst'));
    t.is(lastPath(sim), 'backup');
    t.is(sim.world.host('src').freeVfs, 1);
    t.is(sim.world.nic('vm1/eth0')?.slot, null);
  });
}

test('two VMs racing for the last VF: one gets it, the other stays on the backup, both complete', (t) => {
  const sim = simulate(
    scenarioOf(`
name: race
duration: 2s
hosts: [{ name: src, vfs: 2 }, { name: dst, vfs: 1 }]
vms:
  - { name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }] }
  - { name: vm2, host: src, memory: 64MiB, nics: [{ name: eth0, model: netvsc, mac: '52:54:00:00:00:02' }] }
peers: [{ name: client, host: src }, { name: far, host: dst }]
flows:
  - { name: in1, from: client, to: vm1/eth0, rate: 10kpps }
  - { name: in2, from: far, to: vm2/eth0, rate: 10kpps }
  - { name: out1, from: vm1/eth0, to: far, rate: 10kpps }
  - { name: out2, from: vm2/eth0, to: client, rate: 10kpps }
steps:
  - { at: 500ms, action: migrate, vm: vm1, to: dst, downtime: 50ms, precopy: 100ms }
  - { at: 500ms, action: migrate, vm: vm2, to: dst, downtime: 50ms, precopy: 100ms }
`),
  );
  sound(t, sim);
  t.deepEqual(
    sim.report.migrations.map((m) => m.result),
    ['completed', 'completed'],
  );
  const paths = ['vm1/eth0', 'vm2/eth0'].map((n) => lastPath(sim, n)).sort();
  t.deepEqual(paths, ['active', 'backup']);
  const holders = sim.world.nics.filter((n) => n.slot !== null).map((n) => n.slot?.host.name);
  t.deepEqual(holders, ['dst'], 'exactly one VF held, on the destination');
  t.is(sim.world.host('src').freeVfs, 2);
  t.is(sim.report.events.filter((e) => e.kind === 'vf-unavailable').length, 1);
});

/**
 * 1000 cycles of `down` then `up` steps, one every 1 ms, from 100 ms to 2.1 s; the world then
 * runs 1.1 s more so that timers armed by the last flaps (the PMD's 1 s alarms) are due.
 */
function flapSteps(down: string, up: string): string {
  const s: string[] = [];
  for (let i = 0; i < 1000; i++) {
    s.push(`{ at: ${100 + 2 * i}ms, ${down} }`, `{ at: ${101 + 2 * i}ms, ${up} }`);
  }
  return `[${s.join(', ')}]`;
}

const flapWorld = (model: string, steps: string): string => `
name: flap
duration: 3200ms
hosts: [{ name: src, vfs: 1 }]
vms: [{ name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: ${model}, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 20kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 20kpps, size: 512 }
steps: ${steps}
`;

for (const model of ['virtio-backup', 'netvsc', 'netvsc-pmd']) {
  test(`${model}: a VF surprise-removed and plugged back 1000 times under traffic ends where it started`, (t) => {
    const baseline = simulate(scenarioOf(flapWorld(model, '[]')));
    const sim = simulate(
      scenarioOf(
        flapWorld(
          model,
          flapSteps('action: vf-unplug, vm: vm1, mode: surprise', 'action: vf-plug, vm: vm1'),
        ),
      ),
    );
    sound(t, sim);
    t.is(sim.report.events.filter((e) => e.kind === 'vf-unplug').length, 1000);
    t.is(sim.report.events.filter((e) => e.kind === 'step-ignored').length, 0);
    // Every removal loses at most what its rings held: surprise removals name their drops.
    for (const f of Object.values(sim.report.flows)) t.is(f.inFlight, 0);
    t.is(lastPath(sim), lastPath(baseline));
    t.is(sim.world.host('src').freeVfs, baseline.world.host('src').freeVfs);
    t.is(sim.world.pool.inUse, baseline.world.pool.inUse, 'pool back to its level');
    t.is(sim.world.scheduler.pending, baseline.world.scheduler.pending, 'no timer left behind');
  });
}

test('virtio-backup: the VF link flapping 1000 times under traffic ends where it started', (t) => {
  const baseline = simulate(scenarioOf(flapWorld('virtio-backup', '[]')));
  const sim = simulate(
    scenarioOf(
      flapWorld(
        'virtio-backup',
        flapSteps('action: link-down, vm: vm1, dev: vf', 'action: link-up, vm: vm1, dev: vf'),
      ),
    ),
  );
  sound(t, sim);
  // One event per step at least (a model may also log the guest side's own view).
  t.true(sim.report.events.filter((e) => e.kind === 'link-down').length >= 1000);
  t.is(lastPath(sim), 'active');
  t.is(sim.world.pool.inUse, baseline.world.pool.inUse, 'pool back to its level');
  t.is(sim.world.scheduler.pending, baseline.world.scheduler.pending, 'no timer left behind');
});

const slowPath = (rate: string, bandwidth: string, duration: string): string => `
name: slow path
duration: ${duration}
links: { paravirt: { bandwidth: ${bandwidth} } }
hosts: [{ name: src, vfs: 0 }]
vms: [{ name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: virtio, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: ${rate}, size: 512 }
  - { name: out, from: vm1/eth0, to: client, rate: ${rate}, size: 512 }
steps: []
`;

test('ring full: a flow far above what the paravirtual path carries is dropped as link-queue-full, books balanced', (t) => {
  // 20 Mpps of 512-byte frames over a 1 Mbit/s path: the link queue (16384) fills at once.
  const sim = simulate(scenarioOf(slowPath('20Mpps', '1Mbps', '100ms')));
  t.deepEqual(flowBookProblems(sim.report), []);
  for (const f of Object.values(sim.report.flows)) {
    t.true((f.drops['link-queue-full'] ?? 0) > f.sent * 0.9, JSON.stringify(f.drops));
    t.true(f.received > 0, 'what the path carries still arrives');
  }
});

test('pool exhausted: frames held on a slow path exhaust the pool, counted as pool-exhausted, books balanced', (t) => {
  // 20 kpps of 512-byte frames over 10 Mbit/s: the queues hold every slot of the 16384-slot
  // pool, so the generators cannot allocate: sent, and counted as lost (pool-exhausted).
  const sim = simulate(scenarioOf(slowPath('20kpps', '10Mbps', '1s')));
  t.deepEqual(flowBookProblems(sim.report), []);
  for (const f of Object.values(sim.report.flows)) t.true((f.drops['pool-exhausted'] ?? 0) > 1000);
  t.true(sim.world.pool.inUse <= sim.world.pool.capacity);
});

test('a guest that never ejects: the migration stays in wait-unplug, the VF stays active, nothing is lost', (t) => {
  const sim = simulate(
    scenarioOf(
      world('[{ at: 500ms, action: migrate, vm: vm1, to: dst }]', '{ guest_ejects: false }'),
    ),
  );
  sound(t, sim);
  t.is(sim.report.migrations[0]?.result, 'in-progress');
  t.deepEqual(states(sim), ['setup', 'wait-unplug']);
  t.is(lastPath(sim), 'active');
  t.is(sim.report.nics['vm1/eth0']?.switches, 0);
  for (const f of Object.values(sim.report.flows)) t.is(f.lost, 0);
  t.is(sim.world.host('dst').freeVfs, 1);
});
