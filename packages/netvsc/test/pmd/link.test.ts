import test from 'ava';
import { ETH_DEV_FLAG, ETH_OFFLOAD } from '../../src/dpdk/exports.js';
import { RNDIS_STATUS } from '../../src/kernel/exports.js';
import type { NetvscPmdPort } from '../../src/pmd/exports.js';
import { PmdWorld } from './world.js';

/** hn_rndis.c hn_rndis_link_status: the link alarm's delay, 10 us. */
const ALARM_NS = 10_000;

function speedBuffer(mbps: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, mbps * 10_000, true);
  return b;
}

/** Probes, configures one queue pair with intr_conf.lsc and starts. */
function upWithLsc(w: PmdWorld): NetvscPmdPort {
  const p = w.probe();
  p.configure(1, 1, { lsc: true });
  p.start();
  return p;
}

/** Records every intr_lsc with the link the port has recorded at that moment. */
function lscEvents(p: NetvscPmdPort): boolean[] {
  const seen: boolean[] = [];
  p.on('intr_lsc', () => seen.push(p.storedLink.status));
  return seen;
}

test('the port advertises RTE_ETH_DEV_INTR_LSC and accepts lsc; the conf lasts until the next configure', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  t.not(p.devInfo().devFlags & ETH_DEV_FLAG.INTR_LSC, 0);
  t.false(p.devConf.lsc);
  p.configure(1, 1, { lsc: true, rxOffloads: ETH_OFFLOAD.VLAN_STRIP });
  t.true(p.devConf.lsc);
  t.is(p.devConf.rxOffloads, ETH_OFFLOAD.VLAN_STRIP);
  p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_STRIP }); // a whole new conf: lsc off again
  t.false(p.devConf.lsc);
  t.is(p.devConf.rxOffloads, ETH_OFFLOAD.VLAN_STRIP);
  t.throws(() => p.configure(1, 1, { lsc: true, rxOffloads: ETH_OFFLOAD.VLAN_FILTER }), {
    message: /does not support Rx offloads/,
  });
  t.false(p.devConf.lsc, 'a refused configure changes nothing');
  // a VMBus port has no RTE_ETH_DEV_INTR_RMV (eth_dev_vmbus_allocate sets INTR_LSC only)
  t.throws(() => p.configure(1, 1, { rmv: true }), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /Driver net_netvsc does not support rmv/,
  });
});

test('without lsc no link event at all; the poll records nothing, linkGet records the host link', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const seen = lscEvents(p);
  t.true(p.linkGet().status);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.settle();
  t.true(p.linkGet().status, 'the ring is not read yet');
  w.receive();
  w.settle();
  t.true(p.storedLink.status, 'the poll read the indication but recorded nothing');
  t.false(p.linkGet().status);
  t.false(p.storedLink.status);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.settle();
  w.send(1); // txBurst on queue 0 reads the ring too
  t.true(p.linkGet().status);
  w.settle();
  t.deepEqual(seen, [], 'hn_dev_link_update records through rte_eth_linkstatus_set: no event');
  t.is(w.scheduler.pending, 0);
});

test('with lsc each media or speed indication raises intr_lsc 10 us after the poll, recording nothing', (t) => {
  const w = new PmdWorld();
  const p = upWithLsc(w);
  const seen = lscEvents(p);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.settle();
  t.deepEqual(seen, [], 'nothing before the application polls');
  w.receive();
  w.scheduler.advanceBy(ALARM_NS - 1);
  t.deepEqual(seen, []);
  w.scheduler.advanceBy(1);
  t.deepEqual(seen, [true], 'hn_rndis_link_alarm raises the event; the recorded link is unchanged');
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, speedBuffer(25_000));
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.settle();
  w.receive();
  w.settle();
  t.deepEqual(seen, [true, true, true], 'one alarm per indication');
});

test('with lsc, linkGet on the started port returns the link recorded at start (rte_eth_link_get)', (t) => {
  const w = new PmdWorld();
  const p = upWithLsc(w);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.settle();
  w.receive();
  w.settle();
  t.true(p.linkGet().status, 'link_update is not called on a started port with lsc');
  p.stop();
  t.false(p.linkGet().status, 'stopped: link_update runs again');
  p.start();
  t.false(p.linkGet().status);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.settle();
  w.receive();
  t.false(p.linkGet().status);
  p.stop();
  p.start(); // hn_dev_start records the link, lsc or not
  t.true(p.storedLink.status);
});

test('hn_dev_link_update records a status change only: a new speed alone is not recorded', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  t.deepEqual([p.linkGet().status, p.linkGet().speed], [true, 10_000]);
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, speedBuffer(25_000));
  w.settle();
  w.receive();
  t.is(p.linkGet().speed, 10_000);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.settle();
  w.receive();
  t.false(p.linkGet().status);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.settle();
  w.receive();
  t.deepEqual([p.linkGet().status, p.linkGet().speed], [true, 25_000]);
});

test('hn_dev_link_update records the host speed with the link down too, full duplex, autoneg', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  // nothing recorded before hn_dev_start: the zeroed rte_eth_dev_data link
  t.deepEqual(p.storedLink, { status: false, speed: 0, fullDuplex: false, autoneg: false });
  p.configure(1, 1);
  p.start();
  t.deepEqual(p.linkGet(), { status: true, speed: 10_000, fullDuplex: true, autoneg: true });
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, speedBuffer(25_000));
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.settle();
  w.receive();
  t.deepEqual(p.linkGet(), { status: false, speed: 25_000, fullDuplex: true, autoneg: true });
});

test('a short speed change is counted malformed but still raises the event; other statuses never do', (t) => {
  const w = new PmdWorld();
  const p = upWithLsc(w);
  const seen = lscEvents(p);
  w.settle();
  w.receive(); // the packet filter's completion (counted ignored) read first
  const ignored = p.pmdStats.ignored;
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, new Uint8Array(2));
  w.host.indicateStatus(RNDIS_STATUS.NETWORK_CHANGE);
  w.host.indicateStatus(0x40020006); // RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG
  w.host.indicateStatus(0x40010003); // RNDIS_STATUS_ONLINE: unknown to the PMD
  w.settle();
  w.receive();
  w.settle();
  t.deepEqual(seen, [true], 'hn_rndis_link_status does not read the buffer');
  t.is(p.pmdStats.malformed, 1);
  t.is(p.pmdStats.ignored - ignored, 3);
  t.is(p.pmdStats.statusEvents, 4);
  t.deepEqual(
    w.log.filter((l) => l.includes('RNDIS indication')),
    ['info: unknown RNDIS indication: 0x40010003'],
  );
  p.stop();
  t.deepEqual([p.linkGet().status, p.linkGet().speed], [true, 10_000]);
});

test('pending link alarms are cancelled by close and by an MTU change (hn_rndis_detach)', (t) => {
  const w = new PmdWorld();
  const p = upWithLsc(w);
  const seen = lscEvents(p);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.settle();
  p.stop(); // hn_dev_stop drains the ring: the indication is read, the alarm armed
  p.setMtu(4000);
  w.settle();
  t.deepEqual(seen, [], 'hn_dev_mtu_set detaches from the host');
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.settle();
  p.start();
  w.receive();
  p.stop();
  p.close();
  w.settle();
  t.deepEqual(seen, []);
  t.is(w.scheduler.pending, 0);
});

test('the VF is configured with the port conf, lsc off and rmv on (hn_vf_configure), also on hot-add', (t) => {
  const w = new PmdWorld();
  const { vfPort } = w.vfReady();
  const p = w.probe();
  p.configure(1, 1, { lsc: true, rxOffloads: ETH_OFFLOAD.VLAN_STRIP });
  const want = {
    rxOffloads: ETH_OFFLOAD.VLAN_STRIP,
    txOffloads: 0,
    lsc: false,
    rmv: true,
    mtu: 1500,
  };
  t.deepEqual(vfPort.devConf, want);
  // hot-add on a started port (hn_vf_add_unlocked calls hn_vf_configure)
  const w2 = new PmdWorld();
  const p2 = w2.probe();
  p2.configure(1, 1, { lsc: true, rxOffloads: ETH_OFFLOAD.VLAN_STRIP });
  p2.start();
  w2.plugVf();
  w2.advanceMs(1000);
  w2.host.sendVfAssociation(true, 1);
  w2.settle();
  w2.send(1);
  t.true(p2.vfSwitched);
  t.deepEqual(p2.vfPort?.devConf, want);
});
