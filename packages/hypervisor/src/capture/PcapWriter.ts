import { BypassError } from '@bypass/core';

/** Classic pcap with nanosecond timestamps (libpcap `pcap/pcap.h`, NSEC_TCPDUMP_MAGIC). */
const PCAP_NSEC_MAGIC = 0xa1b2_3c4d;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const LINKTYPE_ETHERNET = 1;
const DEFAULT_CHUNK = 1 << 20;

function putLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/**
 * Options of a {@link PcapWriter}.
 *
 * @example
 * ```ts
 * const opts: PcapWriterOptions = { snaplen: 128 }; // keep the first 128 bytes of each frame
 * ```
 */
export interface PcapWriterOptions {
  /** Largest number of bytes kept per frame (1..262144); default 65535. */
  snaplen?: number;
  /** Size of the buffers records are appended to (bytes); default 1 MiB. */
  chunkSize?: number;
}

/**
 * Builds a classic pcap file in memory: little-endian, nanosecond timestamps (magic
 * 0xa1b23c4d), version 2.4, link type 1 (Ethernet), as described in libpcap's
 * `pcap/pcap.h` and `pcap-savefile(5)`. Records are copied into large buffers (no allocation
 * per frame); {@link PcapWriter.toBytes} joins them.
 *
 * @example
 * ```ts
 * const w = new PcapWriter();
 * w.append(pool.bytes, pool.start[h]!, pool.length[h]!, scheduler.now());
 * writeFileSync('eth0.pcap', w.toBytes());
 * ```
 */
export class PcapWriter {
  /** Largest number of bytes kept per frame. */
  readonly snaplen: number;
  private readonly chunkSize: number;
  private readonly chunks: Uint8Array[] = [];
  private chunk: Uint8Array;
  private used = 0;
  private full = 0;
  private count = 0;

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a snaplen outside 1..262144 or a
   * chunk size under 64 KiB.
   */
  constructor(options: PcapWriterOptions = {}) {
    this.snaplen = options.snaplen ?? 65535;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1 || this.snaplen > 262144) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pcap snaplen must be an integer in 1..262144, got ${this.snaplen}`,
      );
    }
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1 << 16) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pcap chunkSize must be an integer >= 65536, got ${this.chunkSize}`,
      );
    }
    this.chunk = new Uint8Array(this.chunkSize);
    const header = new DataView(this.chunk.buffer);
    header.setUint32(0, PCAP_NSEC_MAGIC, true);
    header.setUint16(4, 2, true); // version major
    header.setUint16(6, 4, true); // version minor
    // thiszone and sigfigs stay 0
    header.setUint32(16, this.snaplen, true);
    header.setUint32(20, LINKTYPE_ETHERNET, true);
    this.used = GLOBAL_HEADER_LEN;
  }

  /** Records appended so far. */
  get records(): number {
    return this.count;
  }

  /** Size of the file so far (global header included). */
  get byteLength(): number {
    return this.full + this.used;
  }

  /** Bytes a frame of `length` bytes adds to the file (record header included). */
  recordLength(length: number): number {
    return RECORD_HEADER_LEN + Math.min(length, this.snaplen);
  }

  /**
   * Appends the frame `bytes[offset .. offset+length)` seen at `timeNs` (ns since the start of
   * the run). Frames longer than the snaplen are cut, with their original length recorded.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a range outside `bytes` or a time
   * that is negative or not finite.
   */
  append(bytes: Uint8Array, offset: number, length: number, timeNs: number): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pcap record [${offset}, ${offset}+${length}) is outside the ${bytes.length}-byte buffer`,
      );
    }
    if (!(timeNs >= 0 && timeNs < Infinity)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pcap record time must be a finite number of ns >= 0, got ${timeNs}`,
      );
    }
    const incl = Math.min(length, this.snaplen);
    const need = RECORD_HEADER_LEN + incl;
    if (this.used + need > this.chunk.length) this.newChunk(need);
    const sec = Math.floor(timeNs / 1e9);
    const c = this.chunk;
    const o = this.used;
    putLe32(c, o, sec);
    putLe32(c, o + 4, Math.floor(timeNs - sec * 1e9));
    putLe32(c, o + 8, incl);
    putLe32(c, o + 12, length);
    // A byte loop rather than set(subarray(...)): no view object per frame.
    const d = o + RECORD_HEADER_LEN - offset;
    for (let i = offset, end = offset + incl; i < end; i++) c[d + i] = bytes[i] as number;
    this.used = o + need;
    this.count++;
  }

  /** The whole file: global header and every record. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    out.set(this.chunk.subarray(0, this.used), o);
    return out;
  }

  private newChunk(need: number): void {
    const done = this.chunk.subarray(0, this.used);
    this.chunks.push(done);
    this.full += done.length;
    this.chunk = new Uint8Array(Math.max(this.chunkSize, need));
    this.used = 0;
  }
}
