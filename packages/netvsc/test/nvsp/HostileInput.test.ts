import test from 'ava';
import {
  MacAddress,
  PacketPool,
  SeededRandom,
  VirtualScheduler,
  isBypassError,
} from '@bypass/core';
import {
  NVSP_MSG,
  NetvspHost,
  NvspClient,
  RNDIS_MSG,
  RndisPacket,
  RndisPacketInfo,
  VM_PKT,
  VmbusChannel,
  VmbusPacket,
  VmbusRingBuffer,
  decodeNvsp,
  decodeRndis,
} from '../../src/kernel/exports.js';

const ROUNDS = 3000;

function noise(rng: SeededRandom, max: number, firstWord?: number): Uint8Array {
  const b = new Uint8Array(rng.int(max + 1));
  for (let i = 0; i < b.length; i++) b[i] = rng.int(256);
  if (firstWord !== undefined && b.length >= 4)
    new DataView(b.buffer).setUint32(0, firstWord, true);
  return b;
}

test('random bytes never crash the NVSP and RNDIS decoders: a message or ERR_PARSE', (t) => {
  const rng = new SeededRandom('hostile-codecs');
  const types = Object.values(NVSP_MSG) as number[];
  const kinds = Object.values(RNDIS_MSG) as number[];
  const info = new RndisPacketInfo();
  let decoded = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const n = noise(rng, 64, rng.pick(types));
    try {
      decodeNvsp(n, 0, n.length, rng.bool());
      decoded++;
    } catch (err) {
      if (!isBypassError(err, 'ERR_PARSE')) throw err;
    }
    const r = noise(rng, 96, rng.pick(kinds));
    if (r.length >= 8) new DataView(r.buffer).setUint32(4, rng.int(r.length + 8), true);
    try {
      decodeRndis(r, 0, r.length);
      decoded++;
    } catch (err) {
      if (!isBypassError(err, 'ERR_PARSE')) throw err;
    }
    const p = noise(rng, 128, RNDIS_MSG.PACKET);
    if (RndisPacket.parse(p, 0, p.length, info)) {
      t.true(info.dataOffset + info.dataLength <= p.length);
      decoded++;
    }
  }
  t.true(decoded > 0);
});

test('random ring headers and contents never make a reader throw, loop or read past the ring', (t) => {
  const rng = new SeededRandom('hostile-ring');
  const mem = new ArrayBuffer(VmbusRingBuffer.bytesFor(2));
  const ring = new VmbusRingBuffer(mem, 0, mem.byteLength);
  const pkt = new VmbusPacket(ring.dataSize);
  const bytes = new Uint8Array(mem);
  let reads = 0;
  for (let i = 0; i < ROUNDS; i++) {
    ring.init();
    for (let k = 0; k < 8; k++) bytes[4096 + rng.int(4096)] = rng.int(256);
    const w = rng.bool(0.7) ? rng.int(512) * 8 : rng.nextUint32();
    const r = rng.bool(0.7) ? rng.int(512) * 8 : rng.nextUint32();
    ring.header.setUint32(0, w, true);
    ring.header.setUint32(4, r, true);
    for (let k = 0; k < 600 && ring.read(pkt); k++) {
      reads++;
      t.true(pkt.length <= ring.dataSize);
    }
    t.true(ring.bytesToRead() <= ring.dataSize);
  }
  t.true(reads > 0);
  t.true(ring.stats.badIndex > 0 && ring.stats.badPacket > 0);
});

test('a hostile host flooding the guest driver with random messages is counted, never trusted', (t) => {
  const rng = new SeededRandom('hostile-host');
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 1024 });
  const ch = new VmbusChannel({ scheduler, ringPages: 8 });
  const host = new NetvspHost({
    channel: ch,
    pool,
    scheduler,
    mac: MacAddress.parse('00:15:5d:00:00:01'),
  });
  const client = new NvspClient({ channel: ch, pool, scheduler });
  client.connect({ mtu: 1500, channels: 1 }, () => {});
  scheduler.runUntilIdle();
  t.true(client.version > 0);
  let frames = 0;
  client.handlers.onFrames = (pkts, s, n) => {
    frames += n;
    pool.freeBurst(pkts, s, n);
  };
  const types = Object.values(NVSP_MSG) as number[];
  for (let i = 0; i < 2000; i++) {
    const b = noise(rng, 160, rng.pick(types));
    if (b.length >= 8 && rng.bool()) new DataView(b.buffer).setUint32(4, rng.int(2), true);
    if (b.length >= 48 && rng.bool())
      new DataView(b.buffer).setUint32(40, rng.pick([1, 7, 0x80000004]), true);
    ch.host.send(
      rng.pick([VM_PKT.DATA_INBAND, VM_PKT.COMP, rng.int(14)]),
      rng.int(2),
      rng.int(64),
      b,
      0,
      b.length,
    );
    if (i % 20 === 0) scheduler.runUntilIdle();
  }
  scheduler.runUntilIdle();
  const s = client.stats;
  t.true(s.malformed > 0);
  t.true(s.unknownCompletions + s.ignored > 0);
  t.is(pool.inUse, 0);
  t.true(frames >= 0);
  void host;
});
