import test from 'ava';
import { NS_PER_S } from '@bypass/core';
import { LINKCHANGE_INT_NS, NVSP_VERSION, RNDIS_STATUS } from '../../src/kernel/exports.js';
import { World } from './world.js';

const IP = (192 << 24) + (168 << 16) + (0 << 8) + 10;

test('MEDIA_DISCONNECT and MEDIA_CONNECT drive the carrier', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.scheduler.runUntilIdle();
  t.false(dev.carrier);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.scheduler.runUntilIdle();
  t.true(dev.carrier);
  t.is(w.scheduler.now() >= LINKCHANGE_INT_NS, true); // the second waited for the interval
});

test('link events are rate limited to one per LINKCHANGE_INT (2 s)', (t) => {
  const w = new World();
  const dev = w.probe();
  const t0 = w.scheduler.now();
  const seen: number[] = [];
  w.ns.events$.subscribe((e) => {
    if (e.dev === dev && e.detail === 'carrier') seen.push(w.scheduler.now() - t0);
  });
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.scheduler.runUntilIdle();
  t.is(seen.length, 3);
  t.true((seen[1] as number) - (seen[0] as number) >= 2 * NS_PER_S);
  t.true((seen[2] as number) - (seen[1] as number) >= 2 * NS_PER_S);
  t.false(dev.carrier);
});

test('NETWORK_CHANGE takes the link down, then up one interval later', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.indicateStatus(RNDIS_STATUS.NETWORK_CHANGE);
  w.run(1);
  t.false(dev.carrier);
  w.run(1998);
  t.false(dev.carrier);
  w.run(2);
  t.true(dev.carrier);
});

test('a connect while the link is up sends a gratuitous ARP for each address (on the active path)', (t) => {
  const w = new World();
  const dev = w.probe({ ipv4Addresses: [IP] });
  w.host.sendVfAssociation(true, 1);
  w.plugVf();
  w.run(100);
  w.scheduler.runUntilIdle();
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.scheduler.runUntilIdle();
  t.is(dev.peerNotifications, 1);
  t.is(dev.garpFrames, 1);
  t.is(w.drainVf(), 1); // the GARP went out on the VF
  t.is(dev.ethtool.vfTxBytes, 60);
});

test('the probe queries the link speed from NVSP 5 (rndis_filter_query_link_speed), not before', (t) => {
  t.is(new World().probe().speedMbps, 10000); // the host model answers 10 Gb/s
  t.is(new World({ hostVersions: [NVSP_VERSION.V4] }).probe().speedMbps, 0);
});

test('a link speed indication sets the speed; a short one is ignored', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, Uint8Array.of(0x80, 0x96, 0x98, 0x00)); // 10 000 000
  w.scheduler.runUntilIdle();
  t.is(dev.speedMbps, 1000);
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, Uint8Array.of(0x00, 0xe1, 0xf5, 0x05)); // 100 000 000
  w.scheduler.runUntilIdle();
  t.is(dev.speedMbps, 10000);
  w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, Uint8Array.of(1, 2));
  w.scheduler.runUntilIdle();
  t.is(dev.speedMbps, 10000);
});

test('a netvsc probed while the host link is down starts without carrier', (t) => {
  const w = new World();
  w.host.linkUp = false;
  const dev = w.probe();
  t.false(dev.carrier);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  w.scheduler.runUntilIdle();
  t.true(dev.carrier);
});
