/**
 * Driver behaviours checked against mainline Linux (drivers/net/virtio_net.c,
 * drivers/virtio/virtio_ring.c, include/linux/virtio_net.h): broken queues keep the carrier, a
 * used length beyond the buffer drops one frame, RX length/header accounting and buffer size,
 * the random MAC pushed to the device, and VQ_PAIRS_SET at probe.
 */
import test from 'ava';
import { MacAddress, SeededRandom, type BypassMaster } from '@bypass/core';
import {
  SplitVirtqueueLayout,
  VIRTIO_F,
  VIRTIO_NET_CTRL,
  VIRTIO_NET_F,
  VIRTIO_NET_HDR_F,
  VIRTIO_STATUS,
  featureMask,
  type VirtioNetBackend,
} from '../../src/index.js';
import { MAC, world } from '../helpers/world.js';

const NO_MAC = featureMask(
  VIRTIO_F.VERSION_1,
  VIRTIO_NET_F.STATUS,
  VIRTIO_NET_F.CTRL_VQ,
  VIRTIO_NET_F.CTRL_RX,
  VIRTIO_NET_F.CTRL_MAC_ADDR,
);

/** Records the control commands the device served: `cls:cmd:ok`. */
function ctrlLog(b: VirtioNetBackend): string[] {
  const log: string[] = [];
  b.events.on('ctrl', (cls, cmd, ok) => log.push(`${cls}:${cmd}:${ok}`));
  return log;
}

/** Makes the device answer VIRTIO_NET_ERR to every command of class `cls`. */
function refuse(b: VirtioNetBackend, cls: number): void {
  b.events.on('ctrl', (c) => {
    if (c !== cls) return;
    const q = b.queue(2 * b.maxQueuePairs);
    if (q === null) return;
    b.guestMemory[q.segAddr[q.outCount + q.inCount - 1] as number] = VIRTIO_NET_CTRL.ERR;
  });
}

/** Completes RX head `head` as `len` used bytes, written straight into the used ring. */
function completeRx(
  nic: { rxQueue(p: number): { ring: ArrayBuffer; size: number } | undefined },
  head: number,
  len: number,
): void {
  const rx = nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  v.setUint32(L.usedRing(0), head, true);
  v.setUint32(L.usedRing(0) + 4, len, true);
  v.setUint16(L.usedIdx, 1, true);
}

// ---------------------------------------------------------------- gap 1: broken queue, carrier

test('a broken TX queue keeps the standby carrier: with no VF the master still sends on virtio and each frame is a virtio-queue-broken drop (tx_fifo_errors, tx_dropped)', (t) => {
  const w = world();
  const b = w.backend({ backup: true });
  const nic = w.probe(b);
  const master = nic.bypassMaster as BypassMaster;
  master.open();
  t.is(master.datapath, 'backup');
  const tx = nic.txQueue(0)!;
  new DataView(tx.ring).setUint16(new SplitVirtqueueLayout(tx.size).usedIdx, 0x8000, true);
  master.xmit(w.frames(1), 0, 1); // the reclaim before the send finds the fault
  master.xmit(w.frames(3), 0, 3);
  t.not(tx.broken, null);
  t.true(nic.needsReset);
  t.true(nic.carrier);
  t.true(master.carrier);
  t.is(master.datapath, 'backup');
  t.deepEqual(w.drops, { 'virtio-queue-broken': 4 });
  t.is(nic.stats.txFifoErrors, 4);
  t.is(nic.stats.txDropped, 4);
  t.is(nic.ethtoolStats()['tx_queue_0_ring_full'], 0);
});

test('NEEDS_RESET from the device is reported but leaves the carrier and link handling alone', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  const resets: string[] = [];
  nic.events.on('needs-reset', (r) => resets.push(r));
  const tx = nic.txQueue(0)!;
  const L = new SplitVirtqueueLayout(tx.size);
  new DataView(tx.ring).setUint16(L.availIdx, 500, true); // the device finds a bad ring
  b.notify(1);
  t.true(b.needsReset);
  t.is(resets.length, 1);
  t.true(nic.carrier);
  b.setLink(false);
  t.false(nic.carrier);
});

// ---------------------------------------------------------------- gap 2: used length too big

test('an RX used length beyond the posted buffer drops that frame only (rx_length_errors and the queue drops); the queue keeps working', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  const rx = nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  // A (hostile) device is told the next buffer is bigger than the driver posted it.
  const head = v.getUint16(L.availRing(0), true);
  v.setUint32(L.descLen(head), 1700, true);
  b.receive(0, w.frames(1, MAC.value, 1600, 1), 0, 1); // used len 12 + 1600 > 12 + 1518
  b.receive(0, w.frames(1, MAC.value, 64, 2), 0, 1);
  t.is(nic.stats.rxLengthErrors, 1);
  t.is(nic.stats.rxDropped, 1);
  t.is(nic.ethtoolStats()['rx_queue_0_drops'], 1);
  t.is(w.drops['malformed'], 1);
  t.is(rx.broken, null);
  t.false(nic.needsReset);
  t.true(nic.carrier);
  t.deepEqual(got, [2]);
});

// ---------------------------------------------------------------- gap 12: RX checks and buffers

test('a short RX frame counts rx_length_errors only: no rx_errors, no queue drops', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  w.listen(nic);
  nic.open();
  b.receive(0, w.frames(1, MAC.value, 10), 0, 1);
  t.is(nic.stats.rxLengthErrors, 1);
  t.is(nic.stats.rxErrors, 0);
  t.is(nic.stats.rxDropped, 0);
  t.is(nic.ethtoolStats()['rx_queue_0_drops'], 0);
});

test('an RX header with a valid GSO type and size is accepted although no guest offload was negotiated (virtio_net_hdr_to_skb)', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  w.listen(nic);
  nic.open();
  const rx = nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const addr = new DataView(rx.ring).getUint32(L.descAddr(0), true);
  w.pool.bytes[addr + 1] = 1; // gso_type TCPV4
  w.pool.bytes[addr + 4] = 0xa8; // gso_size 1448
  w.pool.bytes[addr + 5] = 0x05;
  completeRx(nic, 0, 12 + 60);
  nic.pollRx(0);
  t.is(nic.stats.rxPackets, 1);
  t.is(nic.rxHeaderDrops, 0);
  t.is(nic.stats.rxFrameErrors, 0);
});

test('an RX header Linux refuses counts rx_frame_errors only', (t) => {
  const cases: [string, (bytes: Uint8Array, o: number) => void][] = [
    ['unknown gso_type', (bytes, o) => (bytes[o + 1] = 2)],
    ['gso_size 0', (bytes, o) => (bytes[o + 1] = 4)],
    [
      'NEEDS_CSUM beyond the frame',
      (bytes, o) => {
        bytes[o] = VIRTIO_NET_HDR_F.NEEDS_CSUM;
        bytes[o + 6] = 60; // csum_start 60 + offset 16 + 2 > 60
        bytes[o + 8] = 16;
      },
    ],
  ];
  for (const [what, corrupt] of cases) {
    const w = world();
    const nic = w.probe(w.backend());
    nic.open();
    const rx = nic.rxQueue(0)!;
    const addr = new DataView(rx.ring).getUint32(
      new SplitVirtqueueLayout(rx.size).descAddr(0),
      true,
    );
    corrupt(w.pool.bytes, addr);
    completeRx(nic, 0, 12 + 60);
    nic.pollRx(0);
    t.is(nic.stats.rxFrameErrors, 1, what);
    t.is(nic.stats.rxErrors, 0, what);
    t.is(nic.ethtoolStats()['rx_queue_0_drops'], 0, what);
    t.is(nic.stats.rxPackets, 0, what);
  }
});

test('RX buffers are Linux small buffers (header + 1518): the device drops a 1600-byte frame for an MTU-1500 guest', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  b.receive(0, w.frames(1, MAC.value, 1518, 1), 0, 1);
  b.receive(0, w.frames(1, MAC.value, 1600, 2), 0, 1);
  t.deepEqual(got, [1]);
  t.is(b.stats.rxTooBig, 1);
  t.is(w.drops['mtu-exceeded'], 1);
});

test('a config MTU above 1500 gives big buffers (virtnet_set_big_packets): the 1600-byte frame is delivered', (t) => {
  const w = world();
  const b = w.backend({ mtu: 1800 });
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  b.receive(0, w.frames(1, MAC.value, 1600, 7), 0, 1);
  t.deepEqual(got, [7]);
  t.is(b.stats.rxTooBig, 0);
});

// ---------------------------------------------------------------- gap 3: random MAC

test('without VIRTIO_NET_F_MAC the seeded random MAC is pushed with MAC_ADDR_SET after DRIVER_OK, so unicast RX reaches the guest', (t) => {
  const w = world();
  const b = w.backend({ features: NO_MAC });
  const log = ctrlLog(b);
  const nic = w.probe(b, { random: new SeededRandom(7) });
  const got = w.listen(nic);
  t.false(nic.devAddr.equals(MAC));
  t.false(nic.devAddr.isMulticast);
  t.true(b.config.mac.equals(nic.devAddr));
  t.deepEqual(log, [`${VIRTIO_NET_CTRL.MAC}:${VIRTIO_NET_CTRL.MAC_ADDR_SET}:true`]);
  nic.open();
  b.receive(0, w.frames(1, nic.devAddr.value, 64, 5), 0, 1);
  t.deepEqual(got, [5]);
  // The same seed gives the same address (no wall clock, no Math.random).
  const w2 = world();
  const nic2 = w2.probe(w2.backend({ features: NO_MAC }), { random: new SeededRandom(7) });
  t.true(nic2.devAddr.equals(nic.devAddr));
});

test('a device refusing the random MAC fails the probe: nothing stays registered, the device is FAILED', (t) => {
  const w = world();
  const b = w.backend({ features: NO_MAC });
  refuse(b, VIRTIO_NET_CTRL.MAC);
  const inUse = w.pool.inUse;
  t.throws(() => w.probe(b, { random: new SeededRandom(1) }), { code: 'ERR_REFUSED' });
  t.is(w.ns.size, 0);
  t.is(b.getStatus() & VIRTIO_STATUS.FAILED, VIRTIO_STATUS.FAILED);
  t.is(b.getStatus() & VIRTIO_STATUS.DRIVER_OK, 0);
  t.is(w.pool.inUse, inUse);
});

test('without CTRL_MAC_ADDR the random MAC is not sent (many devices work without it)', (t) => {
  const w = world();
  const b = w.backend({
    features: featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.STATUS, VIRTIO_NET_F.CTRL_VQ),
  });
  const log = ctrlLog(b);
  const nic = w.probe(b, { random: new SeededRandom(3) });
  t.deepEqual(log, []);
  t.true(nic.registered);
});

// ---------------------------------------------------------------- gap 13: queue pairs at probe

test('with MQ the probe sends VQ_PAIRS_SET even for one pair', (t) => {
  const w = world();
  const b = w.backend({ maxQueuePairs: 4 });
  const log = ctrlLog(b);
  const nic = w.probe(b, { cpus: 1 });
  t.deepEqual(
    log.filter((l) => l.startsWith(`${VIRTIO_NET_CTRL.MQ}:`)),
    [`${VIRTIO_NET_CTRL.MQ}:${VIRTIO_NET_CTRL.MQ_VQ_PAIRS_SET}:true`],
  );
  t.is(nic.curQueuePairs, 1);
  t.is(b.curQueuePairs, 1);
});

test('a refused VQ_PAIRS_SET at probe is ignored: the pairs chosen stay in use (Linux only warns)', (t) => {
  const w = world();
  const b = w.backend({ maxQueuePairs: 4 });
  refuse(b, VIRTIO_NET_CTRL.MQ);
  const nic = w.probe(b, { cpus: 4 });
  t.is(nic.curQueuePairs, 4);
  t.is(nic.realNumTxQueues, 4);
  t.is(nic.realNumRxQueues, 4);
  // Later requests (ethtool -L) report the refusal and change nothing.
  t.throws(() => nic.setQueuePairs(2), { code: 'ERR_REFUSED' });
  t.is(nic.curQueuePairs, 4);
});

test('ethtool -L sends VQ_PAIRS_SET even when the count does not change', (t) => {
  const w = world();
  const b = w.backend({ maxQueuePairs: 4 });
  const nic = w.probe(b, { cpus: 1 });
  const log = ctrlLog(b);
  nic.setQueuePairs(1);
  t.deepEqual(log, [`${VIRTIO_NET_CTRL.MQ}:${VIRTIO_NET_CTRL.MQ_VQ_PAIRS_SET}:true`]);
});

// ---------------------------------------------------------------- gap 11: rx mode while down

test('a standby that is down is not programmed when the master syncs addresses; it is programmed when it opens', (t) => {
  const w = world();
  const b = w.backend({ backup: true });
  const nic = w.probe(b);
  const master = nic.bypassMaster as BypassMaster;
  const log = ctrlLog(b);
  const group = MacAddress.parse('01:00:5e:00:00:01');
  master.open();
  master.close(); // the standby is closed with the master
  t.false(nic.isUp);
  log.length = 0;
  master.addMulticastAddress(group);
  // net_failover_set_rx_mode runs only while the master is up either: nothing is sent.
  t.deepEqual(log, []);
  master.open(); // opens the standby (programmed once) and syncs the master's list to it
  t.true(nic.mc.has(group.value));
  t.true(b.filter.mc.has(group.value));
  t.true(log.length > 0);
});
