import { BypassError, ETH_P, writeMac48 } from '@bypass/core';
import type { PacketPool } from '@bypass/core';
import { FLOW_FRAME, FLOW_MAGIC } from './FlowFrame.js';
import type { FlowCast, FlowFrameSpec } from './FlowFrame.js';
import { FlowAddress } from './FlowFrameAddress.js';
import { onesSum } from './FlowFrameChecksum.js';

const TWO_32 = 0x1_0000_0000;
const MAX_MAC = 0xffff_ffff_ffff;
/** IPv4 flags/fragment word: DF set, offset 0. */
const IP_DF = 0x4000;

const O_IP_TOTLEN = FLOW_FRAME.IP + 2;
const O_IP_ID = FLOW_FRAME.IP + 4;
const O_IP_CSUM = FLOW_FRAME.IP + 10;
const O_UDP_CSUM = FLOW_FRAME.UDP + 6;
const O_SEQ = FLOW_FRAME.FLOW_HEADER + 8;
const O_TIME = FLOW_FRAME.FLOW_HEADER + 12;

/** True on a little-endian platform (where writeRun merges the frame's fields into its words). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The 16-bit value `v` as a little-endian word holds it when its two bytes are in network order
 * (big-endian) in memory: its bytes swapped.
 */
function be16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

function invalid(message: string): BypassError {
  return new BypassError('ERR_INVALID_ARGUMENT', message);
}

function checkUint(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw invalid(`${what} must be an integer in 0..${max}, got ${v}`);
  }
}

function isGroup(mac: number): boolean {
  return Math.floor(mac / 2 ** 40) % 2 === 1;
}

function checkSourceMac(mac: number): void {
  checkUint('source MAC', mac, MAX_MAC);
  if (isGroup(mac)) {
    throw invalid('the source MAC of a flow must be a unicast address (I/G bit clear)');
  }
}

function checkUnicastDestination(mac: number): void {
  checkUint('destination MAC', mac, MAX_MAC);
  if (isGroup(mac)) {
    throw invalid('the dstMac of a unicast flow must be a unicast address; use cast');
  }
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * Writes the frames of one flow (see {@link FLOW_FRAME} for the layout) into pool slots the
 * caller allocated. The constructor builds the whole frame once as a template, with the
 * sequence number, send time, IP id and both checksums zero, and precomputes the checksum sums
 * of its constant bytes. Each frame then costs one copy of the template, a handful of byte
 * writes and two 16-bit folds: the IPv4 header checksum adds the id to the precomputed sum, the
 * UDP checksum (pseudo-header included) adds the four words of sequence and time (RFC 1071
 * section 2(B): the sum is independent of the order of its words). Nothing is allocated per
 * frame.
 *
 * Each written frame also gets `pool.mark[h]` = the flow index + 1, 0 meaning no flow (so drop observers can attribute
 * it) and `pool.timestamp[h]` = its send time in ns.
 *
 * @example
 * ```ts
 * const writer = new FlowFrameWriter({
 *   flow: 0, size: 64, cast: 'unicast',
 *   srcMac: 0x0200_0000_0001, dstMac: 0x5254_0000_0001,
 *   srcIp: FlowAddress.endpointIpv4(0), dstIp: FlowAddress.endpointIpv4(1),
 * });
 * const n = pool.allocBurst(pkts, 0, 32);
 * writer.writeBurst(pool, pkts, 0, n, nextSeq, scheduler.now(), 10_000); // 100 kpps
 * nextSeq += n;
 * ```
 */
export class FlowFrameWriter {
  /** Flow index carried by every frame. */
  readonly flow: number;
  /** Frame length in bytes (no FCS). */
  readonly size: number;
  /** How the frames are addressed. */
  readonly cast: FlowCast;
  /** Source MAC (48-bit integer) of the frames written from now on. */
  get srcMac(): number {
    return this.src;
  }
  /**
   * The destination MAC written from now on (derived for multicast and broadcast; for unicast
   * the constructor's, or the last {@link FlowFrameWriter.setDstMac}).
   */
  get dstMac(): number {
    return this.dst;
  }
  /** Source IPv4 address. */
  readonly srcIp: number;
  /** The destination IPv4 address actually written. */
  readonly dstIp: number;
  /** UDP source port. */
  readonly srcPort: number;
  /** UDP destination port. */
  readonly dstPort: number;

  private src: number;
  private dst: number;
  private readonly template: Uint8Array;
  /** Folded sum of the IPv4 header with id and checksum zero. */
  private readonly ipBase: number;
  /** Folded sum of the UDP pseudo-header, header and payload with checksum, seq, time zero. */
  private readonly udpBase: number;
  /**
   * For frames of 64 bytes or more: the template's first 64 bytes as 16 words in the platform's
   * byte order (read and written through Int32Arrays, so the bytes are the template's) and the
   * rest of the template from byte 64 (null for exactly 64 bytes); null `headWords` for shorter
   * frames. Used on a little-endian platform: see {@link FlowFrameWriter.writeRun}.
   */
  private readonly headWords: Int32Array | null;
  private readonly rest: Uint8Array | null;
  /** Int32Array over the whole buffer of `wordsPool` (the last pool written to by writeRun). */
  private words: Int32Array = new Int32Array(0);
  private wordsPool: PacketPool | null = null;
  /** One handle, for {@link FlowFrameWriter.write}. */
  private readonly one = new Int32Array(1);

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a size outside 60..1514, a flow index
   * that is not a uint32, a MAC, IP or port out of range, a group-addressed source MAC, a
   * `unicast` flow without a unicast `dstMac`, or a `multicast` `dstIp` outside 224.0.0.0/4.
   */
  constructor(spec: FlowFrameSpec) {
    // The top bit of the flow field marks flooded copies (FlowFrameReader.markCopy).
    checkUint('flow index', spec.flow, 0x7fff_ffff);
    if (
      !Number.isInteger(spec.size) ||
      spec.size < FLOW_FRAME.MIN_SIZE ||
      spec.size > FLOW_FRAME.MAX_SIZE
    ) {
      throw invalid(
        `flow frame size must be an integer in ${FLOW_FRAME.MIN_SIZE}..${FLOW_FRAME.MAX_SIZE} bytes (no FCS), got ${spec.size}`,
      );
    }
    checkSourceMac(spec.srcMac);
    checkUint('source IPv4 address', spec.srcIp, TWO_32 - 1);
    this.flow = spec.flow;
    this.size = spec.size;
    this.cast = spec.cast;
    this.src = spec.srcMac;
    this.srcIp = spec.srcIp;
    this.srcPort = spec.srcPort ?? FlowAddress.srcPort(spec.flow);
    this.dstPort = spec.dstPort ?? FlowAddress.dstPort(spec.flow);
    checkUint('UDP source port', this.srcPort, 0xffff);
    checkUint('UDP destination port', this.dstPort, 0xffff);
    switch (spec.cast) {
      case 'unicast': {
        const mac = spec.dstMac;
        if (mac === undefined) throw invalid('a unicast flow needs dstMac (the target station)');
        checkUnicastDestination(mac);
        if (spec.dstIp === undefined) throw invalid('a unicast flow needs dstIp');
        checkUint('destination IPv4 address', spec.dstIp, TWO_32 - 1);
        this.dst = mac;
        this.dstIp = spec.dstIp;
        break;
      }
      case 'multicast':
        this.dstIp = spec.dstIp ?? FlowAddress.multicastGroupIpv4(spec.flow % 0x1_0000);
        this.dst = FlowAddress.multicastMac(this.dstIp);
        break;
      case 'broadcast':
        this.dstIp = FlowAddress.BROADCAST_IPV4;
        this.dst = FlowAddress.BROADCAST_MAC;
        break;
      default:
        throw invalid(
          `flow cast must be unicast, multicast or broadcast, got '${String(spec.cast)}'`,
        );
    }
    this.template = this.buildTemplate();
    if (this.size >= 64) {
      const w = new Int32Array(16);
      new Uint8Array(w.buffer).set(this.template.subarray(0, 64));
      this.headWords = w;
    } else this.headWords = null;
    this.rest = this.size > 64 ? this.template.subarray(64) : null;
    const t = this.template;
    this.ipBase = onesSum(t, FLOW_FRAME.IP, FLOW_FRAME.UDP, 0);
    // Pseudo-header (RFC 768): source, destination, zero + protocol, UDP length.
    const udpLength = this.size - FLOW_FRAME.UDP;
    let pseudo = FLOW_FRAME.PROTO_UDP + udpLength;
    pseudo += onesSum(t, FLOW_FRAME.IP + 12, FLOW_FRAME.UDP, 0);
    this.udpBase = onesSum(t, FLOW_FRAME.UDP, this.size, pseudo);
  }

  /**
   * The sender's MAC changed (a bond's `fail_over_mac=active` failover): frames written from
   * now on carry `mac` as their source. The checksums do not cover the Ethernet header, so
   * nothing else changes.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a MAC out of range or a group address.
   */
  setSrcMac(mac: number): void {
    checkSourceMac(mac);
    this.src = mac;
    this.readdress();
  }

  /**
   * The sender's neighbour entry for a unicast flow's destination changed (a gratuitous ARP):
   * frames written from now on go to `mac`.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a flow that is not unicast (its destination
   * MAC follows its group), a MAC out of range or a group address.
   */
  setDstMac(mac: number): void {
    if (this.cast !== 'unicast') {
      throw invalid(
        `a ${this.cast} flow's destination MAC follows its group; only unicast flows take one`,
      );
    }
    checkUnicastDestination(mac);
    this.dst = mac;
    this.readdress();
  }

  /** Writes the current addresses into the template and its head words. */
  private readdress(): void {
    const t = this.template;
    writeMac48(t, 0, this.dst);
    writeMac48(t, 6, this.src);
    if (this.headWords !== null) new Uint8Array(this.headWords.buffer).set(t.subarray(0, 12));
  }

  /**
   * Fills slot `h` with frame `seq` of this flow sent at `timeNs` and sets its length.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` (from `PacketPool.setLength`) when the
   * frame does not fit in the slot or `h` is not a slot of `pool`.
   */
  write(pool: PacketPool, h: number, seq: number, timeNs: number): void {
    this.one[0] = h;
    this.writeRun(pool, this.one, 1, seq, timeNs);
  }

  /**
   * Fills slots `pkts[0 .. count)` with frames `firstSeq, firstSeq+1, ...` (modulo 2^32), all
   * sent at `timeNs`, in order: the template, then the IP id and header checksum, sequence,
   * send time in microseconds (modulo 2^32) and UDP checksum, and the slot's mark and timestamp.
   * The send time's share of the UDP checksum is worked out once for the run (integer sums:
   * regrouping them changes nothing) and the pool's arrays are held in locals.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` (from `PacketPool.setLength`) when a frame
   * does not fit in its slot; the frames before it are written.
   */
  writeRun(
    pool: PacketPool,
    pkts: Int32Array,
    count: number,
    firstSeq: number,
    timeNs: number,
  ): void {
    const size = this.size;
    const template = this.template;
    const ipBase = this.ipBase;
    const flowMark = this.flow + 1;
    const bytes = pool.bytes;
    const v = pool.view;
    const starts = pool.start;
    const lengths = pool.length;
    const marks = pool.mark;
    const stamps = pool.timestamp;
    // `>>> 0` is ToUint32: the microseconds modulo 2^32, exactly, without a floating-point `%`.
    const us = Math.floor(timeNs / 1000) >>> 0;
    const udpTime = this.udpBase + (us >>> 16) + (us & 0xffff);
    // The template's first 64 bytes go in as 16 word stores from locals (a Uint8Array.set is a
    // builtin call, about twice their cost for 64 bytes); the rest, if any, with one set. A
    // slot whose data start is not 4-aligned (an unusual headroom) takes the whole set.
    const hw = this.headWords;
    const rest = this.rest;
    let words = this.words;
    if (hw !== null && this.wordsPool !== pool) {
      words = new Int32Array(pool.buffer, 0, pool.buffer.byteLength >>> 2);
      this.words = words;
      this.wordsPool = pool;
    }
    // On a little-endian platform the per-frame fields go into the head's words as they are
    // stored (no byte stores over them afterwards): the IP id with the total length (word 4),
    // the IP checksum with the source address (6), the UDP checksum with the magic (10), the
    // sequence number's halves with the flow index (12) and the send time (13), the send time's
    // low half with the filler (14). The same bytes as the template plus the DataView stores.
    const merge = hw !== null && LITTLE_ENDIAN;
    const w0 = hw === null ? 0 : (hw[0] as number);
    const w1 = hw === null ? 0 : (hw[1] as number);
    const w2 = hw === null ? 0 : (hw[2] as number);
    const w3 = hw === null ? 0 : (hw[3] as number);
    const w4 = hw === null ? 0 : (hw[4] as number);
    const w5 = hw === null ? 0 : (hw[5] as number);
    const w6 = hw === null ? 0 : (hw[6] as number);
    const w7 = hw === null ? 0 : (hw[7] as number);
    const w8 = hw === null ? 0 : (hw[8] as number);
    const w9 = hw === null ? 0 : (hw[9] as number);
    const w10 = hw === null ? 0 : (hw[10] as number);
    const w11 = hw === null ? 0 : (hw[11] as number);
    const w12 = hw === null ? 0 : (hw[12] as number);
    const w14 = hw === null ? 0 : (hw[14] as number);
    const w15 = hw === null ? 0 : (hw[15] as number);
    const w4Keep = w4 & 0xffff;
    const w6Keep = w6 & ~0xffff;
    const w10Keep = w10 & ~0xffff;
    const w12Keep = w12 & 0xffff;
    const w13Time = be16(us >>> 16) << 16;
    const w14Time = (w14 & ~0xffff) | be16(us & 0xffff);
    for (let i = 0; i < count; i++) {
      const h = pkts[i] as number;
      // The pool's rule, its error from setLength (a call per frame costs the e2e row 4 %).
      if (!pool.fits(h, size)) pool.setLength(h, size);
      lengths[h] = size;
      const o = starts[h] as number;
      const s = (firstSeq + i) >>> 0;
      const id = s & 0xffff;
      let ip = ipBase + id;
      ip = (ip & 0xffff) + (ip >>> 16);
      const ipCsum = ~ip & 0xffff;
      let u = udpTime + (s >>> 16) + id;
      u = (u & 0xffff) + (u >>> 16);
      u = (u & 0xffff) + (u >>> 16);
      const c = ~u & 0xffff;
      // A computed 0 is sent as 0xffff: 0 means "no checksum" (RFC 768).
      const udpCsum = c === 0 ? 0xffff : c;
      if (merge && (o & 3) === 0) {
        const k = o >>> 2;
        words[k] = w0;
        words[k + 1] = w1;
        words[k + 2] = w2;
        words[k + 3] = w3;
        words[k + 4] = w4Keep | (be16(id) << 16);
        words[k + 5] = w5;
        words[k + 6] = w6Keep | be16(ipCsum);
        words[k + 7] = w7;
        words[k + 8] = w8;
        words[k + 9] = w9;
        words[k + 10] = w10Keep | be16(udpCsum);
        words[k + 11] = w11;
        words[k + 12] = w12Keep | (be16(s >>> 16) << 16);
        words[k + 13] = w13Time | be16(id);
        words[k + 14] = w14Time;
        words[k + 15] = w15;
        if (rest !== null) bytes.set(rest, o + 64);
      } else {
        // A big-endian platform, a frame under 64 bytes or a slot not 4-aligned: the template,
        // then the fields over it.
        bytes.set(template, o);
        v.setUint16(o + O_IP_ID, id);
        v.setUint16(o + O_IP_CSUM, ipCsum);
        v.setUint32(o + O_SEQ, s);
        v.setUint32(o + O_TIME, us);
        v.setUint16(o + O_UDP_CSUM, udpCsum);
      }
      marks[h] = flowMark;
      stamps[h] = timeNs;
    }
  }

  /**
   * Fills `pkts[start .. start+count)` with frames `firstSeq, firstSeq+1, ...` (modulo 2^32);
   * frame `i` of the burst is stamped `timeNs + i * intervalNs` (the flow's constant rate).
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a range outside `pkts`, a negative or
   * non-finite time or interval, or a slot the frame does not fit in.
   */
  writeBurst(
    pool: PacketPool,
    pkts: Int32Array,
    start: number,
    count: number,
    firstSeq: number,
    timeNs: number,
    intervalNs = 0,
  ): void {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > pkts.length
    ) {
      throw invalid(
        `burst [${start}, ${start}+${count}) is outside the ${pkts.length}-handle array`,
      );
    }
    if (!(timeNs >= 0 && Number.isFinite(timeNs) && intervalNs >= 0 && intervalNs < Infinity)) {
      throw invalid(`send time ${timeNs} ns and interval ${intervalNs} ns must be finite and >= 0`);
    }
    for (let i = 0; i < count; i++) {
      this.write(pool, pkts[start + i] as number, firstSeq + i, timeNs + i * intervalNs);
    }
  }

  private buildTemplate(): Uint8Array {
    const t = new Uint8Array(this.size);
    writeMac48(t, 0, this.dst);
    writeMac48(t, 6, this.src);
    put16(t, 12, ETH_P.IPV4);
    const ip = FLOW_FRAME.IP;
    t[ip] = 0x45; // version 4, 5 words
    t[ip + 1] = 0; // DSCP/ECN
    put16(t, O_IP_TOTLEN, this.size - FLOW_FRAME.IP);
    put16(t, ip + 6, IP_DF);
    t[ip + 8] = FLOW_FRAME.TTL;
    t[ip + 9] = FLOW_FRAME.PROTO_UDP;
    put32(t, ip + 12, this.srcIp);
    put32(t, ip + 16, this.dstIp);
    const udp = FLOW_FRAME.UDP;
    put16(t, udp, this.srcPort);
    put16(t, udp + 2, this.dstPort);
    put16(t, udp + 4, this.size - FLOW_FRAME.UDP);
    put32(t, FLOW_FRAME.FLOW_HEADER, FLOW_MAGIC);
    put32(t, FLOW_FRAME.FLOW_HEADER + 4, this.flow);
    for (let k = FLOW_FRAME.FILLER; k < this.size; k++) t[k] = k & 0xff;
    return t;
  }
}
