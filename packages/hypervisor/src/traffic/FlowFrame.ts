/**
 * The wire layout of a flow frame: an untagged Ethernet II frame carrying IPv4 (20-byte header,
 * no options, TTL 64, DF) and UDP, whose payload starts with a 16-byte flow header. All fields
 * are big-endian (network order). Offsets are from the start of the frame:
 *
 * | offset | bytes | field |
 * | --- | --- | --- |
 * | 0 | 14 | Ethernet: destination, source, EtherType 0x0800 |
 * | 14 | 20 | IPv4: id = low 16 bits of the sequence number, header checksum |
 * | 34 | 8 | UDP: ports, length, checksum (always present) |
 * | 42 | 4 | flow header: magic {@link FLOW_MAGIC} ("BYPS") |
 * | 46 | 4 | flow index (uint32) |
 * | 50 | 4 | sequence number (uint32, wraps) |
 * | 54 | 4 | send time in microseconds modulo 2^32 (uint32, wraps every ~71.6 minutes) |
 * | 58 | size - 58 | filler: the byte at frame offset `k` is `k & 0xff` |
 *
 * The header follows the idea of Linux pktgen's `struct pktgen_hdr` (magic, sequence, time;
 * `net/core/pktgen.c`) with a flow index in place of the seconds field. A frame is 60 to 1514
 * bytes long (no FCS), so even the smallest one holds the whole flow header.
 *
 * @example
 * ```ts
 * const seqOffset = pool.start[h]! + FLOW_FRAME.FLOW_HEADER + 8;
 * console.log(FLOW_FRAME.MIN_SIZE, FLOW_FRAME.MAX_SIZE); // 60 1514
 * ```
 */
export const FLOW_FRAME = {
  /** Offset of the IPv4 header. */
  IP: 14,
  /** Offset of the UDP header. */
  UDP: 34,
  /** Offset of the flow header (the start of the UDP payload). */
  FLOW_HEADER: 42,
  /** Length of the flow header. */
  FLOW_HEADER_LEN: 16,
  /** Offset of the filler (the end of the flow header). */
  FILLER: 58,
  /** Smallest frame (Linux `ETH_ZLEN`, `include/uapi/linux/if_ether.h`). */
  MIN_SIZE: 60,
  /** Largest untagged frame without FCS (`ETH_FRAME_LEN`, same file). */
  MAX_SIZE: 1514,
  /** IPv4 time to live. */
  TTL: 64,
  /** IP protocol number of UDP. */
  PROTO_UDP: 17,
} as const;

/**
 * The first four bytes of every flow header: "BYPS" in ASCII.
 *
 * @example
 * ```ts
 * const isOurs = pool.view.getUint32(pool.start[h]! + FLOW_FRAME.FLOW_HEADER) === FLOW_MAGIC;
 * ```
 */
export const FLOW_MAGIC = 0x42595053;

/**
 * How a flow addresses its frames (`flows[].cast` in a scenario file):
 * - `unicast`: to one station's MAC and IP;
 * - `multicast`: to an IPv4 group (224.0.0.0/4) and its 01:00:5e MAC (RFC 1112);
 * - `broadcast`: to ff:ff:ff:ff:ff:ff and 255.255.255.255.
 *
 * @example
 * ```ts
 * const cast: FlowCast = 'multicast';
 * ```
 */
export type FlowCast = 'unicast' | 'multicast' | 'broadcast';

/**
 * What a {@link FlowFrameWriter} builds. Addresses are integers: MACs as 48-bit numbers (see
 * `MacAddress.value`), IPv4 addresses as unsigned 32-bit numbers with the first octet most
 * significant (see {@link FlowAddress}).
 *
 * @example
 * ```ts
 * const spec: FlowFrameSpec = {
 *   flow: 0,
 *   size: 64,
 *   cast: 'unicast',
 *   srcMac: MacAddress.parse('02:00:00:00:00:01').value,
 *   dstMac: MacAddress.parse('52:54:00:00:00:01').value,
 *   srcIp: FlowAddress.endpointIpv4(0),
 *   dstIp: FlowAddress.endpointIpv4(1),
 * };
 * ```
 */
export interface FlowFrameSpec {
  /** Flow index written in every frame (0..2^31-1: the top bit of the field marks flooded copies). */
  readonly flow: number;
  /** Frame length in bytes without FCS, 60..1514. */
  readonly size: number;
  /** How the frames are addressed. */
  readonly cast: FlowCast;
  /** Source MAC (a unicast address). */
  readonly srcMac: number;
  /**
   * Destination MAC of a `unicast` flow (required there, and must be unicast). Ignored for the
   * other casts: multicast derives it from `dstIp`, broadcast uses ff:ff:ff:ff:ff:ff.
   */
  readonly dstMac?: number | undefined;
  /** Source IPv4 address. */
  readonly srcIp: number;
  /**
   * Destination IPv4 address: the target (`unicast`) or the group, 224.0.0.0/4 (`multicast`).
   * Ignored for `broadcast` (255.255.255.255). Default for `multicast`:
   * {@link FlowAddress.multicastGroupIpv4} of the flow index.
   */
  readonly dstIp?: number | undefined;
  /** UDP source port; default {@link FlowAddress.srcPort} of the flow index. */
  readonly srcPort?: number | undefined;
  /** UDP destination port; default {@link FlowAddress.dstPort} of the flow index. */
  readonly dstPort?: number | undefined;
}
