import test from 'ava';
import {
  discoverPairs,
  RealSysfsView,
  sameMacGroups,
  snapshotOf,
  type LinkRecord,
  type LinkSnapshot,
} from '../src/index.js';
import { bond0, bondSlave, link, netvscVf } from './helpers/links.js';
import { HV_MAC, hyperVTree, KVM_MAC, netFailoverTree } from './helpers/sysfsFixtures.js';

function hyperV(t: { teardown: (f: () => void) => void }, enslaved = true): LinkSnapshot {
  const tree = hyperVTree({ enslaved });
  t.teardown(() => tree.remove());
  const links: LinkRecord[] = [
    link({ ifindex: 1, name: 'lo', type: 772, address: '00:00:00:00:00:00' }),
    link({ ifindex: 2, name: 'eth0', address: HV_MAC, up: true, carrier: true }),
    (enslaved ? netvscVf : link)({
      ifindex: 3,
      name: 'enP1s1',
      address: HV_MAC,
      up: true,
      carrier: true,
      master: enslaved ? 2 : 0,
    }),
  ];
  return snapshotOf(links, new RealSysfsView(tree.root));
}

test('Hyper-V: hv_netvsc and its enslaved VF form a netvsc pair', (t) => {
  t.deepEqual(discoverPairs(hyperV(t)), [
    {
      id: 'netvsc:eth0',
      model: 'netvsc',
      mac: HV_MAC,
      master: 'eth0',
      backup: 'eth0',
      active: 'enP1s1',
      activeEnslaved: true,
    },
  ]);
});

test('Hyper-V: a same-MAC PCI VF that is not enslaved is found as a one-legged pair', (t) => {
  const [pair] = discoverPairs(hyperV(t, false));
  t.like(pair, { model: 'netvsc', active: 'enP1s1', activeEnslaved: false });
});

test('Hyper-V: netvsc without a VF is still listed, with no active', (t) => {
  const snap = hyperV(t);
  const links = snap.links.filter((l) => l.name !== 'enP1s1');
  t.like(discoverPairs({ links, facts: snap.facts })[0], { id: 'netvsc:eth0', active: null });
});

test('Hyper-V: a same-MAC interface that is not on PCI is a VF only with force (vdev_netvsc force)', (t) => {
  const snap = hyperV(t);
  const links = [
    ...snap.links.filter((l) => l.name !== 'enP1s1'),
    link({ ifindex: 7, name: 'tap0', address: HV_MAC, kind: 'tun' }),
  ];
  t.like(discoverPairs({ links, facts: snap.facts })[0], { active: null });
  t.like(discoverPairs({ links, facts: snap.facts }, { force: true })[0], {
    active: 'tap0',
    activeEnslaved: false,
  });
});

test('net_failover: the lower sharing the master parent is the standby, the other the primary', (t) => {
  const tree = netFailoverTree();
  t.teardown(() => tree.remove());
  const links = [
    link({ ifindex: 2, name: 'ens3', address: KVM_MAC, up: true, carrier: true }),
    link({ ifindex: 3, name: 'ens3nsby', address: KVM_MAC, master: 2, up: true, carrier: true }),
    link({ ifindex: 4, name: 'ens4', address: KVM_MAC, master: 2, up: true, carrier: true }),
  ];
  t.deepEqual(discoverPairs(snapshotOf(links, new RealSysfsView(tree.root))), [
    {
      id: 'net_failover:ens3',
      model: 'net_failover',
      mac: KVM_MAC,
      master: 'ens3',
      backup: 'ens3nsby',
      active: 'ens4',
      activeEnslaved: true,
    },
  ]);
});

test('net_failover without sysfs: phys_port_name "sby" identifies the standby', (t) => {
  const links = [
    link({ ifindex: 2, name: 'ens3', address: KVM_MAC }),
    link({ ifindex: 3, name: 'ens4', address: KVM_MAC, master: 2 }),
    link({ ifindex: 5, name: 'ens3nsby', address: KVM_MAC, master: 2, physPortName: 'sby' }),
  ];
  t.like(discoverPairs({ links, facts: new Map() })[0], { backup: 'ens3nsby', active: 'ens4' });
});

test('a bridge with a port is not a failover pair', (t) => {
  const links = [
    link({ ifindex: 2, name: 'br0', address: KVM_MAC, kind: 'bridge' }),
    link({
      ifindex: 3,
      name: 'tap0',
      address: KVM_MAC,
      master: 2,
      kind: 'tun',
      slaveKind: 'bridge',
    }),
  ];
  t.deepEqual(discoverPairs({ links, facts: new Map() }, { force: true }), []);
});

test('bonding active-backup: the PCI slave is the active, the other the backup', (t) => {
  const tree = hyperVTree({ enslaved: false });
  t.teardown(() => tree.remove());
  const links = [
    bondSlave({ ifindex: 2, name: 'eth0', address: HV_MAC, master: 9 }),
    bondSlave({ ifindex: 3, name: 'enP1s1', address: HV_MAC, master: 9 }),
    bond0(HV_MAC, 2),
  ];
  const pairs = discoverPairs(snapshotOf(links, new RealSysfsView(tree.root)));
  // eth0 is hv_netvsc but enslaved to the bond: the bond is the pair, not netvsc.
  t.is(pairs.length, 1);
  t.like(pairs[0], {
    id: 'bond:bond0',
    master: 'bond0',
    active: 'enP1s1',
    backup: 'eth0',
    activeEnslaved: true,
  });
});

test('a bond in another mode is not a failover pair', (t) => {
  const links = [
    link({ ifindex: 2, name: 'a', address: KVM_MAC, master: 9 }),
    link({ ifindex: 3, name: 'b', address: KVM_MAC, master: 9 }),
    bond0(KVM_MAC, 0, 4),
  ];
  t.deepEqual(discoverPairs({ links, facts: new Map() }, { force: true }), []);
});

test('same-MAC interfaces without a master are a pair only with force; the tap is the backup', (t) => {
  const links = [
    link({ ifindex: 4, name: 'vf0', address: '02:bb:00:00:00:01', kind: 'veth' }),
    link({ ifindex: 5, name: 'tap0', address: '02:bb:00:00:00:01', kind: 'tun' }),
    link({ ifindex: 6, name: 'vf0.10', address: '02:bb:00:00:00:01', kind: 'vlan' }),
    link({ ifindex: 7, name: 'other', address: '02:bb:00:00:00:09' }),
  ];
  const snap = { links, facts: new Map() };
  t.deepEqual(discoverPairs(snap), []);
  t.deepEqual(
    sameMacGroups(snap).map((g) => g.map((l) => l.name)),
    [['vf0', 'tap0']],
  );
  t.deepEqual(discoverPairs(snap, { force: true }), [
    {
      id: 'same-mac:tap0',
      model: 'same-mac',
      mac: '02:bb:00:00:00:01',
      master: null,
      backup: 'tap0',
      active: 'vf0',
      activeEnslaved: false,
    },
  ]);
});

test('same-MAC interfaces of the same sort: the lower ifindex is the backup', (t) => {
  const links = [
    link({ ifindex: 8, name: 'b', address: '02:bb:00:00:00:01', kind: 'veth' }),
    link({ ifindex: 3, name: 'a', address: '02:bb:00:00:00:01', kind: 'veth' }),
  ];
  t.like(discoverPairs({ links, facts: new Map() }, { force: true })[0], {
    backup: 'a',
    active: 'b',
  });
});

test('multicast and zero addresses never make same-MAC groups', (t) => {
  const links = [
    link({ ifindex: 2, name: 'a', address: '03:00:00:00:00:01' }),
    link({ ifindex: 3, name: 'b', address: '03:00:00:00:00:01' }),
    link({ ifindex: 4, name: 'c', address: '00:00:00:00:00:00' }),
    link({ ifindex: 5, name: 'd', address: '00:00:00:00:00:00' }),
  ];
  t.deepEqual(sameMacGroups({ links, facts: new Map() }), []);
});

test('Hyper-V: a same-MAC PCI VF held by a bond is the one-legged VF, with the bond named', (t) => {
  const tree = hyperVTree({ enslaved: false });
  t.teardown(() => tree.remove());
  const links = [
    link({ ifindex: 2, name: 'eth0', address: HV_MAC, up: true, carrier: true }),
    bondSlave({ ifindex: 3, name: 'enP1s1', address: HV_MAC, master: 9 }),
    bond0(HV_MAC, 3),
  ];
  // netvsc_vf_join fails on the bond's rx_handler: the VF stays in the bond, unpaired.
  t.deepEqual(discoverPairs(snapshotOf(links, new RealSysfsView(tree.root))), [
    {
      id: 'netvsc:eth0',
      model: 'netvsc',
      mac: HV_MAC,
      master: 'eth0',
      backup: 'eth0',
      active: 'enP1s1',
      activeEnslaved: false,
      activeMaster: 'bond0',
    },
  ]);
});

test('net_failover: a same-MAC PCI primary held by a bridge is the one-legged primary', (t) => {
  const tree = netFailoverTree();
  t.teardown(() => tree.remove());
  const links = [
    link({ ifindex: 2, name: 'ens3', address: KVM_MAC }),
    link({ ifindex: 3, name: 'ens3nsby', address: KVM_MAC, master: 2 }),
    link({ ifindex: 4, name: 'ens4', address: KVM_MAC, master: 8, slaveKind: 'bridge' }),
    link({ ifindex: 8, name: 'br0', address: KVM_MAC, kind: 'bridge' }),
  ];
  t.like(discoverPairs(snapshotOf(links, new RealSysfsView(tree.root)))[0], {
    id: 'net_failover:ens3',
    active: 'ens4',
    activeEnslaved: false,
    activeMaster: 'br0',
  });
});

test('pairing compares permanent MACs: a VF whose current MAC was changed is still found', (t) => {
  const tree = netFailoverTree();
  t.teardown(() => tree.remove());
  const links = [
    link({ ifindex: 2, name: 'ens3', address: KVM_MAC, permAddress: KVM_MAC }),
    link({ ifindex: 3, name: 'ens3nsby', address: KVM_MAC, permAddress: KVM_MAC, master: 2 }),
    // failover.c failover_get_bymac compares perm_addr; the guest changed ens4's MAC.
    link({ ifindex: 4, name: 'ens4', address: '02:00:00:00:00:44', permAddress: KVM_MAC }),
  ];
  const [pair] = discoverPairs(snapshotOf(links, new RealSysfsView(tree.root)));
  t.like(pair, { active: 'ens4', activeEnslaved: false, mac: KVM_MAC });
  // Without a permanent MAC the current one is compared (and differs).
  const noPerm = links.map((l) => ({ ...l, permAddress: null }));
  t.like(discoverPairs(snapshotOf(noPerm, new RealSysfsView(tree.root)))[0], { active: null });
});

test('sysfs facts of another device that now has the name are ignored', (t) => {
  const snap = hyperV(t, false);
  const vfFacts = snap.facts.get('enP1s1');
  t.truthy(vfFacts);
  // The facts say ifindex 3; the link with that name is now ifindex 7 (a rename race).
  const links = snap.links.map((l) => (l.name === 'enP1s1' ? { ...l, ifindex: 7 } : l));
  t.like(discoverPairs({ links, facts: snap.facts })[0], { active: null });
  t.like(discoverPairs(snap)[0], { active: 'enP1s1' });
});

test('netvsc under a bond with its own VF: netvsc pairs its VF, and is the bond backup', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const links = [
    bondSlave({ ifindex: 2, name: 'eth0', address: HV_MAC, master: 9 }),
    netvscVf({ ifindex: 3, name: 'enP1s1', address: HV_MAC, master: 2 }),
    bond0(HV_MAC, 2),
  ];
  const pairs = discoverPairs(snapshotOf(links, new RealSysfsView(tree.root)));
  t.deepEqual(
    pairs.map((p) => [p.id, p.backup, p.active, p.activeEnslaved]),
    [
      ['netvsc:eth0', 'eth0', 'enP1s1', true],
      ['bond:bond0', 'eth0', null, false],
    ],
  );
});
