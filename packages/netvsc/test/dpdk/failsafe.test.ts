import test from 'ava';
import { BypassError, MacAddress } from '@bypass/core';
import {
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  FailsafePort,
  SubDevState,
  replayConfiguration,
  selectTxSubDevice,
  type EthConf,
  type EthDev,
} from '../../src/dpdk/exports.js';
import { FakePort, fakeDriver } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';

function setup(devargs = 'dev(net_fakeA),dev(net_fakeB)', present = ['net_fakeA', 'net_fakeB']) {
  const w = new World();
  const live = new Set(present);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe(`net_failsafe0,${devargs}`) as FailsafePort;
  const sub = (name: string) => w.registry.getByName(name) as FakePort;
  return { w, fs, live, sub };
}

function started(devargs?: string, present?: string[], conf: EthConf = {}) {
  const s = setup(devargs, present);
  s.fs.configure(1, 1, conf);
  s.fs.start();
  return s;
}

const states = (fs: FailsafePort) => fs.subDevices.map((s) => s.state);

test('creation parses and probes the sub-devices; the MAC is the first probed one', (t) => {
  const { fs, sub } = setup();
  t.true(fs instanceof FailsafePort);
  t.deepEqual(states(fs), [SubDevState.PROBED, SubDevState.PROBED]);
  t.is(fs.fsStateValue, SubDevState.PROBED);
  t.is(fs.macAddr.toString(), sub('net_fakeA').macAddr.toString());
  t.is(sub('net_fakeA').owner, 'net_failsafe:net_failsafe0');
});

test('mac= is the port MAC and is applied to every probed sub-device', (t) => {
  const { fs, sub } = setup('dev(net_fakeA),dev(net_fakeB),mac=02:00:00:00:00:99');
  t.is(fs.macAddr.toString(), '02:00:00:00:00:99');
  t.true(fs.macFromArgs);
  t.is(sub('net_fakeB').macAddr.toString(), '02:00:00:00:00:99');
});

test('configure, start, stop and close move the port and its sub-devices through the states', (t) => {
  const { w, fs, sub } = setup();
  fs.configure(2, 2);
  t.deepEqual(states(fs), [SubDevState.ACTIVE, SubDevState.ACTIVE]);
  t.deepEqual(sub('net_fakeA').calls, ['configure 2 2']);
  fs.start();
  t.deepEqual(states(fs), [SubDevState.STARTED, SubDevState.STARTED]);
  t.is(fs.fsStateValue, SubDevState.STARTED);
  fs.stop();
  t.deepEqual(states(fs), [SubDevState.ACTIVE, SubDevState.ACTIVE]);
  fs.close();
  t.is(w.registry.getByName('net_fakeA'), undefined);
  t.is(w.registry.ports().length, 0);
  t.is(w.scheduler.pending, 0);
});

test('TX goes to the preferred (first declared) sub-device', (t) => {
  const { w, fs, sub } = started();
  t.is(fs.txSubDevice?.sid, 0);
  t.is(fs.txBurst(0, w.frames(3, mac(9)), 0, 3), 3);
  t.is(sub('net_fakeA').sent.length, 3);
  t.is(sub('net_fakeB').sent.length, 0);
});

test('TX falls back to the next sub-device and returns 0 when none is ready', (t) => {
  const a = started('dev(net_fakeA),dev(net_fakeB)', ['net_fakeB']);
  t.is(a.fs.txSubDevice?.sid, 1);
  t.is(a.fs.txBurst(0, a.w.frames(2, mac(9)), 0, 2), 2);
  const b = started('dev(net_fakeA),dev(net_fakeB)', []);
  t.is(b.fs.txSubDevice, null);
  const pkts = b.w.frames(2, mac(9));
  t.is(b.fs.txBurst(0, pkts, 0, 2), 0);
  t.true(b.w.pool.isAllocated(pkts[0] as number)); // the application keeps them
});

test('a plugged-in preferred sub-device is noticed only by the upkeep round, then takes TX back', (t) => {
  const { w, fs, live } = started('dev(net_fakeA),dev(net_fakeB)', ['net_fakeB']);
  live.add('net_fakeA');
  w.advanceMs(1999);
  t.is(fs.txSubDevice?.sid, 1);
  w.advanceMs(1);
  t.deepEqual(states(fs), [SubDevState.STARTED, SubDevState.STARTED]);
  t.is(fs.txSubDevice?.sid, 0);
});

test('hotplug_poll sets the upkeep period', (t) => {
  const { w, fs, live } = started('dev(net_fakeA),dev(net_fakeB),hotplug_poll=300', ['net_fakeB']);
  live.add('net_fakeA');
  w.advanceMs(300);
  t.is(fs.txSubDevice?.sid, 0);
});

test('RX polls the started sub-devices round-robin and rewrites the port id', (t) => {
  const { w, fs, sub } = started();
  sub('net_fakeA').inject(0, w.frames(2, mac(1)));
  sub('net_fakeB').inject(0, w.frames(2, mac(1)));
  const out = new Int32Array(8);
  const marks: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const n = fs.rxBurst(0, out, 0, 1);
    marks.push([...out.subarray(0, n)].map((h) => w.pool.mark[h] as number));
    if (n > 0) t.is(w.pool.port[out[0] as number], fs.portId);
  }
  t.deepEqual(marks, [[1], [3], [2]]);
});

test('RX skips a sub-device that is not started or is being removed', (t) => {
  const { w, fs, sub } = started();
  sub('net_fakeA').inject(0, w.frames(2, mac(1)));
  sub('net_fakeA').unplug();
  const out = new Int32Array(8);
  t.is(fs.rxBurst(0, out, 0, 8), 0);
  sub('net_fakeB').inject(0, w.frames(1, mac(1)));
  t.is(fs.rxBurst(0, out, 0, 8), 1);
});

test('bursts reach the sub-devices through their own burst functions, which still check the sub-device is started', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  a.inject(0, w.frames(1, mac(1)));
  const out = new Int32Array(8);
  t.is(fs.rxBurst(0, out, 0, 8), 1);
  t.is(fs.txBurst(0, w.frames(2, mac(9)), 0, 2), 2);
  t.is(a.sent.length, 2);
  // A sub-device stopped behind the fail-safe port's back (its state still says STARTED):
  // nothing reaches its PMD, nothing is taken, nothing is lost.
  a.stop();
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
  a.inject(0, w.frames(1, mac(1)));
  const pkts = w.frames(2, mac(9));
  t.is(fs.txBurst(0, pkts, 0, 2), 0);
  t.is(a.sent.length, 2);
  t.true(w.pool.isAllocated(pkts[0] as number) && w.pool.isAllocated(pkts[1] as number));
  t.is(fs.rxBurst(0, out, 0, 8), 0);
  // Nor an unconfigured queue of a started one.
  a.start();
  t.is(a.subDeviceTxBurst(1, pkts, 0, 2), 0);
  t.is(a.subDeviceRxBurst(1, out, 0, 8), 0);
  t.is(a.subDeviceTxBurst(0, pkts, 0, 2), 2);
});

test('RMV: TX switches away at once, the removal completes at the next upkeep round', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  a.unplug();
  t.is(fs.txSubDevice?.sid, 1);
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
  t.true(fs.subDevices[0]?.remove);
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.is(a.state, 'unused');
  t.deepEqual(a.calls.slice(-2), ['stop', 'close']);
});

test('a removal waits until no burst is in flight in the sub-device', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  a.duringBurst = () => {
    a.unplug();
    fs.upkeep(); // an upkeep round while the burst is inside the sub-device
    t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
  };
  const pkts = w.frames(2, mac(9));
  t.is(fs.txBurst(0, pkts, 0, 2), 2);
  fs.upkeep();
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
});

test('a re-plugged sub-device gets the configuration replayed in DPDK order, then starts', (t) => {
  // VLAN filters need the offload configured (rte_eth_dev_vlan_filter)
  const { w, fs, live, sub } = started('dev(net_fakeA),dev(net_fakeB)', ['net_fakeB'], {
    rxOffloads: ETH_OFFLOAD.VLAN_FILTER,
  });
  fs.setPromiscuous(true);
  fs.setAllmulticast(true);
  fs.setMtu(4000);
  fs.setDefaultMacAddr(mac(0x10));
  fs.macAddrAdd(mac(0x11));
  fs.macAddrAdd(mac(0x12));
  fs.setMcAddrList([MacAddress.parse('01:00:5e:00:00:01')]);
  fs.vlanFilter(20, true);
  fs.vlanFilter(10, true);
  live.add('net_fakeA');
  w.advanceMs(2000);
  t.deepEqual(sub('net_fakeA').calls, [
    'configure 1 1',
    'link true',
    'promiscuous true',
    'allmulticast true',
    'mtu 4000',
    'mac 00:15:5d:00:00:10',
    'mac+ 00:15:5d:00:00:11 1',
    'mac+ 00:15:5d:00:00:12 2',
    'mc 01:00:5e:00:00:01',
    'vlan 10 true',
    'vlan 20 true',
    'start',
    // rte_eth_dev_start on the sub-device: eth_dev_config_restore after its dev_start
    'mac 00:15:5d:00:00:10',
    'mac+ 00:15:5d:00:00:11 1',
    'mac+ 00:15:5d:00:00:12 2',
    'promiscuous true',
    'allmulticast true',
  ]);
});

test('a restart re-applies promiscuous to the sub-devices (rte_eth_dev_start config restore)', (t) => {
  const { fs, sub } = started();
  fs.setPromiscuous(true);
  fs.stop();
  const a = sub('net_fakeA');
  a.calls.length = 0;
  fs.start();
  t.true(fs.promiscuous);
  // the sub-device's own start restores its modes; the fail-safe's restore then re-sets the MAC
  // through fs_mac_addr_set, and finds the modes already set (rte_eth_promiscuous_enable: no-op)
  t.deepEqual(a.calls, [
    'start',
    `mac ${a.macAddr.toString()}`,
    'promiscuous true',
    'allmulticast false',
    `mac ${a.macAddr.toString()}`,
  ]);
});

/** A FakePort whose link is up at its next link_update only (a PMD that polls its link). */
class PolledLinkPort extends FakePort {
  protected override devLinkUpdate(): void {
    this.setHwLink(true);
  }
}

test('the replay compares the recorded links: a sub-device whose link is not read yet gets set up', (t) => {
  const w = new World();
  const live = new Set(['net_fakeB']);
  w.registry.registerDriver({
    name: 'net_polled',
    matches: (n) => n === 'net_polledA',
    probe: (registry, name, args) => {
      if (!live.has(name)) throw new BypassError('ERR_NO_DEVICE', `${name} is not there`);
      return new PolledLinkPort({ registry, name, devargs: args }, w.pool);
    },
  });
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_polledA),dev(net_fakeB)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  t.true(fs.storedLink.status);
  live.add('net_polledA');
  w.advanceMs(2000);
  const a = w.registry.getByName('net_polledA') as PolledLinkPort;
  // failsafe_ether.c fs_eth_dev_conf_apply: data->dev_link of both, neither refreshed
  t.deepEqual(a.calls.slice(0, 2), ['configure 1 1', 'link true']);
  t.is(fs.txSubDevice?.sid, 0);
});

test('fixed DPDK bug: the last extra MAC address is replayed to a re-plugged sub-device', (t) => {
  const { w, fs, sub } = started();
  fs.macAddrAdd(mac(0x21));
  fs.macAddrAdd(mac(0x22));
  sub('net_fakeA').unplug();
  w.advanceMs(2000); // removed
  w.advanceMs(2000); // probed again (still present for the driver), replayed, started
  const again = sub('net_fakeA');
  t.deepEqual(
    again.extraMacAddrs.map((m) => m.toString()),
    ['00:15:5d:00:00:21', '00:15:5d:00:00:22'],
  );
});

test('a sub-device that refuses the replay is removed and retried at a later round', (t) => {
  const { w, fs, live, sub } = started('dev(net_fakeA),dev(net_fakeB)', ['net_fakeB']);
  fs.setMtu(4000);
  const real = w.registry;
  const once = { refused: false };
  real.events.on('new', (p: EthDev) => {
    if (p.name === 'net_fakeA' && !once.refused) {
      once.refused = true;
      (p as FakePort).refuse.add('mtu');
    }
  });
  live.add('net_fakeA');
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.true(w.logs.some((l) => /Unable to synchronize sub_device state/.test(l)));
  w.advanceMs(2000); // parsed and probed again
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
  t.is(sub('net_fakeA').mtu, 4000);
});

test('stats are the removed sub-devices accumulated plus the live ones', (t) => {
  const { w, fs, sub } = started();
  fs.txBurst(0, w.frames(5, mac(9)), 0, 5);
  sub('net_fakeA').unplug();
  fs.txBurst(0, w.frames(3, mac(9)), 0, 3); // on B
  t.is(fs.statsGet().opackets, 8);
  w.advanceMs(2000);
  t.is(fs.statsGet().opackets, 8);
  w.advanceMs(2000); // A is back with fresh counters
  fs.txBurst(0, w.frames(2, mac(9)), 0, 2);
  t.is(fs.statsGet().opackets, 10);
  fs.statsReset();
  t.is(fs.statsGet().opackets, 0);
});

test('device info is the MIN of limits and the AND of capabilities over probed sub-devices', (t) => {
  const w = new World();
  w.registry.registerDriver(
    fakeDriver(w.pool, new Set(['net_fakeA']), { maxRxQueues: 4, maxMtu: 9000, rxOffloadCapa: 3 }),
  );
  w.registry.registerDriver({
    name: 'net_fakeZ',
    matches: (n) => n.startsWith('net_zz'),
    probe: (registry, name) =>
      new FakePort({ registry, name }, w.pool, { maxRxQueues: 8, maxMtu: 1500, rxOffloadCapa: 1 }),
  });
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeA),dev(net_zz0)');
  const info = fs.devInfo();
  t.is(info.maxRxQueues, 4);
  t.is(info.maxMtu, 1500);
  t.is(info.rxOffloadCapa, 1);
  t.is(info.driverName, 'net_failsafe');
});

test('offload capabilities start from the fixed set fs_dev_infos_get checks on a sub-device, not from every bit', (t) => {
  const w = new World();
  const all =
    ETH_OFFLOAD.VLAN_STRIP |
    ETH_OFFLOAD.VLAN_FILTER |
    ETH_OFFLOAD.VLAN_INSERT |
    ETH_OFFLOAD.MULTI_SEGS |
    ETH_OFFLOAD.RSS_HASH;
  w.registry.registerDriver(
    fakeDriver(w.pool, new Set(['net_fakeA']), { rxOffloadCapa: all, txOffloadCapa: all }),
  );
  const alone = w.registry.probe('net_failsafe0,dev(net_fakeZ)').devInfo();
  t.is(
    alone.rxOffloadCapa,
    ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.VLAN_FILTER | ETH_OFFLOAD.RSS_HASH,
  );
  t.is(alone.txOffloadCapa, ETH_OFFLOAD.MULTI_SEGS, 'VLAN insertion is not in the TX set');
  const fs = w.registry.probe('net_failsafe1,dev(net_fakeA)');
  t.deepEqual(
    [fs.devInfo().rxOffloadCapa, fs.devInfo().txOffloadCapa],
    [
      ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.VLAN_FILTER | ETH_OFFLOAD.RSS_HASH,
      ETH_OFFLOAD.MULTI_SEGS,
    ],
  );
  t.throws(() => fs.configure(1, 1, { txOffloads: ETH_OFFLOAD.VLAN_INSERT }), {
    code: 'ERR_INVALID_ARGUMENT',
  });
});

test('a sub-device start failure fails the fail-safe start (failsafe_ops.c fs_dev_start)', (t) => {
  const { fs, sub } = setup();
  fs.configure(1, 1);
  sub('net_fakeB').refuse.add('start');
  const err = t.throws(() => fs.start());
  t.is((err as { code?: string }).code, 'ERR_REFUSED');
  t.false(fs.started);
  t.is(fs.fsStateValue, SubDevState.ACTIVE);
  t.deepEqual(states(fs), [SubDevState.STARTED, SubDevState.ACTIVE]);
  t.false(fs.subDevices[1]?.remove);
});

test('a sub-device gone at start (ERR_NO_DEVICE) is skipped, not flagged: it stays ACTIVE, each upkeep starts it again, only its removal event removes it (fs_err, fs_hotplug_alarm)', (t) => {
  const { w, fs, sub } = setup();
  fs.configure(1, 1);
  const b = sub('net_fakeB');
  b.refuseWith = 'ERR_NO_DEVICE';
  b.refuse.add('start');
  fs.start();
  t.true(fs.started);
  t.deepEqual(states(fs), [SubDevState.STARTED, SubDevState.ACTIVE]);
  t.false(fs.subDevices[1]?.remove, 'fs_err skips, it does not flag');
  const starts = () => b.calls.filter((c) => c === 'start').length;
  t.is(starts(), 1);
  w.advanceMs(2000); // the upkeep finds it behind the port: failsafe_eth_dev_state_sync -> fs_dev_start
  t.is(starts(), 2);
  t.is(fs.subDevices[1]?.state, SubDevState.ACTIVE);
  b.refuse.clear();
  w.advanceMs(2000);
  t.is(starts(), 3);
  t.is(fs.subDevices[1]?.state, SubDevState.STARTED);
  // its removal event is what flags it; the next upkeep removes it
  b.unplug();
  t.true(fs.subDevices[1]?.remove);
  w.advanceMs(2000);
  t.is(fs.subDevices[1]?.state, SubDevState.UNDEFINED);
});

test('a device that left before the fail-safe registered its removal callback is still removed (simulator guarantee)', (t) => {
  const { w, fs, sub } = setup();
  const b = sub('net_fakeB');
  b.unplug(); // not configured yet: no intr_rmv raised
  t.is(b.state, 'removed');
  fs.configure(1, 1);
  t.true(fs.subDevices[1]?.remove, 'handled when the callback is registered');
  fs.start();
  t.is(fs.txSubDevice?.sid, 0);
  w.advanceMs(2000);
  t.is(fs.subDevices[1]?.state, SubDevState.UNDEFINED);
  t.is(b.state, 'unused');
});

test('a new port reports UP at 10G until the next link update (failsafe.c eth_link)', (t) => {
  const { fs } = setup();
  t.deepEqual(
    { ...fs.storedLink },
    { status: true, speed: 10_000, fullDuplex: true, autoneg: true },
  );
});

test("the link is the TX sub-device's whole link: over a TAP, 10G full duplex fixed, up or down (fs_link_update)", (t) => {
  const w = new World();
  const eth1 = w.netvsc('eth1', mac(1));
  const fs = w.registry.probe('net_failsafe0,dev(net_tap_vsc0,remote=eth1)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  t.deepEqual(fs.linkGet(), { status: true, speed: 10_000, fullDuplex: true, autoneg: false });
  eth1.carrierOff();
  t.deepEqual(fs.linkGet(), { status: false, speed: 10_000, fullDuplex: true, autoneg: false });
});

test('the link mirrors the TX sub-device whatever the port state; with none it stays as it was', (t) => {
  const { fs, sub } = setup();
  sub('net_fakeA').setHwLink(true);
  t.deepEqual([fs.linkGet().status, fs.linkGet().speed], [true, 25_000]); // only probed
  sub('net_fakeA').setHwLink(false);
  fs.configure(1, 1);
  t.false(fs.linkGet().status); // configured, not started: still the TX sub-device's
  const none = started('dev(net_fakeA),dev(net_fakeB)', []);
  t.is(none.fs.txSubDevice, null);
  t.deepEqual([none.fs.linkGet().status, none.fs.linkGet().speed], [true, 10_000]);
});

test('stop leaves the link alone and raises no link event (failsafe_ops.c fs_dev_stop)', (t) => {
  const { fs } = started();
  t.true(fs.linkGet().status);
  let events = 0;
  fs.on('intr_lsc', () => events++);
  fs.stop();
  t.is(events, 0);
  t.true(fs.storedLink.status);
  t.true(fs.linkGet().status); // the sub-device's recorded link is still up
});

test('fixed DPDK bug: a sub-device link event is forwarded exactly when the fail-safe link changed', (t) => {
  const { fs, sub } = started(undefined, undefined, { lsc: true });
  const seen: boolean[] = [];
  fs.on('intr_lsc', () => seen.push(fs.linkGet().status));
  sub('net_fakeB').setHwLink(false); // not the TX sub-device: the fail-safe link did not change
  t.deepEqual(seen, []);
  sub('net_fakeA').setHwLink(false); // the TX sub-device: the fail-safe link went down
  t.deepEqual(seen, [false]);
  sub('net_fakeA').setHwLink(true);
  t.deepEqual(seen, [false, true]);
});

test('a TX switch leaves the link alone (failsafe_private.h fs_switch_dev); linkGet then takes the new one', (t) => {
  const { fs, sub } = started();
  sub('net_fakeB').setHwLink(false);
  t.true(fs.linkGet().status); // TX on A, whose link is up
  let events = 0;
  fs.on('intr_lsc', () => events++);
  sub('net_fakeA').unplug(); // RMV: TX moves to B at once
  t.is(fs.txSubDevice?.sid, 1);
  t.true(fs.storedLink.status, 'the switch did not take the link of B');
  t.is(events, 0);
  t.false(fs.linkGet().status); // fs_link_update copies the TX sub-device's link
  t.is(events, 0, 'rte_eth_link_get raises no event');
});

test('the upkeep takes the link after configuring a new sub-device, before starting it (failsafe_eth_dev_state_sync)', (t) => {
  const { w, fs, live, sub } = started('dev(net_fakeA),dev(net_fakeB)', ['net_fakeB']);
  sub('net_fakeB').setHwLink(false); // no lsc: not seen yet
  t.true(fs.storedLink.status);
  live.add('net_fakeA');
  w.advanceMs(2000); // A replayed (link set up), link_update while TX is still on B, A started
  t.is(fs.txSubDevice?.sid, 0);
  t.false(fs.storedLink.status, "B's link: dev_ops->dev_start switched TX without a link update");
  t.true(fs.linkGet().status);
});

test('without lsc no LSC callback on the sub-devices: their link events leave the fail-safe link alone', (t) => {
  const { fs, sub } = started();
  t.false(fs.devConf.lsc);
  let events = 0;
  fs.on('intr_lsc', () => events++);
  sub('net_fakeA').setHwLink(false);
  t.is(sub('net_fakeA').listenerCount('intr_lsc'), 0);
  t.true(fs.storedLink.status);
  t.is(events, 0);
  t.false(fs.linkGet().status);
});

test('with lsc the TX sub-device link events are followed; linkGet on the started port returns the recorded link', (t) => {
  const { fs, sub } = started(undefined, undefined, { lsc: true });
  t.true(fs.devConf.lsc);
  const seen: boolean[] = [];
  fs.on('intr_lsc', () => seen.push(fs.storedLink.status));
  sub('net_fakeA').setHwLink(false);
  t.deepEqual(seen, [false]);
  sub('net_fakeA').unplug(); // TX to B, whose link is up: the switch does not take it
  t.false(fs.linkGet().status, 'rte_eth_link_get: no link_update on a started lsc port');
  fs.stop();
  t.true(fs.linkGet().status, 'stopped: fs_link_update runs');
  t.deepEqual(seen, [false], 'and raises no event');
  fs.configure(1, 1);
  t.false(fs.devConf.lsc, 'until the next configure');
});

test('with lsc, a sub-device without RTE_ETH_DEV_INTR_LSC gets no callback and start takes no link', (t) => {
  const w = new World();
  w.registry.registerDriver(
    fakeDriver(w.pool, new Set(['net_fakeA']), { devFlags: ETH_DEV_FLAG.INTR_RMV }),
  );
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeA)') as FailsafePort;
  fs.configure(1, 1, { lsc: true });
  fs.start();
  const a = w.registry.getByName('net_fakeA') as FakePort;
  t.is(a.listenerCount('intr_lsc'), 0);
  // still failsafe.c eth_link: rte_eth_dev_start calls link_update only without lsc
  t.deepEqual([fs.storedLink.status, fs.storedLink.speed], [true, 10_000]);
  fs.stop();
  t.is(fs.linkGet().speed, 25_000);
});

/** A fail-safe over net_fakeA (INTR_LSC | INTR_RMV) and net_plainB, a FakePort without flags. */
function withPlainSub() {
  const w = new World();
  w.registry.registerDriver({
    name: 'net_plain',
    matches: (n) => n.startsWith('net_plain'),
    probe: (registry, name, args) =>
      new FakePort({ registry, name, devargs: args }, w.pool, { devFlags: 0 }),
  });
  w.registry.registerDriver(fakeDriver(w.pool, new Set(['net_fakeA'])));
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeA),dev(net_plainB)') as FailsafePort;
  const a = w.registry.getByName('net_fakeA') as FakePort;
  const b = w.registry.getByName('net_plainB') as FakePort;
  return { w, fs, a, b };
}

test('sub-devices get the fail-safe conf: rmv where they have INTR_RMV, lsc only with INTR_LSC (fs_dev_configure)', (t) => {
  const { fs, a, b } = withPlainSub();
  fs.configure(1, 1, { lsc: true, rxOffloads: ETH_OFFLOAD.VLAN_FILTER });
  t.deepEqual(a.confs, [
    { rxOffloads: ETH_OFFLOAD.VLAN_FILTER, txOffloads: 0, lsc: true, rmv: true, mtu: 1500 },
  ]);
  t.deepEqual(b.confs, [
    { rxOffloads: ETH_OFFLOAD.VLAN_FILTER, txOffloads: 0, lsc: false, rmv: false, mtu: 1500 },
  ]);
  t.deepEqual([a.listenerCount('intr_lsc'), a.listenerCount('intr_rmv')], [1, 1]);
  t.deepEqual([b.listenerCount('intr_lsc'), b.listenerCount('intr_rmv')], [0, 0]);
  t.false(fs.devConf.rmv, 'the fail-safe port itself is not configured with rmv');
  t.true(fs.devConf.lsc);
});

test('the fail-safe rxmode.mtu goes to the sub-devices with its conf; a sub-device that cannot take it fails the configure', (t) => {
  const { w, fs, a, b } = withPlainSub();
  fs.configure(1, 1, { mtu: 4000 });
  t.deepEqual([fs.mtu, a.mtu, b.mtu], [4000, 4000, 4000]);
  t.deepEqual(
    [...a.calls, ...b.calls].filter((c) => c.startsWith('mtu')),
    [],
    'configured, not set: no mtu_set',
  );
  // a sub-device whose frames stop at 1522 bytes (the TAP of DPDK before 23.x) cannot take 4000
  w.registry.registerDriver({
    name: 'net_short',
    matches: (n) => n.startsWith('net_short'),
    probe: (registry, name, args) =>
      new FakePort({ registry, name, devargs: args }, w.pool, {
        maxMtu: 0xffff,
        maxRxPktLen: 1522,
      }),
  });
  const fs2 = w.registry.probe('net_failsafe1,dev(net_fakeC),dev(net_shortD)') as FailsafePort;
  t.throws(() => fs2.configure(1, 1, { mtu: 4000 }), {
    code: 'ERR_MTU_RANGE',
    message: /Frame size \(4018\) > device max frame size \(1522\)/,
  });
  t.false(fs2.configured);
  fs2.configure(1, 1, { mtu: 1504 });
  t.is(fs2.mtu, 1504);
});

test('the fail-safe port advertises INTR_LSC and no INTR_RMV: rmv is refused (failsafe.c)', (t) => {
  const { fs } = setup();
  t.is(fs.devInfo().devFlags, ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS);
  t.throws(() => fs.configure(1, 1, { rmv: true }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /Driver net_failsafe does not support rmv/,
  });
  t.false(fs.configured);
});

test('a configure with lsc after one without registers the LSC callback then (fs_dev_configure)', (t) => {
  const { fs, sub } = setup();
  fs.configure(1, 1);
  t.is(sub('net_fakeA').listenerCount('intr_lsc'), 0);
  fs.configure(1, 1, { lsc: true });
  t.is(sub('net_fakeA').listenerCount('intr_lsc'), 1);
  fs.configure(1, 1, { lsc: true });
  t.is(sub('net_fakeA').listenerCount('intr_lsc'), 1, 'once');
  t.is(sub('net_fakeA').listenerCount('intr_rmv'), 1, 'once');
  fs.start();
  const seen: boolean[] = [];
  fs.on('intr_lsc', () => seen.push(fs.storedLink.status));
  sub('net_fakeA').setHwLink(false);
  t.deepEqual(seen, [false]);
});

test('a re-plugged sub-device is configured with the conf adapted to it (failsafe_eth_dev_state_sync)', (t) => {
  const { w, fs, sub, live } = started(undefined, undefined, { lsc: true });
  sub('net_fakeA').unplug();
  live.delete('net_fakeA');
  w.advanceMs(2000); // removed
  live.add('net_fakeA');
  w.advanceMs(2000); // probed, configured, started again
  const a = sub('net_fakeA');
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
  t.deepEqual(a.confs, [{ rxOffloads: 0, txOffloads: 0, lsc: true, rmv: true, mtu: 1500 }]);
  t.deepEqual([a.listenerCount('intr_lsc'), a.listenerCount('intr_rmv')], [1, 1]);
});

test('without lsc, start takes the link (rte_eth_dev_start calls link_update)', (t) => {
  const { fs } = started();
  t.deepEqual([fs.storedLink.status, fs.storedLink.speed], [true, 25_000]);
});

test('fixed DPDK bug: hotplug_poll and the MAC from devargs are per instance', (t) => {
  const w = new World();
  const live = new Set(['net_fakeB', 'net_fakeD']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fast = w.registry.probe(
    'net_failsafe0,dev(net_fakeA),dev(net_fakeB),hotplug_poll=500,mac=02:00:00:00:00:01',
  ) as FailsafePort;
  const slow = w.registry.probe('net_failsafe1,dev(net_fakeC),dev(net_fakeD)') as FailsafePort;
  t.is(slow.hotplugPollMs, 2000);
  t.false(slow.macFromArgs);
  t.is(slow.macAddr.toString(), (w.registry.getByName('net_fakeD') as EthDev).macAddr.toString());
  for (const fs of [fast, slow]) {
    fs.configure(1, 1);
    fs.start();
  }
  live.add('net_fakeA');
  live.add('net_fakeC');
  w.advanceMs(500);
  t.is(fast.txSubDevice?.sid, 0);
  t.is(slow.txSubDevice?.sid, 1);
  w.advanceMs(1500);
  t.is(slow.txSubDevice?.sid, 0);
});

test('exec() sub-devices read the first line of the command output', (t) => {
  const w = new World();
  const live = new Set(['net_fakeA', 'net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,exec(find-vf,--first),dev(net_fakeB)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  w.commands['find-vf --first'] = 'net_fakeA\nignored\n';
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
  t.is(fs.subDevices[0]?.port?.name, 'net_fakeA');
});

test('fd() sub-devices take the last complete line; an incomplete line waits for its newline', (t) => {
  const w = new World();
  const live = new Set(['net_fakeA', 'net_fakeB', 'net_fakeC']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const { fd, pipe } = w.pipes.open();
  const fs = w.registry.probe(`net_failsafe0,fd(${fd}),dev(net_fakeB)`) as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  pipe.write('net_fakeC\nnet_fakeA\nnet_fa');
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.port?.name, 'net_fakeA');
});

test('fixed DPDK bug: a stale PCI address left in the pipe is not re-read after an unplug', (t) => {
  const w = new World();
  const live = new Set(['net_fakeA', 'net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const { fd, pipe } = w.pipes.open();
  pipe.write('net_fakeA\n');
  const fs = w.registry.probe(`net_failsafe0,fd(${fd}),dev(net_fakeB)`) as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  t.is(fs.txSubDevice?.port?.name, 'net_fakeA');
  pipe.write('net_fakeA\n'); // the 1 s re-probe keeps writing while the VF is there
  (w.registry.getByName('net_fakeA') as FakePort).unplug();
  live.delete('net_fakeA');
  w.advanceMs(2000); // removal completes; what the pipe held is stale
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED); // not PARSED on a dead address
  t.false(w.logs.some((l) => /probe failed/.test(l))); // the stale line was never used
  live.add('net_fakeC');
  pipe.write('net_fakeC\n'); // a new VF is announced
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.port?.name, 'net_fakeC');
  t.is(fs.txSubDevice?.sid, 0);
});

test('an fd() sub-device whose probe fails reads the pipe again next round', (t) => {
  const w = new World();
  const live = new Set(['net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const { fd, pipe } = w.pipes.open();
  pipe.write('net_fakeGone\n');
  const fs = w.registry.probe(`net_failsafe0,fd(${fd}),dev(net_fakeB)`) as FailsafePort;
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.true(w.logs.some((l) => /sub_device 0 probe failed/.test(l)));
  live.add('net_fakeA');
  pipe.write('net_fakeA\n');
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.PROBED); // the port is only probed: not configured yet
});

test('a bad fd number is refused with DPDK text', (t) => {
  const w = new World();
  t.throws(() => w.registry.probe('net_failsafe0,fd(three)'), {
    message: /Parsing FD number failed/,
  });
  t.is(w.registry.ports().length, 0);
});

test('TX selection never returns to a sub-device flagged for removal', (t) => {
  const { fs } = started();
  const [a, b] = fs.subDevices;
  if (a === undefined || b === undefined) return t.fail();
  t.is(selectTxSubDevice(fs.subDevices, 1, SubDevState.STARTED, null), 0); // preferred caught up
  a.remove = true;
  t.is(selectTxSubDevice(fs.subDevices, 1, SubDevState.STARTED, null), 1);
  b.remove = true;
  t.is(selectTxSubDevice(fs.subDevices, 1, SubDevState.STARTED, null), -1);
});

test('TX stays on the current sub-device while the preferred one has not caught up', (t) => {
  const { fs } = started();
  const a = fs.subDevices[0];
  if (a === undefined) return t.fail();
  a.state = SubDevState.ACTIVE;
  t.is(selectTxSubDevice(fs.subDevices, 1, SubDevState.STARTED, null), 1);
  t.is(selectTxSubDevice(fs.subDevices, -1, SubDevState.STARTED, null), 1);
});

test('an operation failing with ERR_NO_DEVICE on a sub-device is skipped without flagging it; other failures fail it (fs_err)', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  a.refuse.add('mtu');
  t.throws(() => fs.setMtu(4000), { code: 'ERR_REFUSED' }); // a plain refusal fails
  t.is(fs.mtu, 1500);
  t.true(w.logs.some((l) => /Operation rte_eth_dev_set_mtu failed for sub_device 0/.test(l)));
  a.refuse.clear();
  a.refuseWith = 'ERR_NO_DEVICE';
  a.refuse.add('mtu');
  fs.setMtu(4000);
  t.is(fs.mtu, 4000);
  t.deepEqual([a.mtu, b.mtu], [1500, 4000], 'skipped on A, applied on B');
  t.false(fs.subDevices[0]?.remove, 'not flagged: only a removal event flags');
  t.is(fs.txSubDevice?.sid, 0, 'TX stays');
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.STARTED);
});

test('a sub-device flagged for removal still gets configuration changes; its failures are skipped (FOREACH_SUBDEV_STATE, fs_err)', (t) => {
  const { fs, sub } = started();
  const a = sub('net_fakeA');
  a.refuse.add('mtu');
  a.unplug(); // intr_rmv: flagged, TX to B
  t.true(fs.subDevices[0]?.remove);
  fs.setMtu(4000);
  t.is(sub('net_fakeB').mtu, 4000);
  t.true(a.calls.includes('mtu 4000'), 'called, and its refusal excused');
  fs.setAllmulticast(true);
  t.true(a.allmulticast);
});

test('fixed DPDK bug: promiscuous enable failing on a sub-device is undone on every ACTIVE one and the call fails (DPDK reports the undo, a success)', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  b.refuse.add('promiscuous');
  // fs_promiscuous_enable overwrites the failure with the rollback's 0: ethdev would record the
  // mode as set while no sub-device has it
  t.throws(() => fs.setPromiscuous(true), { code: 'ERR_REFUSED', message: /promiscuous true/ });
  t.true(a.calls.includes('promiscuous true'));
  t.true(a.calls.includes('promiscuous false'), 'A, which accepted it, is set back');
  t.deepEqual([a.promiscuous, b.promiscuous], [false, false]);
  t.false(fs.promiscuous, 'the mode is not recorded as set');
  t.true(w.logs.some((l) => /Promiscuous mode enable failed for sub_device 1/.test(l)));
});

test('an RX mode whose undo fails too: the undo failure is logged, the first failure reported (fs_promiscuous_enable rollback)', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  b.setPromiscuous(true); // B already on, behind the fail-safe's back
  a.refuse.add('promiscuous');
  b.refuse.add('promiscuous false');
  t.throws(() => fs.setPromiscuous(true), {
    code: 'ERR_REFUSED',
    message: /A refuses promiscuous true/,
  });
  t.true(
    w.logs.some((l) => /Promiscuous mode disable during rollback failed for sub_device 1/.test(l)),
  );
  t.false(fs.promiscuous);
  t.true(b.promiscuous);
});

test('all-multicast disable failing is undone: every ACTIVE sub-device back on (fs_allmulticast_disable)', (t) => {
  const { fs, sub } = started();
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  fs.setAllmulticast(true);
  t.deepEqual([a.allmulticast, b.allmulticast], [true, true]);
  b.refuse.add('allmulticast');
  t.throws(() => fs.setAllmulticast(false), { code: 'ERR_REFUSED' });
  t.deepEqual(a.calls.slice(-2), ['allmulticast false', 'allmulticast true']);
  t.deepEqual([a.allmulticast, b.allmulticast], [true, true]);
  t.true(fs.allmulticast, 'still on, as every sub-device is');
});

test('a multicast list refused by a sub-device puts every ACTIVE one back on the previous list and fails; ERR_NO_DEVICE is no excuse here (fs_set_mc_addr_list)', (t) => {
  const { w, fs, sub } = started();
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  const g0 = MacAddress.parse('01:00:5e:00:00:01');
  const g1 = MacAddress.parse('01:00:5e:00:00:02');
  fs.setMcAddrList([g0]);
  b.refuse.add('mc');
  t.throws(() => fs.setMcAddrList([g1]), { code: 'ERR_REFUSED' });
  t.deepEqual(a.calls.slice(-2), [`mc ${g1.toString()}`, `mc ${g0.toString()}`]);
  t.deepEqual(
    [a.mcAddrs, b.mcAddrs, fs.mcAddrs].map((l) => l.map((m) => m.toString())),
    [[g0.toString()], [g0.toString()], [g0.toString()]],
  );
  t.true(w.logs.some((l) => /Multicast MAC address list rollback for sub_device 1 failed/.test(l)));
  b.refuseWith = 'ERR_NO_DEVICE';
  t.throws(() => fs.setMcAddrList([g1]), { code: 'ERR_NO_DEVICE' });
  t.deepEqual(
    fs.mcAddrs.map((m) => m.toString()),
    [g0.toString()],
  );
});

test('unconfigured fail-safe: a sub-device probed by the upkeep takes TX at once (failsafe_eal_init -> fs_switch_dev)', (t) => {
  const { w, fs, live } = setup('dev(net_fakeA),dev(net_fakeB)', ['net_fakeB']);
  t.is(fs.txSubDevice?.sid, 1);
  live.add('net_fakeA');
  w.advanceMs(2000);
  t.deepEqual(states(fs), [SubDevState.PROBED, SubDevState.PROBED]);
  t.is(fs.txSubDevice?.sid, 0);
});

test("with lsc, the fail-safe link update calls each sub-device's link_update op (fs_link_update)", (t) => {
  const { fs, sub } = started(undefined, undefined, { lsc: true });
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  a.linkUpdates = 0;
  b.linkUpdates = 0;
  a.setHwLink(false); // its intr_lsc runs fs_link_update
  t.is(a.linkUpdates, 1);
  t.is(b.linkUpdates, 1);
  t.false(fs.storedLink.status);
});

test('the multicast list is replayed only when the fail-safe has one (fs_eth_dev_conf_apply)', (t) => {
  const { sub } = setup();
  const a = sub('net_fakeA');
  const b = sub('net_fakeB');
  b.setMcAddrList([MacAddress.parse('01:00:5e:00:00:01')]);
  b.refuse.add('mc');
  const steps = replayConfiguration({ port: a, linkUp: false, macPool: () => 0 }, b);
  t.false(steps.includes('multicast'));
  t.is(b.mcAddrs.length, 1);
});
