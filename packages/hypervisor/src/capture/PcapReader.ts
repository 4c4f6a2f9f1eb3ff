import { BypassError } from '@bypass/core';

/**
 * One frame of a pcap file read by {@link readPcap}.
 *
 * @example
 * ```ts
 * const r: PcapRecord = readPcap(bytes).records[0]!;
 * console.log(r.timeNs, r.data.length, r.originalLength);
 * ```
 */
export interface PcapRecord {
  /** Timestamp in ns (microsecond files are scaled). */
  readonly timeNs: number;
  /** The bytes kept (at most the snaplen); a view into the file's bytes. */
  readonly data: Uint8Array;
  /** Length of the frame on the wire. */
  readonly originalLength: number;
}

/**
 * A pcap file read by {@link readPcap}.
 *
 * @example
 * ```ts
 * const file: PcapFile = readPcap(readFileSync('vm1-eth0.pcap'));
 * if (file.linkType !== 1) throw new Error('not Ethernet');
 * ```
 */
export interface PcapFile {
  /** True for nanosecond timestamps (magic 0xa1b23c4d), false for microseconds (0xa1b2c3d4). */
  readonly nanosecond: boolean;
  /** Format version, major part (2). */
  readonly versionMajor: number;
  /** Format version, minor part (4). */
  readonly versionMinor: number;
  /** Largest number of bytes kept per frame. */
  readonly snaplen: number;
  /** Link type (1 = Ethernet). */
  readonly linkType: number;
  /** The frames, in file order. */
  readonly records: readonly PcapRecord[];
}

const MAGIC_US = 0xa1b2_c3d4;
const MAGIC_NS = 0xa1b2_3c4d;

function parseError(message: string): BypassError {
  return new BypassError('ERR_PARSE', `not a valid pcap file: ${message}`);
}

/**
 * Parses a classic pcap file (either byte order, microsecond or nanosecond timestamps; see
 * libpcap's `pcap-savefile(5)`), e.g. to check what a {@link PcapCapture} wrote.
 *
 * @throws `BypassError` `ERR_PARSE` for a file that is too short, has an unknown magic
 * number, or has a record that is cut or longer than the snaplen allows.
 *
 * @example
 * ```ts
 * const { records } = readPcap(cap.pcap(cap.point('client')));
 * for (const r of records) console.log(r.timeNs, r.originalLength);
 * ```
 */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw parseError(`${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let magic = view.getUint32(0, true);
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    le = false;
    magic = view.getUint32(0, false);
  }
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    throw parseError(`unknown magic number 0x${view.getUint32(0, true).toString(16)}`);
  }
  const nanosecond = magic === MAGIC_NS;
  const snaplen = view.getUint32(16, le);
  const records: PcapRecord[] = [];
  let o = 24;
  while (o < bytes.length) {
    if (o + 16 > bytes.length) throw parseError(`record header cut at byte ${o}`);
    const sec = view.getUint32(o, le);
    const frac = view.getUint32(o + 4, le);
    const incl = view.getUint32(o + 8, le);
    const orig = view.getUint32(o + 12, le);
    if (incl > Math.max(snaplen, 262144) || incl > orig) {
      throw parseError(`record at byte ${o} keeps ${incl} bytes of a ${orig}-byte frame`);
    }
    if (o + 16 + incl > bytes.length) throw parseError(`record data cut at byte ${o}`);
    records.push({
      timeNs: sec * 1e9 + (nanosecond ? frac : frac * 1000),
      data: bytes.subarray(o + 16, o + 16 + incl),
      originalLength: orig,
    });
    o += 16 + incl;
  }
  return {
    nanosecond,
    versionMajor: view.getUint16(4, le),
    versionMinor: view.getUint16(6, le),
    snaplen,
    linkType: view.getUint32(20, le),
    records,
  };
}
