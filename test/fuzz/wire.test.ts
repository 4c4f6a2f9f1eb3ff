/**
 * Fuzz targets: messages a peer writes (NVSP, RNDIS control messages, RNDIS data packets) and
 * the Ethernet/VLAN helpers on arbitrary frames.
 */
import { ETH_HLEN, ETH_P, Ethernet, PacketPool } from '@bypass/core';
import {
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  RNDIS_MSG,
  RNDIS_OID,
  RNDIS_PACKET_HEADER_SIZE,
  RNDIS_STATUS,
  RndisPacket,
  RndisPacketInfo,
  decodeNvsp,
  decodeRndis,
  encodeNvsp,
  encodeRndis,
  rndisLength,
  type NvspMessage,
  type RndisMessage,
} from '@bypass/netvsc';
import fc from 'fast-check';
import {
  applyByteOps,
  boundaries32,
  byteOps,
  expect,
  fromHex,
  fuzzTarget,
  refusedOrOk,
  toHex,
  type Executions,
  type FuzzTarget,
} from './harness.js';

/** A buffer and the range the parser is told to read. */
interface Span {
  readonly bytes: Uint8Array;
  readonly off: number;
  readonly len: number;
}

/** Offsets and lengths a caller may pass: inside, at the edges, just outside, absurd. */
function rangeOf(n: number): fc.Arbitrary<{ off: number; len: number }> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({ off: 0, len: n }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.nat({ max: n }), fc.nat({ max: n }))
        .map(([a, b]) => ({ off: Math.min(a, b), len: Math.max(a, b) - Math.min(a, b) })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        off: fc.constantFrom(0, 1, n, n + 1, -1, 0.5, 2 ** 31, 2 ** 32 - 1),
        len: fc.constantFrom(0, 1, n - 1, n, n + 1, -1, 2 ** 31, 2 ** 32 - 1),
      }),
    },
  );
}

/** Arbitrary bytes, or mutations of `valid` encodings (with `fields` as the field offsets). */
function spans(
  valid: readonly Uint8Array[],
  fields: readonly number[],
  values: readonly number[],
  maxLength = 256,
): fc.Arbitrary<Span> {
  const bytes = fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }) },
    { weight: 1, arbitrary: fc.constantFrom(...valid) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), byteOps(fields, values))
        .map(([b, ops]) => applyByteOps(b, ops)),
    },
  );
  return bytes.chain((b) => rangeOf(b.length).map(({ off, len }) => ({ bytes: b, off, len })));
}

function spanTarget(
  name: string,
  cases: number,
  arbitrary: fc.Arbitrary<Span>,
  check: (s: Span, exec: Executions) => void,
): FuzzTarget<Span> {
  return {
    name,
    cases,
    arbitrary,
    check,
    toJson: (s) => ({ hex: toHex(s.bytes), off: s.off, len: s.len }),
    fromJson: (j) => {
      const o = j as { hex: string; off: number; len: number };
      return { bytes: fromHex(o.hex), off: o.off, len: o.len };
    },
  };
}

function u32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0
  );
}

// ------------------------------------------------------------------ NVSP

const NVSP_VALID: NvspMessage[] = [
  { type: NVSP_MSG.INIT, minVersion: 0x2, maxVersion: 0x6000a },
  { type: NVSP_MSG.INIT_COMPLETE, version: 0x6000a, maxMdlChainLength: 0, status: 1 },
  { type: NVSP_MSG.SEND_NDIS_VER, ndisMajor: 6, ndisMinor: 30 },
  { type: NVSP_MSG.SEND_RECV_BUF, gpadl: 7, id: 0xcafe },
  {
    type: NVSP_MSG.SEND_RECV_BUF_COMPLETE,
    status: 1,
    sectionOffset: 0,
    subAllocSize: 1728,
    numSubAllocs: 9102,
    endOffset: 16 * 1024 * 1024,
  },
  { type: NVSP_MSG.REVOKE_RECV_BUF, id: 0xcafe },
  { type: NVSP_MSG.SEND_SEND_BUF_COMPLETE, status: 1, sectionSize: 6144 },
  { type: NVSP_MSG.SEND_RNDIS_PKT, channelType: 0, sectionIndex: 0xffffffff, sectionSize: 0 },
  { type: NVSP_MSG.SEND_RNDIS_PKT_COMPLETE, status: 1 },
  { type: NVSP_MSG.SEND_NDIS_CONFIG, mtu: 1500, capabilities: 0x21 },
  { type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: true, serial: 3 },
  { type: NVSP_MSG.SWITCH_DATA_PATH, datapath: 1 },
  { type: NVSP_MSG.SUBCHANNEL, op: 1, count: 7 },
];
const NVSP_BYTES = NVSP_VALID.map((m) => {
  const out = new Uint8Array(NVSP_MESSAGE_SIZE);
  return out.subarray(0, Math.max(encodeNvsp(m, out, 0), 4));
});

fuzzTarget(
  spanTarget(
    'nvsp-decode',
    500,
    spans(
      NVSP_BYTES,
      [0, 4, 8, 12, 16, 20, 24],
      [...boundaries32(40), ...Object.values(NVSP_MSG)],
      64,
    ),
    (s, exec) => {
      for (const completion of [false, true]) {
        refusedOrOk(() => {
          exec.tick();
          const m = decodeNvsp(s.bytes, s.off, s.len, completion);
          expect(m.type === u32(s.bytes, s.off), `type ${m.type} is not the header's`);
          for (const [k, v] of Object.entries(m)) {
            expect(
              typeof v === 'boolean' || (Number.isInteger(v) && v >= 0 && v <= 0xffffffff),
              `field ${k} = ${String(v)}`,
            );
          }
        }, exec);
      }
    },
  ),
);

// ------------------------------------------------------------------ RNDIS control

const RNDIS_VALID: RndisMessage[] = [
  { kind: RNDIS_MSG.INIT, requestId: 1, major: 1, minor: 0, maxTransferSize: 0x4000 },
  {
    kind: RNDIS_MSG.INIT_C,
    requestId: 1,
    status: RNDIS_STATUS.SUCCESS,
    major: 1,
    minor: 0,
    deviceFlags: 1,
    medium: 0,
    maxPacketsPerMessage: 8,
    maxTransferSize: 0x4000,
    packetAlignment: 3,
  },
  { kind: RNDIS_MSG.HALT, requestId: 2 },
  { kind: RNDIS_MSG.KEEPALIVE, requestId: 3 },
  {
    kind: RNDIS_MSG.QUERY,
    requestId: 4,
    oid: RNDIS_OID.MAXIMUM_FRAME_SIZE,
    info: new Uint8Array(0),
  },
  {
    kind: RNDIS_MSG.SET,
    requestId: 5,
    oid: RNDIS_OID.CURRENT_PACKET_FILTER,
    info: Uint8Array.of(0x0b, 0, 0, 0),
  },
  {
    kind: RNDIS_MSG.QUERY_C,
    requestId: 4,
    status: RNDIS_STATUS.SUCCESS,
    info: Uint8Array.of(0xdc, 5, 0, 0, 1, 2),
  },
  { kind: RNDIS_MSG.SET_C, requestId: 5, status: RNDIS_STATUS.SUCCESS },
  { kind: RNDIS_MSG.KEEPALIVE_C, requestId: 3, status: RNDIS_STATUS.SUCCESS },
  { kind: RNDIS_MSG.RESET },
  { kind: RNDIS_MSG.RESET_C, status: RNDIS_STATUS.SUCCESS, addressingReset: 1 },
  {
    kind: RNDIS_MSG.INDICATE,
    status: RNDIS_STATUS.MEDIA_CONNECT,
    buffer: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
  },
];
const RNDIS_BYTES = RNDIS_VALID.map((m) => {
  const out = new Uint8Array(rndisLength(m));
  encodeRndis(m, out, 0);
  return out;
});

fuzzTarget(
  spanTarget(
    'rndis-decode',
    500,
    spans(
      RNDIS_BYTES,
      [0, 4, 8, 12, 16, 20, 24, 28],
      [...boundaries32(8, 16, 24, 28, 64), ...Object.values(RNDIS_MSG)],
      128,
    ),
    (s, exec) => {
      refusedOrOk(() => {
        exec.tick();
        const m = decodeRndis(s.bytes, s.off, s.len);
        expect(m.kind === u32(s.bytes, s.off), `kind ${m.kind} is not the header's`);
        const msgLen = u32(s.bytes, s.off + 4);
        const buf = 'info' in m ? m.info : 'buffer' in m ? m.buffer : null;
        if (buf !== null)
          expect(buf.length <= msgLen - 8, `buffer of ${buf.length} > msg_len ${msgLen}`);
      }, exec);
    },
  ),
);

// ------------------------------------------------------------------ RNDIS data packets

const RNDIS_PACKETS = [
  [-1, 0],
  [-1, 60],
  [0x0064, 60],
  [0xe00a, 1514],
  [0, 0],
].map(([tci, frame]) => {
  const t = tci as number;
  const f = frame as number;
  const out = new Uint8Array(RndisPacket.headerLength(t) + f);
  RndisPacket.writeHeader(out, 0, f, t);
  for (let i = RndisPacket.headerLength(t); i < out.length; i++) out[i] = i & 0xff;
  return out;
});

fuzzTarget(
  spanTarget(
    'rndis-packet-parse',
    500,
    spans(
      RNDIS_PACKETS,
      [0, 4, 8, 12, 28, 32, 44, 48, 52, 56],
      [...boundaries32(8, 12, 16, 36, 44, 60, 1574), RNDIS_MSG.PACKET],
      1600,
    ),
    (s, exec) => {
      const info = new RndisPacketInfo();
      refusedOrOk(() => {
        exec.tick();
        const ok = RndisPacket.parse(s.bytes, s.off, s.len, info);
        if (!ok) {
          expect(info.error.length > 0, 'refused without a reason');
          exec.note(`drop: ${info.error}`);
          return;
        }
        expect(info.error === '', `accepted with error ${info.error}`);
        expect(
          info.dataOffset >= s.off + RNDIS_PACKET_HEADER_SIZE &&
            info.dataLength >= 0 &&
            info.dataOffset + info.dataLength <= s.off + s.len,
          `frame ${info.dataOffset}+${info.dataLength} outside ${s.off}+${s.len}`,
        );
        expect(info.vlanTci >= -1 && info.vlanTci <= 0xffff, `vlan ${info.vlanTci}`);
      }, exec);
    },
  ),
);

// ------------------------------------------------------------------ Ethernet

const SLOT = 256;
const HEADROOM = 32;
type EthOp = { fn: number; arg: number };

interface FrameCase {
  /** Frame bytes (the frame's length is their length). */
  readonly bytes: Uint8Array;
  /** Headroom used before the frame: start = slot base + shift. */
  readonly shift: number;
  readonly ops: readonly EthOp[];
}

const VALID_FRAMES: Uint8Array[] = [
  // untagged IPv4, tagged IPv4, QinQ-like double tag, ARP
  Uint8Array.from([...Array(12).fill(0xff), 0x08, 0x00, ...Array(46).fill(0)]),
  Uint8Array.from([
    1,
    0,
    0x5e,
    0,
    0,
    1,
    2,
    0,
    0,
    0,
    0,
    1,
    0x81,
    0,
    0,
    100,
    0x08,
    0,
    ...Array(46).fill(0),
  ]),
  Uint8Array.from([
    0, 0x15, 0x5d, 0, 0, 1, 0, 0x15, 0x5d, 0, 0, 2, 0x81, 0, 0xff, 0xff, 0x81, 0, 0, 5,
  ]),
  Uint8Array.from([...Array(12).fill(0), 0x81, 0x00]),
  Uint8Array.from([...Array(12).fill(0), 0x08, 0x06]),
];

const frameCases: fc.Arbitrary<FrameCase> = fc.record({
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: SLOT - HEADROOM }),
    fc.constantFrom(...VALID_FRAMES),
    fc
      .tuple(
        fc.constantFrom(...VALID_FRAMES),
        byteOps([12, 14, 16], [ETH_P.VLAN, 0x0081, 0xffff, 0, 0x88a8]),
      )
      .map(([b, ops]) => applyByteOps(b, ops).subarray(0, SLOT - HEADROOM)),
  ),
  shift: fc.constantFrom(0, 1, 2, 3, 4, 5, HEADROOM - 4, HEADROOM),
  ops: fc.array(
    fc.record({
      fn: fc.nat({ max: 13 }),
      arg: fc.oneof(
        fc.constantFrom(
          0,
          1,
          0xfff,
          0xffff,
          0x10000,
          -1,
          2 ** 48 - 1,
          2 ** 32 - 1,
          2 ** 31,
          46,
          1000,
        ),
        fc.integer(),
      ),
    }),
    { minLength: 1, maxLength: 8 },
  ),
});

const FILL = 0xa5;

const ethernetTarget: FuzzTarget<FrameCase> = {
  name: 'ethernet',
  cases: 500,
  arbitrary: frameCases,
  check: (c, exec) => {
    const pool = new PacketPool({ slots: 3, slotSize: SLOT, headroom: HEADROOM });
    pool.bytes.fill(FILL);
    const h0 = pool.alloc();
    const h = pool.alloc();
    const h2 = pool.alloc();
    expect(h0 === 0 && h === 1 && h2 === 2, 'pool handed out unexpected handles');
    const room = Math.min(c.bytes.length, SLOT - c.shift);
    const s0 = SLOT + c.shift;
    pool.start[h] = s0;
    pool.length[h] = room;
    pool.bytes.set(c.bytes.subarray(0, room), s0);
    for (const op of c.ops) {
      exec.tick();
      const r = refusedOrOk(() => runOp(pool, h, op), exec);
      const start = pool.start[h] as number;
      const len = pool.length[h] as number;
      expect(start >= SLOT && start + len <= 2 * SLOT, `frame ${start}+${len} left its slot`);
      void r;
    }
    for (let i = 0; i < SLOT; i++) {
      expect(
        pool.bytes[i] === FILL && pool.bytes[2 * SLOT + i] === FILL,
        `byte ${i} of a neighbour slot written`,
      );
    }
  },
  toJson: (c) => ({ hex: toHex(c.bytes), shift: c.shift, ops: c.ops }),
  fromJson: (j) => {
    const o = j as { hex: string; shift: number; ops: EthOp[] };
    return { bytes: fromHex(o.hex), shift: o.shift, ops: o.ops };
  },
};

function runOp(pool: PacketPool, h: number, { fn, arg }: EthOp): void {
  const len = pool.length[h] as number;
  const hdr = len >= ETH_HLEN;
  const inMac = (v: number) => v === -1 || (Number.isSafeInteger(v) && v >= 0 && v < 2 ** 48);
  const in16 = (v: number) => v === -1 || (Number.isInteger(v) && v >= 0 && v <= 0xffff);
  switch (fn) {
    case 0:
      expect(inMac(Ethernet.dst(pool, h)) && (Ethernet.dst(pool, h) === -1) === !hdr, 'dst');
      break;
    case 1:
      expect(inMac(Ethernet.src(pool, h)) && (Ethernet.src(pool, h) === -1) === !hdr, 'src');
      break;
    case 2:
      expect(Ethernet.setDst(pool, h, Math.abs(arg) % 2 ** 48) === hdr, 'setDst');
      break;
    case 3:
      expect(Ethernet.setSrc(pool, h, Math.abs(arg) % 2 ** 48) === hdr, 'setSrc');
      break;
    case 4:
      expect(in16(Ethernet.ethertype(pool, h)), 'ethertype');
      break;
    case 5:
      expect(in16(Ethernet.innerEthertype(pool, h)), 'innerEthertype');
      break;
    case 6: {
      const tag = Ethernet.hasVlanTag(pool, h);
      expect(!tag || len >= ETH_HLEN + 4, 'hasVlanTag on a short frame');
      expect(in16(Ethernet.vlanTci(pool, h)) && Ethernet.vlanTci(pool, h) >= 0 === tag, 'vlanTci');
      break;
    }
    case 7:
      Ethernet.setVlanTci(pool, h, arg & 0xffff);
      break;
    case 8: {
      const ok = Ethernet.insertVlan(pool, h, arg & 0xffff);
      if (ok)
        expect(
          pool.length[h] === len + 4 && Ethernet.ethertype(pool, h) === ETH_P.VLAN,
          'insertVlan',
        );
      else expect(pool.length[h] === len, 'insertVlan refused but changed the length');
      break;
    }
    case 9: {
      const ok = Ethernet.stripVlan(pool, h);
      if (ok) expect(pool.length[h] === len - 4, 'stripVlan length');
      else expect(pool.length[h] === len, 'stripVlan refused but changed the length');
      break;
    }
    case 10: {
      const c = Ethernet.classify(pool, h);
      expect(c === -1 ? !hdr : hdr && c >= 0 && c <= 2, `classify ${c}`);
      break;
    }
    case 11:
      exec11(pool, h, arg);
      break;
    case 12:
      Ethernet.writeGratuitousArp(pool, h, Math.abs(arg) % 2 ** 48, arg >>> 0);
      expect(Ethernet.ethertype(pool, h) === ETH_P.ARP, 'gratuitous ARP ethertype');
      break;
    default:
      pool.setLength(h, arg);
  }
}

function exec11(pool: PacketPool, h: number, arg: number): void {
  const off = Ethernet.buildFrame(pool, h, 0xffffffffffff, 0x00155d000001, ETH_P.IPV4, arg);
  expect(off === (pool.start[h] as number) + ETH_HLEN, 'buildFrame offset');
}

fuzzTarget(ethernetTarget);
