import { BypassError } from '@bypass/core';
import { VMBUS_DESCRIPTOR_SIZE, type VmbusPacket } from './VmbusPacket.js';

/**
 * Bytes of the ring header page (Linux `struct hv_ring_buffer` padded to PAGE_SIZE).
 *
 * @example
 * ```ts
 * const dataBytes = VmbusRingBuffer.bytesFor(128) - VMBUS_RING_HEADER_SIZE;
 * ```
 */
export const VMBUS_RING_HEADER_SIZE = 4096;
/**
 * The Hyper-V page size.
 *
 * @example
 * ```ts
 * const ringBytes = 128 * HV_PAGE_SIZE; // netvsc's default ring_size
 * ```
 */
export const HV_PAGE_SIZE = 4096;

// Field offsets inside the header page (include/linux/hyperv.h: struct hv_ring_buffer).
const WRITE_INDEX = 0;
const READ_INDEX = 4;
const INTERRUPT_MASK = 8;
const PENDING_SEND_SZ = 12;
const FEATURE_BITS = 64;
/** feature_bits.feat_pending_send_sz */
const FEAT_PENDING_SEND_SZ = 1;
const TRAILER = 8;

/**
 * Counters of a {@link VmbusRingBuffer}: traffic, refusals, and every piece of corrupt shared
 * state it refused to trust.
 *
 * @example
 * ```ts
 * const s: VmbusRingStats = ring.stats;
 * if (s.badIndex + s.badPacket > 0) console.warn('the peer wrote garbage into the ring');
 * ```
 */
export interface VmbusRingStats {
  packetsWritten: number;
  bytesWritten: number;
  packetsRead: number;
  bytesRead: number;
  /** Writes refused because the ring had no room (Linux `-EAGAIN`). */
  full: number;
  /** Reads or writes refused because an index in shared memory was out of the ring or misaligned. */
  badIndex: number;
  /** Packets refused because their descriptor (len8, offset8) does not fit what was written. */
  badPacket: number;
  /** Bytes skipped when a corrupt packet made the rest of the ring unreadable. */
  bytesDiscarded: number;
}

/**
 * One direction of a VMBus channel laid out in shared memory as Hyper-V does it (Linux
 * `include/linux/hyperv.h` struct hv_ring_buffer, `drivers/hv/ring_buffer.c`): a header page with
 * `write_index` (offset 0), `read_index` (4), `interrupt_mask` (8), `pending_send_sz` (12) and
 * `feature_bits` (64), then the data area. Packets are a 16-byte `vmpacket_descriptor` (type,
 * offset8, len8, flags, trans_id), the payload padded to 8 bytes, and a trailing u64 holding the
 * write index before the packet ("previous index"); they wrap around the end of the data area.
 *
 * Both sides are here: the producer ({@link VmbusRingBuffer.write} and the gathered
 * {@link VmbusRingBuffer.begin} / {@link VmbusRingBuffer.put} / {@link VmbusRingBuffer.commit})
 * and the consumer ({@link VmbusRingBuffer.read}). Everything read from shared memory is
 * validated: an index outside the data area or not 8-aligned, a packet longer than what was
 * written or with a header offset outside the packet, is refused and counted; a corrupt packet
 * makes the consumer skip everything written so far (counted in `bytesDiscarded`). Nothing is
 * read out of bounds and no call loops.
 *
 * As in `ring_buffer.c`, the ring is full when a write would make the write index catch up with
 * the read index (one byte is always left free), and the producer should signal the consumer
 * only when the ring was empty before the write and the consumer's `interrupt_mask` is clear
 * ({@link VmbusRingBuffer.commit}); the consumer signals a producer that asked for room only on
 * the round of reads that gives it that room ({@link VmbusRingBuffer.closeRead}).
 *
 * Deliberate differences: `read_index` is published after every packet (as DPDK's
 * `vmbus_rxbr_read` does) where Linux publishes it once per round in `hv_pkt_iter_close`; a
 * descriptor whose len8/offset8 do not fit what was written is refused and the ring skipped,
 * where Linux's `hv_pkt_iter_first` clamps them and DPDK's `rte_vmbus_chan_recv` returns -EIO.
 *
 * @example
 * ```ts
 * const mem = new ArrayBuffer(VmbusRingBuffer.bytesFor(128));
 * const ring = new VmbusRingBuffer(mem, 0, mem.byteLength);
 * ring.write(VM_PKT.DATA_INBAND, 0, 1, payload, 0, payload.length); // 'ok' | 'full' | 'corrupt'
 * const pkt = new VmbusPacket(ring.dataSize);
 * ring.read(pkt); // true: pkt.type, pkt.transId, pkt.data[0 .. pkt.length)
 * ```
 */
export class VmbusRingBuffer {
  /** Bytes of the data area. */
  readonly dataSize: number;
  /** Counters. */
  readonly stats: VmbusRingStats = {
    packetsWritten: 0,
    bytesWritten: 0,
    packetsRead: 0,
    bytesRead: 0,
    full: 0,
    badIndex: 0,
    badPacket: 0,
    bytesDiscarded: 0,
  };
  private readonly hdr: DataView;
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly desc = new Uint8Array(VMBUS_DESCRIPTOR_SIZE);
  private readonly descView = new DataView(this.desc.buffer);
  private readonly pad = new Uint8Array(8);
  // Producer cursor between begin() and commit().
  private wStart = -1;
  private wPos = 0;
  private wEnd = 0;
  private wLeft = 0;
  // Consumer: bytes freed since the last closeRead() (hv_pkt_iter_close's bytes_read).
  private readSinceClose = 0;

  /**
   * Whether a refused write records its size in `pending_send_sz` so that the consumer signals
   * once that much room is free. Hyper-V does it on the host-to-guest ring; netvsc and the DPDK
   * PMD never do on their outbound ring (they wait for send completions), so the channel turns
   * it off for the guest's side. Default true.
   */
  pendingOnFull = true;

  /** Bytes needed for a ring of `pages` pages (header page included), as `vmbus_open` takes them. */
  static bytesFor(pages: number): number {
    return pages * HV_PAGE_SIZE;
  }

  /**
   * @param buffer - the shared memory
   * @param byteOffset - where the ring (its header page) starts, page aligned
   * @param byteLength - header page plus data area, a multiple of 4096, at least 2 pages
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a layout that does not fit.
   */
  constructor(buffer: ArrayBuffer, byteOffset: number, byteLength: number) {
    if (
      !Number.isInteger(byteOffset) ||
      !Number.isInteger(byteLength) ||
      byteOffset < 0 ||
      byteOffset % HV_PAGE_SIZE !== 0 ||
      byteLength % HV_PAGE_SIZE !== 0 ||
      byteLength < 2 * HV_PAGE_SIZE ||
      byteOffset + byteLength > buffer.byteLength
    ) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `a VMBus ring needs a page-aligned offset and a length of at least 2 pages (multiple of 4096) inside its buffer; got offset ${byteOffset}, length ${byteLength}`,
      );
    }
    this.hdr = new DataView(buffer, byteOffset, VMBUS_RING_HEADER_SIZE);
    this.dataSize = byteLength - VMBUS_RING_HEADER_SIZE;
    this.bytes = new Uint8Array(buffer, byteOffset + VMBUS_RING_HEADER_SIZE, this.dataSize);
    this.dv = new DataView(buffer, byteOffset + VMBUS_RING_HEADER_SIZE, this.dataSize);
  }

  /** Resets the header (what the guest does when it sets the ring up in `vmbus_open`). */
  init(): void {
    for (let i = 0; i < VMBUS_RING_HEADER_SIZE; i += 4) this.hdr.setUint32(i, 0, true);
    this.hdr.setUint32(FEATURE_BITS, FEAT_PENDING_SEND_SZ, true);
  }

  /** `write_index` as it is in shared memory (not validated). */
  get writeIndex(): number {
    return this.hdr.getUint32(WRITE_INDEX, true);
  }

  /** `read_index` as it is in shared memory (not validated). */
  get readIndex(): number {
    return this.hdr.getUint32(READ_INDEX, true);
  }

  /** The consumer's `interrupt_mask`: non-zero while it polls and needs no signal. */
  get interruptMask(): number {
    return this.hdr.getUint32(INTERRUPT_MASK, true);
  }

  set interruptMask(v: number) {
    this.hdr.setUint32(INTERRUPT_MASK, v >>> 0, true);
  }

  /** `pending_send_sz`: bytes the producer waits for; the consumer signals when they are free. */
  get pendingSendSize(): number {
    return this.hdr.getUint32(PENDING_SEND_SZ, true);
  }

  set pendingSendSize(v: number) {
    this.hdr.setUint32(PENDING_SEND_SZ, v >>> 0, true);
  }

  /** Raw header access for tests and fault injection (a hostile peer writes here). */
  get header(): DataView {
    return this.hdr;
  }

  /** Bytes written and not yet read; -1 when the shared indices are corrupt. */
  bytesToRead(): number {
    const w = this.writeIndex;
    const r = this.readIndex;
    if (!this.validIndex(w) || !this.validIndex(r)) return -1;
    return w >= r ? w - r : this.dataSize - r + w;
  }

  /** Bytes free for the producer; -1 when the shared indices are corrupt. */
  bytesToWrite(): number {
    const n = this.bytesToRead();
    return n < 0 ? -1 : this.dataSize - n;
  }

  // ---------------------------------------------------------------- producer

  /**
   * Writes one packet with a single payload. Returns `'ok'`, `'full'` (no room: retry later;
   * Linux `-EAGAIN`) or `'corrupt'` (the shared indices are invalid; nothing written).
   */
  write(
    type: number,
    flags: number,
    transId: number,
    payload: Uint8Array,
    off: number,
    len: number,
  ): 'ok' | 'full' | 'corrupt' {
    const r = this.begin(type, flags, transId, len);
    if (r !== 'ok') return r;
    this.put(payload, off, len);
    this.commit();
    return 'ok';
  }

  /**
   * Starts a packet of `payloadLength` bytes (gathered with {@link VmbusRingBuffer.put}, then
   * published with {@link VmbusRingBuffer.commit}). Refuses like {@link VmbusRingBuffer.write}.
   */
  begin(
    type: number,
    flags: number,
    transId: number,
    payloadLength: number,
  ): 'ok' | 'full' | 'corrupt' {
    if (this.wStart >= 0) {
      throw new BypassError('ERR_STATE', 'a VMBus ring packet is already open; commit it first');
    }
    const packetLen = align8(VMBUS_DESCRIPTOR_SIZE + payloadLength);
    const total = packetLen + TRAILER;
    const avail = this.bytesToWrite();
    if (avail < 0) {
      this.stats.badIndex++;
      return 'corrupt';
    }
    // ring_buffer.c: a packet that would fill the ring exactly is refused (read == write means empty).
    if (avail <= total || packetLen / 8 > 0xffff) {
      this.stats.full++;
      if (
        this.pendingOnFull &&
        (this.hdr.getUint32(FEATURE_BITS, true) & FEAT_PENDING_SEND_SZ) !== 0
      )
        this.pendingSendSize = total;
      return 'full';
    }
    const d = this.descView;
    d.setUint16(0, type, true);
    d.setUint16(2, VMBUS_DESCRIPTOR_SIZE / 8, true);
    d.setUint16(4, packetLen / 8, true);
    d.setUint16(6, flags, true);
    d.setUint32(8, transId >>> 0, true);
    d.setUint32(12, Math.floor(transId / 0x1_0000_0000) >>> 0, true);
    const w = this.writeIndex;
    this.wStart = w;
    this.wEnd = (w + packetLen) % this.dataSize;
    this.wLeft = payloadLength;
    this.wPos = this.copyIn(w, this.desc, 0, VMBUS_DESCRIPTOR_SIZE);
    return 'ok';
  }

  /** Appends payload bytes to the open packet (never beyond what `begin` reserved). */
  put(src: Uint8Array, off: number, len: number): void {
    const n = len < this.wLeft ? len : this.wLeft;
    if (this.wStart < 0 || n <= 0) return;
    this.wLeft -= n;
    this.wPos = this.copyIn(this.wPos, src, off, n);
  }

  /**
   * Pads and publishes the open packet: trailer written, then `write_index` moved. Returns true
   * when the consumer must be signalled: its interrupt mask is clear and `read_index`, read now
   * (after the publish), still equals the write index this packet started at, so the consumer
   * may have found the ring empty and stopped polling (`ring_buffer.c` hv_signal_on_write, DPDK
   * `vmbus_bufring.c` vmbus_txbr_need_signal).
   */
  commit(): boolean {
    const start = this.wStart;
    if (start < 0) return false;
    // Whatever the caller did not put (short payload, padding) is zero-filled.
    let pos = this.wPos;
    while (pos !== this.wEnd)
      pos = this.copyIn(pos, this.pad, 0, Math.min(8, this.dist(pos, this.wEnd)));
    // The trailing u64: the write index before this packet, in its upper 32 bits.
    this.dv.setUint32(pos, 0, true);
    this.dv.setUint32(pos + 4, start, true);
    const next = (pos + TRAILER) % this.dataSize;
    const len = this.dist(start, next);
    this.hdr.setUint32(WRITE_INDEX, next, true);
    this.wStart = -1;
    this.stats.packetsWritten++;
    this.stats.bytesWritten += len;
    if (this.pendingSendSize !== 0 && this.bytesToWrite() > this.pendingSendSize)
      this.pendingSendSize = 0;
    // ring_buffer.c hv_signal_on_write: interrupt_mask first, then read_index against the old write index.
    if (this.interruptMask !== 0) return false;
    return this.readIndex === start;
  }

  // ---------------------------------------------------------------- consumer

  /**
   * Reads the next packet into `pkt` and frees its room. Returns false when the ring is empty, or
   * when the shared state is corrupt (counted: `badIndex`, or `badPacket` and the rest of the
   * ring skipped).
   */
  read(pkt: VmbusPacket): boolean {
    const w = this.writeIndex;
    const r = this.readIndex;
    if (!this.validIndex(w) || !this.validIndex(r)) {
      this.stats.badIndex++;
      return false;
    }
    if (w === r) return false;
    const avail = w > r ? w - r : this.dataSize - r + w;
    if (avail < VMBUS_DESCRIPTOR_SIZE + TRAILER) return this.corrupt(w, avail);
    const type = this.u16(r);
    const offset = this.u16(r + 2) * 8;
    const len = this.u16(r + 4) * 8;
    if (len < VMBUS_DESCRIPTOR_SIZE || len + TRAILER > avail) return this.corrupt(w, avail);
    if (offset < VMBUS_DESCRIPTOR_SIZE || offset > len) return this.corrupt(w, avail);
    const dataLen = len - offset;
    if (dataLen > pkt.data.length) return this.corrupt(w, avail);
    pkt.type = type;
    pkt.flags = this.u16(r + 6);
    pkt.transId = this.u32(r + 8) + this.u32(r + 12) * 0x1_0000_0000;
    pkt.length = dataLen;
    this.copyOut((r + offset) % this.dataSize, pkt.data, dataLen);
    const next = (r + len + TRAILER) % this.dataSize;
    this.hdr.setUint32(READ_INDEX, next, true);
    this.readSinceClose += len + TRAILER;
    this.stats.packetsRead++;
    this.stats.bytesRead += len + TRAILER;
    return true;
  }

  /**
   * Ends a round of reads and says whether the producer must be signalled (Linux
   * `ring_buffer.c` hv_pkt_iter_close, DPDK `vmbus_channel.c` rte_vmbus_chan_signal_read): only
   * when the ring has FEAT_PENDING_SEND_SZ, the producer asked for room (`pending_send_sz` not 0),
   * there was not more than that room before the bytes read since the last call, and there is
   * more than that now. A second round that frees more room while the producer has not written
   * yet signals nothing: the transition already happened.
   */
  closeRead(): boolean {
    const bytesRead = this.readSinceClose;
    this.readSinceClose = 0;
    if ((this.hdr.getUint32(FEATURE_BITS, true) & FEAT_PENDING_SEND_SZ) === 0) return false;
    const want = this.pendingSendSize;
    if (want === 0) return false;
    const free = this.bytesToWrite();
    if (free < 0) return false;
    // hv_pkt_iter_close: room enough before this round means the producer was not blocked.
    if (free - bytesRead > want) return false;
    return free > want;
  }

  // ---------------------------------------------------------------- internals

  private validIndex(i: number): boolean {
    return i < this.dataSize && (i & 7) === 0;
  }

  private corrupt(w: number, avail: number): false {
    this.stats.badPacket++;
    this.stats.bytesDiscarded += avail;
    this.readSinceClose += avail;
    this.hdr.setUint32(READ_INDEX, w, true);
    return false;
  }

  private dist(from: number, to: number): number {
    return to >= from ? to - from : this.dataSize - from + to;
  }

  private u16(i: number): number {
    const s = this.dataSize;
    return (this.bytes[i % s] as number) | ((this.bytes[(i + 1) % s] as number) << 8);
  }

  private u32(i: number): number {
    return (this.u16(i) + this.u16(i + 2) * 0x10000) >>> 0;
  }

  // Byte loops rather than set(subarray()): no view object allocated per packet.
  private copyIn(pos: number, src: Uint8Array, off: number, len: number): number {
    const b = this.bytes;
    const size = this.dataSize;
    let p = pos;
    for (let i = off, end = off + len; i < end; i++) {
      b[p] = src[i] as number;
      if (++p === size) p = 0;
    }
    return p;
  }

  private copyOut(pos: number, dst: Uint8Array, len: number): void {
    const b = this.bytes;
    const size = this.dataSize;
    let p = pos;
    for (let i = 0; i < len; i++) {
      dst[i] = b[p] as number;
      if (++p === size) p = 0;
    }
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
