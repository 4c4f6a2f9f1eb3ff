import { readMac48, writeMac48 } from '../netdev/MacAddress.js';
import { PacketPool } from './PacketPool.js';

/**
 * Length of an Ethernet header without VLAN tag (Linux `ETH_HLEN`, `include/uapi/linux/if_ether.h`).
 *
 * @example
 * ```ts
 * const payloadLength = pool.length[h]! - ETH_HLEN;
 * ```
 */
export const ETH_HLEN = 14;

/**
 * EtherType values the project uses (Linux `ETH_P_*`, `include/uapi/linux/if_ether.h`).
 *
 * @example
 * ```ts
 * if (Ethernet.innerEthertype(pool, h) === ETH_P.ARP) handleArp(pool, h);
 * ```
 */
export const ETH_P = {
  /** Internet Protocol version 4. */
  IPV4: 0x0800,
  /** Address Resolution Protocol. */
  ARP: 0x0806,
  /** 802.1Q VLAN tag (C-tag). */
  VLAN: 0x8100,
  /** Internet Protocol version 6. */
  IPV6: 0x86dd,
  /** 802.1ad service VLAN tag (S-tag, QinQ). */
  QINQ: 0x88a8,
} as const;

/**
 * Destination address classes returned by {@link Ethernet.classify} (like DPDK's
 * `RTE_ETH_*CAST` checks in `lib/net/rte_ether.h`).
 *
 * @example
 * ```ts
 * if (Ethernet.classify(pool, h) === CAST.BROADCAST) stats.rxBroadcast++;
 * ```
 */
export const CAST = {
  /** A single station (I/G bit clear). */
  UNICAST: 0,
  /** A group address (I/G bit set), not broadcast. */
  MULTICAST: 1,
  /** ff:ff:ff:ff:ff:ff. */
  BROADCAST: 2,
} as const;

/** Length of an 802.1Q tag. */
const VLAN_HLEN = 4;
/** Minimum Ethernet frame length without FCS (Linux `ETH_ZLEN`). */
const ETH_ZLEN = 60;
/** Length of an Ethernet ARP packet for IPv4 (header + 28-byte ARP body). */
const ARP_FRAME_LEN = 42;
const BROADCAST_MAC = 0xffff_ffff_ffff;

function frameLength(pool: PacketPool, h: number): number {
  // Out-of-range handles read as undefined, so they count as empty frames.
  return pool.length[h] ?? 0;
}

function u16(bytes: Uint8Array, o: number): number {
  return ((bytes[o] as number) << 8) | (bytes[o + 1] as number);
}

function putU16(bytes: Uint8Array, o: number, v: number): void {
  bytes[o] = (v >>> 8) & 0xff;
  bytes[o + 1] = v & 0xff;
}

function isValid(pool: PacketPool, h: number): boolean {
  return frameLength(pool, h) >= ETH_HLEN;
}

/**
 * Offset in `pool.bytes` of the body of frame `h` when it is an untagged Ethernet/IPv4 ARP
 * request or reply (the checks of `net/ipv4/arp.c` `arp_rcv` and `arp_process`), else -1.
 */
function arpBody(pool: PacketPool, h: number): number {
  if (frameLength(pool, h) < ARP_FRAME_LEN) return -1;
  const bytes = pool.bytes;
  const o = pool.start[h] as number;
  const a = o + ETH_HLEN;
  if (u16(bytes, o + 12) !== ETH_P.ARP) return -1;
  if (u16(bytes, a) !== 1 || u16(bytes, a + 2) !== ETH_P.IPV4) return -1;
  if (bytes[a + 4] !== 6 || bytes[a + 5] !== 4) return -1;
  const oper = u16(bytes, a + 6);
  return oper === 1 || oper === 2 ? a : -1;
}

function hasVlanTag(pool: PacketPool, h: number): boolean {
  if (frameLength(pool, h) < ETH_HLEN + VLAN_HLEN) return false;
  return u16(pool.bytes, (pool.start[h] as number) + 12) === ETH_P.VLAN;
}

/**
 * Data-plane helpers on Ethernet frames held in a {@link PacketPool}, addressed by handle. They
 * never allocate and never read outside a frame: on a frame shorter than its 14-byte header
 * (or an unknown handle) readers return -1 and writers return false.
 *
 * MAC addresses are 48-bit integers (see {@link readMac48}). A "VLAN tag" here is an 802.1Q
 * tag (TPID 0x8100) right after the source address; 802.1ad (QinQ) outer tags are left alone,
 * as DPDK's `RTE_ETH_RX_OFFLOAD_VLAN_STRIP` does.
 *
 * @example
 * ```ts
 * const h = pool.alloc();
 * Ethernet.buildFrame(pool, h, MacAddress.BROADCAST.value, myMac, ETH_P.IPV4, 46);
 * Ethernet.insertVlan(pool, h, 100);     // tag with VLAN 100
 * Ethernet.stripVlan(pool, h);           // tag now in pool.vlanTci[h], flags has F_VLAN
 * Ethernet.classify(pool, h) === CAST.BROADCAST; // true
 * ```
 */
export const Ethernet = {
  /** True when frame `h` holds at least a full 14-byte Ethernet header. */
  isValid,

  /** Destination address as a 48-bit integer; -1 for a frame without a full header. */
  dst(pool: PacketPool, h: number): number {
    if (!isValid(pool, h)) return -1;
    return readMac48(pool.bytes, pool.start[h] as number);
  },

  /** Source address as a 48-bit integer; -1 for a frame without a full header. */
  src(pool: PacketPool, h: number): number {
    if (!isValid(pool, h)) return -1;
    return readMac48(pool.bytes, (pool.start[h] as number) + 6);
  },

  /** Writes the destination address (a 48-bit integer); false for a frame without a full header. */
  setDst(pool: PacketPool, h: number, mac: number): boolean {
    if (!isValid(pool, h)) return false;
    writeMac48(pool.bytes, pool.start[h] as number, mac);
    return true;
  },

  /** Writes the source address (a 48-bit integer); false for a frame without a full header. */
  setSrc(pool: PacketPool, h: number, mac: number): boolean {
    if (!isValid(pool, h)) return false;
    writeMac48(pool.bytes, (pool.start[h] as number) + 6, mac);
    return true;
  },

  /** The outer EtherType (0x8100 for a tagged frame); -1 for a frame without a full header. */
  ethertype(pool: PacketPool, h: number): number {
    if (!isValid(pool, h)) return -1;
    return u16(pool.bytes, (pool.start[h] as number) + 12);
  },

  /**
   * The EtherType after one 802.1Q tag (the outer one when untagged); -1 for a frame without a
   * full header.
   */
  innerEthertype(pool: PacketPool, h: number): number {
    if (!isValid(pool, h)) return -1;
    const o = pool.start[h] as number;
    return hasVlanTag(pool, h) ? u16(pool.bytes, o + 16) : u16(pool.bytes, o + 12);
  },

  /** True when the frame carries an 802.1Q tag (and is long enough to hold it). */
  hasVlanTag,

  /** The TCI of the 802.1Q tag in the frame (PCP, DEI, VID); -1 when there is none. */
  vlanTci(pool: PacketPool, h: number): number {
    if (!hasVlanTag(pool, h)) return -1;
    return u16(pool.bytes, (pool.start[h] as number) + 14);
  },

  /** Rewrites the TCI of the frame's 802.1Q tag; false when the frame has no tag. */
  setVlanTci(pool: PacketPool, h: number, tci: number): boolean {
    if (!hasVlanTag(pool, h)) return false;
    putU16(pool.bytes, (pool.start[h] as number) + 14, tci);
    return true;
  },

  /**
   * Inserts an 802.1Q tag after the source address, using 4 bytes of the slot's headroom (the
   * MAC addresses move forward; as DPDK `rte_vlan_insert`, `lib/net/rte_ether.h`). False, frame
   * unchanged, when the frame has no full header or the slot has no headroom left.
   */
  insertVlan(pool: PacketPool, h: number, tci: number): boolean {
    if (!isValid(pool, h)) return false;
    if (!pool.adjustStart(h, -VLAN_HLEN)) return false;
    const o = pool.start[h] as number;
    const bytes = pool.bytes;
    bytes.copyWithin(o, o + VLAN_HLEN, o + VLAN_HLEN + 12);
    putU16(bytes, o + 12, ETH_P.VLAN);
    putU16(bytes, o + 14, tci);
    return true;
  },

  /**
   * Removes the frame's 802.1Q tag into metadata: `pool.vlanTci[h]` gets the TCI and
   * `pool.flags[h]` gets {@link PacketPool.F_VLAN}, as the VLAN strip offload does (DPDK
   * `rte_vlan_strip`, `lib/net/rte_ether.h`). False, frame unchanged, when the frame has no tag
   * or a tag was already stripped into metadata (there is room for one).
   */
  stripVlan(pool: PacketPool, h: number): boolean {
    if (!hasVlanTag(pool, h)) return false;
    if (((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0) return false;
    const o = pool.start[h] as number;
    const bytes = pool.bytes;
    const tci = u16(bytes, o + 14);
    bytes.copyWithin(o + VLAN_HLEN, o, o + 12);
    pool.adjustStart(h, VLAN_HLEN);
    pool.vlanTci[h] = tci;
    pool.flags[h] = (pool.flags[h] as number) | PacketPool.F_VLAN;
    return true;
  },

  /**
   * Class of the destination address: {@link CAST} `BROADCAST` (all ones), `MULTICAST` (I/G bit
   * set) or `UNICAST`; -1 for a frame without a full header.
   */
  classify(pool: PacketPool, h: number): -1 | 0 | 1 | 2 {
    if (!isValid(pool, h)) return -1;
    const bytes = pool.bytes;
    const o = pool.start[h] as number;
    if (((bytes[o] as number) & 1) === 0) return CAST.UNICAST;
    // as DPDK lib/net/rte_ether.h rte_is_broadcast_ether_addr
    return (bytes[o] as number) === 0xff &&
      (bytes[o + 1] as number) === 0xff &&
      (bytes[o + 2] as number) === 0xff &&
      (bytes[o + 3] as number) === 0xff &&
      (bytes[o + 4] as number) === 0xff &&
      (bytes[o + 5] as number) === 0xff
      ? CAST.BROADCAST
      : CAST.MULTICAST;
  },

  /**
   * Writes an untagged Ethernet header and sets the frame length to `ETH_HLEN + payloadLength`.
   * The payload bytes are left as they are. Returns the offset of the payload in `pool.bytes`.
   *
   * @throws BypassError `ERR_INVALID_ARGUMENT` (from {@link PacketPool.setLength}) when the
   * frame would not fit in its slot.
   */
  buildFrame(
    pool: PacketPool,
    h: number,
    dst: number,
    src: number,
    ethertype: number,
    payloadLength: number,
  ): number {
    pool.setLength(h, ETH_HLEN + payloadLength);
    const o = pool.start[h] as number;
    const bytes = pool.bytes;
    writeMac48(bytes, o, dst);
    writeMac48(bytes, o + 6, src);
    putU16(bytes, o + 12, ethertype);
    return o + ETH_HLEN;
  },

  /**
   * Writes a gratuitous ARP announcing that `ipv4` (a 32-bit integer, first octet most
   * significant) is at `mac`: a broadcast ARP request with sender IP = target IP and a zero
   * target MAC, 42 bytes zero-padded to 60. Drivers send it after a failover so that switches
   * relearn where the address lives (as Linux `inetdev_send_gratuitous_arp`,
   * `net/ipv4/devinet.c`, on `NETDEV_NOTIFY_PEERS`).
   *
   * @throws BypassError `ERR_INVALID_ARGUMENT` (from {@link PacketPool.setLength}) when
   * 60 bytes do not fit in the slot.
   */
  writeGratuitousArp(pool: PacketPool, h: number, mac: number, ipv4: number): void {
    pool.setLength(h, ETH_ZLEN);
    const o = pool.start[h] as number;
    const bytes = pool.bytes;
    writeMac48(bytes, o, BROADCAST_MAC);
    writeMac48(bytes, o + 6, mac);
    putU16(bytes, o + 12, ETH_P.ARP);
    const a = o + ETH_HLEN;
    putU16(bytes, a, 1); // htype: Ethernet
    putU16(bytes, a + 2, ETH_P.IPV4); // ptype
    bytes[a + 4] = 6; // hlen
    bytes[a + 5] = 4; // plen
    putU16(bytes, a + 6, 1); // oper: request
    writeMac48(bytes, a + 8, mac); // sha
    putU16(bytes, a + 14, ipv4 >>> 16); // spa
    putU16(bytes, a + 16, ipv4 & 0xffff);
    writeMac48(bytes, a + 18, 0); // tha
    putU16(bytes, a + 24, ipv4 >>> 16); // tpa
    putU16(bytes, a + 26, ipv4 & 0xffff);
    bytes.fill(0, o + ARP_FRAME_LEN, o + ETH_ZLEN);
  },

  /**
   * The sender protocol address of an untagged Ethernet/IPv4 ARP request or reply, as a 32-bit
   * integer (first octet most significant); -1 for any other frame. With
   * {@link Ethernet.arpSenderMac} it is what a receiver's neighbour table learns from the frame
   * (`net/ipv4/arp.c` `arp_process`).
   */
  arpSenderIpv4(pool: PacketPool, h: number): number {
    const a = arpBody(pool, h);
    if (a < 0) return -1;
    return u16(pool.bytes, a + 14) * 0x1_0000 + u16(pool.bytes, a + 16);
  },

  /**
   * The sender hardware address of an untagged Ethernet/IPv4 ARP request or reply, as a 48-bit
   * integer; -1 for any other frame.
   */
  arpSenderMac(pool: PacketPool, h: number): number {
    const a = arpBody(pool, h);
    return a < 0 ? -1 : readMac48(pool.bytes, a + 8);
  },
} as const;
