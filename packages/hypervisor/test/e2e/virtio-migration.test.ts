import test, { type ExecutionContext } from 'ava';
import { ScenarioError, loadScenarioText, runScenario, type Report } from '../../src/index.js';

const world = (steps: string, nicOptions = '{}', extra = ''): string => `
name: e2e
duration: 3s
hosts: [{ name: src, vfs: 2 }, { name: dst, vfs: 2 }]
vms:
  - name: vm1
    host: src
    memory: 256MiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01', options: ${nicOptions} }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 100kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 100kpps, size: 512 }
steps: ${steps}
${extra}`;

const run = (yaml: string): Report => runScenario(loadScenarioText(yaml, 'e2e.yaml'));

/** Checks that the run's books balance and its one migration completed through `states`. */
function completedThrough(t: ExecutionContext, r: Report, states: string[]): void {
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const m = r.migrations[0];
  t.is(m?.result, 'completed');
  t.deepEqual(
    m?.states.map((s) => s.state),
    states,
  );
}

const dropsOtherThan = (r: Report, flow: string, reason: string): number =>
  Object.entries(r.flows[flow]?.drops ?? {})
    .filter(([k]) => k !== reason)
    .reduce((s, [, v]) => s + v, 0);

test('an orchestrated migration loses nothing outside the stop-and-copy pause', (t) => {
  const r = run(world('[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 200ms }]'));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const m = r.migrations[0];
  t.is(m?.result, 'completed');
  t.deepEqual(
    m?.states.map((s) => s.state),
    ['setup', 'wait-unplug', 'active', 'device', 'completed'],
  );
  t.is(m?.downtime, '200ms');
  // 200 ms paused at 100 kpps: 20000 frames toward the VM, each one counted as vm-paused.
  t.is(r.flows['in']?.drops['vm-paused'], 20_000);
  // The VM does not send while paused, so its flow loses nothing at all.
  t.is(r.flows['out']?.lost, 0);
  // Linux net_failover drops what reaches the standby once a primary exists
  // (net_failover_handle_frame returns RX_HANDLER_EXACT): at most the frames that were on the
  // paravirtual wire (30 us) when the destination's VF came up, i.e. one tick of traffic.
  t.true(dropsOtherThan(r, 'in', 'vm-paused') <= 5, JSON.stringify(r.flows['in']?.drops));
  t.is(r.nics['vm1/eth0']?.switches, 2, 'to backup at the unplug, back to the VF on dst');
  const kinds = r.events.map((e) => e.kind);
  for (const k of ['unplug-request', 'vf-unplug', 'datapath-switched', 'announce', 'vf-plug']) {
    t.true(kinds.includes(k), `event ${k}`);
  }
  const lastPlug = r.events.filter((e) => e.kind === 'vf-plug').at(-1);
  t.is(lastPlug?.host, 'dst');
});

test('the same scenario and seed give an identical report', (t) => {
  const yaml = world('[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms }]');
  t.is(JSON.stringify(run(yaml)), JSON.stringify(run(yaml)));
});

test('a surprise removal loses at most what was in the VF rings', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: vf-unplug, vm: vm1, nic: eth0, mode: surprise }, { at: 2s, action: vf-plug, vm: vm1, nic: eth0 }]',
    ),
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  for (const f of ['in', 'out']) {
    const flow = r.flows[f];
    if (flow === undefined) return t.fail(`no flow ${f}`);
    // Only the rings' contents, and (at the re-plug) what was on the paravirtual wire.
    t.deepEqual(
      Object.keys(flow.drops).filter((k) => k !== 'vf-ring-flushed' && k !== 'rx-nohandler'),
      [],
    );
    // What the rings held: one 50 us tick of a 100 kpps flow, plus the VF wire's 5 us. At the
    // re-plug, the guest's last virtio frames reach the bridge after its first VF frames and
    // move the VM's entry back to the tap for a tick (br_fdb_update): net_failover drops what
    // arrives on the standby meanwhile (RX_HANDLER_EXACT), another tick of rx-nohandler.
    t.true((flow.drops['vf-ring-flushed'] ?? 0) <= 6, `${f}: ${JSON.stringify(flow.drops)}`);
    t.true(flow.lost <= 16, `${f}: ${JSON.stringify(flow.drops)}`);
  }
  t.is(r.nics['vm1/eth0']?.switches, 2);
});

test('a migration cancelled during pre-copy ends with the VF back as the active slave', (t) => {
  const r = run(
    // wait-unplug until QEMU's first 250 ms poll, pre-copy from 1.25 s
    world('[{ at: 1s, action: migrate, vm: vm1, to: dst, precopy: 500ms, cancel_at: 1.5s }]'),
  );
  t.true(r.conservation.ok);
  const m = r.migrations[0];
  t.is(m?.result, 'cancelled');
  t.deepEqual(
    m?.states.map((s) => s.state),
    ['setup', 'wait-unplug', 'active', 'cancelling', 'cancelled'],
  );
  const segments = r.timeline.datapath['vm1/eth0'] ?? [];
  t.is(segments.at(-1)?.[2], 'active', 'the VF is re-plugged on the source');
  t.is(r.flows['in']?.drops['vm-paused'], undefined, 'the VM never paused');
});

test('a migration cancelled in wait-unplug waits for the pending unplug, then keeps the VF', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: migrate, vm: vm1, to: dst }, { at: 1.5s, action: cancel-migration, vm: vm1 }]',
      '{ guest_ejects: false, unplug_timeout: 500ms }',
    ),
  );
  const m = r.migrations[0];
  t.is(m?.result, 'cancelled');
  t.deepEqual(
    m?.states.map((s) => [s.state, s.at]),
    [
      ['setup', '1s'],
      ['wait-unplug', '1s'],
      ['cancelling', '1.5s'],
      ['cancelled', '2s'],
    ],
  );
  t.is(r.nics['vm1/eth0']?.switches, 0, 'the guest never let the VF go');
  t.is(r.flows['in']?.lost, 0);
});

test('unplug: none with a plain VF (offer_backup: false): QEMU refuses the migration before any state', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: migrate, vm: vm1, to: dst, unplug: none }]',
      '{ offer_backup: false }',
    ),
  );
  const m = r.migrations[0];
  t.is(m?.result, 'failed');
  t.deepEqual(m?.states, [], 'migrate_prepare refuses before migrate_init enters setup');
  t.regex(m?.reason ?? '', /VFIO/);
  const refused = r.events.find((e) => e.kind === 'migration-refused');
  t.is(refused?.at, '1s');
  t.regex(refused?.detail ?? '', /VFIO/);
  t.false(r.events.some((e) => e.kind === 'migration-state'));
  t.is(r.flows['in']?.lost, 0);
});

test('unplug: none on a failover NIC is refused when the scenario loads: QEMU unplugs a failover VF itself', (t) => {
  const err = t.throws(
    () => run(world('[{ at: 1s, action: migrate, vm: vm1, to: dst, unplug: none }]')),
    { instanceOf: ScenarioError },
  );
  t.is(err?.code, 'ERR_SCENARIO');
  t.is(err?.issues.length, 1);
  t.is(err?.issues[0]?.path, 'steps[0].unplug');
  t.regex(
    err?.issues[0]?.message ?? '',
    /none cannot apply to vm1\/eth0 .*QEMU unplugs a failover VF itself.*use unplug: orchestrated, or offer_backup: false/,
  );
});

test('unplug: none on a failover NIC whose guest never acked STANDBY: the hidden primary blocks nothing, QEMU migrates', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: migrate, vm: vm1, to: dst, unplug: none, downtime: 100ms }]',
      '{ guest_accepts_backup: false }',
    ),
  );
  // No primary was ever realized (failover_hide_primary_device), so there is nothing to unplug.
  completedThrough(t, r, ['setup', 'active', 'device', 'completed']);
  t.false(r.events.some((e) => e.kind === 'unplug-request' || e.kind === 'vf-plug'));
  t.is(r.nics['vm1/eth0']?.onActive, '0s');
});

test('offer_backup: false (a plain VF): management unplugs it before migrate, so no wait-unplug and setup at the eject', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 200ms }]',
      '{ offer_backup: false }',
    ),
  );
  completedThrough(t, r, ['setup', 'active', 'device', 'completed']);
  const m = r.migrations[0];
  // device_del at 1 s, the guest's eject (DEVICE_DELETED) 5 ms later, then migrate at once.
  t.is(r.events.find((e) => e.kind === 'unplug-request')?.at, '1s');
  t.is(r.events.find((e) => e.kind === 'vf-unplug')?.at, '1.005s');
  t.is(m?.states[0]?.at, '1.005s');
  t.is(m?.states[1]?.at, '1.005s');
});

test('a VF taken out by a vf-unplug step (device_del) is not in the domain the destination starts: no VF there', (t) => {
  const r = run(
    world(
      '[{ at: 500ms, action: vf-unplug, vm: vm1 }, { at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms }]',
    ),
  );
  // No failover primary left, so QEMU has nothing to unplug: no wait-unplug.
  completedThrough(t, r, ['setup', 'active', 'device', 'completed']);
  t.deepEqual(
    r.events.filter((e) => e.kind === 'vf-plug').map((e) => e.host),
    ['src'],
    'only the boot plug',
  );
  t.is(r.timeline.datapath['vm1/eth0']?.at(-1)?.[2], 'backup');
  // A device_add after the device_del puts a hostdev back in the domain: the destination has one.
  const again = run(
    world(
      '[{ at: 300ms, action: vf-unplug, vm: vm1 }, { at: 600ms, action: vf-plug, vm: vm1 }, { at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms }]',
    ),
  );
  t.is(again.migrations[0]?.result, 'completed');
  t.deepEqual(
    again.events.filter((e) => e.kind === 'vf-plug').map((e) => e.host),
    ['src', 'src', 'dst'],
  );
  t.is(again.timeline.datapath['vm1/eth0']?.at(-1)?.[2], 'active');
});

test('no free VF on the destination: the NIC stays on the backup after the migration', (t) => {
  const yaml = world('[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms }]').replace(
    '{ name: dst, vfs: 2 }',
    '{ name: dst, vfs: 0 }',
  );
  const r = run(yaml);
  t.is(r.migrations[0]?.result, 'completed');
  t.true(r.events.some((e) => e.kind === 'vf-unavailable' && e.host === 'dst'));
  t.is(r.timeline.datapath['vm1/eth0']?.at(-1)?.[2], 'backup');
  t.true(r.conservation.ok);
});

test('a guest that does not acknowledge BACKUP never gets the VF', (t) => {
  const r = run(world('[]', '{ guest_accepts_backup: false }'));
  t.is(r.nics['vm1/eth0']?.onActive, '0s');
  t.true(r.events.some((e) => e.kind === 'vf-hidden'));
  t.is(r.flows['in']?.lost, 0);
});

test('expectations set ok: a failed expectation makes the report fail', (t) => {
  const r = run(
    world(
      '[]',
      '{}',
      'expect: [{ metric: flows.in.lost, max: 0 }, { metric: flows.in.received, min: 1e9 }]',
    ),
  );
  t.true(r.expect[0]?.ok);
  t.false(r.expect[1]?.ok);
  t.false(r.ok);
});

test('expectations on durations: a duration bound compares in ns, a number bound in ms', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms }]',
      '{}',
      'expect: [{ metric: flows.in.longestGap, max: 150ms }, { metric: flows.in.longestGap, max: 150 }, { metric: flows.in.longestGap, min: 1s }]',
    ),
  );
  t.true(r.expect[0]?.ok, r.expect[0]?.message);
  t.true(r.expect[1]?.ok, r.expect[1]?.message);
  t.false(r.expect[2]?.ok);
  t.regex(r.expect[2]?.message ?? '', /below the minimum 1s/);
});

test('paused_frames: queue, completed: the source tap holds 500 frames, which die with the source QEMU', (t) => {
  const r = run(
    world(
      '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms }]',
      '{ paused_frames: queue }',
    ),
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  t.is(r.migrations[0]?.result, 'completed');
  const into = r.flows['in'];
  // 100 ms at 100 kpps reach the paused VM: the tap's queue (TUN_READQ_SIZE) takes the first
  // 500, tun drops the rest, and the 500 go away with the source when the VM leaves it.
  t.is(into?.drops['left-on-source'], 500, JSON.stringify(into?.drops));
  t.is(into?.drops['vm-paused'], 9_500, JSON.stringify(into?.drops));
  // Nothing held on the source arrives on the destination: no frame is as late as the pause.
  t.regex(into?.latency.max ?? '', /us$/);
});

test("frames on the source's wire toward the VM when it leaves are lost there (left-on-source), not delivered on dst", (t) => {
  // A 5 us tick, so that the 30 us paravirtual wire holds frames at the instant of `completed`
  // (with 50 us ticks every frame due by then was handed over): 100 kpps = one frame every
  // 10 us, so 3 frames on the wire. They were in the source's bridge and tap.
  const r = run(
    world(
      '[{ at: 10ms, action: migrate, vm: vm1, to: dst, downtime: 20ms, precopy: 10ms }]',
      '{}',
      'tick: 5us',
    ).replace('duration: 3s', 'duration: 400ms'),
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  t.is(r.migrations[0]?.result, 'completed');
  const into = r.flows['in'];
  t.is(into?.drops['left-on-source'], 3, JSON.stringify(into?.drops));
  t.is(into?.drops['vm-paused'], 2_000, '20 ms at 100 kpps');
});

const CANCEL_IN_DEVICE =
  '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 300ms, precopy: 10ms, cancel_at: 1.41s }]';

test('paused_frames: queue, cancelled in device: the VM resumes on the source and gets what the tap held, late', (t) => {
  const r = run(world(CANCEL_IN_DEVICE, '{ paused_frames: queue }'));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const m = r.migrations[0];
  t.is(m?.result, 'cancelled');
  t.is(m?.downtime, '150ms', 'paused from device at 1.26 s to the cancel at 1.41 s');
  const into = r.flows['in'];
  // 150 ms at 100 kpps: 15000 frames, of which the tap's 500 are delivered at the resume.
  t.is(into?.drops['vm-paused'], 14_500, JSON.stringify(into?.drops));
  t.is(into?.drops['left-on-source'], undefined);
  t.is(into?.latency.max, '150ms', 'the first held frame waited the whole pause');
});

test('paused_frames: queue with paused_queue: a longer tap queue keeps the whole pause', (t) => {
  const r = run(world(CANCEL_IN_DEVICE, '{ paused_frames: queue, paused_queue: 20000 }'));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  t.is(r.flows['in']?.drops['vm-paused'], undefined, JSON.stringify(r.flows['in']?.drops));
  t.is(r.flows['in']?.latency.max, '150ms');
});

test('paused_frames: drop, cancelled in device: everything that reached the paused VM is lost', (t) => {
  const r = run(world(CANCEL_IN_DEVICE));
  t.is(r.flows['in']?.drops['vm-paused'], 15_000, JSON.stringify(r.flows['in']?.drops));
  t.is(r.flows['in']?.latency.max, '100us');
});

test('paused_queue is refused without paused_frames: queue, and outside 0..65536', (t) => {
  const err = t.throws(() => loadScenarioText(world('[]', '{ paused_queue: 1000 }'), 'e2e.yaml'), {
    instanceOf: ScenarioError,
  });
  t.regex(err?.message ?? '', /paused_queue.*remove paused_queue or set paused_frames: queue/s);
  t.throws(
    () =>
      loadScenarioText(world('[]', '{ paused_frames: queue, paused_queue: 70000 }'), 'e2e.yaml'),
    { instanceOf: ScenarioError, message: /paused_queue/ },
  );
  t.throws(
    () => loadScenarioText(world('[]', '{ paused_frames: queue, paused_queue: -1 }'), 'e2e.yaml'),
    { instanceOf: ScenarioError, message: /paused_queue/ },
  );
});

test('offer_backup: false (QEMU failover=off): the VF is a NIC of its own; the application keeps sending on virtio', (t) => {
  const r = run(world('[]', '{ offer_backup: false }'));
  t.true(r.conservation.ok);
  t.is(r.nics['vm1/eth0']?.onActive, '0s');
  t.true(
    r.events.some((e) => e.kind === 'vf-plug'),
    'the VF is plugged (no BACKUP to wait for)',
  );
  t.false(
    (r.events.find((e) => e.kind === 'features-negotiated')?.detail ?? '').includes('BACKUP'),
  );
  t.is(r.flows['in']?.lost, 0);
  t.is(r.flows['out']?.lost, 0);
});
