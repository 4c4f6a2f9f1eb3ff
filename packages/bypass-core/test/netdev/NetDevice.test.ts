import test from 'ava';
import { BypassError, isBypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { IFF, NETIF_F, PRIV_FLAG } from '../../src/netdev/NetDeviceFlags.js';
import type { NetDevice } from '../../src/netdev/NetDevice.js';
import type { NetdevEvent } from '../../src/netdev/NetdevEvent.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { RX_HANDLER, type PacketSink } from '../../src/netdev/RxHandler.js';
import { DropReason } from '../../src/packet/DropReason.js';
import type { PacketPool } from '../../src/packet/PacketPool.js';
import { TestNic } from '../helpers/TestNic.js';
import { frames, mac, makeNs, makePool, mcastMac } from '../helpers/world.js';

function setup(): {
  pool: PacketPool;
  ns: NetNamespace;
  log: string[];
  events: NetdevEvent[];
  nic: TestNic;
} {
  const pool = makePool(64);
  const { ns, log, events } = makeNs();
  const nic = new TestNic({ pool, permAddr: mac(1) });
  ns.register(nic);
  log.length = 0;
  events.length = 0;
  return { pool, ns, log, events, nic };
}

/** A sink that records what it got and frees it. */
function recorder(): {
  sink: PacketSink;
  got: Array<{ dev: string; handles: number[]; ports: number[] }>;
} {
  const got: Array<{ dev: string; handles: number[]; ports: number[] }> = [];
  const sink: PacketSink = (dev, pkts, start, count) => {
    const handles = [...pkts.subarray(start, start + count)];
    got.push({ dev: dev.name, handles, ports: handles.map((h) => dev.pool.port[h] as number) });
    dev.pool.freeBurst(pkts, start, count);
  };
  return { sink, got };
}

function dropCounter(pool: PacketPool): Map<number, number> {
  const m = new Map<number, number>();
  pool.onDrop = (_p, _pk, _s, count, reason) => m.set(reason, (m.get(reason) ?? 0) + count);
  return m;
}

test('constructor defaults and argument checks', (t) => {
  const pool = makePool(4);
  const d = new TestNic({ pool, permAddr: mac(1) });
  t.is(d.mtu, 1500);
  t.is(d.minMtu, 68);
  t.is(d.maxMtu, 1500);
  t.is(d.name, 'eth%d');
  t.is(d.driver, 'generic');
  t.is(d.ifindex, 0);
  t.false(d.registered);
  t.true(d.devAddr.equals(d.permAddr));
  t.is(d.operState, 'down');
  t.is(new TestNic({ pool, permAddr: mac(1), maxMtu: 1000 }).mtu, 1000);
  const bad = (o: object, code: string): void => {
    t.true(
      isBypassError(
        t.throws(() => new TestNic({ pool, permAddr: mac(1), ...o })),
        code as never,
      ),
    );
  };
  bad({ minMtu: 100, maxMtu: 50 }, 'ERR_INVALID_ARGUMENT');
  bad({ minMtu: 1.5 }, 'ERR_INVALID_ARGUMENT');
  bad({ mtu: 9000 }, 'ERR_MTU_RANGE');
  bad({ numTxQueues: 0 }, 'ERR_INVALID_ARGUMENT');
  bad({ numRxQueues: 5000 }, 'ERR_INVALID_ARGUMENT');
});

test('open emits up and close emits going-down then down; both are idempotent', (t) => {
  const { nic, log } = setup();
  nic.open();
  t.true(nic.isUp);
  t.true(nic.running);
  t.is(nic.flags & IFF.UP, IFF.UP);
  nic.open();
  t.deepEqual(log, ['up:eth0']);
  nic.close();
  nic.close();
  t.deepEqual(log, ['up:eth0', 'going-down:eth0', 'down:eth0']);
  t.false(nic.isUp);
  t.false(nic.running);
  t.deepEqual(nic.calls, ['open', 'rxmode', 'stop']);
});
test('a going-down listener may hold the close: the device stays up and running until the last hold is released', (t) => {
  const { ns, nic, log } = setup();
  nic.open();
  const releases: Array<() => void> = [];
  const sub = ns.events$.subscribe((e) => {
    if (e.type !== 'going-down' || e.dev !== nic) return;
    for (let k = 0; k < 2; k++) {
      const r = nic.holdClose();
      if (r !== null) releases.push(r);
    }
  });
  t.is(nic.holdClose(), null, 'no hold outside the going-down notifications');
  nic.close();
  t.deepEqual(log, ['up:eth0', 'going-down:eth0']);
  t.true(nic.isUp && nic.running && nic.closing);
  nic.close(); // a second close while one is in progress changes nothing
  t.deepEqual(log, ['up:eth0', 'going-down:eth0']);
  releases[0]?.();
  releases[0]?.(); // a second call of the same release does nothing
  t.true(nic.isUp, 'one hold left');
  releases[1]?.();
  t.deepEqual(log, ['up:eth0', 'going-down:eth0', 'down:eth0']);
  t.false(nic.isUp || nic.running || nic.closing);
  t.deepEqual(nic.calls, ['open', 'rxmode', 'stop']);
  sub.unsubscribe();
});

/**
 * {@link setup} with the device up and a `going-down` listener that holds every close;
 * `release()` lets the latest hold go.
 */
function withHeldClose(): ReturnType<typeof setup> & { release: () => void } {
  const s = setup();
  s.nic.open();
  let latest: (() => void) | null = null;
  s.ns.events$.subscribe((e) => {
    if (e.type === 'going-down' && e.dev === s.nic) latest = s.nic.holdClose();
  });
  return { ...s, release: () => latest?.() };
}

test('an open while a held close waits runs after it; a close meanwhile cancels it', (t) => {
  const { nic, log, release } = withHeldClose();
  nic.close();
  nic.open(); // as dev_open waits for the RTNL lock the blocked dev_close holds
  t.deepEqual(log, ['up:eth0', 'going-down:eth0']);
  release();
  t.deepEqual(log, ['up:eth0', 'going-down:eth0', 'down:eth0', 'up:eth0']);
  t.true(nic.isUp);
  nic.close();
  nic.open();
  nic.close();
  release();
  t.deepEqual(log.slice(4), ['going-down:eth0', 'down:eth0']);
  t.false(nic.isUp);
});

test('an open that waited for a held close and is refused leaves the device down; the release does not throw', (t) => {
  const { nic, log, release } = withHeldClose();
  nic.close();
  nic.open();
  nic.refuseOpen = new BypassError('ERR_REFUSED', 'firmware not ready');
  t.notThrows(() => release());
  t.deepEqual(log, ['up:eth0', 'going-down:eth0', 'down:eth0']);
  t.false(nic.isUp || nic.running);
});

test('a device that leaves its namespace does not wait for a held close; the late release does nothing', (t) => {
  const { ns, nic, log, release } = withHeldClose();
  nic.close();
  t.true(nic.closing);
  ns.unregister(nic);
  t.deepEqual(log, ['up:eth0', 'going-down:eth0', 'down:eth0', 'unregister:eth0']);
  t.false(nic.isUp);
  release();
  t.is(log.filter((l) => l.startsWith('down')).length, 1);
  t.deepEqual(nic.calls, ['open', 'rxmode', 'stop']);
});

test('a refused ndoOpen leaves the device down without events', (t) => {
  const { nic, log } = setup();
  nic.refuseOpen = new BypassError('ERR_REFUSED', 'firmware not ready');
  t.true(
    isBypassError(
      t.throws(() => nic.open()),
      'ERR_REFUSED',
    ),
  );
  t.false(nic.isUp);
  t.false(nic.running);
  t.deepEqual(log, []);
  nic.refuseOpen = null;
  nic.open();
  t.deepEqual(log, ['up:eth0']);
});

test('open needs a registered, present device', (t) => {
  const { nic, log } = setup();
  const loose = new TestNic({ pool: nic.pool, permAddr: mac(2) });
  t.true(
    isBypassError(
      t.throws(() => loose.open()),
      'ERR_NOT_REGISTERED',
    ),
  );
  nic.detach();
  t.is(nic.operState, 'notpresent');
  t.true(
    isBypassError(
      t.throws(() => nic.open()),
      'ERR_NO_DEVICE',
    ),
  );
  nic.attach();
  nic.open();
  // detach and attach each announce the presence change (for operational-state watchers).
  t.deepEqual(log, ['change:eth0', 'change:eth0', 'up:eth0']);
});

test('operState follows admin state, carrier and presence', (t) => {
  const { nic } = setup();
  nic.open();
  t.is(nic.operState, 'lowerlayerdown');
  t.false(nic.isReady);
  nic.carrierOn();
  t.is(nic.operState, 'up');
  t.true(nic.isReady);
  nic.detach();
  t.is(nic.operState, 'notpresent');
  // net_failover_xmit_ready reads running and carrier only.
  t.true(nic.isReady);
});

test('setMtu checks bounds (ERR_MTU_RANGE, state unchanged) and emits changemtu with oldMtu', (t) => {
  const pool = makePool(4);
  const { ns, events } = makeNs();
  const nic = new TestNic({ pool, permAddr: mac(1), maxMtu: 9000 });
  ns.register(nic);
  for (const bad of [67, 9001, 1500.5, Number.NaN]) {
    t.true(
      isBypassError(
        t.throws(() => nic.setMtu(bad)),
        'ERR_MTU_RANGE',
      ),
      String(bad),
    );
  }
  t.is(nic.mtu, 1500);
  nic.setMtu(9000);
  t.is(nic.mtu, 9000);
  const e = events.at(-1) as NetdevEvent;
  t.is(e.type, 'changemtu');
  t.is(e.oldMtu, 1500);
  const before = events.length;
  nic.setMtu(9000);
  t.is(events.length, before, 'no event when the MTU does not change');
  nic.refuseMtu = new BypassError('ERR_REFUSED', 'no');
  t.true(
    isBypassError(
      t.throws(() => nic.setMtu(68)),
      'ERR_REFUSED',
    ),
  );
  t.is(nic.mtu, 9000);
  t.is(events.length, before);
  nic.refuseMtu = null;
  nic.detach();
  t.true(
    isBypassError(
      t.throws(() => nic.setMtu(68)),
      'ERR_NO_DEVICE',
    ),
  );
});

test('setMacAddress changes the current address, emits changeaddr, keeps permAddr', (t) => {
  const { nic, events } = setup();
  nic.setMacAddress(mac(9));
  t.true(nic.devAddr.equals(mac(9)));
  t.true(nic.permAddr.equals(mac(1)));
  const e = events.at(-1) as NetdevEvent;
  t.is(e.type, 'changeaddr');
  t.true(e.oldAddress?.equals(mac(1)));
  nic.setMacAddress(mac(9));
  t.is(events.length, 1);
  t.true(
    isBypassError(
      t.throws(() => nic.setMacAddress(mcastMac())),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => nic.setMacAddress(MacAddress.ZERO)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  nic.refuseMac = new BypassError('ERR_NOT_SUPPORTED', 'backup virtio refuses MAC changes');
  t.true(
    isBypassError(
      t.throws(() => nic.setMacAddress(mac(3))),
      'ERR_NOT_SUPPORTED',
    ),
  );
  t.true(nic.devAddr.equals(mac(9)));
  t.is(events.length, 1);
});

test('carrier on/off emits change only when the state changes and follows LOWER_UP', (t) => {
  const { nic, events } = setup();
  nic.carrierOff();
  t.is(events.length, 0);
  nic.carrierOn();
  nic.carrierOn();
  t.is(events.length, 1);
  t.is(events[0]?.type, 'change');
  t.is(events[0]?.detail, 'carrier');
  t.is(nic.flags & IFF.LOWER_UP, IFF.LOWER_UP);
  nic.carrierOff();
  nic.carrierOff();
  t.is(events.length, 2);
  t.is(nic.flags & IFF.LOWER_UP, 0);
});

test('promiscuity and allmulti are reference counts driving their flags', (t) => {
  const { nic, events } = setup();
  nic.setPromiscuity(1);
  nic.setPromiscuity(1);
  t.is(nic.promiscuity, 2);
  t.is(nic.flags & IFF.PROMISC, IFF.PROMISC);
  t.is(events.length, 1, 'only the flip emits');
  t.is(events[0]?.detail, 'flags');
  nic.setPromiscuity(-1);
  t.is(nic.flags & IFF.PROMISC, IFF.PROMISC);
  nic.setPromiscuity(-1);
  t.is(nic.flags & IFF.PROMISC, 0);
  t.is(events.length, 2);
  t.true(
    isBypassError(
      t.throws(() => nic.setPromiscuity(-1)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.is(nic.promiscuity, 0);
  nic.setAllmulti(1);
  t.is(nic.allmulti, 1);
  t.is(nic.flags & IFF.ALLMULTI, IFF.ALLMULTI);
  nic.setAllmulti(-1);
  t.is(nic.flags & IFF.ALLMULTI, 0);
  t.true(
    isBypassError(
      t.throws(() => nic.setAllmulti(0.5)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('address lists sync to a lower device and unsync exactly what was pushed', (t) => {
  const { nic: upper, pool, ns } = setup();
  const lower = new TestNic({ pool, permAddr: mac(2) });
  ns.register(lower);
  lower.open(); // a lower that is down is programmed only when it opens (next test)
  upper.addUnicastAddress(mac(5));
  upper.addMulticastAddress(mcastMac(1));
  lower.addMulticastAddress(mcastMac(1)); // the lower's own reference
  lower.calls.length = 0;
  upper.syncAddressesTo(lower);
  t.true(lower.uc.has(mac(5).value));
  t.true(lower.mc.has(mcastMac(1).value));
  t.deepEqual(lower.calls, ['rxmode']);
  upper.addMulticastAddress(mcastMac(2));
  upper.removeUnicastAddress(mac(5));
  upper.syncAddressesTo(lower);
  t.false(lower.uc.has(mac(5).value));
  t.true(lower.mc.has(mcastMac(2).value));
  upper.unsyncAddressesFrom(lower);
  t.deepEqual(lower.mc.values(), [mcastMac(1).value], 'the lower keeps its own address');
  t.is(lower.uc.size, 0);
  t.true(
    isBypassError(
      t.throws(() => upper.addMulticastAddress(mac(3))),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  lower.calls.length = 0;
  upper.unsyncAddressesFrom(lower);
  t.deepEqual(lower.calls, [], 'nothing left to unsync');
});

test('a lower that is down gets the synced lists but is programmed only when it opens (dev.c __dev_set_rx_mode)', (t) => {
  const { nic: upper, pool, ns } = setup();
  const lower = new TestNic({ pool, permAddr: mac(2) });
  ns.register(lower);
  upper.addMulticastAddress(mcastMac(1));
  upper.syncAddressesTo(lower);
  t.true(lower.mc.has(mcastMac(1).value), 'dev_mc_sync syncs the list whatever the state');
  t.deepEqual(lower.calls, [], 'no ndo_set_rx_mode while the lower is down');
  upper.unsyncAddressesFrom(lower);
  t.is(lower.mc.size, 0);
  upper.syncAddressesTo(lower);
  lower.addUnicastAddress(mac(6));
  lower.setPromiscuity(1);
  t.deepEqual(lower.calls, []);
  lower.open();
  t.is(
    lower.calls.filter((c) => c === 'rxmode').length,
    1,
    'dev_open programs the whole state once',
  );
  upper.addMulticastAddress(mcastMac(2));
  upper.syncAddressesTo(lower);
  t.is(lower.calls.filter((c) => c === 'rxmode').length, 2, 'and every change while it is up');
});

test('adding an address that is already listed does not refresh the RX filter', (t) => {
  const { nic } = setup();
  nic.open();
  nic.calls.length = 0;
  nic.addUnicastAddress(mac(5));
  nic.addUnicastAddress(mac(5));
  t.deepEqual(nic.calls, ['rxmode']);
  nic.removeUnicastAddress(mac(5));
  t.deepEqual(nic.calls, ['rxmode'], 'still one reference left');
  nic.removeUnicastAddress(mac(5));
  t.deepEqual(nic.calls, ['rxmode', 'rxmode']);
  nic.removeMulticastAddress(mcastMac(9));
  t.is(nic.calls.length, 2);
});

test('VLAN ids are reference counted; the driver sees the first add and the last delete', (t) => {
  const { nic } = setup();
  nic.vlanVidAdd(10);
  nic.vlanVidAdd(10);
  nic.vlanVidAdd(20);
  t.deepEqual(nic.vlanIds, [10, 20]);
  t.true(nic.usesVlans);
  nic.vlanVidDel(10);
  t.deepEqual(nic.calls, ['vid+:10', 'vid+:20']);
  nic.vlanVidDel(10);
  nic.vlanVidDel(20);
  nic.vlanVidDel(30);
  t.deepEqual(nic.calls, ['vid+:10', 'vid+:20', 'vid-:10', 'vid-:20']);
  t.false(nic.usesVlans);
  for (const bad of [-1, 4096, 1.5]) {
    t.true(
      isBypassError(
        t.throws(() => nic.vlanVidAdd(bad)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
  }
});

test('VLANs are refused on a VLAN-challenged device and when the driver refuses', (t) => {
  const pool = makePool(4);
  const nic = new TestNic({ pool, permAddr: mac(1), features: NETIF_F.VLAN_CHALLENGED });
  t.true(
    isBypassError(
      t.throws(() => nic.vlanVidAdd(10)),
      'ERR_VLAN_CHALLENGED',
    ),
  );
  t.deepEqual(nic.calls, []);
  const other = new TestNic({ pool, permAddr: mac(2) });
  other.refuseVlan = new BypassError('ERR_REFUSED', 'filter table full');
  t.true(
    isBypassError(
      t.throws(() => other.vlanVidAdd(10)),
      'ERR_REFUSED',
    ),
  );
  t.false(other.usesVlans);
});

test('the rx handler slot holds one handler (second: ERR_BUSY)', (t) => {
  const { nic, pool } = setup();
  const master = new TestNic({ pool, permAddr: mac(2) });
  const h = () => RX_HANDLER.PASS;
  nic.registerRxHandler(h, master);
  t.is(nic.rxHandler, h);
  t.is(nic.rxHandlerData, master);
  t.true(
    isBypassError(
      t.throws(() => nic.registerRxHandler(h, null)),
      'ERR_BUSY',
    ),
  );
  nic.unregisterRxHandler();
  t.is(nic.rxHandler, null);
  t.is(nic.rxHandlerData, null);
  nic.registerRxHandler(h, null);
  t.pass();
});

test('master links: changeupper events, one master, no loops, same namespace', (t) => {
  const { nic: slave, pool, ns, events } = setup();
  const m1 = new TestNic({ pool, permAddr: mac(2) });
  const m2 = new TestNic({ pool, permAddr: mac(3) });
  ns.register(m1);
  ns.register(m2);
  events.length = 0;
  slave.linkMaster(m1);
  t.is(slave.master, m1);
  t.deepEqual(m1.lowers, [slave]);
  t.is(events[0]?.type, 'changeupper');
  t.is(events[0]?.upper, m1);
  t.true(events[0]?.linking);
  t.true(
    isBypassError(
      t.throws(() => slave.linkMaster(m2)),
      'ERR_BUSY',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => m1.linkMaster(slave)),
      'ERR_INVALID_ARGUMENT',
    ),
    'loop',
  );
  t.true(
    isBypassError(
      t.throws(() => m2.linkMaster(m2)),
      'ERR_INVALID_ARGUMENT',
    ),
    'self',
  );
  m1.linkMaster(m2);
  t.true(
    isBypassError(
      t.throws(() => m2.linkMaster(slave)),
      'ERR_INVALID_ARGUMENT',
    ),
    'long loop',
  );
  const far = new TestNic({ pool, permAddr: mac(4) });
  new NetNamespace('other').register(far);
  t.true(
    isBypassError(
      t.throws(() => far.linkMaster(m2)),
      'ERR_WRONG_NAMESPACE',
    ),
  );
  events.length = 0;
  slave.unlinkMaster();
  slave.unlinkMaster();
  t.is(slave.master, null);
  t.deepEqual(m1.lowers, []);
  t.is(events.length, 1);
  t.false(events[0]?.linking);
});

test('xmit drops and counts when down, detached or without carrier', (t) => {
  const { nic, pool } = setup();
  const drops = dropCounter(pool);
  t.is(nic.xmit(frames(pool, 3), 0, 3), 0);
  t.is(drops.get(DropReason.DEV_DOWN), 3);
  nic.open();
  t.is(nic.xmit(frames(pool, 2), 0, 2), 0);
  t.is(drops.get(DropReason.NO_CARRIER), 2);
  nic.carrierOn();
  nic.detach();
  t.is(nic.xmit(frames(pool, 4), 0, 4), 0);
  t.is(drops.get(DropReason.NO_DEVICE), 4);
  t.is(nic.stats.txDropped, 9);
  t.is(pool.inUse, 0);
  t.deepEqual(nic.sent, []);
  nic.attach();
  t.is(nic.xmit(frames(pool, 4, 100), 0, 4), 4);
  t.is(nic.stats.txPackets, 4);
  t.is(nic.stats.txBytes, 400);
  t.is(nic.xmit(frames(pool, 1), 0, 0), 0, 'an empty burst does nothing');
  t.is(pool.inUse, 1);
});

test('xmit without carrier goes through on a NO_QUEUE device', (t) => {
  const pool = makePool(8);
  const { ns } = makeNs();
  const nic = new TestNic({ pool, permAddr: mac(1), privFlags: PRIV_FLAG.NO_QUEUE });
  ns.register(nic);
  nic.open();
  t.is(nic.xmit(frames(pool, 2), 0, 2), 2);
  t.is(nic.stats.txDropped, 0);
});

test('xmit wraps the queue number into the queues in use, negative and fractional ones too', (t) => {
  const pool = makePool(8);
  const { ns } = makeNs();
  const nic = new TestNic({ pool, permAddr: mac(1), numTxQueues: 4 });
  ns.register(nic);
  nic.carrierOn();
  nic.open();
  const p = frames(pool, 1);
  for (const q of [0, 3, 5, -1, 2.7]) {
    nic.xmit(p, 0, 1, q);
    p[0] = pool.alloc();
  }
  nic.setRealNumTxQueues(2);
  nic.xmit(p, 0, 1, 3);
  t.deepEqual(nic.sentQueues, [0, 3, 1, 3, 2, 1]);
  t.true(
    isBypassError(
      t.throws(() => nic.setRealNumTxQueues(5)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('receive without an rx handler delivers to the bound sink and stamps pool.port', (t) => {
  const { nic, pool } = setup();
  const { sink, got } = recorder();
  nic.bindSink(sink);
  const p = frames(pool, 3);
  nic.receive(p, 0, 3);
  t.deepEqual(got, [{ dev: 'eth0', handles: [...p], ports: [1, 1, 1] }]);
  t.is(pool.inUse, 0);
});

test('receive with no sink drops the frames and counts rxDropped', (t) => {
  const { nic, pool } = setup();
  const drops = dropCounter(pool);
  nic.receive(frames(pool, 5), 0, 5);
  t.is(nic.stats.rxDropped, 5);
  t.is(drops.get(DropReason.RX_NOHANDLER), 5);
  t.is(pool.inUse, 0);
});

function masterAndSlave(): { pool: PacketPool; master: TestNic; slave: TestNic } {
  const { nic: slave, pool, ns } = setup();
  const master = new TestNic({ pool, permAddr: mac(2) });
  ns.register(master);
  slave.linkMaster(master);
  return { pool, master, slave };
}

test('rx handler CONSUMED: nobody else sees the frames', (t) => {
  const { pool, master, slave } = masterAndSlave();
  const a = recorder();
  const b = recorder();
  slave.bindSink(a.sink);
  master.bindSink(b.sink);
  let seen = 0;
  slave.registerRxHandler((dev, pkts, start, count) => {
    seen += count;
    dev.pool.freeBurst(pkts, start, count);
    return RX_HANDLER.CONSUMED;
  }, master);
  slave.receive(frames(pool, 2), 0, 2);
  t.is(seen, 2);
  t.deepEqual(a.got, []);
  t.deepEqual(b.got, []);
  t.is(pool.inUse, 0);
});

test('rx handler ANOTHER: delivered as if received on the master (port = master ifindex)', (t) => {
  const { pool, master, slave } = masterAndSlave();
  const a = recorder();
  const b = recorder();
  slave.bindSink(a.sink);
  master.bindSink(b.sink);
  slave.registerRxHandler(() => RX_HANDLER.ANOTHER, master);
  slave.receive(frames(pool, 2), 0, 2);
  t.deepEqual(a.got, []);
  t.is(b.got.length, 1);
  t.is(b.got[0]?.dev, master.name);
  t.deepEqual(b.got[0]?.ports, [master.ifindex, master.ifindex]);
});

test('rx handler ANOTHER chains through the master own handler', (t) => {
  const { pool, master, slave } = masterAndSlave();
  const a = recorder();
  slave.bindSink(a.sink);
  slave.registerRxHandler(() => RX_HANDLER.ANOTHER, master);
  master.registerRxHandler(() => RX_HANDLER.ANOTHER, slave); // a loop: bounded nesting
  const b = recorder();
  master.bindSink(b.sink);
  slave.receive(frames(pool, 1), 0, 1);
  t.is(a.got.length + b.got.length, 1, 'delivered exactly once despite the loop');
  t.is(pool.inUse, 0);
});

test('rx handler PASS: delivered on the device itself', (t) => {
  const { pool, master, slave } = masterAndSlave();
  const a = recorder();
  const b = recorder();
  slave.bindSink(a.sink);
  master.bindSink(b.sink);
  slave.registerRxHandler(() => RX_HANDLER.PASS, master);
  slave.receive(frames(pool, 2), 0, 2);
  t.is(a.got.length, 1);
  t.deepEqual(a.got[0]?.ports, [slave.ifindex, slave.ifindex]);
  t.deepEqual(b.got, []);
});

test('rx handler EXACT: only an exact-bound sink gets the frames, else rxNohandler and freed', (t) => {
  const { pool, master, slave } = masterAndSlave();
  const drops = dropCounter(pool);
  const a = recorder();
  const b = recorder();
  slave.bindSink(a.sink); // not exact
  master.bindSink(b.sink);
  slave.registerRxHandler(() => RX_HANDLER.EXACT, master);
  slave.receive(frames(pool, 3), 0, 3);
  t.deepEqual(a.got, []);
  t.deepEqual(b.got, []);
  t.is(slave.stats.rxNohandler, 3);
  t.is(slave.stats.rxDropped, 0);
  t.is(drops.get(DropReason.RX_NOHANDLER), 3);
  t.is(pool.inUse, 0);
  slave.bindSink(a.sink, true);
  slave.receive(frames(pool, 2), 0, 2);
  t.is(a.got.length, 1);
  t.deepEqual(a.got[0]?.ports, [slave.ifindex, slave.ifindex]);
  t.is(pool.inUse, 0);
});

test('getStats64 returns the counters and setFeatures emits feat-change on change', (t) => {
  const { nic, events } = setup();
  nic.stats.rxPackets = 7;
  t.is(nic.getStats64().rxPackets, 7);
  nic.setFeatures(NETIF_F.SG);
  nic.setFeatures(NETIF_F.SG);
  t.deepEqual(
    events.map((e) => e.type),
    ['feat-change'],
  );
});

test('events from an unregistered device are not emitted anywhere', (t) => {
  const pool = makePool(4);
  const nic: NetDevice = new TestNic({ pool, permAddr: mac(1) });
  nic.carrierOn();
  nic.setMtu(1000);
  t.is(nic.mtu, 1000);
  t.true(nic.carrier);
});
