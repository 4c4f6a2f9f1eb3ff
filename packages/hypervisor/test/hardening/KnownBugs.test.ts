/**
 * Bugs found by the hardening tests (numbered as in docs/reliability.md), each a shrunk
 * counterexample of the model test (`ScenarioModel.test.ts`) stating the correct behaviour.
 * An open bug's test is marked `test.failing` (BUG: in its title): it passes while the bug is
 * there and ava reports "unexpected pass" once it is fixed; then drop `.failing` and the entry
 * in `knownBugs.ts`. Fixed ones stay as regression tests.
 */
import test from 'ava';
import {
  flowBookProblems,
  migrationProblems,
  scenarioOf,
  simulate,
  vfBookProblems,
} from './harness.js';

const world = (steps: string, opts = '{}', extra = ''): string => `
name: known bug
duration: 2s
hosts: [{ name: src, vfs: 1 }, { name: dst, vfs: 1 }]
vms:
  - { name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01', options: ${opts} }] }
  ${extra}
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps }
  - { name: out, from: vm1/eth0, to: client, rate: 10kpps }
steps: ${steps}
`;

/** Simulates {@link world} with these steps, NIC options and extra VMs. */
const simulateWorld = (steps: string, opts?: string, extra?: string) =>
  simulate(scenarioOf(world(steps, opts, extra)));

test('fixed bug 1: a migration started while an orchestrated unplug is pending completes', (t) => {
  const sim = simulateWorld(
    '[{ at: 500ms, action: vf-unplug, vm: vm1, mode: orchestrated }, { at: 501ms, action: migrate, vm: vm1, to: dst, downtime: 50ms }]',
  );
  t.deepEqual(migrationProblems(sim), []);
  t.is(sim.report.migrations[0]?.result, 'completed');
});

test('fixed bug 1: host servicing and a migration at the same instant: the migration completes', (t) => {
  const sim = simulateWorld(
    '[{ at: 500ms, action: host-servicing, vm: vm1, duration: 300ms }, { at: 500ms, action: migrate, vm: vm1, to: dst, downtime: 50ms }]',
  );
  t.is(sim.report.migrations[0]?.result, 'completed');
});

test('fixed bug 2: a VF removed by surprise while the migration waits for a guest that does not eject lets the migration go on', (t) => {
  const sim = simulateWorld(
    '[{ at: 500ms, action: migrate, vm: vm1, to: dst, downtime: 50ms }, { at: 600ms, action: vf-unplug, vm: vm1, mode: surprise }]',
    '{ guest_ejects: false }',
  );
  // QEMU: qemu_savevm_state_guest_unplug_pending() is false once the device is gone.
  t.deepEqual(migrationProblems(sim), []);
  t.is(sim.report.migrations[0]?.result, 'completed');
});

test('fixed bug 3: a migration during host servicing returns the source VF to its pool', (t) => {
  const sim = simulateWorld(
    '[{ at: 500ms, action: host-servicing, vm: vm1, duration: 1s }, { at: 600ms, action: migrate, vm: vm1, to: dst, downtime: 50ms }]',
  );
  t.is(sim.report.migrations[0]?.result, 'completed');
  t.deepEqual(vfBookProblems(sim.world), []);
  t.is(sim.world.host('src').freeVfs, 1, 'the source VF is free again');
});

const failsafeGuestDown = `
name: known bug
seed: 8
duration: 1088ms
hosts: [{ name: h0, vfs: 0 }]
vms: [{ name: vm1, host: h0, memory: 64MiB, nics: [{ name: eth0, model: failsafe, mac: '52:54:00:00:00:02' }] }]
peers: [{ name: p0, host: h0 }]
flows: [{ name: in1, from: p0, to: vm1/eth0, rate: 7kpps }]
steps: [{ at: 1ms, action: guest-down, vm: vm1 }]
`;

test('fixed bug 4: a frame the guest copied out of the VMBus ring and still holds is counted in flight', (t) => {
  const sim = simulate(scenarioOf(failsafeGuestDown));
  t.deepEqual(flowBookProblems(sim.report), []);
});

const floodThroughVmbus = `
name: known bug
duration: 1s
hosts: [{ name: h0, vfs: 0 }]
vms:
  - { name: vm0, host: h0, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }] }
  - { name: vm1, host: h0, memory: 64MiB, nics: [{ name: eth0, model: netvsc, mac: '52:54:00:00:00:02' }] }
peers: [{ name: p0, host: h0 }]
flows: [{ name: out0, from: vm0/eth0, to: p0, rate: 1kpps, cast: broadcast }]
steps: []
`;

test('fixed bug 5: a broadcast copy that went through a VMBus ring is not counted as a lost original', (t) => {
  const sim = simulate(scenarioOf(floodThroughVmbus));
  t.deepEqual(flowBookProblems(sim.report), []);
});

test('fixed bug 6: a 200 Mpps flow sends 200 M frames a second (no silent cap at 4096 frames per tick)', (t) => {
  // World.genOut holds 4096 handles: at the default 50 us tick anything above 81.92 Mpps is
  // never generated, and neither `sent` nor a drop counter says so (the loader accepts up to
  // 200 Mpps).
  const sim = simulate(
    scenarioOf(`
name: known bug
duration: 10ms
hosts: [{ name: src, vfs: 0 }]
vms: [{ name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: virtio, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: client, host: src }]
flows: [{ name: in, from: client, to: vm1/eth0, rate: 200Mpps }]
steps: []
`),
  );
  t.is(sim.report.flows['in']?.sent, 2_000_000);
});

test('bug 7 (fixed): a VF plug during the pre-copy is refused (no device_add while migrating); the VM carries no source VF to the destination', (t) => {
  // Found by the deep model run (seed 608): no VF when the migration starts (so nothing to
  // unplug, straight to active), a vf-plug during the pre-copy took a source VF, and the
  // VM resumed on the destination with the source host's VF still plugged.
  const sim = simulate(
    scenarioOf(`
name: known bug
duration: 1s
hosts: [{ name: h0, vfs: 1 }, { name: h1, vfs: 1 }]
vms: [{ name: vm0, host: h1, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: p0, host: h0 }]
flows: [{ name: in0, from: p0, to: vm0/eth0, rate: 1kpps }]
steps:
  - { at: 0ms, action: vf-unplug, vm: vm0, mode: surprise }
  - { at: 0ms, action: migrate, vm: vm0, to: h0, downtime: 1ms }
  - { at: 1ms, action: vf-plug, vm: vm0 }
`),
  );
  t.is(sim.report.migrations[0]?.result, 'completed');
  t.deepEqual(vfBookProblems(sim.world), []);
  t.true(
    sim.report.events.some((e) => e.kind === 'step-ignored' && /device_add/.test(e.detail ?? '')),
  );
  // The vf-unplug step's device_del took the hostdev out of the domain and the device_add was
  // refused, so the destination has none to plug.
  t.is(sim.world.nic('vm0/eth0')?.vf, null, 'no VF on the destination');
  t.false(sim.report.events.some((e) => e.kind === 'vf-plug' && e.host === 'h0'));
});

test('bug 8 (fixed): a netvsc-PMD frame waiting for its TX completion is not also counted in flight', (t) => {
  // Deep model run, seed 130 (shrunk): the guest goes down with 1500-byte frames sent directly
  // (not aggregated) whose completions never come back.
  const sim = simulate(
    scenarioOf(`
name: bug 8
duration: 2485ms
hosts: [{ name: h0, vfs: 1 }]
vms: [{ name: vm0, host: h0, memory: 64MiB, nics: [{ name: eth0, model: netvsc-pmd, mac: '52:54:00:00:00:01', options: { paused_frames: queue } }] }]
peers: [{ name: p0, host: h0 }]
flows:
  - { name: in0, from: p0, to: vm0/eth0, rate: 1kpps }
  - { name: out0, from: vm0/eth0, to: p0, rate: 11kpps, size: 1500 }
steps:
  - { at: 0ms, action: vf-unplug, vm: vm0, mode: surprise }
  - { at: 1ms, action: guest-down, vm: vm0 }
`),
  );
  t.deepEqual(flowBookProblems(sim.report), []);
});

test('bug 9 (fixed): a frame a VMBus reader cannot copy into an exhausted pool is dropped by name', (t) => {
  // Deep model run, seed 1: a paused VM queues its frames (paused_frames: queue) until the pool
  // runs out while a fail-safe VM's VMBus ring still holds frames. (28 kpps in the original
  // run, when flooded copies also went to the VF ports of NICs without a VF and were held too;
  // the hold queue had no bound then, 65536 frames here.)
  const sim = simulate(
    scenarioOf(`
name: bug 9
duration: 1733ms
hosts: [{ name: h0, vfs: 0 }, { name: h1, vfs: 0 }]
vms:
  - { name: vm0, host: h0, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01', options: { paused_frames: queue, paused_queue: 65536 } }] }
  - { name: vm1, host: h0, memory: 64MiB, nics: [{ name: eth0, model: failsafe, mac: '52:54:00:00:00:02' }] }
peers: [{ name: p0, host: h0 }, { name: p1, host: h1 }]
flows:
  - { name: in0, from: p0, to: vm0/eth0, rate: 64kpps, cast: multicast }
  - { name: in1, from: p0, to: vm1/eth0, rate: 5kpps, cast: multicast }
  - { name: out0, from: vm0/eth0, to: p0, rate: 1kpps }
  - { name: out1, from: vm1/eth0, to: p0, rate: 1kpps }
steps:
  - { at: 0ms, action: migrate, vm: vm0, to: h1, downtime: 245ms, precopy: 0ms }
`),
  );
  t.deepEqual(flowBookProblems(sim.report), []);
  t.true((sim.report.flows['in1']?.drops['pool-exhausted'] ?? 0) > 0);
});

test('bug 10 (fixed): a broadcast flow to a fail-safe VM is counted once: the TAP mirror and the flood with a VF', (t) => {
  // Deep model run of 2026-11-21: before the VF, the TAP's mirror copy went to DPDK and the
  // original to the kernel's stack (counted as received and as rx-nohandler); with the VF, the
  // switch gave the original to another host (the VF port gets no group frames) and the VM only
  // a copy (flooded-elsewhere for every frame).
  const sim = simulate(
    scenarioOf(`
name: bug 10
duration: 1004ms
hosts: [{ name: h0, vfs: 1 }, { name: h1, vfs: 0 }]
vms:
  - { name: vm0, host: h0, memory: 64MiB, nics: [{ name: eth0, model: failsafe, mac: '52:54:00:00:00:01', vf: true, options: { hotplug_poll: 51ms } }] }
peers: [{ name: p0, host: h0 }, { name: p1, host: h1 }]
flows:
  - { name: in0, from: p0, to: vm0/eth0, rate: 1kpps, cast: broadcast }
  - { name: out0, from: vm0/eth0, to: p0, rate: 1kpps }
`),
  );
  t.deepEqual(flowBookProblems(sim.report), []);
  const in0 = sim.report.flows['in0'];
  t.is(in0?.received, in0?.sent);
  t.is(in0?.lost, 0);
});
