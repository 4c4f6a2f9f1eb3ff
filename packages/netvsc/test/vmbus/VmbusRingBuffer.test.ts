import test from 'ava';
import { VirtualScheduler } from '@bypass/core';
import {
  VM_PKT,
  VMBUS_PKT_FLAG,
  VmbusChannel,
  VmbusPacket,
  VmbusRingBuffer,
} from '../../src/kernel/exports.js';

function ring(pages = 2): VmbusRingBuffer {
  const mem = new ArrayBuffer(VmbusRingBuffer.bytesFor(pages));
  const r = new VmbusRingBuffer(mem, 0, mem.byteLength);
  r.init();
  return r;
}

test('a packet is laid out as descriptor, 8-aligned payload and the previous-index trailer', (t) => {
  const r = ring();
  const payload = Uint8Array.of(1, 2, 3, 4, 5);
  t.is(
    r.write(VM_PKT.DATA_INBAND, VMBUS_PKT_FLAG.COMPLETION_REQUESTED, 0x1_0000_0007, payload, 0, 5),
    'ok',
  );
  const mem = new Uint8Array(r.header.buffer, 4096, 40);
  t.deepEqual(
    [...mem],
    [
      6,
      0,
      2,
      0,
      3,
      0,
      1,
      0,
      7,
      0,
      0,
      0,
      1,
      0,
      0,
      0, // type 6, offset8 2, len8 3, flags 1, trans_id
      1,
      2,
      3,
      4,
      5,
      0,
      0,
      0, // payload padded to 8
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0, // previous write index (0) << 32
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ],
  );
  t.is(r.writeIndex, 32);
  const pkt = new VmbusPacket(r.dataSize);
  t.true(r.read(pkt));
  t.is(pkt.type, VM_PKT.DATA_INBAND);
  t.is(pkt.flags, 1);
  t.is(pkt.transId, 0x1_0000_0007);
  t.is(pkt.length, 8); // hv_pkt_datalen counts the padding
  t.deepEqual([...pkt.data.subarray(0, 5)], [1, 2, 3, 4, 5]);
  t.is(r.readIndex, 32);
  t.false(r.read(pkt));
});

test('packets wrap around the end of the data area intact', (t) => {
  const r = ring();
  const pkt = new VmbusPacket(r.dataSize);
  const big = new Uint8Array(1000).map((_, i) => i & 0xff);
  for (let i = 0; i < 20; i++) {
    big[0] = i;
    t.is(r.write(VM_PKT.DATA_INBAND, 0, i, big, 0, big.length), 'ok');
    t.true(r.read(pkt));
    t.is(pkt.transId, i);
    t.is(pkt.data[0], i);
    t.is(pkt.data[999], 999 & 0xff);
  }
  t.is(r.stats.packetsRead, 20);
});

test('a write that would fill the ring is refused as full and records pending_send_sz', (t) => {
  const r = ring();
  const p = new Uint8Array(1000);
  let n = 0;
  while (r.write(VM_PKT.DATA_INBAND, 0, n, p, 0, p.length) === 'ok') n++;
  t.is(n, 3); // 4096 bytes of data, 1024 per packet: the 4th would make write == read
  t.is(r.stats.full, 1);
  t.is(r.pendingSendSize, 1024);
  const pkt = new VmbusPacket(r.dataSize);
  r.read(pkt);
  t.true(r.closeRead());
});

test('the writer reads read_index after publishing: a reader that emptied the ring meanwhile is signalled (hv_signal_on_write)', (t) => {
  const r = ring();
  const m = new Uint8Array(16);
  t.is(r.write(VM_PKT.DATA_INBAND, 0, 1, m, 0, 16), 'ok');
  t.is(r.begin(VM_PKT.DATA_INBAND, 0, 2, 16), 'ok'); // the ring was not empty here
  const pkt = new VmbusPacket(r.dataSize);
  t.true(r.read(pkt)); // the reader drains it and would go idle
  r.put(m, 0, 16);
  t.true(r.commit()); // old write index === read_index now: signal, or the packet waits forever
  t.is(r.write(VM_PKT.DATA_INBAND, 0, 3, m, 0, 16), 'ok');
  t.false(r.commit()); // nothing open: no signal
});

test('a reader signals a blocked writer once, when a round of reads crosses pending_send_sz (hv_pkt_iter_close)', (t) => {
  const r = ring();
  const p = new Uint8Array(1000);
  while (r.write(VM_PKT.DATA_INBAND, 0, 0, p, 0, p.length) === 'ok');
  t.is(r.pendingSendSize, 1024); // free: 1024, not more than the 1024 asked for
  const pkt = new VmbusPacket(r.dataSize);
  t.true(r.read(pkt));
  t.true(r.closeRead()); // 1024 -> 2048 free: crossed
  t.true(r.read(pkt));
  t.false(r.closeRead()); // 2048 -> 3072: the writer was not blocked before this round
  t.false(r.closeRead()); // nothing read
});

test('a reader does not signal when the room freed is still not more than pending_send_sz', (t) => {
  const r = ring();
  const p = new Uint8Array(1000);
  while (r.write(VM_PKT.DATA_INBAND, 0, 0, p, 0, p.length) === 'ok');
  r.pendingSendSize = 2048; // the writer waits for a larger packet
  const pkt = new VmbusPacket(r.dataSize);
  t.true(r.read(pkt));
  t.false(r.closeRead()); // 2048 free is "not enough" (the ring can never be filled exactly)
  t.true(r.read(pkt));
  t.true(r.closeRead());
});

test('without FEAT_PENDING_SEND_SZ the reader never signals for room', (t) => {
  const r = ring();
  const p = new Uint8Array(1000);
  while (r.write(VM_PKT.DATA_INBAND, 0, 0, p, 0, p.length) === 'ok');
  r.header.setUint32(64, 0, true); // feature_bits
  const pkt = new VmbusPacket(r.dataSize);
  t.true(r.read(pkt));
  t.false(r.closeRead());
});

test('only the host asks for room: a full guest-to-host ring leaves pending_send_sz at 0', (t) => {
  const scheduler = new VirtualScheduler();
  const ch = new VmbusChannel({ scheduler, ringPages: 2 });
  const p = new Uint8Array(1000);
  while (ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, p, 0, p.length) === 'ok');
  t.is(ch.guest.tx.stats.full, 1);
  t.is(ch.guest.tx.pendingSendSize, 0); // netvsc / the PMD wait for completions instead
  while (ch.host.send(VM_PKT.DATA_INBAND, 0, 0, p, 0, p.length) === 'ok');
  t.is(ch.host.tx.pendingSendSize, 1024); // Hyper-V does ask
  // The host reading the guest's ring owes the guest no signal for room.
  const pkt = new VmbusPacket(ch.host.rx.dataSize);
  const before = ch.host.signalsSent;
  ch.host.beginRead();
  while (ch.host.receive(pkt));
  ch.host.endRead();
  t.is(ch.host.signalsSent, before);
  // The guest reading the host's ring signals it once, on the round that makes room.
  const sent = ch.guest.signalsSent;
  ch.guest.beginRead();
  t.true(ch.guest.receive(pkt));
  ch.guest.endRead();
  t.is(ch.guest.signalsSent, sent + 1);
  ch.guest.beginRead();
  t.true(ch.guest.receive(pkt));
  ch.guest.endRead();
  t.is(ch.guest.signalsSent, sent + 1);
});

test('a hostile index beyond the ring is refused and counted, never read', (t) => {
  const r = ring();
  r.header.setUint32(0, 0x10000, true); // write_index beyond the 4096-byte data area
  const pkt = new VmbusPacket(r.dataSize);
  t.false(r.read(pkt));
  t.is(r.stats.badIndex, 1);
  t.is(r.bytesToRead(), -1);
  r.header.setUint32(0, 12, true); // misaligned
  t.false(r.read(pkt));
  t.is(r.stats.badIndex, 2);
  t.is(r.write(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8), 'corrupt');
});

test('a hostile packet length beyond what was written is refused and the ring skipped, without looping', (t) => {
  const r = ring();
  r.write(VM_PKT.DATA_INBAND, 0, 1, new Uint8Array(8), 0, 8);
  r.write(VM_PKT.DATA_INBAND, 0, 2, new Uint8Array(8), 0, 8);
  const data = new DataView(r.header.buffer, 4096);
  data.setUint16(4, 500, true); // len8 of the first packet: 4000 bytes
  const pkt = new VmbusPacket(r.dataSize);
  t.false(r.read(pkt));
  t.is(r.stats.badPacket, 1);
  t.is(r.stats.bytesDiscarded, 64);
  t.is(r.readIndex, r.writeIndex);
  t.false(r.read(pkt));
  r.write(VM_PKT.DATA_INBAND, 0, 3, new Uint8Array(8), 0, 8);
  data.setUint16(r.readIndex + 2, 0, true); // offset8 = 0: header inside the descriptor
  t.false(r.read(pkt));
  t.is(r.stats.badPacket, 2);
});

test('signals follow ring_buffer.c: only when the ring was empty and the mask is clear', (t) => {
  const scheduler = new VirtualScheduler();
  const ch = new VmbusChannel({ scheduler, ringPages: 4 });
  const seen: number[] = [];
  const pkt = new VmbusPacket(ch.host.rx.dataSize);
  ch.host.onSignal = (ep) => {
    ep.beginRead();
    do while (ep.receive(pkt)) seen.push(pkt.transId);
    while (ep.endRead());
  };
  const m = new Uint8Array(16);
  ch.guest.send(VM_PKT.DATA_INBAND, 0, 1, m, 0, 16);
  ch.guest.send(VM_PKT.DATA_INBAND, 0, 2, m, 0, 16);
  t.is(ch.guest.signalsSent, 1);
  scheduler.runUntilIdle();
  t.deepEqual(seen, [1, 2]);
  ch.host.rx.interruptMask = 1; // the host is polling
  ch.guest.send(VM_PKT.DATA_INBAND, 0, 3, m, 0, 16);
  t.is(ch.guest.signalsSent, 1);
});

test('the guest endpoint handles signals on the guest scheduler, the host endpoint on the channel scheduler', (t) => {
  const host = new VirtualScheduler();
  const guest = new VirtualScheduler(); // a guest clock that does not advance: its VM is stopped
  const ch = new VmbusChannel({ scheduler: host, guestScheduler: guest, ringPages: 4 });
  const sub = ch.offerSubchannel();
  const got: string[] = [];
  const pkt = new VmbusPacket(ch.host.rx.dataSize);
  for (const c of [ch, sub]) {
    c.host.onSignal = (ep) => {
      while (ep.receive(pkt)) got.push(`host ${c.subchannelIndex}:${pkt.transId}`);
    };
    c.guest.onSignal = (ep) => {
      while (ep.receive(pkt)) got.push(`guest ${c.subchannelIndex}:${pkt.transId}`);
    };
  }
  const m = new Uint8Array(16);
  for (const c of [ch, sub]) {
    c.guest.send(VM_PKT.DATA_INBAND, 0, 1, m, 0, 16);
    c.host.send(VM_PKT.DATA_INBAND, 0, 2, m, 0, 16);
  }
  host.runUntilIdle();
  t.deepEqual(got, ['host 0:1', 'host 1:1']);
  t.is(guest.pending, 2); // the subchannel inherits the guest scheduler
  guest.runUntilIdle();
  t.deepEqual(got, ['host 0:1', 'host 1:1', 'guest 0:2', 'guest 1:2']);
});

test('a rescinded channel refuses sends and closes its subchannels', (t) => {
  const scheduler = new VirtualScheduler();
  const ch = new VmbusChannel({ scheduler, ringPages: 4 });
  const sub = ch.offerSubchannel();
  t.is(sub.subchannelIndex, 1);
  t.is(ch.all.length, 2);
  let gone = 0;
  ch.rescind$.subscribe(() => gone++);
  ch.rescind();
  t.is(gone, 1);
  t.is(ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8), 'closed');
  t.true(sub.isRescinded);
  t.throws(() => ch.offerSubchannel(), { code: 'ERR_STATE' });
});

test('a ring layout outside its buffer is refused', (t) => {
  t.throws(() => new VmbusRingBuffer(new ArrayBuffer(8192), 4096, 8192), {
    code: 'ERR_INVALID_ARGUMENT',
  });
  t.throws(() => new VmbusChannel({ scheduler: new VirtualScheduler(), ringPages: 1 }), {
    code: 'ERR_INVALID_ARGUMENT',
  });
});
