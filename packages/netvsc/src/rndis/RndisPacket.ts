import {
  RNDIS_HEADER_SIZE,
  RNDIS_MSG,
  RNDIS_PACKET_HEADER_SIZE,
  RNDIS_PPI,
  RNDIS_VLAN_PPI_SIZE,
} from './RndisConstants.js';

const PPI_HDR = 12;
/** One NBL_HASH_VALUE element: `struct rndis_per_packet_info` + u32 (NDIS_HASH_PPI_SIZE). */
const RNDIS_HASH_PPI_SIZE = 16;
const PKT_FIXED = RNDIS_PACKET_HEADER_SIZE - RNDIS_HEADER_SIZE; // struct rndis_packet: 36

/**
 * Where the frame of a parsed RNDIS PACKET message is, reused for every packet (no allocation).
 *
 * @example
 * ```ts
 * const info = new RndisPacketInfo();
 * if (RndisPacket.parse(bytes, 0, len, info)) copyFrame(bytes, info.dataOffset, info.dataLength);
 * else console.log(info.error);
 * ```
 */
export class RndisPacketInfo {
  /** Absolute offset of the frame in the parsed buffer. */
  dataOffset = 0;
  /** Frame length. */
  dataLength = 0;
  /** The 802.1Q TCI from the IEEE_8021Q_INFO per-packet info, or -1 when there is none. */
  vlanTci = -1;
  /** The u32 of the NBL_HASH_VALUE per-packet info, or -1 when there is none. */
  hashValue = -1;
  /** Why the last parse failed ('' after a success). */
  error = '';
}

/**
 * The allocation-free codec of RNDIS PACKET messages (`RNDIS_MSG.PACKET`, Linux
 * `drivers/net/hyperv/rndis_filter.c` and `netvsc_drv.c`): a 44-byte header (8-byte RNDIS header
 * plus `struct rndis_packet`, offsets counted from byte 8), optional per-packet info (an 802.1Q
 * element carries a VLAN tag: priority bits 0-2, CFI bit 3, VLAN id bits 4-15), then the frame.
 *
 * {@link RndisPacket.parse} validates like `rndis_filter_receive_data`: `msg_len` inside the
 * buffer, the data range and the per-packet-info range inside the message, every per-packet-info
 * element with a sane size and offset; a bad packet is refused with a reason.
 *
 * @example
 * ```ts
 * const hdr = RndisPacket.headerLength(tci);          // 44, or 60 with a VLAN tag
 * RndisPacket.writeHeader(buf, 0, frameLen, tci);
 * buf.set(frame, hdr);
 * const info = new RndisPacketInfo();
 * RndisPacket.parse(buf, 0, hdr + frameLen, info);    // info.dataOffset === hdr, info.vlanTci === tci
 * ```
 */
export const RndisPacket = {
  /**
   * Header bytes before the frame: 44, plus 16 with a VLAN per-packet info (`vlanTci >= 0`),
   * plus 16 with a hash value per-packet info (`hash >= 0`).
   */
  headerLength(vlanTci: number, hash = -1): number {
    let n = RNDIS_PACKET_HEADER_SIZE;
    if (hash >= 0) n += RNDIS_HASH_PPI_SIZE;
    if (vlanTci >= 0) n += RNDIS_VLAN_PPI_SIZE;
    return n;
  },

  /**
   * Writes the header for a frame of `frameLength` bytes at `out[off..]`; returns its length.
   * With `hash >= 0` an NBL_HASH_VALUE element carrying it comes first (DPDK `hn_rxtx.c`
   * hn_encap always sends one with the TX queue's index; Linux netvsc_xmit the skb's hash on a
   * multiqueue device), then the 802.1Q element when `vlanTci >= 0`.
   */
  writeHeader(
    out: Uint8Array,
    off: number,
    frameLength: number,
    vlanTci: number,
    hash = -1,
  ): number {
    const hdr = RndisPacket.headerLength(vlanTci, hash);
    out.fill(0, off, off + hdr);
    put32(out, off, RNDIS_MSG.PACKET);
    put32(out, off + 4, hdr + frameLength);
    put32(out, off + 8, hdr - RNDIS_HEADER_SIZE); // data_offset
    put32(out, off + 12, frameLength); // data_len
    // netvsc_drv.c netvsc_xmit: per_pkt_info_offset is set even when no element follows.
    put32(out, off + 28, PKT_FIXED); // per_pkt_info_offset
    put32(out, off + 32, hdr - RNDIS_PACKET_HEADER_SIZE); // per_pkt_info_len
    let p = off + RNDIS_PACKET_HEADER_SIZE;
    if (hash >= 0) {
      put32(out, p, RNDIS_HASH_PPI_SIZE);
      put32(out, p + 4, RNDIS_PPI.NBL_HASH_VALUE);
      put32(out, p + 8, PPI_HDR);
      put32(out, p + 12, hash);
      p += RNDIS_HASH_PPI_SIZE;
    }
    if (vlanTci >= 0) {
      put32(out, p, RNDIS_VLAN_PPI_SIZE);
      put32(out, p + 4, RNDIS_PPI.IEEE_8021Q_INFO);
      put32(out, p + 8, PPI_HDR);
      const vid = vlanTci & 0xfff;
      const cfi = (vlanTci >> 12) & 1;
      const pri = (vlanTci >> 13) & 7;
      put32(out, p + 12, pri | (cfi << 3) | (vid << 4));
    }
    return hdr;
  },

  /** Parses the PACKET message at `bytes[off..off+len)` into `info`; false (with `info.error`) when invalid. */
  parse(bytes: Uint8Array, off: number, len: number, info: RndisPacketInfo): boolean {
    info.vlanTci = -1;
    info.hashValue = -1;
    info.error = '';
    if (off < 0 || len < RNDIS_PACKET_HEADER_SIZE || off + len > bytes.length)
      return fail(info, 'short RNDIS packet');
    if (get32(bytes, off) !== RNDIS_MSG.PACKET) return fail(info, 'not an RNDIS packet message');
    const msgLen = get32(bytes, off + 4);
    if (msgLen < RNDIS_PACKET_HEADER_SIZE || msgLen > len)
      return fail(info, 'msg_len outside the buffer');
    const body = msgLen - RNDIS_HEADER_SIZE;
    const dataOff = get32(bytes, off + 8);
    const dataLen = get32(bytes, off + 12);
    // rndis_filter.c rndis_filter_receive_data: data must lie inside the message.
    if (dataOff < PKT_FIXED || dataOff >= body || dataLen > body - dataOff)
      return fail(info, 'data outside the message');
    const ppiOff = get32(bytes, off + 28);
    let ppiLen = get32(bytes, off + 32);
    if (ppiLen > 0) {
      if (ppiOff < PKT_FIXED || ppiOff > body || ppiLen > body - ppiOff)
        return fail(info, 'per-packet info outside the message');
      let p = off + RNDIS_HEADER_SIZE + ppiOff;
      // Each element must be at least its own header and fit what is left: no loop can stall.
      while (ppiLen > 0) {
        if (ppiLen < PPI_HDR) return fail(info, 'truncated per-packet info');
        const size = get32(bytes, p);
        const type = get32(bytes, p + 4) & 0x7fffffff;
        const internal = get32(bytes, p + 4) >>> 31;
        const dOff = get32(bytes, p + 8);
        if (size < PPI_HDR || size > ppiLen || dOff < PPI_HDR || dOff >= size)
          return fail(info, 'bad per-packet info element');
        if (type === RNDIS_PPI.IEEE_8021Q_INFO && internal === 0 && size - dOff >= 4) {
          const v = get32(bytes, p + dOff);
          info.vlanTci = ((v >> 4) & 0xfff) | (((v >> 3) & 1) << 12) | ((v & 7) << 13);
        } else if (type === RNDIS_PPI.NBL_HASH_VALUE && internal === 0 && size - dOff >= 4)
          info.hashValue = get32(bytes, p + dOff);
        ppiLen -= size;
        p += size;
      }
    }
    info.dataOffset = off + RNDIS_HEADER_SIZE + dataOff;
    info.dataLength = dataLen;
    return true;
  },
} as const;

function fail(info: RndisPacketInfo, why: string): false {
  info.error = why;
  return false;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function get32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0
  );
}
