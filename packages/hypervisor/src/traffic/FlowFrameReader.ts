import type { PacketPool } from '@bypass/core';
import { FLOW_FRAME, FLOW_MAGIC } from './FlowFrame.js';
import { fold, onesSum } from './FlowFrameChecksum.js';

const TWO_32 = 0x1_0000_0000;
const UDP_HLEN = 8;
// Module-level copies: the data-plane functions below read plain constants, not properties of
// an imported object (measured ~3x faster per frame).
const IP = FLOW_FRAME.IP;
const UDP = FLOW_FRAME.UDP;
const PROTO_UDP = FLOW_FRAME.PROTO_UDP;
const FLOW_HEADER_LEN = FLOW_FRAME.FLOW_HEADER_LEN;
const MAGIC = FLOW_MAGIC;
/** Flow indexes use 31 bits; the top bit of the field marks a flooded copy. */
const FLOW_INDEX_MASK = 0x7fff_ffff;

function u16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}

function u32(b: Uint8Array, o: number): number {
  return (
    (((b[o] as number) << 24) |
      ((b[o + 1] as number) << 16) |
      ((b[o + 2] as number) << 8) |
      (b[o + 3] as number)) >>>
    0
  );
}

/**
 * Offset in `pool.bytes` of the UDP header of frame `h` when it is an unfragmented IPv4/UDP
 * frame whose IP and UDP lengths fit in the frame and leave room for `minPayload` bytes; -1
 * otherwise. Reads only inside the frame.
 */
function udpOffsetIn(b: Uint8Array, o: number, len: number, minPayload: number): number {
  if (!(len >= UDP + UDP_HLEN + minPayload) || o < 0 || o + len > b.length) return -1;
  if (b[o + 12] !== 0x08 || b[o + 13] !== 0x00) return -1;
  const vihl = b[o + 14] as number;
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) return -1;
  const l4 = IP + ihl;
  if (l4 + UDP_HLEN + minPayload > len) return -1;
  if (b[o + 23] !== PROTO_UDP) return -1;
  // A fragment (MF set or a non-zero offset) does not carry a whole datagram.
  if ((((b[o + 20] as number) & 0x3f) | (b[o + 21] as number)) !== 0) return -1;
  const totalLength = u16(b, o + 16);
  if (totalLength < ihl + UDP_HLEN + minPayload || totalLength > len - IP) return -1;
  const udpLength = u16(b, o + l4 + 4);
  if (udpLength < UDP_HLEN + minPayload || udpLength > totalLength - ihl) return -1;
  return o + l4;
}

function headerOffsetIn(b: Uint8Array, o: number, len: number): number {
  const udp = udpOffsetIn(b, o, len, FLOW_HEADER_LEN);
  if (udp < 0) return -1;
  const p = udp + UDP_HLEN;
  return u32(b, p) === MAGIC ? p : -1;
}

/**
 * `headerOffsetIn` for a frame of the pool, with the same checks in the same order: the
 * multi-byte fields are read through the pool's DataView (one load each instead of two or four
 * byte loads; this runs for every frame a receiver counts). Both views cover the whole buffer
 * from offset 0, so offsets and the bound `o + len <= b.length` are the same.
 */
function headerOffset(pool: PacketPool, h: number): number {
  const len = pool.length[h];
  if (len === undefined) return -1;
  return headerAt(pool.view, pool.start[h] as number, len, pool.bytes.length);
}

/**
 * {@link headerOffset} of the frame at `o` of `len` bytes in a pool whose buffer (`v`) is
 * `size` bytes long: for a caller that checks a run of frames with the pool's fields in locals.
 */
function headerAt(v: DataView, o: number, len: number, size: number): number {
  if (!(len >= UDP + UDP_HLEN + FLOW_HEADER_LEN) || o < 0 || o + len > size) return -1;
  // Ethertype, version/IHL and TOS in one load; flags/fragment offset, TTL and protocol in one.
  const eth = v.getUint32(o + 12);
  if (eth >>> 16 !== 0x0800) return -1;
  const vihl = (eth >>> 8) & 0xff;
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) return -1;
  const l4 = IP + ihl;
  if (l4 + UDP_HLEN + FLOW_HEADER_LEN > len) return -1;
  const frag = v.getUint32(o + 20);
  if ((frag & 0xff) !== PROTO_UDP) return -1;
  if ((frag >>> 16) & 0x3fff) return -1;
  const totalLength = v.getUint16(o + 16);
  if (totalLength < ihl + UDP_HLEN + FLOW_HEADER_LEN || totalLength > len - IP) return -1;
  const udp = o + l4;
  const udpLength = v.getUint16(udp + 4);
  if (udpLength < UDP_HLEN + FLOW_HEADER_LEN || udpLength > totalLength - ihl) return -1;
  const p = udp + UDP_HLEN;
  return v.getUint32(p) === MAGIC ? p : -1;
}

/**
 * Reads flow frames (see {@link FLOW_FRAME}) on the data plane: no allocation, no exception,
 * and no byte read outside the frame, whatever the frame holds. A frame is a flow frame when it
 * is an untagged, unfragmented IPv4/UDP frame (IP options allowed) whose IP and UDP lengths are
 * consistent with the frame and whose UDP payload starts with {@link FLOW_MAGIC}; checksums are
 * not checked on this path (see {@link FlowFrameReader.verifyChecksums}).
 *
 * For several fields of one frame, validate once with `headerOffset` and read with the `*At`
 * functions; the per-field helpers (`flow`, `seq`, `sendTimeUs`) validate on every call.
 *
 * @example
 * ```ts
 * for (let i = start; i < start + count; i++) {
 *   const h = pkts[i]!;
 *   const p = FlowFrameReader.headerOffset(pool, h);
 *   if (p < 0) { stats.foreign++; continue; }
 *   const flow = FlowFrameReader.flowAt(pool.bytes, p);
 *   const seq = FlowFrameReader.seqAt(pool.bytes, p);
 *   const sentNs = FlowFrameReader.sendTimeNs(FlowFrameReader.sendTimeUsAt(pool.bytes, p), now);
 * }
 * ```
 */
export const FlowFrameReader = {
  /** Offset in `pool.bytes` of frame `h`'s flow header; -1 when `h` is not a flow frame. */
  headerOffset,

  /**
   * `headerOffset` of a frame given by its fields: data start `o`, length `len`, in a pool
   * whose DataView is `v` and whose buffer is `size` bytes (for a loop over a run of frames
   * that keeps the pool's arrays in locals).
   */
  headerAt,

  /**
   * Offset in `bytes` of the flow header of the frame at `bytes[offset .. offset+length)` (a
   * frame outside the pool, in a device's memory); -1 when it is not a flow frame.
   */
  headerOffsetIn,

  /** True when frame `h` is a flow frame. */
  isFlowFrame(pool: PacketPool, h: number): boolean {
    return headerOffset(pool, h) >= 0;
  },

  /** Flow index (uint32) of the flow header at `offset` (from `headerOffset`). */
  flowAt(bytes: Uint8Array, offset: number): number {
    return u32(bytes, offset + 4) & FLOW_INDEX_MASK;
  },

  /** True when the flow header at `offset` is a flooded copy's (see {@link FlowFrameReader.markCopy}). */
  isCopyAt(bytes: Uint8Array, offset: number): boolean {
    return ((bytes[offset + 4] as number) & 0x80) !== 0;
  },

  /**
   * Marks flow frame `h` as a flooded copy: the top bit of its flow field is set (flow indexes
   * are below 2^31) and the UDP checksum is updated to match (RFC 1624), so the mark survives
   * devices that copy the bytes but not the pool's tags, and the frame stays valid on the wire.
   * Returns false (nothing changed) for a frame that is not a flow frame.
   */
  markCopy(pool: PacketPool, h: number): boolean {
    const p = headerOffset(pool, h);
    if (p < 0) return false;
    const b = pool.bytes;
    const old = u16(b, p + 4);
    const now = old | 0x8000;
    if (now === old) return true;
    b[p + 4] = now >>> 8;
    const ck = u16(b, p - 2);
    if (ck === 0) return true; // no UDP checksum to keep
    let sum = (~ck & 0xffff) + (~old & 0xffff) + now;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const next = ~sum & 0xffff;
    const out = next === 0 ? 0xffff : next;
    b[p - 2] = out >>> 8;
    b[p - 1] = out & 0xff;
    return true;
  },

  /** Sequence number (uint32) of the flow header at `offset`. */
  seqAt(bytes: Uint8Array, offset: number): number {
    return u32(bytes, offset + 8);
  },

  /** Send time in microseconds modulo 2^32 of the flow header at `offset`. */
  sendTimeUsAt(bytes: Uint8Array, offset: number): number {
    return u32(bytes, offset + 12);
  },

  /** Flow index of frame `h`; -1 when it is not a flow frame. */
  flow(pool: PacketPool, h: number): number {
    const p = headerOffset(pool, h);
    return p < 0 ? -1 : u32(pool.bytes, p + 4) & FLOW_INDEX_MASK;
  },

  /** Sequence number of frame `h`; -1 when it is not a flow frame. */
  seq(pool: PacketPool, h: number): number {
    const p = headerOffset(pool, h);
    return p < 0 ? -1 : u32(pool.bytes, p + 8);
  },

  /** Send time of frame `h` in microseconds modulo 2^32; -1 when it is not a flow frame. */
  sendTimeUs(pool: PacketPool, h: number): number {
    const p = headerOffset(pool, h);
    return p < 0 ? -1 : u32(pool.bytes, p + 12);
  },

  /**
   * The full send time in ns (microsecond precision) of a frame stamped `stampUs` and seen at
   * `nowNs`: the latest time not after `nowNs` whose microsecond count modulo 2^32 is
   * `stampUs`. Exact while frames are younger than 2^32 us (about 71.6 minutes).
   */
  sendTimeNs(stampUs: number, nowNs: number): number {
    const nowUs = Math.floor(nowNs / 1000);
    const ageUs = (((nowUs - stampUs) % TWO_32) + TWO_32) % TWO_32;
    return (nowUs - ageUs) * 1000;
  },

  /**
   * True when frame `h` is an IPv4/UDP frame (flow frame or not) whose IPv4 header checksum is
   * correct and whose UDP checksum is present (non-zero) and correct over the pseudo-header and
   * the whole datagram. Costs a pass over the frame: for tests and fuzzing, not the data plane.
   */
  verifyChecksums(pool: PacketPool, h: number): boolean {
    const len = pool.length[h];
    if (len === undefined) return false;
    const udp = udpOffsetIn(pool.bytes, pool.start[h] as number, len, 0);
    if (udp < 0) return false;
    const b = pool.bytes;
    const ip = (pool.start[h] as number) + FLOW_FRAME.IP;
    if (onesSum(b, ip, udp, 0) !== 0xffff) return false;
    if (u16(b, udp + 6) === 0) return false;
    const udpLength = u16(b, udp + 4);
    let pseudo = FLOW_FRAME.PROTO_UDP + udpLength;
    pseudo = onesSum(b, ip + 12, ip + 20, pseudo);
    return fold(onesSum(b, udp, udp + udpLength, pseudo)) === 0xffff;
  },
} as const;
