import test from 'ava';
import { MacAddress, SeededRandom, VirtualScheduler, ETH_P, Ethernet, IFF } from '@bypass/core';
import {
  VIRTIO_F,
  VIRTIO_NET_F,
  VIRTIO_NET_HDR_LEN,
  VIRTIO_STATUS as S,
  VirtioNetHeader,
  featureMask,
} from '../../src/index.js';
import { MAC, PEER, seq, world } from '../helpers/world.js';

const PLAIN = featureMask(
  VIRTIO_F.VERSION_1,
  VIRTIO_F.RING_EVENT_IDX,
  VIRTIO_NET_F.MAC,
  VIRTIO_NET_F.STATUS,
  VIRTIO_NET_F.CTRL_VQ,
  VIRTIO_NET_F.CTRL_RX,
  VIRTIO_NET_F.CTRL_VLAN,
  VIRTIO_NET_F.GUEST_ANNOUNCE,
  VIRTIO_NET_F.CTRL_MAC_ADDR,
);

test('probe walks the status byte to DRIVER_OK and registers a plain NIC without BACKUP', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const statuses: number[] = [];
  b.events.on('status', (s) => statuses.push(s));
  const nic = w.probe(b, { name: 'eth%d' });
  t.deepEqual(statuses, [0, 1, 3, 11, 15]);
  t.is(b.getStatus(), S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
  t.is(nic.name, 'eth0');
  t.is(nic.bypassMaster, null);
  t.is(nic.physPortName, null);
  t.true(nic.permAddr.equals(MAC));
  t.is(nic.driver, 'virtio_net');
  t.is(b.negotiatedFeatures, nic.virtioFeatures);
});

test('frames sent by the driver reach the host through a real TX virtqueue, header first', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  nic.open();
  const sent = nic.xmit(w.frames(40, PEER.value, 100), 0, 40);
  t.is(sent, 40);
  // The descriptor of the last frame points at the 12-byte header in the slot's headroom.
  const vq = b.queue(1);
  t.not(vq, null);
  t.is(vq?.segLen[0], VIRTIO_NET_HDR_LEN + 100);
  t.is(VirtioNetHeader.gsoType(w.pool.bytes, vq?.segAddr[0] ?? 0), 0);
  t.deepEqual(w.drainHost(b), seq(40));
  t.is(b.stats.txPackets, 40);
  t.is(b.stats.txBytes, 4000);
  t.is(nic.stats.txPackets, 40);
  // Completed chains are reclaimed at the next send: no frame is leaked.
  nic.xmit(w.frames(1), 0, 1);
  w.drainHost(b);
  nic.xmit(w.frames(0), 0, 0);
  t.is(nic.txQueue(0)?.inFlight, 0);
});

test('frames from the host reach the stack through a real RX virtqueue in bursts', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  t.is(nic.rxQueue(0)?.inFlight, 64); // the ring was filled at open
  const n = b.receive(0, w.frames(100, MAC.value, 80), 0, 100);
  t.is(n, 64); // one ring's worth of buffers, the rest dropped as no-rx-buffer
  t.deepEqual(got, seq(64));
  t.is(b.stats.rxNoBuffer, 36);
  t.is(w.drops['virtio-no-rx-buffer'], 36);
  t.is(nic.stats.rxPackets, 64);
  t.is(nic.stats.rxBytes, 64 * 80);
  t.is(nic.rxQueue(0)?.inFlight, 64); // refilled after the poll
  b.receive(0, w.frames(10, MAC.value, 80, 200), 0, 10);
  t.deepEqual(got.slice(64), seq(10, 200));
});

test('a burst larger than the TX ring goes through: the driver kicks and reclaims when the ring fills', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  nic.open();
  t.is(nic.xmit(w.frames(150), 0, 150), 150);
  t.deepEqual(w.drainHost(b), seq(150));
  t.is(nic.ethtoolStats()['tx_queue_0_ring_full'], 0);
});

test('with a delayed device a burst larger than the TX ring drops the rest as ring-full', (t) => {
  const w = world();
  const scheduler = new VirtualScheduler();
  const b = w.backend({ features: PLAIN, scheduler, notifyLatencyNs: 1_000 });
  const nic = w.probe(b);
  nic.open();
  t.is(nic.xmit(w.frames(100), 0, 100), 64);
  t.is(w.drops['ring-full'], 36);
  t.is(nic.ethtoolStats()['tx_queue_0_ring_full'], 36);
  scheduler.advanceBy(1_000);
  t.deepEqual(w.drainHost(b), seq(64));
});

test('the driver drops a received frame shorter than header plus Ethernet header', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  w.listen(nic);
  nic.open();
  b.receive(0, w.frames(1, MAC.value, 10), 0, 1);
  t.is(nic.rxLengthDrops, 1);
  t.is(nic.stats.rxLengthErrors, 1);
  t.is(w.drops['malformed'], 1);
});

test('carrier stays off until the device reports LINK_UP, and follows link changes', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN, linkUp: false });
  const nic = w.probe(b);
  const links: boolean[] = [];
  nic.events.on('link', (up) => links.push(up));
  t.false(nic.carrier);
  b.setLink(true);
  t.true(nic.carrier);
  b.setLink(false);
  t.false(nic.carrier);
  b.setLink(true);
  t.deepEqual(links, [true, false, true]);
});

test('ANNOUNCE on a NIC without an IPv4 address sends nothing, counts it and acks', (t) => {
  // devinet.c inetdev_event: one gratuitous ARP per address of the netdev; none, nothing.
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  nic.open();
  t.true(b.announce());
  t.is(nic.garpSent, 0);
  t.is(nic.announcesWithoutAddress, 1);
  t.is(b.announceAcks, 1);
  t.is(b.drainTx(0, new Int32Array(8), 0, 8), 0);
});

test('ANNOUNCE with the pool exhausted skips the gratuitous ARP without a crash and acks', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b, { ipv4: 0x0a000005 });
  nic.open();
  const held: number[] = [];
  for (let h; (h = w.pool.alloc()) >= 0;) held.push(h);
  t.notThrows(() => b.announce());
  t.is(nic.garpSent, 0);
  t.is(b.announceAcks, 1);
  for (const h of held) w.pool.free(h);
});

test('without VIRTIO_NET_F_STATUS the link is assumed up at probe', (t) => {
  const w = world();
  const b = w.backend({
    features: PLAIN & ~featureMask(VIRTIO_NET_F.STATUS, VIRTIO_NET_F.GUEST_ANNOUNCE),
    linkUp: false,
  });
  const nic = w.probe(b);
  t.true(nic.carrier);
  t.true(nic.linkUp);
});

test('ANNOUNCE makes the driver send a gratuitous ARP and ack it on the control queue', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b, { ipv4: 0x0a000005 });
  nic.open();
  t.true(b.announce());
  t.is(nic.garpSent, 1);
  t.is(b.announceAcks, 1);
  t.is(b.config.status & 2, 0); // ANNOUNCE cleared by the ack
  const out = new Int32Array(8);
  t.is(b.drainTx(0, out, 0, 8), 1);
  const h = out[0] as number;
  t.is(Ethernet.ethertype(w.pool, h), ETH_P.ARP);
  t.is(Ethernet.dst(w.pool, h), MacAddress.BROADCAST.value);
  t.is(Ethernet.src(w.pool, h), MAC.value);
  w.pool.free(h);
});

test('MQ: the driver uses min(max pairs, cpus), tells the device, and can change it', (t) => {
  const w = world(4096);
  const b = w.backend({ features: PLAIN | featureMask(VIRTIO_NET_F.MQ), maxQueuePairs: 4 });
  const nic = w.probe(b, { cpus: 2 });
  t.is(b.numQueues, 9);
  t.is(nic.maxQueuePairs, 4);
  t.is(nic.curQueuePairs, 2);
  t.is(b.curQueuePairs, 2);
  t.is(nic.realNumTxQueues, 2);
  nic.open();
  nic.setQueuePairs(4);
  t.is(b.curQueuePairs, 4);
  nic.xmit(w.frames(5), 0, 5, 3);
  t.is(b.txPending(3), 5);
  t.is(nic.ethtoolStats()['tx_queue_3_packets'], 5);
  t.throws(() => nic.setQueuePairs(5), { code: 'ERR_INVALID_ARGUMENT' });
  w.drainHost(b);
});

test('without MQ the driver has one pair and refuses to change it', (t) => {
  const w = world();
  const nic = w.probe(w.backend({ features: PLAIN }));
  t.is(nic.maxQueuePairs, 1);
  t.throws(() => nic.setQueuePairs(1), { code: 'ERR_NOT_SUPPORTED' });
});

test('a device offering MQ without CTRL_VQ fails probe and is marked FAILED', (t) => {
  const w = world();
  const b = w.backend({
    features: featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC, VIRTIO_NET_F.MQ),
  });
  t.throws(() => w.probe(b), { code: 'ERR_NOT_SUPPORTED', message: /CTRL_VQ/ });
  t.is(b.getStatus() & S.FAILED, S.FAILED);
  t.is(w.ns.size, 0);
});

test('the config MTU becomes the MTU and the maximum; one below 68 is ignored', (t) => {
  const w = world();
  const nic = w.probe(w.backend({ features: PLAIN | featureMask(VIRTIO_NET_F.MTU), mtu: 1400 }));
  t.is(nic.mtu, 1400);
  t.is(nic.maxMtu, 1400);
  t.throws(() => nic.setMtu(1500), { code: 'ERR_MTU_RANGE' });
  nic.setMtu(1200);
  t.is(nic.mtu, 1200);
  const w2 = world();
  const nic2 = w2.probe(w2.backend({ features: PLAIN | featureMask(VIRTIO_NET_F.MTU), mtu: 40 }), {
    name: 'eth9',
  });
  t.false((nic2.virtioFeatures >> BigInt(VIRTIO_NET_F.MTU)) & 1n ? true : false);
  t.is(nic2.mtu, 1500);
});

test('frames larger than the MTU are dropped on transmit and counted', (t) => {
  const w = world();
  const nic = w.probe(w.backend({ features: PLAIN | featureMask(VIRTIO_NET_F.MTU), mtu: 1000 }));
  nic.open();
  t.is(nic.xmit(w.frames(1, PEER.value, 1200), 0, 1), 0);
  t.is(w.drops['mtu-exceeded'], 1);
  t.is(nic.stats.txDropped, 1);
});

test('without BACKUP a MAC change goes to the device through CTRL_MAC_ADDR', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  const mac = MacAddress.parse('52:54:00:aa:bb:cc');
  nic.setMacAddress(mac);
  t.true(b.config.mac.equals(mac));
  t.true(nic.devAddr.equals(mac));
});

test('without VIRTIO_NET_F_MAC the driver makes up a locally administered address', (t) => {
  const w = world();
  const nic = w.probe(w.backend({ features: PLAIN & ~featureMask(VIRTIO_NET_F.MAC) }), {
    random: new SeededRandom(7),
  });
  t.true(nic.permAddr.isLocallyAdministered);
  t.true(nic.permAddr.isValidUnicast);
});

test('with CTRL_RX the device filters what the guest did not ask for; promiscuity lets it through', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  t.false(b.filter.promisc);
  b.receive(0, w.frames(2, PEER.value), 0, 2);
  t.is(b.stats.rxFiltered, 2);
  nic.setPromiscuity(1);
  t.true((nic.flags & IFF.PROMISC) !== 0);
  t.true(b.filter.promisc);
  b.receive(0, w.frames(2, PEER.value, 64, 5), 0, 2);
  t.deepEqual(got, [5, 6]);
});

test('with CTRL_VLAN only VLANs the guest added pass the device filter', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  w.listen(nic);
  nic.open();
  const tagged = (vid: number): Int32Array => {
    const f = w.frames(1, MAC.value);
    Ethernet.insertVlan(w.pool, f[0] as number, vid);
    return f;
  };
  b.receive(0, tagged(100), 0, 1);
  t.is(b.stats.rxFiltered, 1);
  nic.vlanVidAdd(100);
  b.receive(0, tagged(100), 0, 1);
  t.is(b.stats.rxPackets, 1);
});

test('kicks and interrupts can be delayed on a scheduler and coalesce', (t) => {
  const w = world();
  const scheduler = new VirtualScheduler();
  const b = w.backend({ features: PLAIN, scheduler, notifyLatencyNs: 5_000 });
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  nic.xmit(w.frames(4), 0, 4);
  nic.xmit(w.frames(4, PEER.value, 64, 5), 0, 4);
  t.is(b.txPending(0), 0); // the kick has not arrived yet
  scheduler.advanceBy(5_000);
  t.is(b.txPending(0), 8);
  t.is(b.kickDoorbell(1)?.deliveries, 1);
  b.receive(0, w.frames(3, MAC.value), 0, 3);
  t.deepEqual(got, []); // interrupt pending
  scheduler.advanceBy(5_000);
  t.deepEqual(got, seq(3));
  w.drainHost(b);
});

test('while the netdev is down received frames wait in the ring and are delivered at open', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN });
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  nic.close();
  b.receive(0, w.frames(3, MAC.value), 0, 3);
  t.deepEqual(got, []);
  nic.open();
  t.deepEqual(got, seq(3));
});

test('remove resets the device, drops frames still in TX rings and frees RX buffers', (t) => {
  const w = world();
  const b = w.backend({ features: PLAIN, hostTxRingSize: 4 });
  const nic = w.probe(b);
  nic.open();
  nic.xmit(w.frames(10), 0, 10); // 4 reach the host ring, 6 stay in the virtqueue
  t.is(b.txPending(0), 4);
  nic.remove();
  t.is(b.getStatus(), 0);
  t.is(w.drops['virtio-ring-flushed'], 6);
  t.false(nic.registered);
  w.drainHost(b);
  t.is(w.pool.inUse, 0);
});
