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

const run = (yaml: string): Report => runScenario(loadScenarioText(yaml, 'vf-filter.yaml'));

const MIGRATE = '[{ at: 2s, action: migrate, vm: vm1, to: dst, downtime: 300ms }]';

const stateAt = (r: Report, state: string): number => {
  const at = r.migrations[0]?.states.find((s) => s.state === state)?.at ?? 'NaN';
  return Number.parseFloat(at) * (at.endsWith('ms') ? 1e-3 : 1);
};

test('libvirt: from the eject to the pause, and on dst until its VF is probed, frames die in an unbound VF', (t) => {
  const r = run(world('libvirt', '{}', MIGRATE));
  t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const f = r.flows['in'];
  // Eject at 2.005 s; the VM stops at `device`; on dst the VF is plugged 200 ms after
  // `completed`: both stretches at 100 kpps go to a VF with no driver.
  const stretch = stateAt(r, 'device') - 2.005 + 0.2;
  const expected = Math.round(stretch * 100_000);
  t.true(
    Math.abs((f?.drops['vf-not-bound'] ?? 0) - expected) <= 10,
    `${JSON.stringify(f?.drops)} vs ${expected}`,
  );
  t.is(f?.drops['vm-paused'], 30_000);
});

test('reset-at-eject (the default): the same migration loses only the pause', (t) => {
  const r = run(world('reset-at-eject', '{}', MIGRATE));
  const f = r.flows['in'];
  t.is(f?.drops['vf-not-bound'], undefined);
  t.is(f?.drops['vm-paused'], 30_000);
  t.true((f?.lost ?? 0) <= 30_010, JSON.stringify(f?.drops));
});

test('libvirt: a guest that never acks BACKUP keeps the VF hidden and loses every unicast frame', (t) => {
  const r = run(world('libvirt', '{ guest_accepts_backup: false }', '[]'));
  const f = r.flows['in'];
  t.is(f?.received, 0);
  t.is(f?.drops['vf-not-bound'], f?.sent);
  t.true(r.events.some((e) => e.kind === 'vf-hidden'));
  // The default host steers nothing to a hidden VF: virtio gets it all.
  const dflt = run(world('reset-at-eject', '{ guest_accepts_backup: false }', '[]'));
  t.is(dflt.flows['in']?.lost, 0);
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
  const r = run(world('libvirt', '{}', '[{ at: 1s, action: vf-unplug, vm: vm1, nic: eth0 }]'));
  const f = r.flows['in'];
  t.is(f?.drops['vf-not-bound'], undefined, JSON.stringify(f?.drops));
  t.true((f?.lost ?? 0) <= 5, JSON.stringify(f?.drops));
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
  t.is(f?.drops['vm-paused'], 30_000);
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
