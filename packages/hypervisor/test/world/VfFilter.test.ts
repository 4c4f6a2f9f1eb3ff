import { readFileSync } from 'node:fs';
import test from 'ava';
import { loadScenarioText, runScenario, type Report } from '../../src/index.js';

// hosts[].vf_filter: with libvirt the host NIC steers the VM's MAC to its VF from the slot's
// assignment until the slot goes back (libvirt sets the VF MAC when it prepares the hostdev;
// QEMU's failover_unplug_primary and the eject leave it alone); with the default the filter is
// reset at the eject, as the host script of Linux's net_failover.rst does.

const world = (filter: string, options: string, steps: string, cast = 'unicast'): string => `
name: vf filter
duration: 5s
hosts:
  - { name: src, vfs: 2, vf_filter: ${filter} }
  - { name: dst, vfs: 2, vf_filter: ${filter} }
vms:
  - name: vm1
    host: src
    memory: 1GiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01', options: ${options} }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 100kpps, size: 64, cast: ${cast} }
steps: ${steps}
`;

/** Adds a client on a third host (its frames reach the VM's host from the wire). */
const withFar = (yaml: string): string =>
  yaml
    .replace('hosts:\n', 'hosts:\n  - { name: far, vfs: 0 }\n')
    .replace(
      'peers: [{ name: client, host: src }]',
      'peers: [{ name: client, host: src }, { name: remote, host: far }]',
    )
    .replace(
      'flows:\n',
      'flows:\n  - { name: far, from: remote, to: vm1/eth0, rate: 100kpps, size: 64 }\n',
    );

/** {@link withFar}, and the guest sends 1 kpps to the local client. */
const withOut = (yaml: string): string =>
  withFar(yaml).replace(
    'flows:\n',
    'flows:\n  - { name: out, from: vm1/eth0, to: client, rate: 1kpps, size: 64 }\n',
  );

const run = (yaml: string): Report => runScenario(loadScenarioText(yaml, 'vf-filter.yaml'));

const MIGRATE = '[{ at: 2s, action: migrate, vm: vm1, to: dst, downtime: 300ms }]';

const stateAt = (r: Report, state: string): number => {
  const at = r.migrations[0]?.states.find((s) => s.state === state)?.at ?? 'NaN';
  return Number.parseFloat(at) * (at.endsWith('ms') ? 1e-3 : 1);
};

test('libvirt: from the eject until the VM leaves src (the pause too), and on dst until its VF is probed, frames die in an unbound VF', (t) => {
  const r = run(world('libvirt', '{}', MIGRATE));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const f = r.flows['in'];
  // Eject at 2.005 s; the VM leaves src at `completed`; on dst the VF is plugged 200 ms
  // after: at 100 kpps all of it goes to a VF with no driver. The pause changes nothing: the
  // NIC drops what it steers to an unbound VF whether the VM runs or not.
  const stretch = stateAt(r, 'completed') - 2.005 + 0.2;
  const expected = Math.round(stretch * 100_000);
  t.true(
    Math.abs((f?.drops['vf-not-bound'] ?? 0) - expected) <= 10,
    `${JSON.stringify(f?.drops)} vs ${expected}`,
  );
  t.is(f?.drops['vm-paused'], undefined);
});

test('reset-at-eject (the default): the same migration loses only the pause', (t) => {
  const r = run(world('reset-at-eject', '{}', MIGRATE));
  const f = r.flows['in'];
  t.is(f?.drops['vf-not-bound'], undefined);
  t.is(f?.drops['vm-paused'], 30_000);
  t.true((f?.lost ?? 0) <= 30_010, JSON.stringify(f?.drops));
});

test('libvirt: a guest that never acks BACKUP keeps the VF hidden: every unicast frame from the wire dies in it, a local peer reaches virtio', (t) => {
  const r = run(withFar(world('libvirt', '{ guest_accepts_backup: false }', '[]')));
  const f = r.flows['far'];
  t.is(f?.received, 0);
  t.is(f?.drops['vf-not-bound'], f?.sent);
  t.true(r.events.some((e) => e.kind === 'vf-hidden'));
  // Bridge to tap: the NIC never sees a local peer's frame.
  t.is(r.flows['in']?.lost, 0, JSON.stringify(r.flows['in']?.drops));
  // The default host steers nothing to a hidden VF: virtio gets it all.
  const dflt = run(withFar(world('reset-at-eject', '{ guest_accepts_backup: false }', '[]')));
  t.is(dflt.flows['far']?.lost, 0);
});

test('libvirt: flooded frames still reach virtio while the VF has no driver', (t) => {
  const r = run(world('libvirt', '{ guest_accepts_backup: false }', '[]', 'broadcast'));
  const f = r.flows['in'];
  t.true((f?.sent ?? 0) > 0);
  t.is(f?.lost, 0, JSON.stringify(f?.drops));
});

test('libvirt: once the guest ejected the VF, broadcast reaches virtio again until the pause', (t) => {
  const r = run(world('libvirt', '{}', MIGRATE, 'broadcast'));
  const f = r.flows['in'];
  t.is(f?.drops['vf-not-bound'], undefined, JSON.stringify(f?.drops));
  t.true((f?.lost ?? 0) - (f?.drops['vm-paused'] ?? 0) <= 10, JSON.stringify(f?.drops));
});

test('libvirt: a VF given back by a vf-unplug step releases the filter at once', (t) => {
  // The guest talks (`out`): its first frame on virtio after the eject moves the bridge's entry
  // back to the tap (a silent guest would leave it on the NIC side, where the MAC is gone).
  const r = run(
    withOut(world('libvirt', '{}', '[{ at: 1s, action: vf-unplug, vm: vm1, nic: eth0 }]')),
  );
  const f = r.flows['far'];
  t.is(f?.drops['vf-not-bound'], undefined, JSON.stringify(f?.drops));
  t.true((f?.lost ?? 0) <= 5, JSON.stringify(f?.drops));
  // The local peer: until the guest's next frame (1 kpps) the bridge still sends to the NIC
  // side, where the VF is gone.
  t.true((r.flows['in']?.lost ?? 0) <= 110, JSON.stringify(r.flows['in']?.drops));
});

test("libvirt: after the eject, the guest's first virtio frame brings local peers back; frames from the wire still die in the unbound VF", (t) => {
  // Linux bridge: br_fdb_update moves the VM's entry to the tap on its first frame there; the
  // NIC's filter (kept by libvirt) only sees frames from the wire.
  const talking = run(withOut(world('libvirt', '{}', MIGRATE)));
  t.true(talking.conservation.ok, talking.conservation.mismatches.join('\n'));
  const left = stateAt(talking, 'completed');
  const local = talking.flows['in'];
  const far = talking.flows['far'];
  // Local: only dst's 200 ms before the VF probe (the VM is then behind the uplink), plus the
  // frames before the guest's first virtio frame (1 kpps: within 1 ms).
  t.true(
    Math.abs((local?.drops['vf-not-bound'] ?? 0) - 20_000) <= 110,
    JSON.stringify(local?.drops),
  );
  // From the wire: the whole stretch from the eject to the VM's departure (the pause included),
  // and dst's 200 ms.
  const expected = Math.round((left - 2.005 + 0.2) * 100_000);
  t.true(
    Math.abs((far?.drops['vf-not-bound'] ?? 0) - expected) <= 10,
    `${JSON.stringify(far?.drops)} vs ${expected}`,
  );
  // A silent guest leaves the bridge's entry on the NIC side: the local peer loses it all too.
  const silent = run(withFar(world('libvirt', '{}', MIGRATE)));
  t.true(
    Math.abs((silent.flows['in']?.drops['vf-not-bound'] ?? 0) - expected) <= 10,
    JSON.stringify(silent.flows['in']?.drops),
  );
});

test('flooded copies go to no VF port without a bound VF (two-vms-at-once had no-device 7)', (t) => {
  const r = runScenario(
    loadScenarioText(
      readFileSync(new URL('../../../../scenarios/two-vms-at-once.yaml', import.meta.url), 'utf8'),
      'two-vms-at-once.yaml',
    ),
  );
  t.deepEqual(r.otherDrops, {});
});

test('libvirt: a surprise removal keeps the filter until the slot goes back', (t) => {
  // host-servicing style: the VF is revoked and the slot kept; with guest_ejects false the host
  // removes it by surprise after eject_delay and plugs the same slot back 1 s after.
  const r = run(
    world(
      'libvirt',
      '{ guest_ejects: false, eject_delay: 10ms }',
      '[{ at: 1s, action: host-servicing, vm: vm1, nic: eth0, duration: 500ms }]',
    ),
  );
  const f = r.flows['in'];
  // From the removal (1.01 s) to the give-back (1.51 s): 500 ms at 100 kpps.
  t.true(Math.abs((f?.drops['vf-not-bound'] ?? 0) - 50_000) <= 10, JSON.stringify(f?.drops));
});

test('libvirt: a plain VF goes back to the host at its eject (libvirt detaches it before migrate), so only dst before the probe is lost to an unbound VF', (t) => {
  const r = run(world('libvirt', '{ offer_backup: false }', MIGRATE));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const f = r.flows['in'];
  // The source's filter goes with the slot at 2.005 s; dst's is set when its VF is assigned
  // at `completed`, 200 ms before the guest has a driver on it.
  t.is(f?.drops['vf-not-bound'], 20_000, JSON.stringify(f?.drops));
  // The silent guest leaves the bridge's entry on the NIC side, where no VF has the MAC's
  // filter any more: the eswitch sends those frames to the wire, where nobody takes them
  // (no-port), and they never reach the VM, paused or not (not vm-paused).
  t.is(f?.drops['vm-paused'], undefined);
  t.is(f?.drops['no-device'], undefined);
  t.true((f?.drops['no-port'] ?? 0) > 30_000, JSON.stringify(f?.drops));
});

test('a plain VF given back to the host at its eject: a cancel after migrate attaches a free VF again on the source', (t) => {
  const r = run(
    world(
      'reset-at-eject',
      '{ offer_backup: false }',
      '[{ at: 2s, action: migrate, vm: vm1, to: dst, downtime: 300ms, cancel_at: 2.5s }]',
    ),
  );
  t.is(r.migrations[0]?.result, 'cancelled');
  const plugs = r.events.filter((e) => e.kind === 'vf-plug' && e.host === 'src');
  t.true(
    plugs.some((e) => Number.parseFloat(e.at) === 2.7),
    JSON.stringify(plugs),
  );
  t.is(r.events.filter((e) => e.kind === 'vf-unavailable').length, 0);
});

// A libvirt destination: Prepare (before QEMU's migrate) takes a VF for the incoming failover
// NIC and sets its MAC there (virHostdevPreparePCIDevices). A peer on the destination reaches
// the VM through its bridge and the PF, whose eswitch hands the frames to that VF (PF-to-VF
// local switching) instead of the wire: with no driver bound yet, they are lost.

const incoming = (filter: string, dstVfs: number, steps: string): string => `
name: libvirt destination
duration: 4s
hosts:
  - { name: src, vfs: 2, vf_filter: ${filter} }
  - { name: dst, vfs: ${dstVfs}, vf_filter: ${filter} }
vms:
  - name: vm1
    host: src
    memory: 1GiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }]
peers: [{ name: client, host: src }, { name: near, host: dst }]
flows:
  - { name: fromdst, from: near, to: vm1/eth0, rate: 10kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 1kpps, size: 64 }
steps: ${steps}
`;

const MIGRATE_1S = '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 300ms }]';

test('libvirt destination: Prepare sets the VF MAC at migrate, so a destination peer loses its frames to the unbound VF until the VM arrives', (t) => {
  const r = run(incoming('libvirt', 2, MIGRATE_1S));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  t.is(r.migrations[0]?.result, 'completed');
  const prepared = r.events.find((e) => e.kind === 'vf-prepared');
  t.is(prepared?.at, '1s');
  t.is(prepared?.host, 'dst');
  // From the migrate step to `completed` (the pause too: the frames never leave dst), at
  // 10 kpps; then the VM's port on dst's bridge takes them.
  const expected = Math.round((stateAt(r, 'completed') - 1) * 10_000);
  const f = r.flows['fromdst'];
  t.true(
    Math.abs((f?.drops['vf-not-bound'] ?? 0) - expected) <= 2,
    `${JSON.stringify(f?.drops)} vs ${expected}`,
  );
  t.is(f?.drops['vm-paused'], undefined);
  // The VF the VM gets on dst is the one Prepare took.
  const address = /VF (\S+)/.exec(prepared?.detail ?? '')?.[1];
  const plug = r.events.find((e) => e.kind === 'vf-plug' && e.host === 'dst');
  t.truthy(address);
  t.is(plug?.detail, `dst VF ${address}`);
});

test('reset-at-eject destination: nothing is prepared, a destination peer reaches the VM on the source until the pause', (t) => {
  const r = run(incoming('reset-at-eject', 2, MIGRATE_1S));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  t.false(r.events.some((e) => e.kind === 'vf-prepared'));
  const f = r.flows['fromdst'];
  t.is(f?.drops['vf-not-bound'], undefined);
  t.is(f?.drops['vm-paused'], 3_000, JSON.stringify(f?.drops));
});

test('libvirt destination without a free VF: Prepare fails, so the migration fails before any QEMU state', (t) => {
  const r = run(incoming('libvirt', 0, MIGRATE_1S));
  const m = r.migrations[0];
  t.is(m?.result, 'failed');
  t.deepEqual(m?.states, []);
  const refused = r.events.find((e) => e.kind === 'migration-refused');
  t.regex(refused?.detail ?? '', /libvirt could not prepare the incoming domain on dst: .*0 free/);
  // The VM keeps running on the source with its VF: nothing is lost.
  t.is(r.flows['fromdst']?.lost, 0);
  t.is(r.flows['out']?.lost, 0);
  t.false(r.events.some((e) => e.kind === 'vf-unplug'));
});

test("libvirt destination, cancelled: the prepared VF goes back to dst and its MAC no longer takes the destination peer's frames", (t) => {
  const r = run(
    incoming(
      'libvirt',
      1,
      '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 300ms, cancel_at: 1.5s }, { at: 2s, action: migrate, vm: vm1, to: dst, downtime: 300ms }]',
    ),
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  t.is(r.migrations[0]?.result, 'cancelled');
  // dst's only VF was given back at the cancel: the second migration can prepare it again.
  t.is(r.migrations[1]?.result, 'completed');
  t.is(r.events.filter((e) => e.kind === 'vf-prepared').length, 2);
  // Lost: 1 s to 1.5 s in dst's prepared VF; 1.5 s to the source's replug at 1.7 s in the
  // source's VF (libvirt keeps its MAC after the eject, the frames come from the wire); then
  // from the second migrate to its `completed`.
  const second = Number.parseFloat(
    r.migrations[1]?.states.find((s) => s.state === 'completed')?.at ?? 'NaN',
  );
  const expected = Math.round((0.7 + second - 2) * 10_000);
  const f = r.flows['fromdst'];
  t.true(
    Math.abs((f?.drops['vf-not-bound'] ?? 0) - expected) <= 3,
    `${JSON.stringify(f?.drops)} vs ${expected}`,
  );
});

test('libvirt destination: Prepare comes once management took the plain VFs out, at setup, not at the step', (t) => {
  // eth1 is a bond's plain VF behind a native PCIe slot: pciehp's 5 s button wait, then the
  // eject; management calls migrate only then, and libvirt prepares eth0's failover hostdev.
  const r = run(`
name: libvirt destination, plain VF first
duration: 9s
hosts:
  - { name: src, vfs: 2, vf_filter: libvirt }
  - { name: dst, vfs: 2, vf_filter: libvirt }
vms:
  - name: vm1
    host: src
    memory: 1GiB
    nics:
      - { name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }
      - { name: eth1, model: bonding, mac: '52:54:00:00:00:02', options: { hotplug: pcie-native } }
peers: [{ name: near, host: dst }]
flows:
  - { name: fromdst, from: near, to: vm1/eth0, rate: 10kpps, size: 64 }
steps: [{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 300ms }]
`);
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const m = r.migrations[0];
  t.is(m?.result, 'completed');
  const setup = m?.states[0];
  t.is(setup?.state, 'setup');
  t.true(Number.parseFloat(setup?.at ?? '0') > 6, `setup at ${setup?.at}`);
  const prepared = r.events.filter((e) => e.kind === 'vf-prepared');
  t.deepEqual(
    prepared.map((e) => [e.dev, e.at]),
    [['eth0', setup?.at]],
    'only the failover NIC, at setup',
  );
});

test('libvirt destination: a failover NIC whose guest did not acknowledge BACKUP still has its hostdev, so Prepare needs a VF for it', (t) => {
  const yaml = incoming('libvirt', 0, MIGRATE_1S).replace(
    "mac: '52:54:00:00:00:01' }",
    "mac: '52:54:00:00:00:01', options: { guest_accepts_backup: false } }",
  );
  const r = run(yaml);
  t.is(r.migrations[0]?.result, 'failed');
  t.regex(
    r.events.find((e) => e.kind === 'migration-refused')?.detail ?? '',
    /could not prepare the incoming domain on dst/,
  );
});
