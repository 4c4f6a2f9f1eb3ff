import test from 'ava';
import { BondMaster } from '../../src/bond/BondMaster.js';
import type { BondActiveChange, BondLinkChange } from '../../src/bond/BondOptions.js';
import { BypassError, isBypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import type { NetDevice } from '../../src/netdev/NetDevice.js';
import { ARPHRD, IFF, PRIV_FLAG } from '../../src/netdev/NetDeviceFlags.js';
import type { NetdevEvent } from '../../src/netdev/NetdevEvent.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { RX_HANDLER } from '../../src/netdev/RxHandler.js';
import { NS_PER_MS } from '../../src/time/Scheduler.js';
import { BondTestNic, mac, netvscOwning, world } from './nics.js';

const MS = NS_PER_MS;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isBypassError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

function names(changes: BondActiveChange[]): string[] {
  return changes.map((c) => `${c.at / MS}ms ${c.from?.name ?? '-'}>${c.to?.name ?? '-'}`);
}

// ------------------------------------------------------------------ options

test('updelay and downdelay are rounded down to a multiple of miimon with a warning', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, updelay: 250 * MS, downdelay: 300 * MS });
  t.is(bond.params.updelayTicks, 2);
  t.is(bond.params.downdelayTicks, 3);
  t.deepEqual(bond.warnings, [
    'updelay (250 ms) is not a multiple of miimon (100 ms); rounded down to 200 ms',
  ]);
});

test('delays without miimon have no effect and are reported', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 0, updelay: 200 * MS });
  t.is(bond.params.updelayTicks, 0);
  t.is(bond.warnings.length, 1);
  t.regex(bond.warnings[0] ?? '', /no effect because miimon is 0/);
});

test('miimon defaults to 0 (no link monitoring), as Linux does for active-backup', (t) => {
  const w = world();
  const bond = w.bond();
  t.is(bond.params.miimon, 0);
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.open();
  // bond_main.c bond_check_params forces 100 ms only for 802.3ad / tlb / alb
  t.is(bond.pendingTimers, 0);
  vf.carrierOff();
  w.sched.advanceTo(1000 * MS);
  t.is(bond.activeSlave, vf, 'carrier loss goes unnoticed');
});

test('invalid bond options are refused with ERR_INVALID_ARGUMENT', (t) => {
  const w = world();
  const mk = (o: object) => () => new BondMaster({ pool: w.pool, scheduler: w.sched, ...o });
  t.is(code(mk({ miimon: -1 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(mk({ updelay: 1.5 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(mk({ failOverMac: 'swap' })), 'ERR_INVALID_ARGUMENT');
  t.is(code(mk({ numGratArp: 256 })), 'ERR_INVALID_ARGUMENT');
  t.is(code(mk({ primary: '' })), 'ERR_INVALID_ARGUMENT');
});

// ------------------------------------------------------------------ enslave rules

test('enslave refuses the bond itself, unregistered devices and other namespaces', (t) => {
  const w = world();
  const bond = w.bond();
  t.is(
    code(() => bond.enslave(bond)),
    'ERR_INVALID_ARGUMENT',
  );
  const loose = new BondTestNic({ pool: w.pool, permAddr: mac(9) });
  t.is(
    code(() => bond.enslave(loose)),
    'ERR_NOT_REGISTERED',
  );
  const other = new NetNamespace('other');
  other.register(loose, 'eth9');
  t.is(
    code(() => bond.enslave(loose)),
    'ERR_WRONG_NAMESPACE',
  );
  const unregisteredBond = new BondMaster({ pool: w.pool, scheduler: w.sched });
  t.is(
    code(() => unregisteredBond.enslave(w.nic(1, 'eth0'))),
    'ERR_NOT_REGISTERED',
  );
  t.is(bond.slaves.length, 0);
});

test('enslave refuses a device with a master, an rx handler, or that is up, with ERR_BUSY', (t) => {
  const w = world();
  const bond = w.bond();
  const upper = w.nic(1, 'eth0');
  const owned = w.nic(2, 'vf0');
  owned.linkMaster(upper);
  t.is(
    code(() => bond.enslave(owned)),
    'ERR_BUSY',
  );
  const port = w.nic(3, 'port0');
  port.registerRxHandler(() => RX_HANDLER.PASS, null);
  t.is(
    code(() => bond.enslave(port)),
    'ERR_BUSY',
  );
  const up = w.nic(4, 'eth1');
  up.open();
  const err = t.throws(() => bond.enslave(up), { instanceOf: BypassError });
  t.is(err?.code, 'ERR_BUSY');
  t.regex(err?.message ?? '', /take it down before enslaving/);
  const ok = w.nic(5, 'eth2');
  bond.enslave(ok);
  t.is(
    code(() => bond.enslave(ok)),
    'ERR_BUSY',
  );
  t.deepEqual(bond.slaves, [ok]);
});

test('enslave refuses non-bond masters and non-Ethernet devices', (t) => {
  const w = world();
  const bond = w.bond();
  const master = w.nic(1, 'team0');
  master.flags |= IFF.MASTER;
  t.is(
    code(() => bond.enslave(master)),
    'ERR_NOT_SUPPORTED',
  );
  const ib = w.nic(2, 'ib0', { type: ARPHRD.INFINIBAND });
  t.is(
    code(() => bond.enslave(ib)),
    'ERR_NOT_ETHERNET',
  );
});

test('enslave sets MTU, address, flags, opens the slave, emits join and picks an active', (t) => {
  const w = world();
  const events: NetdevEvent[] = [];
  w.ns.events$.subscribe((e) => events.push(e));
  const bond = w.bond({ permAddr: mac(0x50) });
  bond.setMtu(9000);
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(eth0);
  t.is(eth0.mtu, 9000);
  t.true(eth0.devAddr.equals(mac(0x50)));
  t.true(eth0.permAddr.equals(mac(1)));
  t.true(eth0.isUp);
  t.true((eth0.flags & IFF.SLAVE) !== 0);
  t.true((bond.flags & IFF.MASTER) !== 0);
  t.true((eth0.privFlags & PRIV_FLAG.BONDING) !== 0);
  t.is(eth0.master, bond);
  t.is(eth0.rxHandlerData, bond);
  t.deepEqual(bond.lowers, [eth0]);
  t.is(bond.activeSlave, eth0);
  t.is(bond.slaveState(eth0), 'up');
  t.true(bond.carrier);
  const join = events.findIndex((e) => e.type === 'join' && e.dev === eth0);
  const upper = events.findIndex((e) => e.type === 'changeupper' && e.dev === eth0);
  t.true(join >= 0 && upper > join, 'join comes first, as bond_enslave emits it early');
});

test('a bond without an address takes the first slave address and drops it with the last slave', (t) => {
  const w = world();
  const bond = w.bond();
  t.true(bond.devAddr.equals(MacAddress.ZERO));
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(eth0);
  bond.enslave(vf);
  t.true(bond.devAddr.equals(mac(1)));
  t.true(vf.devAddr.equals(mac(1)), 'fail_over_mac=none: the slave takes the bond address');
  bond.release(vf);
  t.true(vf.devAddr.equals(mac(2)), 'restored at release');
  bond.release(eth0);
  t.true(bond.devAddr.equals(MacAddress.ZERO));
  bond.enslave(vf);
  t.true(bond.devAddr.equals(mac(2)));
});

test('enslave rolls everything back when the slave refuses to open', (t) => {
  const w = world();
  const bond = w.bond();
  const eth0 = w.nic(1, 'eth0', { mtu: 1400 });
  bond.setMtu(1500);
  eth0.refuseOpen = new BypassError('ERR_REFUSED', 'no');
  t.is(
    code(() => bond.enslave(eth0)),
    'ERR_REFUSED',
  );
  t.is(eth0.mtu, 1400);
  t.true(eth0.devAddr.equals(mac(1)));
  t.is(eth0.master, null);
  t.is(eth0.rxHandler, null);
  t.false(eth0.isUp);
  t.is(eth0.flags & IFF.SLAVE, 0);
  t.is(eth0.privFlags & (PRIV_FLAG.BONDING | PRIV_FLAG.NO_ADDRCONF), 0);
  t.true(bond.devAddr.equals(MacAddress.ZERO), 'the borrowed address is given back');
  t.deepEqual(bond.slaves, []);
  t.is(bond.activeSlave, null);
  t.false(bond.carrier);
});

test('enslave rolls back the MTU when the slave refuses the bond address', (t) => {
  const w = world();
  const bond = w.bond({ permAddr: mac(0x50) });
  bond.setMtu(1300);
  const eth0 = w.nic(1, 'eth0');
  eth0.refuseMac = new BypassError('ERR_NOT_SUPPORTED', 'fixed MAC');
  t.is(
    code(() => bond.enslave(eth0)),
    'ERR_NOT_SUPPORTED',
  );
  t.is(eth0.mtu, 1500);
  t.deepEqual(bond.slaves, []);
  eth0.refuseMtu = new BypassError('ERR_REFUSED', 'no');
  t.is(
    code(() => bond.enslave(eth0)),
    'ERR_REFUSED',
  );
  t.is(eth0.mtu, 1500);
});

// ------------------------------------------------------------------ link monitor

test('miimon detects a dead active slave only at the next tick; frames before it are dropped on the slave', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, primary: 'vf0' });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(eth0);
  bond.enslave(vf);
  bond.open();
  w.sched.advanceTo(0);
  t.is(bond.activeSlave, vf);
  const changes: BondActiveChange[] = [];
  bond.activeChanges$.subscribe((c) => changes.push(c));

  w.sched.advanceTo(130 * MS);
  vf.carrierOff(); // the VF loses its link at 130 ms; bonding does not look until 200 ms
  t.is(bond.activeSlave, vf);
  t.is(w.send(bond, 8), 0);
  t.is(vf.stats.txDropped, 8);
  t.is(w.drops.get('no-carrier'), 8);
  t.is(bond.getStats64().txDropped, 8, 'the slave drop is folded into the bond');
  t.is(eth0.sentHere, 0);

  w.sched.advanceTo(199 * MS);
  t.is(bond.activeSlave, vf);
  w.sched.advanceTo(200 * MS);
  t.is(bond.activeSlave, eth0);
  t.is(bond.slaveState(vf), 'down');
  t.is(bond.linkFailureCount(vf), 1);
  t.deepEqual(names(changes), ['200ms vf0>eth0']);
  t.is(w.send(bond, 4), 4);
  t.is(eth0.sentHere, 4);
});

test('with no usable slave left the bond loses carrier and drops with no-path-ready', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.open();
  w.sched.advanceTo(50 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.activeSlave, null);
  t.false(bond.carrier);
  t.is(w.send(bond, 5), 0);
  t.is(bond.stats.txDropped, 5);
  t.is(w.drops.get('no-path-ready'), 5);
  t.is(bond.getStats64().txDropped, 5);
});

test('downdelay keeps a failing slave active for downdelay, counted in ticks', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, downdelay: 200 * MS });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  const links: BondLinkChange[] = [];
  bond.linkChanges$.subscribe((c) => links.push(c));
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.slaveState(vf), 'fail');
  t.is(bond.activeSlave, vf);
  w.sched.advanceTo(200 * MS);
  t.is(bond.slaveState(vf), 'fail');
  t.is(bond.activeSlave, vf);
  w.sched.advanceTo(300 * MS);
  t.is(bond.slaveState(vf), 'down');
  t.is(bond.activeSlave, eth0);
  t.deepEqual(
    links.map((l) => `${l.at / MS} ${l.slave.name} ${l.from}>${l.to}`),
    ['100 vf0 up>fail', '300 vf0 fail>down'],
  );
});

test('a link that recovers during downdelay goes straight back to up', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, downdelay: 300 * MS });
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.open();
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.slaveState(vf), 'fail');
  vf.carrierOn();
  w.sched.advanceTo(200 * MS);
  t.is(bond.slaveState(vf), 'up');
  t.is(bond.activeSlave, vf);
  t.is(bond.linkFailureCount(vf), 0);
});

test('the primary is reselected when it comes back, after updelay', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, updelay: 200 * MS, primary: 'vf0' });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(eth0);
  bond.enslave(vf);
  bond.open();
  const changes: BondActiveChange[] = [];
  bond.activeChanges$.subscribe((c) => changes.push(c));
  // Both start in 'back' (updelay); with no active slave the first one skips its updelay.
  w.sched.advanceTo(0);
  t.is(bond.activeSlave, eth0);
  t.is(bond.slaveState(vf), 'back');
  w.sched.advanceTo(200 * MS);
  t.is(bond.slaveState(vf), 'up');
  t.is(bond.activeSlave, vf, 'the primary takes over once its updelay is over');

  w.sched.advanceTo(250 * MS);
  vf.carrierOff();
  w.sched.advanceTo(300 * MS);
  t.is(bond.activeSlave, eth0);
  w.sched.advanceTo(350 * MS);
  vf.carrierOn();
  w.sched.advanceTo(400 * MS);
  t.is(bond.slaveState(vf), 'back');
  t.is(bond.activeSlave, eth0);
  w.sched.advanceTo(500 * MS);
  t.is(bond.activeSlave, eth0);
  w.sched.advanceTo(600 * MS);
  t.is(bond.slaveState(vf), 'up');
  t.is(bond.activeSlave, vf);
  t.deepEqual(names(changes), ['0ms ->eth0', '200ms eth0>vf0', '300ms vf0>eth0', '600ms eth0>vf0']);
});

test('a non-primary slave coming back does not take over from a working active', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  w.sched.advanceTo(50 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.activeSlave, eth0);
  vf.carrierOn();
  w.sched.advanceTo(200 * MS);
  t.is(bond.slaveState(vf), 'up');
  t.is(bond.activeSlave, eth0);
});

test('carrier events alone do not move the active slave between ticks', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 1000 * MS });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  w.sched.advanceTo(1 * MS);
  vf.carrierOff();
  vf.close();
  t.is(bond.activeSlave, vf);
  t.is(bond.slaveState(vf), 'up');
  w.sched.advanceTo(1000 * MS);
  t.is(bond.activeSlave, eth0);
});

test('with miimon 0 links are never monitored', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 0 });
  const vf = w.nic(2, 'vf0');
  bond.enslave(vf);
  bond.open();
  t.is(bond.pendingTimers, 0);
  vf.carrierOff();
  w.sched.advanceTo(10_000 * MS);
  t.is(bond.activeSlave, vf);
  t.is(bond.slaveState(vf), 'up');
});

// ------------------------------------------------------------------ release / unregister

test('release of the active slave selects the next one at once and restores the slave', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, permAddr: mac(0x50) });
  const vf = w.nic(2, 'vf0', { mtu: 1400 });
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  t.is(bond.activeSlave, vf);
  const changes: BondActiveChange[] = [];
  bond.activeChanges$.subscribe((c) => changes.push(c));
  bond.release(vf);
  t.is(bond.activeSlave, eth0);
  // bond_main.c __bond_release_one: first to none, then the new selection
  t.deepEqual(names(changes), ['0ms vf0>-', '0ms ->eth0']);
  t.is(vf.master, null);
  t.is(vf.rxHandler, null);
  t.false(vf.isUp);
  t.is(vf.mtu, 1400);
  t.true(vf.devAddr.equals(mac(2)));
  t.is(vf.flags & IFF.SLAVE, 0);
  t.is(vf.privFlags & (PRIV_FLAG.BONDING | PRIV_FLAG.NO_ADDRCONF), 0);
  t.deepEqual(bond.slaves, [eth0]);
  t.is(
    code(() => bond.release(vf)),
    'ERR_NOT_FOUND',
  );
  bond.release(eth0);
  t.is(bond.activeSlave, null);
  t.false(bond.carrier);
});

test('releasing the active slave of a running bond: vf -> none (no GARP), then none -> eth0 with one GARP', (t) => {
  const w = world();
  const announced: string[] = [];
  const bond = w.bond({ miimon: 100 * MS, onAnnounce: (d) => announced.push(d.name) });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  w.sched.advanceTo(30 * MS);
  const garps = bond.garpsSent;
  announced.length = 0;
  const changes: BondActiveChange[] = [];
  bond.activeChanges$.subscribe((c) => changes.push(c));
  bond.release(vf);
  t.deepEqual(names(changes), ['30ms vf0>-', '30ms ->eth0']);
  t.is(bond.garpsSent, garps + 1, 'one peer notification, for the new active only');
  t.deepEqual(announced, ['eth0']);
  t.true(bond.carrier);
  w.sched.advanceTo(1000 * MS);
  t.is(bond.garpsSent, garps + 1, 'num_grat_arp = 1: nothing more at the next ticks');
});

test('release clears NO_ADDRCONF even when the slave had it before enslave', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const eth0 = w.nic(1, 'eth0');
  eth0.privFlags |= PRIV_FLAG.NO_ADDRCONF;
  bond.enslave(eth0);
  bond.release(eth0);
  // bond_main.c __bond_release_one clears it unconditionally
  t.is(eth0.privFlags & PRIV_FLAG.NO_ADDRCONF, 0);
});

test('unregistering a slave (hot-unplug) releases it at once, without waiting for a tick', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  w.sched.advanceTo(30 * MS);
  vf.detach();
  w.ns.unregister(vf);
  t.is(bond.activeSlave, eth0);
  t.deepEqual(bond.slaves, [eth0]);
  t.is(vf.master, null);
  t.is(w.ns.leakedLinks, 0);
  t.is(w.send(bond, 3), 3);
  t.is(eth0.sentHere, 3);
});

test('unregistering the bond releases its slaves and leaves the notifier chain', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(eth0);
  bond.open();
  w.ns.unregister(bond);
  t.is(eth0.master, null);
  t.false(eth0.isUp);
  t.is(w.ns.leakedLinks, 0);
  t.is(bond.pendingTimers, 0);
  t.is(w.sched.pending, 0);
});

// ------------------------------------------------------------------ one-legged bond

test('one-legged bond: a VF owned by netvsc cannot be enslaved, but the bond still works through netvsc', (t) => {
  const w = world();
  const eth0 = w.nic(1, 'eth0'); // netvsc
  const vf = w.nic(1, 'enP2p3s0'); // same MAC, already taken by netvsc
  netvscOwning(eth0, vf);
  vf.open();
  const bond = w.bond({ miimon: 100 * MS });
  const err = t.throws(() => bond.enslave(vf), { instanceOf: BypassError });
  t.is(err?.code, 'ERR_BUSY');
  t.regex(err?.message ?? '', /already has a master \(eth0\)/);

  bond.enslave(eth0);
  bond.open();
  w.sched.advanceTo(0);
  t.deepEqual(bond.slaves, [eth0]);
  t.is(bond.activeSlave, eth0);
  // TX: bond0 -> eth0 -> VF
  t.is(w.send(bond, 6), 6);
  t.is(vf.sentHere, 6);
  t.is(eth0.sentHere, 0);
  // RX: VF -> eth0 -> bond0
  const received = w.sink(bond);
  vf.inject(4);
  t.is(received(), 4);
  // The VF goes away: netvsc falls back to its synthetic path, the bond does not notice.
  vf.carrierOff();
  t.is(w.send(bond, 2), 2);
  t.is(eth0.sentHere, 2);
  t.is(bond.activeSlave, eth0);
});

// ------------------------------------------------------------------ dispose, stats

test('dispose leaves no pending timers; close stops the monitor too', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(eth0);
  bond.open();
  t.is(bond.pendingTimers, 1);
  t.is(w.sched.pending, 1);
  w.sched.advanceTo(250 * MS);
  t.is(w.sched.pending, 1);
  bond.close();
  t.is(bond.pendingTimers, 0);
  t.is(w.sched.pending, 0);
  bond.open();
  t.is(w.sched.pending, 1);
  let completed = false;
  bond.activeChanges$.subscribe({ complete: () => (completed = true) });
  bond.dispose();
  t.is(bond.pendingTimers, 0);
  t.is(w.sched.pending, 0);
  t.true(completed);
  t.is(eth0.master, null);
  t.is(
    code(() => bond.enslave(eth0)),
    'ERR_STATE',
  );
  bond.dispose();
});

test('stats survive the release of a slave and count only traffic while enslaved', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  vf.stats.txPackets = 1000; // before enslave: not the bond's
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  const received = w.sink(bond);
  w.send(bond, 10);
  vf.inject(3);
  eth0.inject(2); // backup slave: exact-match only, nobody bound there
  t.is(received(), 3);
  t.is(eth0.stats.rxNohandler, 2);
  let s = bond.getStats64();
  t.is(s.txPackets, 10);
  t.is(s.rxPackets, 5);
  bond.release(vf);
  w.send(bond, 7);
  s = bond.getStats64();
  t.is(s.txPackets, 17);
  t.is(s.rxPackets, 5);
  vf.stats.txPackets += 50; // after release: not the bond's either
  t.is(bond.getStats64().txPackets, 17);
});

// ------------------------------------------------------------------ failover details

test('fail_over_mac=active: slaves keep their addresses and the bond follows the active', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, failOverMac: 'active' });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  t.true(bond.devAddr.equals(mac(2)));
  t.true(eth0.devAddr.equals(mac(1)));
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.activeSlave, eth0);
  t.true(bond.devAddr.equals(mac(1)));
  t.is(
    code(() => bond.setMacAddress(mac(7))),
    'ERR_NOT_SUPPORTED',
  );
});

test('fail_over_mac=follow: the new and old active swap addresses; the bond keeps its own', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, failOverMac: 'follow', permAddr: mac(0x50) });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(eth0);
  // bond_do_fail_over_mac: the first active (no old one) takes the bond's address
  t.true(eth0.devAddr.equals(mac(0x50)));
  bond.setPrimary('vf0');
  bond.enslave(vf);
  t.is(bond.activeSlave, vf);
  t.true(vf.devAddr.equals(mac(0x50)), 'the new active takes the old active address');
  t.true(eth0.devAddr.equals(mac(2)), 'the old active takes the new one address');
  bond.open();
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.activeSlave, eth0);
  t.true(eth0.devAddr.equals(mac(0x50)));
  t.true(vf.devAddr.equals(mac(2)));
  t.true(bond.devAddr.equals(mac(0x50)), 'the bond address never moves');
  t.is(
    code(() => bond.setMacAddress(mac(7))),
    'ERR_NOT_SUPPORTED',
  );
});

test('fail_over_mac=follow: with no old active, the slave holding the bond address swaps; release restores', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, failOverMac: 'follow', permAddr: mac(0x50) });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.open();
  t.is(bond.activeSlave, vf);
  t.true(vf.devAddr.equals(mac(0x50)));
  t.true(eth0.devAddr.equals(mac(1)), 'a backup keeps its own address');
  // both links go: no active slave; then eth0 alone comes back
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  eth0.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.is(bond.activeSlave, null);
  eth0.carrierOn();
  w.sched.advanceTo(200 * MS);
  t.is(bond.activeSlave, eth0);
  // bond_get_old_active: vf still holds the bond address, so the two swap
  t.true(eth0.devAddr.equals(mac(0x50)));
  t.true(vf.devAddr.equals(mac(1)));
  vf.carrierOn();
  w.sched.advanceTo(300 * MS);
  bond.setPrimary('vf0');
  t.is(bond.activeSlave, vf);
  t.true(vf.devAddr.equals(mac(0x50)));
  t.true(eth0.devAddr.equals(mac(1)));
  // release of the active: to none, then eth0 (no old active, no other slave holds the bond
  // address) takes the bond address; the released slave gets its own back
  bond.release(vf);
  t.is(bond.activeSlave, eth0);
  t.true(eth0.devAddr.equals(mac(0x50)));
  t.true(vf.devAddr.equals(mac(2)));
  bond.release(eth0);
  t.true(eth0.devAddr.equals(mac(1)));
});

test('fail_over_mac=follow: a slave refusing its new address is reported in warnings, not thrown', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, failOverMac: 'follow', permAddr: mac(0x50) });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(eth0);
  vf.refuseMac = new BypassError('ERR_REFUSED', 'PF set an administrative MAC');
  bond.setPrimary('vf0');
  bond.enslave(vf);
  t.is(bond.activeSlave, vf);
  t.true(vf.devAddr.equals(mac(2)));
  t.true(eth0.devAddr.equals(mac(0x50)), 'the old active keeps its address when the swap fails');
  t.regex(bond.warnings.join('\n'), /vf0: PF set an administrative MAC/);
});

test('a failover sends num_grat_arp peer notifications on the new active, the rest one per tick', (t) => {
  const w = world();
  const announced: string[] = [];
  const bond = w.bond({
    miimon: 100 * MS,
    numGratArp: 2,
    onAnnounce: (slave: NetDevice) => announced.push(`${w.sched.now() / MS} ${slave.name}`),
  });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  t.is(bond.garpsSent, 0, 'no notification while the bond is down');
  bond.open();
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  w.sched.advanceTo(300 * MS);
  t.deepEqual(announced, ['100 eth0', '200 eth0']);
  t.is(bond.garpsSent, 2);
});

test('MTU changes reach every slave and are undone when one refuses', (t) => {
  const w = world();
  const bond = w.bond();
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  bond.setMtu(4000);
  t.is(vf.mtu, 4000);
  t.is(eth0.mtu, 4000);
  eth0.refuseMtu = new BypassError('ERR_REFUSED', 'no');
  t.is(
    code(() => bond.setMtu(9000)),
    'ERR_REFUSED',
  );
  t.is(vf.mtu, 4000);
  t.is(eth0.mtu, 4000);
  t.is(bond.mtu, 4000);
});

test('address lists and promiscuity follow the active slave only', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS });
  const vf = w.nic(2, 'vf0');
  const eth0 = w.nic(1, 'eth0');
  bond.enslave(vf);
  bond.enslave(eth0);
  const group = MacAddress.parse('01:00:5e:00:00:fb');
  bond.addMulticastAddress(group);
  bond.setPromiscuity(1);
  bond.open();
  t.true(vf.mc.has(group.value));
  t.false(eth0.mc.has(group.value));
  t.is(vf.promiscuity, 1);
  t.is(eth0.promiscuity, 0);
  w.sched.advanceTo(10 * MS);
  vf.carrierOff();
  w.sched.advanceTo(100 * MS);
  t.false(vf.mc.has(group.value));
  t.true(eth0.mc.has(group.value));
  t.is(vf.promiscuity, 0);
  t.is(eth0.promiscuity, 1);
  bond.close();
  t.false(eth0.mc.has(group.value));
});

test('renaming a slave to the primary name makes it primary and active', (t) => {
  const w = world();
  const bond = w.bond({ miimon: 100 * MS, primary: 'vfprimary' });
  const eth0 = w.nic(1, 'eth0');
  const vf = w.nic(2, 'vf0');
  bond.enslave(eth0);
  bond.enslave(vf);
  t.is(bond.activeSlave, eth0);
  vf.rename('vfprimary');
  t.is(bond.activeSlave, vf);
  bond.setPrimary(null);
  t.is(bond.activeSlave, eth0, 'primary_reselect=always: first up slave in enslave order');
  bond.setPrimary('vfprimary');
  t.is(bond.activeSlave, vf);
});
