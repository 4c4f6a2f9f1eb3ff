/**
 * Who unplugs the VF before a migration, and when QEMU notices a cancel:
 * - a failover primary (virtio-backup with BACKUP) is unplugged by QEMU at setup and waited for
 *   in wait-unplug, on its 250 ms poll (migration/migration.c qemu_savevm_wait_unplug);
 * - a plain VF (bonding, virtio-backup with offer_backup: false) is unplugged by management
 *   before it sends migrate (hw/vfio/pci.c vfio_realize blocks the migration while it is there);
 * - the Hyper-V models keep QEMU's wait-unplug path (names borrowed);
 * - a cancel in wait-unplug is seen at the migration thread's next poll, on the grid that started
 *   at wait-unplug (nothing posts its semaphore, not even migrate_fd_cancel).
 */
import test from 'ava';
import { runScenario } from '../../src/run/runScenario.js';
import { vfUnplugger } from '../../src/world/vfUnplugger.js';
import { migrationProblems, scenarioOf, simulate, vfBookProblems } from '../hardening/harness.js';
import type { Report } from '../../src/report/Report.js';

const world = (model: string, steps: string, opts = '{}'): string => `
name: migration unplug
duration: 3s
hosts: [{ name: src, vfs: 1 }, { name: dst, vfs: 1 }]
vms:
  - { name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: ${model}, mac: '52:54:00:00:00:01', options: ${opts} }] }
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps, size: 64 }
steps: ${steps}
`;

const run = (model: string, steps: string, opts = '{}'): Report =>
  runScenario(scenarioOf(world(model, steps, opts)));

const states = (r: Report): string[][] =>
  (r.migrations[0]?.states ?? []).map((s) => [s.state, s.at]);

const eventsAt = (r: Report, kind: string): string[] =>
  r.events.filter((e) => e.kind === kind).map((e) => e.at);

const MIGRATE = '[{ at: 1s, action: migrate, vm: vm1, to: dst, precopy: 100ms, downtime: 50ms }]';

for (const [model, opts, who] of [
  ['virtio-backup', '{}', 'failover'],
  ['virtio-backup', '{ offer_backup: false }', 'plain'],
  ['bonding', '{}', 'plain'],
  ['netvsc', '{}', 'host'],
  ['netvsc-pmd', '{}', 'host'],
  ['failsafe', '{}', 'host'],
] as const) {
  test(`vfUnplugger: ${model} ${opts} is ${who}`, (t) => {
    const sim = simulate(scenarioOf(world(model, '[]', opts)));
    const nic = sim.world.nic('vm1/eth0');
    if (nic === undefined) return t.fail('no NIC');
    t.not(nic.vf, null, 'the VF is plugged');
    t.is(vfUnplugger(nic), who);
  });
}

for (const [model, opts] of [
  ['bonding', '{}'],
  ['virtio-backup', '{ offer_backup: false }'],
] as const) {
  test(`a plain VF (${model} ${opts}): management unplugs it first, QEMU starts at the eject with no wait-unplug`, (t) => {
    const sim = simulate(scenarioOf(world(model, MIGRATE, opts)));
    const r = sim.report;
    t.deepEqual(migrationProblems(sim), []);
    t.deepEqual(vfBookProblems(sim.world), []);
    t.is(r.migrations[0]?.result, 'completed');
    // device_del at 1 s, DEVICE_DELETED at the 5 ms eject, then migrate: no 250 ms poll.
    t.deepEqual(eventsAt(r, 'migration-unplug-first'), ['1s']);
    t.deepEqual(eventsAt(r, 'unplug-request'), ['1s']);
    t.deepEqual(eventsAt(r, 'vf-unplug'), ['1.005s']);
    t.deepEqual(states(r), [
      ['setup', '1.005s'],
      ['active', '1.005s'],
      ['device', '1.105s'],
      ['completed', '1.155s'],
    ]);
    // management plugs a VF of the destination afterwards (vf_plug_delay 200 ms)
    t.is(r.events.filter((e) => e.kind === 'vf-plug').at(-1)?.host, 'dst');
  });
}

for (const model of ['virtio-backup', 'netvsc', 'netvsc-pmd', 'failsafe'] as const) {
  test(`${model}: the hypervisor unplugs the VF at setup and waits in wait-unplug until its 250 ms poll`, (t) => {
    const r = run(model, MIGRATE);
    t.false(r.events.some((e) => e.kind === 'migration-unplug-first'));
    t.deepEqual(states(r), [
      ['setup', '1s'],
      ['wait-unplug', '1s'],
      ['active', '1.25s'],
      ['device', '1.35s'],
      ['completed', '1.4s'],
    ]);
  });
}

test('a failover VF hidden (the guest did not acknowledge BACKUP): nothing to unplug, straight to active', (t) => {
  const r = run('virtio-backup', MIGRATE, '{ guest_accepts_backup: false }');
  t.deepEqual(states(r).slice(0, 2), [
    ['setup', '1s'],
    ['active', '1s'],
  ]);
  t.deepEqual(eventsAt(r, 'unplug-request'), []);
});

test('a failover VF: QEMU asks for the unplug at setup, then enters wait-unplug', (t) => {
  const r = run('virtio-backup', MIGRATE);
  const order = r.events
    .filter(
      (e) =>
        e.kind === 'unplug-request' ||
        (e.kind === 'migration-state' && (e.detail === 'setup' || e.detail === 'wait-unplug')),
    )
    .map((e) => (e.kind === 'unplug-request' ? e.kind : e.detail));
  t.deepEqual(order, ['setup', 'unplug-request', 'wait-unplug']);
});

for (const model of ['virtio-backup', 'netvsc'] as const) {
  test(`${model}, eject_delay 0: the eject is over when setup ends, so QEMU skips wait-unplug`, (t) => {
    const sim = simulate(scenarioOf(world(model, MIGRATE, '{ eject_delay: 0s }')));
    const r = sim.report;
    t.deepEqual(migrationProblems(sim), []);
    t.deepEqual(vfBookProblems(sim.world), []);
    t.deepEqual(eventsAt(r, 'vf-unplug'), ['1s']);
    t.deepEqual(states(r), [
      ['setup', '1s'],
      ['active', '1s'],
      ['device', '1.1s'],
      ['completed', '1.15s'],
    ]);
  });
}

test('unplug: none with a plain VF: QEMU refuses the migrate command, no state at all', (t) => {
  const sim = simulate(
    scenarioOf(world('bonding', '[{ at: 1s, action: migrate, vm: vm1, to: dst, unplug: none }]')),
  );
  const r = sim.report;
  t.deepEqual(migrationProblems(sim), []);
  const m = r.migrations[0];
  t.is(m?.result, 'failed');
  t.deepEqual(m?.states, []);
  t.regex(
    m?.reason ?? '',
    /^QEMU refuses to migrate: vm1\/eth0 holds a VF, and a VFIO device without migration support blocks the migration/,
  );
  const refused = r.events.filter((e) => e.kind === 'migration-refused');
  t.deepEqual(
    refused.map((e) => [e.at, e.vm]),
    [['1s', 'vm1']],
  );
  t.is(refused[0]?.detail, m?.reason);
  t.false(r.events.some((e) => e.kind === 'migration-state'));
  t.deepEqual(eventsAt(r, 'vf-unplug'), [], 'the VF stays');
  t.is(r.flows['in']?.lost, 0);
  t.is(sim.world.vms.get('vm1')?.migration, null, 'a later migrate may run');
});

test('unplug: none reaching a failover NIC at run time (model changed by the run): QEMU unplugs it anyway, with a warning', (t) => {
  const scenario = scenarioOf(
    world('bonding', '[{ at: 1s, action: migrate, vm: vm1, to: dst, unplug: none }]'),
  );
  const r = runScenario(scenario, { model: 'virtio-backup' });
  t.regex(
    r.events.find((e) => e.kind === 'migration-warning')?.detail ?? '',
    /unplug: none does not apply to vm1\/eth0: QEMU unplugs a failover primary itself/,
  );
  t.is(r.migrations[0]?.result, 'completed');
  t.deepEqual(
    states(r)
      .slice(0, 3)
      .map(([s]) => s),
    ['setup', 'wait-unplug', 'active'],
  );
});

test('a cancel in wait-unplug is seen at the next poll of the grid that started at wait-unplug', (t) => {
  // The guest ejected at 1.005 s; the cancel comes at 1.1 s; QEMU's thread wakes at 1.25 s.
  const r = run(
    'virtio-backup',
    '[{ at: 1s, action: migrate, vm: vm1, to: dst, cancel_at: 1.1s }]',
  );
  t.is(r.migrations[0]?.result, 'cancelled');
  t.deepEqual(states(r), [
    ['setup', '1s'],
    ['wait-unplug', '1s'],
    ['cancelling', '1.1s'],
    ['cancelled', '1.25s'],
  ]);
  // The VF is plugged back vf_plug_delay (200 ms) after cancelled.
  t.deepEqual(eventsAt(r, 'vf-plug').slice(1), ['1.45s']);
});

test('a cancel in wait-unplug with the eject still under way: the polls after it keep the grid', (t) => {
  // Eject at 1.4 s: the cancel (1.1 s) is seen at 1.25 s, the eject's end at 1.5 s.
  const r = run(
    'virtio-backup',
    '[{ at: 1s, action: migrate, vm: vm1, to: dst, cancel_at: 1.1s }]',
    '{ eject_delay: 400ms }',
  );
  t.deepEqual(states(r).slice(2), [
    ['cancelling', '1.1s'],
    ['cancelled', '1.5s'],
  ]);
  t.deepEqual(eventsAt(r, 'vf-unplug'), ['1.4s']);
});

test('a cancel in wait-unplug with a guest that never ejects gives up unplug_timeout after the poll that saw it', (t) => {
  // Seen at 1.25 s, then 2 polls of 250 ms (unplug_timeout 500 ms): cancelled at 1.75 s.
  const r = run(
    'virtio-backup',
    '[{ at: 1s, action: migrate, vm: vm1, to: dst, cancel_at: 1.1s }]',
    '{ guest_ejects: false, unplug_timeout: 500ms }',
  );
  t.deepEqual(states(r).slice(2), [
    ['cancelling', '1.1s'],
    ['cancelled', '1.75s'],
  ]);
  t.deepEqual(eventsAt(r, 'migration-warning'), ['1.75s']);
});

test('a cancel while management waits for a plain VF to go: no QEMU state; the VF comes back once ejected', (t) => {
  const sim = simulate(
    scenarioOf(
      world(
        'bonding',
        '[{ at: 1s, action: migrate, vm: vm1, to: dst, cancel_at: 1.05s }]',
        '{ eject_delay: 100ms }',
      ),
    ),
  );
  const r = sim.report;
  t.deepEqual(migrationProblems(sim), []);
  t.deepEqual(vfBookProblems(sim.world), []);
  const m = r.migrations[0];
  t.is(m?.result, 'cancelled');
  t.deepEqual(m?.states, []);
  t.deepEqual(eventsAt(r, 'migration-cancelled'), ['1.05s']);
  // The eject under way ends at 1.1 s; management plugs the VF back 200 ms later.
  t.deepEqual(eventsAt(r, 'vf-unplug'), ['1.1s']);
  t.deepEqual(eventsAt(r, 'vf-plug').slice(1), ['1.3s']);
  t.is(sim.world.nic('vm1/eth0')?.slot?.host.name, 'src');
  t.is(sim.world.host('dst').freeVfs, 1, 'nothing taken on the destination');
});

test('a plain VF whose guest ignores the request: the migration never starts; a cancel leaves the VF in place', (t) => {
  const sim = simulate(
    scenarioOf(
      world(
        'bonding',
        '[{ at: 1s, action: migrate, vm: vm1, to: dst }, { at: 2s, action: cancel-migration, vm: vm1 }]',
        '{ guest_ejects: false }',
      ),
    ),
  );
  const r = sim.report;
  t.deepEqual(migrationProblems(sim), []);
  t.is(r.migrations[0]?.result, 'cancelled');
  t.deepEqual(r.migrations[0]?.states, []);
  t.deepEqual(eventsAt(r, 'vf-unplug'), []);
  t.is(sim.world.nic('vm1/eth0')?.unplugPending, false, 'the request is forgotten');
  t.not(sim.world.nic('vm1/eth0')?.vf, null);
});

test('a plain VF whose guest ignores the request and no cancel: still waiting to start at the end', (t) => {
  const sim = simulate(
    scenarioOf(
      world(
        'bonding',
        '[{ at: 1s, action: migrate, vm: vm1, to: dst }]',
        '{ guest_ejects: false }',
      ),
    ),
  );
  t.deepEqual(migrationProblems(sim), []);
  t.is(sim.report.migrations[0]?.result, 'in-progress');
  t.deepEqual(sim.report.migrations[0]?.states, []);
});
