import test from 'ava';
import fc from 'fast-check';
import { isBypassError, PacketPool } from '@bypass/core';
import { FLOW_FRAME, FLOW_MAGIC } from '../../src/traffic/FlowFrame.js';
import type { FlowCast, FlowFrameSpec } from '../../src/traffic/FlowFrame.js';
import { FlowAddress } from '../../src/traffic/FlowFrameAddress.js';
import { FlowFrameReader } from '../../src/traffic/FlowFrameReader.js';
import { FlowFrameWriter } from '../../src/traffic/FlowFrameWriter.js';

const SRC_MAC = 0x0200_0000_0001;
const DST_MAC = 0x5254_0000_0001;

function spec(cast: FlowCast, size: number, flow = 3): FlowFrameSpec {
  return {
    flow,
    size,
    cast,
    srcMac: SRC_MAC,
    dstMac: cast === 'unicast' ? DST_MAC : undefined,
    srcIp: FlowAddress.endpointIpv4(0),
    dstIp: cast === 'unicast' ? FlowAddress.endpointIpv4(1) : undefined,
  };
}

function frame(pool: PacketPool, h: number): Uint8Array {
  const o = pool.start[h]!;
  return pool.bytes.slice(o, o + pool.length[h]!);
}

const be16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const be32 = (b: Uint8Array, o: number): number =>
  b[o]! * 0x100_0000 + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const mac = (b: Uint8Array, o: number): number => be16(b, o) * 0x1_0000_0000 + be32(b, o + 2);

/** RFC 1071 checksum written from scratch for the test: byte array, plain loop, odd padding. */
function checksum(words: number[]): number {
  let sum = 0;
  for (let i = 0; i < words.length; i += 2) sum += (words[i]! << 8) + (words[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function ipChecksumOk(b: Uint8Array): boolean {
  const hdr = [...b.subarray(14, 34)];
  const sent = be16(b, 24);
  hdr[10] = 0;
  hdr[11] = 0;
  return checksum(hdr) === sent;
}

function udpChecksumOk(b: Uint8Array): boolean {
  const udpLen = be16(b, 38);
  const pseudo = [...b.subarray(26, 34), 0, 17, udpLen >> 8, udpLen & 0xff];
  const udp = [...b.subarray(34, 34 + udpLen)];
  const sent = be16(b, 40);
  udp[6] = 0;
  udp[7] = 0;
  const c = checksum([...pseudo, ...udp]);
  return sent === (c === 0 ? 0xffff : c);
}

for (const cast of ['unicast', 'multicast', 'broadcast'] as const) {
  for (const size of [60, 64, 65, 128, 1514]) {
    test(`${cast} ${size}-byte frames: lengths, addresses and checksums`, (t) => {
      const pool = new PacketPool({ slots: 8 });
      const w = new FlowFrameWriter(spec(cast, size));
      const pkts = new Int32Array(8);
      t.is(pool.allocBurst(pkts, 0, 5), 5);
      // Sequence numbers across the 16-bit and 32-bit wraps; times across a second.
      w.writeBurst(pool, pkts, 1, 4, 0xffff_fffe, 999_999_500, 250);
      for (let i = 1; i < 5; i++) {
        const h = pkts[i]!;
        const b = frame(pool, h);
        const seq = (0xffff_fffe + i - 1) % 0x1_0000_0000;
        const timeNs = 999_999_500 + (i - 1) * 250;
        t.is(b.length, size);
        const wantDst =
          cast === 'unicast'
            ? DST_MAC
            : cast === 'broadcast'
              ? 0xffff_ffff_ffff
              : 0x0100_5e00_0000 + (FlowAddress.multicastGroupIpv4(3) & 0x7f_ffff);
        t.is(mac(b, 0), wantDst);
        t.is(mac(b, 6), SRC_MAC);
        t.is(be16(b, 12), 0x0800);
        t.is(b[14], 0x45);
        t.is(be16(b, 16), size - 14, 'IPv4 total length');
        t.is(be16(b, 18), seq & 0xffff, 'IPv4 id');
        t.is(be16(b, 20), 0x4000, 'DF, no fragment');
        t.is(b[22], 64);
        t.is(b[23], 17);
        t.is(be32(b, 26), 0x0a00_0001);
        const wantDstIp =
          cast === 'unicast' ? 0x0a00_0002 : cast === 'broadcast' ? 0xffff_ffff : 0xef01_0003;
        t.is(be32(b, 30), wantDstIp);
        t.is(be16(b, 34), 49152 + 3);
        t.is(be16(b, 36), 5003);
        t.is(be16(b, 38), size - 34, 'UDP length');
        t.true(ipChecksumOk(b), 'IPv4 header checksum');
        t.true(udpChecksumOk(b), 'UDP checksum');
        t.is(be32(b, 42), FLOW_MAGIC);
        t.is(be32(b, 46), 3);
        t.is(be32(b, 50), seq);
        t.is(be32(b, 54), Math.floor(timeNs / 1000));
        for (let k = 58; k < size; k++) if (b[k] !== (k & 0xff)) t.fail(`filler byte ${k}`);
        t.true(FlowFrameReader.verifyChecksums(pool, h));
        t.is(FlowFrameReader.flow(pool, h), 3);
        t.is(FlowFrameReader.seq(pool, h), seq);
        t.is(FlowFrameReader.sendTimeUs(pool, h), Math.floor(timeNs / 1000));
        t.is(pool.mark[h], 3 + 1, 'flow index + 1: 0 is no flow');
        t.is(pool.timestamp[h], timeNs);
      }
      t.is(pool.length[pkts[0]!], 0, 'slots outside the burst are untouched');
    });
  }
}

/** A random frame's cast, size, flow id, sequence number and send time (ns). */
const RANDOM_FRAME = [
  fc.constantFrom<FlowCast>('unicast', 'multicast', 'broadcast'),
  fc.integer({ min: 60, max: 1514 }),
  fc.integer({ min: 0, max: 0x7fff_ffff }),
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.integer({ min: 0, max: 2 ** 52 }),
] as const;

test('checksums hold for random flows, sizes, sequence numbers and times', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  fc.assert(
    fc.property(
      ...RANDOM_FRAME,
      fc.integer({ min: 0, max: 65533 }),
      (cast, size, flow, seq, timeNs, ep) => {
        const s = { ...spec(cast, size, flow), srcIp: FlowAddress.endpointIpv4(ep) };
        new FlowFrameWriter(s).write(pool, h, seq, timeNs);
        const b = frame(pool, h);
        const p = FlowFrameReader.headerOffset(pool, h);
        return (
          ipChecksumOk(b) &&
          udpChecksumOk(b) &&
          FlowFrameReader.verifyChecksums(pool, h) &&
          p === pool.start[h]! + 42 &&
          FlowFrameReader.flowAt(pool.bytes, p) === flow &&
          FlowFrameReader.seqAt(pool.bytes, p) === seq &&
          FlowFrameReader.sendTimeUsAt(pool.bytes, p) === Math.floor(timeNs / 1000) % 2 ** 32
        );
      },
    ),
  );
  t.pass();
});

test('writeRun writes the same bytes through the head words as through the template and field stores', (t) => {
  // Headroom 128: 4-aligned slots, the fields merged into the head's words (little-endian) or
  // stored over them; headroom 130: the template copy and the field stores, on any platform.
  const aligned = new PacketPool({ slots: 8, headroom: 128 });
  const unaligned = new PacketPool({ slots: 8, headroom: 130 });
  const a = new Int32Array(8);
  const u = new Int32Array(8);
  aligned.allocBurst(a, 0, 8);
  unaligned.allocBurst(u, 0, 8);
  fc.assert(
    fc.property(
      ...RANDOM_FRAME,
      fc.integer({ min: 1, max: 8 }),
      (cast, size, flow, seq, timeNs, count) => {
        const w = new FlowFrameWriter(spec(cast, size, flow));
        w.writeRun(aligned, a, count, seq, timeNs);
        w.writeRun(unaligned, u, count, seq, timeNs);
        for (let i = 0; i < count; i++) {
          const x = frame(aligned, a[i]!);
          const y = frame(unaligned, u[i]!);
          if (x.length !== size || Buffer.compare(x, y) !== 0) return false;
          if (aligned.mark[a[i]!] !== flow + 1 || aligned.timestamp[a[i]!] !== timeNs) return false;
        }
        return true;
      },
    ),
  );
  t.pass();
});

test('setSrcMac and setDstMac readdress later frames: the same bytes as a writer built with the new addresses', (t) => {
  const pools = [128, 130].map((headroom) => new PacketPool({ slots: 4, headroom }));
  const handles = pools.map((pool) => {
    const pkts = new Int32Array(4);
    pool.allocBurst(pkts, 0, 4);
    return pkts;
  });
  const unicastMac = fc
    .integer({ min: 0, max: 0xffff_ffff_ffff })
    .map((m) => m - (Math.floor(m / 2 ** 40) % 2) * 2 ** 40);
  fc.assert(
    fc.property(
      ...RANDOM_FRAME,
      unicastMac,
      unicastMac,
      (cast, size, flow, seq, timeNs, src, dst) => {
        const moved = new FlowFrameWriter(spec(cast, size, flow));
        moved.setSrcMac(src);
        if (cast === 'unicast') moved.setDstMac(dst);
        const built = new FlowFrameWriter({
          ...spec(cast, size, flow),
          srcMac: src,
          ...(cast === 'unicast' ? { dstMac: dst } : {}),
        });
        if (moved.srcMac !== src || moved.dstMac !== built.dstMac) return false;
        for (let k = 0; k < pools.length; k++) {
          const pool = pools[k]!;
          const pkts = handles[k]!;
          moved.writeRun(pool, pkts, 2, seq, timeNs);
          built.writeRun(pool, pkts.subarray(2), 2, seq, timeNs);
          for (let i = 0; i < 2; i++) {
            const x = frame(pool, pkts[i]!);
            if (Buffer.compare(x, frame(pool, pkts[i + 2]!)) !== 0) return false;
            if (mac(x, 6) !== src || !ipChecksumOk(x) || !udpChecksumOk(x)) return false;
          }
        }
        return true;
      },
    ),
  );
  t.pass();
});

test('readdressing refuses group addresses, values out of range, and a destination for a group flow', (t) => {
  const w = new FlowFrameWriter(spec('unicast', 64));
  const m = new FlowFrameWriter(spec('multicast', 64));
  const refused = (f: () => void, re: RegExp): void => {
    const e = t.throws(f);
    t.true(isBypassError(e) && e.code === 'ERR_INVALID_ARGUMENT');
    t.regex(e?.message ?? '', re);
  };
  refused(() => w.setSrcMac(0x0100_5e00_0001), /source MAC of a flow must be a unicast address/);
  refused(() => w.setSrcMac(2 ** 48), /source MAC must be an integer/);
  refused(() => w.setDstMac(0xffff_ffff_ffff), /dstMac of a unicast flow must be a unicast/);
  refused(() => w.setDstMac(-1), /destination MAC must be an integer/);
  refused(() => m.setDstMac(DST_MAC), /multicast flow's destination MAC follows its group/);
  t.is(w.srcMac, SRC_MAC, 'a refused address changes nothing');
  t.is(w.dstMac, DST_MAC);
});

test('a UDP checksum that computes to 0 is sent as 0xffff', (t) => {
  // Search the sequence space for a frame whose checksum folds to 0 (one in 65535).
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  const w = new FlowFrameWriter(spec('unicast', 60));
  let found = -1;
  for (let seq = 0; seq < 1 << 20 && found < 0; seq++) {
    w.write(pool, h, seq, 0);
    if (be16(frame(pool, h), 40) === 0xffff) found = seq;
  }
  t.true(found >= 0, 'some sequence number yields the 0xffff checksum');
  t.true(udpChecksumOk(frame(pool, h)));
  t.true(FlowFrameReader.verifyChecksums(pool, h));
});

test('sendTimeNs unwraps the 32-bit microsecond stamp against the receive time', (t) => {
  const sent = 5_000_123_000;
  const stamp = 5_000_123;
  t.is(FlowFrameReader.sendTimeNs(stamp, sent + 300_000_000), sent);
  const late = 2 ** 32 * 1000 * 3 + 7_000_000; // three wraps later
  const stampLate = Math.floor(late / 1000) % 2 ** 32;
  t.is(FlowFrameReader.sendTimeNs(stampLate, late + 999), late);
  t.is(FlowFrameReader.sendTimeNs(stampLate, late + 1_000_000), late);
});

test('the reader rejects frames that are not flow frames', (t) => {
  const pool = new PacketPool({ slots: 4 });
  const h = pool.alloc();
  const w = new FlowFrameWriter(spec('unicast', 100));
  const cases: [string, (b: Uint8Array, o: number) => void][] = [
    ['ARP ethertype', (b, o) => (b[o + 13] = 0x06)],
    ['IPv6 version', (b, o) => (b[o + 14] = 0x65)],
    ['IHL under 5', (b, o) => (b[o + 14] = 0x44)],
    ['TCP protocol', (b, o) => (b[o + 23] = 6)],
    ['more fragments', (b, o) => (b[o + 20] = 0x20)],
    ['fragment offset', (b, o) => (b[o + 21] = 1)],
    ['IP length past the frame', (b, o) => (b[o + 17] = 100 - 14 + 1)],
    ['IP length too short for the flow header', (b, o) => (b[o + 17] = 20 + 8 + 15)],
    ['UDP length past the IP packet', (b, o) => (b[o + 39] = 100 - 34 + 1)],
    ['UDP length too short for the flow header', (b, o) => (b[o + 39] = 8 + 15)],
    ['bad magic', (b, o) => (b[o + 45] = 0x52)],
  ];
  for (const [what, corrupt] of cases) {
    w.write(pool, h, 7, 0);
    t.is(FlowFrameReader.seq(pool, h), 7);
    corrupt(pool.bytes, pool.start[h]!);
    t.is(FlowFrameReader.headerOffset(pool, h), -1, what);
    t.is(FlowFrameReader.flow(pool, h), -1, what);
    t.is(FlowFrameReader.seq(pool, h), -1, what);
    t.is(FlowFrameReader.sendTimeUs(pool, h), -1, what);
    t.false(FlowFrameReader.isFlowFrame(pool, h), what);
  }
  w.write(pool, h, 7, 0);
  pool.setLength(h, 57); // one byte short of the flow header
  t.is(FlowFrameReader.flow(pool, h), -1);
  t.false(FlowFrameReader.verifyChecksums(pool, h));
  for (const bad of [-1, 4, 1.5, NaN, 1e9]) t.is(FlowFrameReader.flow(pool, bad), -1);
});

test('verifyChecksums catches a flipped bit in the IP header or the payload', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  const w = new FlowFrameWriter(spec('multicast', 300));
  for (const at of [22, 26, 45, 51, 57, 200, 299]) {
    w.write(pool, h, 9, 1000);
    t.true(FlowFrameReader.verifyChecksums(pool, h));
    pool.bytes[pool.start[h]! + at]! ^= 0x10;
    t.false(FlowFrameReader.verifyChecksums(pool, h), `bit flipped at ${at}`);
  }
  w.write(pool, h, 9, 1000);
  pool.bytes[pool.start[h]! + 40] = 0;
  pool.bytes[pool.start[h]! + 41] = 0;
  t.false(FlowFrameReader.verifyChecksums(pool, h), 'a missing UDP checksum is not accepted');
});

test('random bytes never make the reader throw or read outside the frame', (t) => {
  const slotSize = 256;
  const pool = new PacketPool({ slots: 3, slotSize, headroom: 0 });
  const mid = [pool.alloc(), pool.alloc(), pool.alloc()][1]!;
  const writers = [60, 61, 80, 120].map((size) => new FlowFrameWriter(spec('unicast', size)));
  // Header bytes that gate the reader, and values that are interesting there.
  const edit = fc.tuple(
    fc.oneof(fc.constantFrom(12, 13, 14, 16, 17, 20, 21, 23, 38, 39, 42), fc.nat(slotSize - 1)),
    fc.oneof(
      fc.constantFrom(0, 0x08, 0x11, 0x45, 0x46, 0x4f, 0xff),
      fc.integer({ min: 0, max: 255 }),
    ),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: slotSize }),
      fc.nat(writers.length),
      fc.array(edit, { maxLength: 8 }),
      fc.nat(slotSize),
      fc.uint8Array({ minLength: 3 * slotSize, maxLength: 3 * slotSize }),
      (data, which, edits, cut, noise) => {
        // The middle slot holds the frame; both neighbours hold noise.
        pool.bytes.set(noise);
        const o = pool.start[mid]!;
        const w = writers[which];
        if (w !== undefined) {
          w.write(pool, mid, 1, 2);
          for (const [at, v] of edits) if (at < w.size) pool.bytes[o + at] = v;
          if (cut < w.size) pool.setLength(mid, cut);
        } else {
          pool.bytes.set(data, o);
          pool.setLength(mid, data.length);
        }
        const len = pool.length[mid]!;
        const read = (): string =>
          JSON.stringify([
            FlowFrameReader.headerOffset(pool, mid),
            FlowFrameReader.flow(pool, mid),
            FlowFrameReader.seq(pool, mid),
            FlowFrameReader.sendTimeUs(pool, mid),
            FlowFrameReader.verifyChecksums(pool, mid),
          ]);
        const before = read();
        // Changing every byte outside the frame must not change any answer.
        for (let i = 0; i < pool.bytes.length; i++) {
          if (i < o || i >= o + len) pool.bytes[i] = pool.bytes[i]! ^ 0xff;
        }
        const after = read();
        const p = FlowFrameReader.headerOffset(pool, mid);
        return before === after && (p === -1 || (p >= o && p + 16 <= o + len));
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});

test('the writer refuses bad specs with typed errors', (t) => {
  const bad: [string, Partial<FlowFrameSpec>][] = [
    ['size 59', { size: 59 }],
    ['size 1515', { size: 1515 }],
    ['fractional size', { size: 64.5 }],
    ['negative flow', { flow: -1 }],
    ['group source MAC', { srcMac: 0x0100_5e00_0001 }],
    ['missing dstMac', { dstMac: undefined }],
    ['group dstMac', { dstMac: 0xffff_ffff_ffff }],
    ['MAC above 48 bits', { dstMac: 2 ** 48 }],
    ['missing dstIp', { dstIp: undefined }],
    ['IP above 32 bits', { srcIp: 2 ** 32 }],
    ['port 65536', { dstPort: 65536 }],
    ['unknown cast', { cast: 'anycast' as FlowCast }],
  ];
  for (const [what, patch] of bad) {
    const err = t.throws(() => new FlowFrameWriter({ ...spec('unicast', 64), ...patch }), {
      message: /./,
    });
    t.true(isBypassError(err, 'ERR_INVALID_ARGUMENT'), what);
  }
  const mc = t.throws(
    () => new FlowFrameWriter({ ...spec('multicast', 64), dstIp: FlowAddress.endpointIpv4(4) }),
    { message: /224\.0\.0\.0\/4/ },
  );
  t.true(isBypassError(mc, 'ERR_INVALID_ARGUMENT'));
});

test('writeBurst refuses bad ranges, times and slots with typed errors', (t) => {
  const pool = new PacketPool({ slots: 2, slotSize: 256, headroom: 128 });
  const pkts = new Int32Array([pool.alloc(), pool.alloc()]);
  const w = new FlowFrameWriter(spec('broadcast', 129));
  const calls: (() => void)[] = [
    () => w.writeBurst(pool, pkts, 1, 2, 0, 0),
    () => w.writeBurst(pool, pkts, -1, 1, 0, 0),
    () => w.writeBurst(pool, pkts, 0, 1, 0, -1),
    () => w.writeBurst(pool, pkts, 0, 1, 0, NaN),
    () => w.writeBurst(pool, pkts, 0, 1, 0, 0, Infinity),
    () => w.writeBurst(pool, pkts, 0, 1, 0, 0), // 129 bytes do not fit in 128 of room
    () => w.writeBurst(pool, new Int32Array([7]), 0, 1, 0, 0), // not a slot
  ];
  for (const call of calls) t.true(isBypassError(t.throws(call), 'ERR_INVALID_ARGUMENT'));
  const fits = new FlowFrameWriter(spec('broadcast', 128));
  fits.writeBurst(pool, pkts, 0, 2, 0, 0);
  t.is(FlowFrameReader.seq(pool, pkts[1]!), 1);
});

test('FLOW_FRAME offsets describe the layout', (t) => {
  t.is(FLOW_FRAME.FLOW_HEADER + FLOW_FRAME.FLOW_HEADER_LEN, FLOW_FRAME.FILLER);
  t.true(FLOW_FRAME.FILLER <= FLOW_FRAME.MIN_SIZE);
  t.is(FLOW_MAGIC, 0x42595053);
  t.is(String.fromCharCode(0x42, 0x59, 0x50, 0x53), 'BYPS');
});

test('markCopy sets the copy bit of the flow field and keeps the UDP checksum valid', (t) => {
  const pool = new PacketPool({ slots: 4 });
  fc.assert(
    fc.property(
      fc.constantFrom<FlowCast>('unicast', 'multicast', 'broadcast'),
      fc.integer({ min: 60, max: 1514 }),
      fc.integer({ min: 0, max: 0x7fff_ffff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      (cast, size, flow, seq) => {
        const h = pool.alloc();
        try {
          new FlowFrameWriter(spec(cast, size, flow)).write(pool, h, seq, 1_000);
          const p = FlowFrameReader.headerOffset(pool, h);
          if (FlowFrameReader.isCopyAt(pool.bytes, p)) return false;
          if (!FlowFrameReader.markCopy(pool, h)) return false;
          return (
            FlowFrameReader.isCopyAt(pool.bytes, p) &&
            FlowFrameReader.flowAt(pool.bytes, p) === flow &&
            FlowFrameReader.seqAt(pool.bytes, p) === seq &&
            FlowFrameReader.verifyChecksums(pool, h) &&
            FlowFrameReader.markCopy(pool, h) && // idempotent
            FlowFrameReader.verifyChecksums(pool, h)
          );
        } finally {
          pool.free(h);
        }
      },
    ),
    { numRuns: 300 },
  );
  const h = pool.alloc();
  pool.setLength(h, 60);
  pool.bytes.fill(0, pool.start[h] as number, (pool.start[h] as number) + 60);
  t.false(FlowFrameReader.markCopy(pool, h), 'not a flow frame: nothing changed');
  t.pass();
});
