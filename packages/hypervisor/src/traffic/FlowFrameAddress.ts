import { BypassError } from '@bypass/core';

/** Endpoint addresses live in 10.0.0.0/16; index 0 is 10.0.0.1. */
const ENDPOINT_BASE = 0x0a00_0000;
const MAX_ENDPOINTS = 65534;
/** Flow groups live in 239.1.0.0/16 (organization-local scope, RFC 2365). */
const GROUP_BASE = 0xef01_0000;
const TWO_32 = 0x1_0000_0000;

function checkIndex(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `${what} must be an integer in 0..${max}, got ${v}; use fewer endpoints or flows`,
    );
  }
}

/**
 * The simulator's address plan for flow frames, plus IPv4 helpers. IPv4 addresses are unsigned
 * 32-bit integers, first octet most significant (10.0.0.1 is 0x0a000001).
 *
 * - endpoint `i` (a VM NIC or a peer, numbered by the caller) has 10.0.`(i+1) >> 8`.`(i+1) & 255`;
 * - flow `f` sends from UDP port 49152 + (f mod 16384) to port 5000 + (f mod 60536);
 * - a multicast flow `f` goes to group 239.1.`f >> 8`.`f & 255`, whose MAC is 01:00:5e plus the
 *   group's low 23 bits (RFC 1112 section 6.4; Linux `ip_eth_mc_map`, `include/net/ip.h`).
 *
 * @example
 * ```ts
 * FlowAddress.formatIpv4(FlowAddress.endpointIpv4(0)); // '10.0.0.1'
 * FlowAddress.multicastMac(FlowAddress.multicastGroupIpv4(3)).toString(16); // '1005e010003'
 * ```
 */
export const FlowAddress = {
  /** 255.255.255.255, the destination of `broadcast` flows. */
  BROADCAST_IPV4: 0xffff_ffff,
  /** ff:ff:ff:ff:ff:ff as a 48-bit integer. */
  BROADCAST_MAC: 0xffff_ffff_ffff,

  /**
   * IPv4 address of endpoint `index` (0..65533) in 10.0.0.0/16.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an index outside 0..65533.
   */
  endpointIpv4(index: number): number {
    checkIndex('endpoint index', index, MAX_ENDPOINTS - 1);
    return ENDPOINT_BASE + index + 1;
  },

  /**
   * The multicast group of flow `flow` (0..65535), in 239.1.0.0/16.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a flow index outside 0..65535.
   */
  multicastGroupIpv4(flow: number): number {
    checkIndex('flow index', flow, 0xffff);
    return GROUP_BASE + flow;
  },

  /** True when `ipv4` is a multicast group (224.0.0.0/4). */
  isMulticastIpv4(ipv4: number): boolean {
    return Number.isInteger(ipv4) && ipv4 >= 0xe000_0000 && ipv4 <= 0xefff_ffff;
  },

  /**
   * The Ethernet group address of an IPv4 multicast group: 01:00:5e followed by the group's
   * low 23 bits (Linux `ip_eth_mc_map`, `include/net/ip.h`).
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` when `ipv4` is not in 224.0.0.0/4.
   */
  multicastMac(ipv4: number): number {
    if (!FlowAddress.isMulticastIpv4(ipv4)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${FlowAddress.formatIpv4(ipv4)} is not an IPv4 multicast group; use 224.0.0.0/4`,
      );
    }
    return 0x0100_5e00_0000 + (ipv4 & 0x7f_ffff);
  },

  /** UDP source port of flow `flow`: 49152 + (flow mod 16384), in the dynamic range. */
  srcPort(flow: number): number {
    return 49152 + (flow % 16384);
  },

  /** UDP destination port of flow `flow`: 5000 + (flow mod 60536). */
  dstPort(flow: number): number {
    return 5000 + (flow % 60536);
  },

  /** Dotted-quad text of an IPv4 address (a number outside 0..2^32-1 is taken modulo 2^32). */
  formatIpv4(ipv4: number): string {
    const v = Number.isFinite(ipv4) ? ((Math.trunc(ipv4) % TWO_32) + TWO_32) % TWO_32 : 0;
    return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  },

  /**
   * Parses a dotted-quad IPv4 address.
   *
   * @throws `BypassError` `ERR_PARSE` for anything but four decimal octets 0..255.
   */
  parseIpv4(text: string): number {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
    const octets = m === null ? [] : m.slice(1).map(Number);
    if (octets.length !== 4 || octets.some((o) => o > 255)) {
      throw new BypassError(
        'ERR_PARSE',
        `'${text}' is not an IPv4 address; write four octets 0..255, e.g. 10.0.0.1`,
      );
    }
    return octets.reduce((ip, o) => ip * 256 + o, 0);
  },
} as const;
