import test from 'ava';
import {
  SplitVirtqueueLayout,
  VIRTIO_F,
  VIRTIO_NET_F,
  VIRTIO_NET_S,
  VIRTIO_STATUS,
  VirtioNetControlQueue,
  featureMask,
} from '../../src/index.js';
import { MAC, PEER, seq, world } from '../helpers/world.js';

test('a full host TX ring stops the device popping; draining it resumes the queue', (t) => {
  const w = world();
  const b = w.backend({ hostTxRingSize: 8 });
  const nic = w.probe(b);
  nic.open();
  nic.xmit(w.frames(20), 0, 20);
  t.is(b.txPending(0), 8);
  t.is(nic.txQueue(0)?.inFlight, 12); // still in the virtqueue, not lost
  t.deepEqual(w.drainHost(b), seq(20));
  t.is(b.stats.txPackets, 20);
});

test('a TX sink receives every burst the guest sent, with host-owned handles', (t) => {
  const w = world();
  const seen: number[] = [];
  const b = w.backend({
    txSink: (pair, pkts, start, count) => {
      for (let i = start; i < start + count; i++) {
        seen.push(pair * 1000 + (w.pool.bytes[(w.pool.start[pkts[i]!] as number) + 14] as number));
      }
      w.pool.freeBurst(pkts, start, count);
    },
  });
  const nic = w.probe(b);
  nic.open();
  nic.xmit(w.frames(70), 0, 70);
  t.deepEqual(seen, seq(70));
  t.is(b.txPending(0), 0);
});

test('while the host link is down the device drops RX and discards guest TX, counted', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  nic.open();
  b.setLink(false);
  t.is(b.receive(0, w.frames(3, MAC.value), 0, 3), 0);
  t.is(w.drops['no-carrier'], 3);
  t.is(b.stats.rxDropped, 3);
});

test('a host frame larger than the posted buffer is dropped and the buffer kept', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b, { rxBuffers: 4 });
  w.listen(nic);
  nic.open();
  // The guest posts 40-byte buffers (a legal, if odd, choice): no room for header + 64 bytes.
  const rx = nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  for (let i = 0; i < rx.size; i++) v.setUint32(L.descLen(i), 40, true);
  t.is(b.receive(0, w.frames(1, MAC.value), 0, 1), 0);
  t.is(b.stats.rxTooBig, 1);
  t.is(w.drops['mtu-exceeded'], 1);
  t.is(b.queue(0)?.availCount, 4); // put back, not consumed
  t.false(b.needsReset);
});

test('the driver drops an RX frame whose header asks for GSO it never negotiated', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  nic.open();
  const rx = nic.rxQueue(0)!;
  const L = new SplitVirtqueueLayout(rx.size);
  const v = new DataView(rx.ring);
  // Head 0 is the first posted buffer; its header sits 12 bytes before the slot's data.
  const addr = v.getUint32(L.descAddr(0), true);
  w.pool.bytes[addr + 1] = 1; // gso_type TCPV4
  v.setUint32(L.usedRing(0), 0, true);
  v.setUint32(L.usedRing(0) + 4, 12 + 60, true);
  v.setUint16(L.usedIdx, 1, true);
  nic.pollRx(0);
  t.is(nic.rxHeaderDrops, 1);
  t.is(nic.stats.rxFrameErrors, 1);
  t.is(nic.ethtoolStats()['rx_queue_0_header_errors'], 1);
  t.false(nic.needsReset);
});

test('a name too long for the standby rolls the whole probe back', (t) => {
  const w = world();
  const b = w.backend({ backup: true });
  t.throws(() => w.probe(b, { name: 'abcdefghijkl' }), { code: 'ERR_NAME_INVALID' });
  t.is(w.ns.size, 0);
  t.is(w.registry.instances().length, 0);
  t.is(b.getStatus() & 0x80, 0x80);
  t.is(w.pool.inUse, 0);
});

test('receive before the driver is ready drops with dev-down', (t) => {
  const w = world();
  const b = w.backend();
  t.is(b.receive(0, w.frames(2, PEER.value), 0, 2), 0);
  t.is(w.drops['dev-down'], 2);
});

test('RX into a chain of several buffers: header and frame span them, the flow tag goes to the slot holding the frame', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b, { rxBuffers: 0 }); // not opened: the test posts and reaps the buffers
  const rx = nic.rxQueue(0)!;
  const pool = w.pool;
  const slot = (): number => pool.start[pool.alloc()] as number;
  // One buffer; header alone then the frame (the legacy layout); a header split 8 + 4.
  const chains = [
    [[slot(), 2048]],
    [
      [slot(), 12],
      [slot(), 1500],
    ],
    [
      [slot(), 8],
      [slot(), 2000],
    ],
  ];
  chains.forEach((c, i) => {
    t.true(
      rx.addChain(
        100 + i,
        c.map((s) => s[0]!),
        c.map((s) => s[1]!),
        0,
      ),
    );
  });
  const frames = w.frames(3, MAC.value, 64, 1);
  const sent = [...frames].map((h) => pool.bytes.slice(pool.start[h], pool.start[h]! + 64));
  t.is(b.receive(0, frames, 0, 3), 3);
  chains.forEach((c, i) => {
    t.is(rx.getBuf(), 100 + i);
    t.is(rx.lastLen, 12 + 64);
    const got = c.flatMap(([a, n]) => [...pool.bytes.subarray(a, a! + n!)]).slice(0, 76);
    t.deepEqual(got, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, ...sent[i]!]);
    const frameAt = c.length === 1 ? c[0]![0]! + 12 : c[1]![0]! + (c[0]![1] === 12 ? 0 : 4);
    t.is(pool.mark[pool.slotAt(frameAt)], i + 1);
  });
  t.is(b.stats.rxPackets, 3);
  t.is(b.stats.rxBytes, 3 * 64);
});

test('TX from a chain of several buffers: the host frame is the bytes after the header, tagged from the slot holding them', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  nic.open();
  const tx = nic.txQueue(0)!;
  const pool = w.pool;
  const frames = [...w.frames(3, PEER.value, 64, 1)];
  const bufs = frames.map((h) => {
    t.true(pool.adjustStart(h, -12));
    pool.bytes.fill(0, pool.start[h], pool.start[h]! + 12);
    return pool.start[h]!;
  });
  // One buffer; header alone then the frame; a header split 8 + 4 + frame.
  t.true(tx.addOne(frames[0]!, bufs[0]!, 76, false));
  t.true(tx.addChain(frames[1]!, [bufs[1]!, bufs[1]! + 12], [12, 64], 2));
  t.true(tx.addChain(frames[2]!, [bufs[2]!, bufs[2]! + 8], [8, 68], 2));
  b.notify(1);
  const out = new Int32Array(8);
  t.is(b.drainTx(0, out, 0, 8), 3);
  for (let i = 0; i < 3; i++) {
    const h = out[i]!;
    t.is(pool.length[h], 64);
    const want = pool.bytes.slice(bufs[i]! + 12, bufs[i]! + 76);
    t.deepEqual(pool.bytes.slice(pool.start[h], pool.start[h]! + 64), want);
    t.is(pool.mark[h], i + 1);
  }
  t.is(b.stats.txPackets, 3);
  t.is(b.stats.txBytes, 3 * 64);
  pool.freeBurst(out, 0, 3);
  t.is(pool.doubleFrees + pool.invalidFrees, 0);
});

test('an ANNOUNCE_ACK with no announce pending is refused and counted as a control error', (t) => {
  // hw/net/virtio-net.c virtio_net_handle_announce answers VIRTIO_NET_ERR unless the status has
  // ANNOUNCE set.
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  nic.open();
  const cvq = new VirtioNetControlQueue(nic.controlQueue()!, b, w.pool);
  const errors = b.stats.ctrlErr;
  t.false(cvq.ackAnnounce());
  t.is(b.stats.ctrlErr, errors + 1);
  t.is(cvq.errors, 1);
  t.is(b.announceAcks, 0);
  // A pending announce is acked once (by the driver); a second ack is an error again.
  t.true(b.announce());
  t.is(b.announceAcks, 1);
  t.false(cvq.ackAnnounce());
  t.is(b.stats.ctrlErr, errors + 2);
  t.is(b.announceAcks, 1);
  cvq.release();
});

test('a reset puts back the configured MAC after a MAC_ADDR_SET (virtio_net_reset)', (t) => {
  const w = world();
  const b = w.backend({
    features: featureMask(
      VIRTIO_F.VERSION_1,
      VIRTIO_NET_F.MAC,
      VIRTIO_NET_F.STATUS,
      VIRTIO_NET_F.CTRL_VQ,
      VIRTIO_NET_F.CTRL_RX,
      VIRTIO_NET_F.CTRL_MAC_ADDR,
    ),
  });
  const nic = w.probe(b);
  const cvq = new VirtioNetControlQueue(nic.controlQueue()!, b, w.pool);
  t.true(cvq.setMac(PEER));
  t.is(b.config.mac.value, PEER.value);
  cvq.release();
  nic.remove(); // resets the device
  t.is(b.config.mac.value, MAC.value);
  const again = w.probe(b);
  t.is(again.devAddr.value, MAC.value);
});

test('announce before DRIVER_OK sets ANNOUNCE without an interrupt; a reset clears it', (t) => {
  // hw/net/virtio-net.c virtio_net_announce_notify sets the bit; hw/virtio/virtio.c
  // virtio_notify_config interrupts only once DRIVER_OK is set.
  const w = world();
  const b = w.backend();
  let raised = 0;
  b.bindDriver({ vringInterrupt: () => {}, configChanged: () => raised++ });
  const S = VIRTIO_STATUS;
  b.setStatus(S.ACKNOWLEDGE);
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER);
  t.false(b.announce()); // no features negotiated yet
  b.setDriverFeatures(b.getFeatures());
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  t.true(b.announce());
  t.is(raised, 0);
  t.is(b.config.status & VIRTIO_NET_S.ANNOUNCE, VIRTIO_NET_S.ANNOUNCE);
  b.setStatus(0); // virtio_net_reset clears a pending announce
  t.is(b.config.status & VIRTIO_NET_S.ANNOUNCE, 0);
});

test('a driver probing with ANNOUNCE pending notifies its peers and acks it', (t) => {
  const w = world();
  const b = w.backend();
  // The host asks between FEATURES_OK and DRIVER_OK of the driver's probe.
  b.events.on('status', (st) => {
    if (st === (VIRTIO_STATUS.ACKNOWLEDGE | VIRTIO_STATUS.DRIVER | VIRTIO_STATUS.FEATURES_OK))
      t.true(b.announce());
  });
  const nic = w.probe(b, { ipv4: 0x0a000005 });
  t.is(b.announceAcks, 1);
  t.is(nic.garpSent, 1);
  t.is(b.config.status & VIRTIO_NET_S.ANNOUNCE, 0);
});

test('announce needs GUEST_ANNOUNCE and CTRL_VQ, not STATUS (virtio_net_announce)', (t) => {
  const w = world();
  const noStatus = w.backend({
    features: featureMask(
      VIRTIO_F.VERSION_1,
      VIRTIO_NET_F.MAC,
      VIRTIO_NET_F.CTRL_VQ,
      VIRTIO_NET_F.GUEST_ANNOUNCE,
    ),
  });
  w.probe(noStatus);
  t.true(noStatus.announce());
  const w2 = world();
  const noAnnounce = w2.backend({
    features: featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC, VIRTIO_NET_F.STATUS),
  });
  w2.probe(noAnnounce);
  t.false(noAnnounce.announce());
  t.is(noAnnounce.config.status & VIRTIO_NET_S.ANNOUNCE, 0);
});
