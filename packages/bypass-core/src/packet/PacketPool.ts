import { BypassError } from '../errors/BypassError.js';
import type { DropReasonCode } from './DropReason.js';

/**
 * Options of a {@link PacketPool}.
 *
 * @example
 * ```ts
 * const opts: PacketPoolOptions = { slots: 4096, slotSize: 2048, headroom: 128 };
 * ```
 */
export interface PacketPoolOptions {
  /** Number of frames the pool holds (fixed for its lifetime). */
  slots: number;
  /** Bytes per slot, headroom included. Default 2048. */
  slotSize?: number;
  /** Bytes kept free before the frame (room to push a VLAN tag or a header). Default 128. */
  headroom?: number;
}

/**
 * Called for every burst dropped through {@link PacketPool.drop}, before the slots are freed.
 * It must not keep the handles.
 *
 * @example
 * ```ts
 * const observer: DropObserver = (pool, pkts, start, count, reason) => {
 *   for (let i = start; i < start + count; i++) perFlow[pool.mark[pkts[i]!]!]![reason]++;
 * };
 * ```
 */
export type DropObserver = (
  pool: PacketPool,
  pkts: Int32Array,
  start: number,
  count: number,
  reason: DropReasonCode,
) => void;

/**
 * A fixed set of frame slots in one ArrayBuffer. Frames are named by numeric handles (the slot
 * index), so the data plane moves integers in bursts and never allocates per packet. The pool
 * never grows: when it is empty, {@link PacketPool.alloc} returns -1 and counts the failure.
 *
 * Per-slot metadata lives in parallel typed arrays: `length`, `start` (data offset inside the
 * pool's bytes), `vlanTci` with `flags & PacketPool.F_VLAN` (a tag stripped into metadata, as
 * DPDK's mbuf `vlan_tci`), `mark` (an opaque 32-bit tag, e.g. a flow id), `port` (ifindex of the
 * device the frame was last received on) and `timestamp` (ns).
 *
 * Freeing a free slot or an out-of-range handle is counted (`doubleFrees`, `invalidFrees`) and
 * otherwise ignored: a misbehaving driver cannot corrupt the free list.
 *
 * @example
 * ```ts
 * const pool = new PacketPool({ slots: 1024 });
 * const h = pool.alloc();
 * pool.setLength(h, 64);
 * pool.bytes.fill(0xff, pool.start[h], pool.start[h] + 6); // broadcast destination
 * pool.free(h);
 * ```
 */
export class PacketPool {
  /** `flags` bit: a VLAN tag was stripped into `vlanTci`. */
  static readonly F_VLAN = 1;

  readonly capacity: number;
  readonly slotSize: number;
  readonly headroom: number;
  readonly buffer: ArrayBuffer;
  /** All frame bytes. A frame's data is `bytes[start[h] .. start[h] + length[h])`. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly length: Uint32Array;
  readonly start: Uint32Array;
  readonly vlanTci: Uint16Array;
  readonly flags: Uint8Array;
  readonly mark: Uint32Array;
  readonly port: Int32Array;
  readonly timestamp: Float64Array;
  /** 1 while a slot is allocated. */
  readonly inUseMap: Uint8Array;

  /** Allocations refused because the pool was empty. */
  allocFailures = 0;
  /** Frees of a slot that was already free (ignored). */
  doubleFrees = 0;
  /** Frees of a handle outside the pool (ignored). */
  invalidFrees = 0;
  /** Frames dropped through {@link PacketPool.drop}, all reasons. */
  dropped = 0;
  /** Optional observer of drops (the simulator attributes them to flows). */
  onDrop: DropObserver | null = null;
  /**
   * Called by {@link PacketPool.imported} for a frame a device built from memory outside the
   * pool (a VMBus ring): lets the owner of the simulation tag it (see {@link PacketPool.mark}).
   */
  onImport: ((pool: PacketPool, h: number) => void) | null = null;
  /**
   * Called by {@link PacketPool.clone} with the original and its new copy: lets the owner of the
   * simulation tag the copy (the simulator marks it as a copy, whose fate is not its flow's).
   */
  onClone: ((pool: PacketPool, original: number, copy: number) => void) | null = null;
  /**
   * Called by {@link PacketPool.dropForeign} for a frame dropped while it was still outside the
   * pool (its bytes in a VMBus ring and no slot to copy it into).
   */
  onForeignDrop:
    ((bytes: Uint8Array, offset: number, length: number, reason: DropReasonCode) => void) | null =
    null;

  private readonly freeList: Int32Array;
  private freeTop: number;

  /**
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a non-positive slot count, a slot size
   * under 128 bytes or above 1 MiB, or a headroom that leaves less than 64 bytes of data room.
   */
  constructor(options: PacketPoolOptions) {
    const slots = options.slots;
    const slotSize = options.slotSize ?? 2048;
    const headroom = options.headroom ?? 128;
    if (!Number.isInteger(slots) || slots < 1 || slots > 1 << 24) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pool slots must be an integer in 1..16777216, got ${slots}`,
      );
    }
    if (!Number.isInteger(slotSize) || slotSize < 128 || slotSize > 1 << 20) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pool slotSize must be an integer in 128..1048576, got ${slotSize}`,
      );
    }
    if (!Number.isInteger(headroom) || headroom < 0 || slotSize - headroom < 64) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `pool headroom ${headroom} leaves less than 64 data bytes in a ${slotSize}-byte slot`,
      );
    }
    this.capacity = slots;
    this.slotSize = slotSize;
    this.headroom = headroom;
    this.buffer = new ArrayBuffer(slots * slotSize);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.length = new Uint32Array(slots);
    this.start = new Uint32Array(slots);
    this.vlanTci = new Uint16Array(slots);
    this.flags = new Uint8Array(slots);
    this.mark = new Uint32Array(slots);
    this.port = new Int32Array(slots);
    this.timestamp = new Float64Array(slots);
    this.inUseMap = new Uint8Array(slots);
    this.freeList = new Int32Array(slots);
    // Lowest handles on top of the stack: allocation order is deterministic.
    for (let i = 0; i < slots; i++) this.freeList[i] = slots - 1 - i;
    this.freeTop = slots;
  }

  /** Slots currently allocated. */
  get inUse(): number {
    return this.capacity - this.freeTop;
  }

  /** Slots currently free. */
  get available(): number {
    return this.freeTop;
  }

  /** Largest frame a slot can hold with the default headroom. */
  get maxFrameLength(): number {
    return this.slotSize - this.headroom;
  }

  /** Takes one slot (metadata reset, length 0); -1 when the pool is empty (counted). */
  alloc(): number {
    if (this.freeTop === 0) {
      this.allocFailures++;
      return -1;
    }
    const h = this.freeList[--this.freeTop] as number;
    this.inUseMap[h] = 1;
    this.start[h] = h * this.slotSize + this.headroom;
    this.length[h] = 0;
    this.flags[h] = 0;
    this.vlanTci[h] = 0;
    this.mark[h] = 0;
    this.port[h] = 0;
    this.timestamp[h] = 0;
    return h;
  }

  /**
   * Takes up to `count` slots into `out[start..]`; returns how many it got. A shortfall is counted
   * once per missing frame in `allocFailures`.
   */
  allocBurst(out: Int32Array, start: number, count: number): number {
    let i = 0;
    for (; i < count; i++) {
      const h = this.alloc();
      if (h < 0) {
        this.allocFailures += count - i - 1;
        break;
      }
      out[start + i] = h;
    }
    return i;
  }

  /** True when `h` names a slot that is currently allocated. */
  isAllocated(h: number): boolean {
    return h >= 0 && h < this.capacity && this.inUseMap[h] === 1;
  }

  /**
   * True when slot `h` has room for a frame of `len` bytes from its data start: the rule
   * {@link PacketPool.setLength} enforces, for a caller that sets lengths itself in a loop over
   * a burst (and calls `setLength` for the error when a frame does not fit).
   */
  fits(h: number, len: number): boolean {
    return len >= 0 && len <= this.roomOf(h);
  }

  /** Bytes from slot `h`'s data start to the end of the slot. */
  private roomOf(h: number): number {
    return (h + 1) * this.slotSize - (this.start[h] as number);
  }

  /**
   * Sets the frame length, keeping the data start.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when the frame would not fit in its slot.
   */
  setLength(h: number, len: number): void {
    if (!this.fits(h, len)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `frame length ${len} does not fit in slot ${h} (room ${this.roomOf(h)})`,
      );
    }
    this.length[h] = len;
  }

  /**
   * Moves the data start by `delta` bytes (negative = prepend room, positive = strip a header)
   * and adjusts the length. Returns false (and changes nothing) when the result would leave the
   * slot or make the length negative.
   */
  adjustStart(h: number, delta: number): boolean {
    const base = h * this.slotSize;
    const s = (this.start[h] as number) + delta;
    const len = (this.length[h] as number) - delta;
    if (s < base || len < 0 || s + len > base + this.slotSize) return false;
    this.start[h] = s;
    this.length[h] = len;
    return true;
  }

  /**
   * Copies a frame (data and metadata) into a new slot, then tells {@link PacketPool.onClone};
   * -1 when the pool is empty.
   */
  clone(h: number): number {
    const c = this.alloc();
    if (c < 0) return -1;
    const len = this.length[h] as number;
    const src = this.start[h] as number;
    const dst = c * this.slotSize + (src - h * this.slotSize);
    this.bytes.copyWithin(dst, src, src + len);
    this.start[c] = dst;
    this.length[c] = len;
    this.flags[c] = this.flags[h] as number;
    this.vlanTci[c] = this.vlanTci[h] as number;
    this.mark[c] = this.mark[h] as number;
    this.port[c] = this.port[h] as number;
    this.timestamp[c] = this.timestamp[h] as number;
    const obs = this.onClone;
    if (obs !== null) obs(this, h, c);
    return c;
  }

  /**
   * The slot that holds byte `offset` of {@link PacketPool.bytes}, or -1 outside the buffer. A
   * device that copies a frame between two buffers of the same memory (a virtio backend writing
   * into a guest RX buffer) uses it to find the destination slot.
   *
   * @example
   * ```ts
   * const g = pool.slotAt(descriptorAddress);
   * if (g >= 0) pool.copyMeta(h, g);
   * ```
   */
  slotAt(offset: number): number {
    if (!(offset >= 0 && offset < this.buffer.byteLength)) return -1;
    return Math.floor(offset / this.slotSize);
  }

  /**
   * Copies the simulator's metadata of slot `from` (mark, timestamp) to slot `to`: the tags
   * that say which flow a frame belongs to travel with its bytes when a device copies them.
   *
   * @example
   * ```ts
   * copyBytes(h, g);
   * pool.copyMeta(h, g);
   * ```
   */
  copyMeta(from: number, to: number): void {
    this.mark[to] = this.mark[from] as number;
    this.timestamp[to] = this.timestamp[from] as number;
  }

  /**
   * A device copied frame `h` in from memory that is not the pool (a VMBus ring, a DMA buffer):
   * its bytes are complete now, its tags (mark, timestamp) are not. Calls
   * {@link PacketPool.onImport}, if set, so that whoever tags frames can tag it from its bytes.
   *
   * @example
   * ```ts
   * copyFromRing(ring, pool.bytes, pool.start[h]!, len);
   * pool.imported(h);
   * ```
   */
  imported(h: number): void {
    const f = this.onImport;
    if (f !== null) f(this, h);
  }

  /**
   * A device drops a frame it could not take into the pool (no free slot, too long for one):
   * its bytes are `bytes[offset .. offset+length)` in the device's own memory. Counted in
   * {@link PacketPool.dropped} and told to {@link PacketPool.onForeignDrop}, so that the frame's
   * loss is named like any other.
   *
   * @example
   * ```ts
   * if (h < 0) pool.dropForeign(ring, dataOffset, dataLength, POOL_EXHAUSTED);
   * ```
   */
  dropForeign(bytes: Uint8Array, offset: number, length: number, reason: DropReasonCode): void {
    this.dropped++;
    const f = this.onForeignDrop;
    if (f !== null) f(bytes, offset, length, reason);
  }

  /**
   * Reports `pkts[start .. start+count)` as dropped for `reason` without freeing them: a device
   * discarded its copy of frames whose buffers go back to their owner by another way (a host
   * backend refusing a guest's TX buffer, which the guest reclaims on completion).
   *
   * @example
   * ```ts
   * pool.reportDrop(one, 0, 1, DropReason.NO_CARRIER); // the guest still frees its buffer
   * ```
   */
  reportDrop(pkts: Int32Array, start: number, count: number, reason: DropReasonCode): void {
    if (count <= 0) return;
    this.dropped += count;
    const obs = this.onDrop;
    if (obs !== null) obs(this, pkts, start, count, reason);
  }

  /** Returns one slot to the pool. Double and invalid frees are counted and ignored. */
  free(h: number): void {
    if (!((h | 0) === h && h >= 0 && h < this.capacity)) {
      this.invalidFrees++;
      return;
    }
    if (this.inUseMap[h] !== 1) {
      this.doubleFrees++;
      return;
    }
    this.inUseMap[h] = 0;
    this.freeList[this.freeTop++] = h;
  }

  /** Returns `pkts[start .. start+count)` to the pool. */
  freeBurst(pkts: Int32Array, start: number, count: number): void {
    const end = start + count;
    for (let i = start; i < end; i++) this.free(pkts[i] as number);
  }

  /**
   * Drops `pkts[start .. start+count)` for `reason`: tells the drop observer, counts, frees.
   * Every frame the project discards goes through here (or is counted by the caller in a named
   * counter before it calls {@link PacketPool.freeBurst}).
   */
  drop(pkts: Int32Array, start: number, count: number, reason: DropReasonCode): void {
    if (count <= 0) return;
    this.dropped += count;
    const obs = this.onDrop;
    if (obs !== null) obs(this, pkts, start, count, reason);
    this.freeBurst(pkts, start, count);
  }
}
