import test from 'ava';
import type { EthDev, FailsafePort } from '../../src/dpdk/exports.js';
import { SubDevState, VdevNetvsc, type TapPort, type VfPmdPort } from '../../src/dpdk/exports.js';
import { World, mac } from './helpers/world.js';

const VF = '0002:00:02.0';

/** vdev_netvsc + fail-safe + TAP(remote=eth1) + the VF's PMD, as an application sees them. */
function compose(options: { vfFirst: boolean }) {
  const w = new World();
  const eth1 = w.netvsc('eth1', mac(1));
  const fromKernel: number[] = [];
  eth1.bindSink((_d, pkts, s, c) => {
    for (let i = s; i < s + c; i++) fromKernel.push(w.pool.mark[pkts[i] as number] as number);
    w.pool.freeBurst(pkts, s, c);
  });
  if (options.vfFirst) w.plugVf(VF, mac(1));
  const vdev = new VdevNetvsc({
    registry: w.registry,
    sysfs: w.sysfs,
    scheduler: w.scheduler,
    pipes: w.pipes,
  });
  vdev.autoProbe({ onHyperV: true });
  const fs = w.registry.getByName('net_failsafe_vsc0') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  const vfPort = () => w.registry.getByName(VF) as VfPmdPort | undefined;
  /** Sends `n` frames; returns how many the fail-safe port took. */
  const send = (n: number) => {
    const pkts = w.frames(n, mac(0x99));
    const took = fs.txBurst(0, pkts, 0, n);
    w.pool.freeBurst(pkts, took, n - took);
    return took;
  };
  /** Frames the host NIC took from the VF's TX ring (then freed). */
  const wire = () => {
    const vf = w.vfs.get(VF);
    if (vf === undefined) return 0;
    const out = new Int32Array(512);
    const n = vf.drainTx(0, out, 0, 512);
    w.pool.freeBurst(out, 0, n);
    return n;
  };
  return { w, eth1, vdev, fs, vfPort, send, wire, fromKernel };
}

test('VF arrives before: TX on the VF from the start, RX from both paths', (t) => {
  const c = compose({ vfFirst: true });
  t.is(c.fs.txSubDevice?.port?.name, VF);
  t.deepEqual(
    c.fs.subDevices.map((s) => s.state),
    [SubDevState.STARTED, SubDevState.STARTED],
  );
  t.is(c.send(10), 10);
  t.is(c.wire(), 10);
  t.is(c.eth1.sent.length, 0);
  // RX: one frame from the VF, one broadcast the kernel netvsc received (redirected to the TAP)
  const vf = c.w.vfs.get(VF);
  const fromWire = c.w.frames(1, mac(1));
  vf?.injectRx(0, fromWire, 0, 1);
  const bcast = c.w.frames(1, mac(1));
  c.eth1.receive(bcast, 0, 1);
  const out = new Int32Array(8);
  const a = c.fs.rxBurst(0, out, 0, 8);
  const b = c.fs.rxBurst(0, out, a, 8 - a);
  t.is(a + b, 2);
  t.is(c.w.pool.port[out[0] as number], c.fs.portId);
  c.w.pool.freeBurst(out, 0, a + b);
});

test('VF arrives after: TX through the kernel netvsc until the VF is noticed within 1 s + 2 s', (t) => {
  const c = compose({ vfFirst: false });
  t.is(c.fs.txSubDevice?.port?.name, 'net_tap_vsc0');
  t.is(c.send(4), 4);
  t.is(c.eth1.sent.length, 4);
  c.w.advanceMs(500);
  c.w.plugVf(VF, mac(1));
  let switchedAt = -1;
  for (let ms = 0; ms <= 3000 && switchedAt < 0; ms += 100) {
    if (c.fs.txSubDevice?.port?.name === VF) switchedAt = ms;
    c.w.advanceMs(100);
  }
  t.true(switchedAt > 0 && switchedAt <= 3000, `switched after ${switchedAt} ms`);
  t.is(c.send(6), 6);
  t.is(c.wire(), 6);
  t.is(c.eth1.sent.length, 4);
});

test('revoke with traffic in flight: the in-flight frames are counted, TX moves to the TAP at once', (t) => {
  const c = compose({ vfFirst: true });
  t.is(c.send(32), 32); // sitting in the VF's TX ring
  const events: string[] = [];
  c.fs.on('intr_lsc', () => events.push('lsc'));
  c.w.unplugVf(VF);
  t.is(c.w.drops.get('vf-ring-flushed'), 32);
  t.is(c.fs.txSubDevice?.port?.name, 'net_tap_vsc0');
  t.is(c.send(8), 8);
  t.is(c.eth1.sent.length, 8);
  t.is(c.fs.subDevices[0]?.state, SubDevState.STARTED); // removal waits for the upkeep round
  c.w.advanceMs(2000);
  t.is(c.fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.is(c.vfPort(), undefined);
  t.is(c.fs.statsGet().opackets, 40); // the VF's 32 survive its removal
  t.true(c.fs.linkGet().status);
});

test('VF back: the same PCI address returns and takes TX back with the configuration replayed', (t) => {
  const c = compose({ vfFirst: true });
  c.fs.setPromiscuous(true);
  c.w.unplugVf(VF);
  c.w.advanceMs(2000);
  t.is(c.fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  c.w.advanceMs(1900);
  t.is(c.fs.txSubDevice?.port?.name, 'net_tap_vsc0'); // nothing stale was re-read
  const vf = c.w.plugVf(VF, mac(1));
  c.w.advanceMs(3000);
  t.is(c.fs.txSubDevice?.port?.name, VF);
  t.true(vf.promiscuity > 0);
  t.is(c.send(5), 5);
  t.is(c.wire(), 5);
});

test('a VF returning while the fail-safe link is down gets the link replayed down (fs_eth_dev_conf_apply) and joins', (t) => {
  const c = compose({ vfFirst: true });
  c.fs.setLink(false); // fs_dev_set_link_down: the VF's and the TAP's
  t.false(c.fs.linkGet().status);
  c.w.unplugVf(VF);
  c.w.advanceMs(2000);
  t.is(c.fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  c.w.plugVf(VF, mac(1));
  c.w.advanceMs(2000);
  // rte_eth_dev_set_link_down on the new VF port succeeds (a PMD without the op would answer
  // -ENOTSUP, which fails the replay: the VF would be removed and probed again every round)
  t.is(c.fs.subDevices[0]?.state, SubDevState.STARTED);
  t.false(c.w.logs.some((l) => /Unable to synchronize/.test(l)));
  t.is(c.fs.txSubDevice?.port?.name, VF);
  t.false((c.vfPort() as EthDev).linkGet().status);
  t.is(c.send(1), 0, 'down as the application asked: the application keeps the frame');
  c.fs.setLink(true);
  t.true(c.fs.linkGet().status);
  t.is(c.send(1), 1);
  t.is(c.wire(), 1);
});

test('MTU change reaches the VF and the kernel netvsc and is replayed to a returning VF', (t) => {
  const c = compose({ vfFirst: true });
  c.fs.setMtu(1900);
  t.is(c.w.vfs.get(VF)?.mtu, 1900);
  t.is(c.eth1.mtu, 1900);
  c.w.unplugVf(VF);
  c.w.advanceMs(2000);
  const vf = c.w.plugVf(VF, mac(1));
  t.is(vf.mtu, 1500);
  c.w.advanceMs(3000);
  t.is(vf.mtu, 1900);
  const big = c.w.frames(1, mac(0x99), 1900 + 14);
  t.is(c.fs.txBurst(0, big, 0, 1), 1);
  t.is(c.wire(), 1);
});

test('over a VF and a TAP the fail-safe holds 16 MAC addresses (the TAP table), added to both and replayed to a returning VF', (t) => {
  const c = compose({ vfFirst: true });
  t.is(c.fs.devInfo().maxMacAddrs, 16, 'the smallest table: the TAP one');
  c.fs.macAddrAdd(mac(0x42));
  t.deepEqual(
    c.vfPort()?.extraMacAddrs.map((m) => m.toString()),
    [mac(0x42).toString()],
  );
  const tap = c.w.registry.getByName('net_tap_vsc0') as TapPort;
  t.deepEqual(
    tap.extraMacAddrs.map((m) => m.toString()),
    [mac(0x42).toString()],
  );
  c.w.unplugVf(VF);
  c.w.advanceMs(2000);
  c.w.plugVf(VF, mac(1));
  c.w.advanceMs(3000);
  t.deepEqual(
    c.vfPort()?.extraMacAddrs.map((m) => m.toString()),
    [mac(0x42).toString()],
  );
});

test('a VF whose link is down keeps TX (DPDK does not look at the link): its PMD takes the frames and the VF loses them, none on the wire', (t) => {
  const c = compose({ vfFirst: true });
  c.w.setVfLink(VF, false);
  const pkts = c.w.frames(3, mac(0x99));
  t.is(c.fs.txBurst(0, pkts, 0, 3), 3);
  t.is(c.w.drops.get('no-carrier'), 3);
  t.is(c.wire(), 0);
  t.is(c.eth1.sent.length, 0, 'no failover to the TAP');
  t.false(c.fs.linkGet().status);
});

test('a configuration change while a VF removal is pending skips the departing VF and is replayed later', (t) => {
  const c = compose({ vfFirst: false });
  c.w.plugVf(VF, mac(1));
  c.w.advanceMs(2000);
  t.is(c.fs.txSubDevice?.port?.name, VF);
  c.w.unplugVf(VF);
  c.fs.setMtu(1600); // the VF is gone: it must not fail the change
  t.is(c.fs.mtu, 1600);
  t.is(c.eth1.mtu, 1600);
  c.w.advanceMs(2000);
  const vf = c.w.plugVf(VF, mac(1));
  c.w.advanceMs(3000);
  t.is(vf.mtu, 1600);
});

test('the fail-safe configures the VF with rmv and without lsc: a carrier flap raises nothing, the removal fails over at once', (t) => {
  const c = compose({ vfFirst: true });
  const vfPort = c.vfPort() as VfPmdPort;
  const tap = c.w.registry.getByName('net_tap_vsc0') as EthDev;
  // failsafe_ops.c fs_dev_configure: rmv where the sub-device has INTR_RMV, lsc only with the port's
  t.like(vfPort.devConf, { lsc: false, rmv: true });
  t.like(tap.devConf, { lsc: false, rmv: false });
  const events: string[] = [];
  vfPort.on('intr_lsc', () => events.push('vf lsc'));
  vfPort.on('intr_rmv', () => events.push('vf rmv'));
  c.fs.on('intr_lsc', () => events.push('fs lsc'));
  c.w.setVfLink(VF, false);
  t.is(c.send(1), 1, 'the VF PMD takes it without link; the fail-safe does not fail over on it');
  t.is(c.wire(), 0, 'lost by the VF (no-carrier)');
  c.w.setVfLink(VF, true);
  t.is(c.send(1), 1);
  t.is(c.wire(), 1);
  c.w.unplugVf(VF);
  t.deepEqual(events, ['vf rmv']);
  t.is(c.fs.txSubDevice?.port?.name, 'net_tap_vsc0', 'TX moved before the next upkeep');
  t.is(c.send(2), 2);
  t.is(c.eth1.sent.length, 2);
});

test('a fail-safe configured with lsc hears the VF link through its sub-device event; the TAP raises none', (t) => {
  const c = compose({ vfFirst: true });
  c.fs.stop();
  c.fs.configure(1, 1, { lsc: true });
  c.fs.start();
  const vfPort = c.vfPort() as VfPmdPort;
  const tap = c.w.registry.getByName('net_tap_vsc0') as EthDev;
  t.like(vfPort.devConf, { lsc: true, rmv: true });
  t.like(tap.devConf, { lsc: true, rmv: false });
  const seen: boolean[] = [];
  c.fs.on('intr_lsc', () => seen.push(c.fs.linkGet().status));
  c.w.setVfLink(VF, false);
  t.deepEqual(seen, [false], 'the VF PMD link interrupt, with no traffic');
  c.w.unplugVf(VF);
  c.w.advanceMs(2000); // the VF is detached; TX and the link are the TAP's from the next update
  c.eth1.carrierOff();
  c.eth1.carrierOn();
  // rte_eth_tap.c raises no LSC event: the fail-safe keeps its recorded link (DPDK behaviour)
  t.deepEqual(seen, [false]);
  t.is(c.fs.txSubDevice?.port?.name, 'net_tap_vsc0');
});
