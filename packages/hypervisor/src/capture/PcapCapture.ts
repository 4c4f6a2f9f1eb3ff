import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BypassError } from '@bypass/core';
import type { PacketPool } from '@bypass/core';
import type { FrameCapture } from './FrameCapture.js';
import { PcapWriter } from './PcapWriter.js';

/**
 * Options of a {@link PcapCapture}.
 *
 * @example
 * ```ts
 * const opts: PcapCaptureOptions = { maxBytesPerPoint: 16 * 1024 * 1024, snaplen: 256 };
 * ```
 */
export interface PcapCaptureOptions {
  /**
   * Largest pcap size kept per capture point, in bytes (global header and records). Frames
   * beyond it are not recorded and are counted in `truncated`. Default 64 MiB.
   */
  maxBytesPerPoint?: number;
  /** Largest number of bytes kept per frame; default 65535. */
  snaplen?: number;
}

interface Point {
  readonly name: string;
  readonly file: string;
  readonly writer: PcapWriter;
  truncated: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * A {@link FrameCapture} that keeps one in-memory pcap per capture point and writes them as
 * `<point>.pcap` files (Wireshark and tshark read them; nanosecond timestamps are the
 * simulated time). Each point holds at most `maxBytesPerPoint` bytes, so a long run cannot eat
 * the memory: frames beyond the cap are counted, not kept.
 *
 * Point names become file names: every character other than letters, digits, `.`, `_` and `-`
 * is replaced with `-` (`vm1/eth0` is recorded in `vm1-eth0.pcap`), and a name that would
 * collide with an earlier point's file gets a `-2`, `-3`... suffix.
 *
 * @example
 * ```ts
 * const cap = new PcapCapture({ maxBytesPerPoint: 8 << 20 });
 * const p = cap.point('vm1/eth0-vf');
 * cap.record(p, pool, pkts, 0, n, scheduler.now());
 * const files = cap.write('out/pcap'); // ['out/pcap/vm1-eth0-vf.pcap']
 * ```
 */
export class PcapCapture implements FrameCapture {
  private readonly maxBytes: number;
  private readonly snaplen: number;
  private readonly byName = new Map<string, number>();
  private readonly files = new Set<string>();
  private readonly list: Point[] = [];

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a cap under 24 bytes (one pcap
   * header) or a snaplen outside 1..262144.
   */
  constructor(options: PcapCaptureOptions = {}) {
    this.maxBytes = options.maxBytesPerPoint ?? DEFAULT_MAX_BYTES;
    this.snaplen = options.snaplen ?? 65535;
    if (!(Number.isInteger(this.maxBytes) && this.maxBytes >= 24)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `maxBytesPerPoint must be an integer >= 24 (one pcap header), got ${this.maxBytes}`,
      );
    }
    if (!(Number.isInteger(this.snaplen) && this.snaplen >= 1 && this.snaplen <= 262144)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pcap snaplen must be an integer in 1..262144, got ${this.snaplen}`,
      );
    }
  }

  /**
   * The file-safe form of a capture point name: characters other than letters, digits, `.`,
   * `_` and `-` become `-`, and a name made only of dots has its dots replaced too.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an empty name.
   */
  static fileSafe(name: string): string {
    if (name.length === 0) {
      throw new BypassError('ERR_INVALID_ARGUMENT', 'a capture point needs a non-empty name');
    }
    const safe = name.replace(/[^A-Za-z0-9._-]/g, '-');
    return /^\.+$/.test(safe) ? safe.replace(/\./g, '-') : safe;
  }

  /**
   * The id of the capture point called `name`, created on first use.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an empty name.
   */
  point(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    const base = PcapCapture.fileSafe(name);
    let file = base;
    for (let i = 2; this.files.has(file); i++) file = `${base}-${i}`;
    this.files.add(file);
    const id = this.list.length;
    const writer = new PcapWriter({ snaplen: this.snaplen, chunkSize: 1 << 16 });
    this.list.push({ name, file, writer, truncated: 0 });
    this.byName.set(name, id);
    return id;
  }

  /**
   * Copies `pkts[start .. start+count)` into capture point `point` at `timeNs`. Frames that
   * would take the point past its byte cap are counted in `truncated` instead.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an unknown point id, a range outside
   * `pkts`, a handle outside `pool` or a negative time.
   */
  record(
    point: number,
    pool: PacketPool,
    pkts: Int32Array,
    start: number,
    count: number,
    timeNs: number,
  ): void {
    const p = this.list[point];
    if (p === undefined) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `capture point ${point} does not exist; get ids from point(name)`,
      );
    }
    if (!(start >= 0 && count >= 0 && start + count <= pkts.length)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `burst [${start}, ${start}+${count}) is outside the ${pkts.length}-handle array`,
      );
    }
    const w = p.writer;
    for (let i = start, end = start + count; i < end; i++) {
      const h = pkts[i] as number;
      const len = pool.length[h];
      if (len === undefined) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `handle ${h} is not a slot of the pool (capacity ${pool.capacity})`,
        );
      }
      if (w.byteLength + w.recordLength(len) > this.maxBytes) {
        p.truncated++;
        continue;
      }
      w.append(pool.bytes, pool.start[h] as number, len, timeNs);
    }
  }

  /** File-safe names of the capture points, in creation order (ids 0, 1, ...). */
  points(): string[] {
    return this.list.map((p) => p.file);
  }

  /** Frames recorded at point `point` (0 for an unknown id). */
  frames(point: number): number {
    return this.list[point]?.writer.records ?? 0;
  }

  /** Frames not recorded because their point had reached its byte cap, all points. */
  get truncated(): number {
    let n = 0;
    for (const p of this.list) n += p.truncated;
    return n;
  }

  /** Frames not recorded at point `point` because of the byte cap (0 for an unknown id). */
  truncatedAt(point: number): number {
    return this.list[point]?.truncated ?? 0;
  }

  /**
   * The pcap file of point `point`.
   *
   * @throws `BypassError` `ERR_NOT_FOUND` for an unknown point id.
   */
  pcap(point: number): Uint8Array {
    const p = this.list[point];
    if (p === undefined) {
      throw new BypassError('ERR_NOT_FOUND', `capture point ${point} does not exist`);
    }
    return p.writer.toBytes();
  }

  /**
   * Creates `dir` (and its parents) and writes `<point>.pcap` for every point, frames or not.
   * Returns the paths written, in point order.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` when the directory cannot be created or
   * a file cannot be written (the message carries the system error).
   */
  write(dir: string): string[] {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `cannot create the pcap directory '${dir}': ${(err as Error).message}; pick a writable path`,
      );
    }
    return this.list.map((p) => {
      const path = join(dir, `${p.file}.pcap`);
      try {
        writeFileSync(path, p.writer.toBytes());
      } catch (err) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `cannot write '${path}': ${(err as Error).message}; pick a writable directory`,
        );
      }
      return path;
    });
  }
}
