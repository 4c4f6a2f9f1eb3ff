import { BypassError } from '@bypass/core';
import {
  SplitVirtqueueLayout,
  VRING_DESC_F,
  VRING_FLAGS,
  vringNeedEvent,
} from './SplitVirtqueueLayout.js';
import {
  emptyFaultCounts,
  type VirtqueueFault,
  type VirtqueueFaultKind,
} from './VirtqueueFault.js';

const TWO_32 = 0x1_0000_0000;
const DESC_SIZE = 16;
/** QEMU `VIRTQUEUE_MAX_SIZE`: the most segments one popped chain may have. */
const VIRTQUEUE_MAX_SIZE = 1024;

/**
 * Options of a {@link VirtqueueDeviceSide}.
 *
 * @example
 * ```ts
 * const o: VirtqueueDeviceSideOptions = { index: 1, size: 256, ring, memory: pool.bytes, eventIdx: true };
 * ```
 */
export interface VirtqueueDeviceSideOptions {
  index: number;
  size: number;
  /** The ring memory the driver set up (split layout). */
  ring: ArrayBuffer;
  /** Guest memory descriptor addresses point into. */
  memory: Uint8Array;
  eventIdx?: boolean;
  usedAlign?: number;
}

/**
 * The device side of a split virtqueue (QEMU `hw/virtio/virtio.c` `virtqueue_pop`,
 * `virtqueue_push`, `virtqueue_flush`; vhost's backend): takes available chains, hands them back
 * through the used ring, and decides whether the driver wants an interrupt.
 *
 * Nothing the driver wrote is trusted, and the checks are QEMU's `virtqueue_split_pop`: the
 * available index may move by at most the queue size, no more chains than the queue size may
 * be popped and not pushed ("Virtqueue size exceeded"), every head and `next` must be inside
 * its table, a chain may not be longer than its table (a loop), every buffer must be non-empty
 * and lie inside guest memory, and readable descriptors come before writable ones. The first
 * violation breaks the queue ({@link VirtqueueDeviceSide.broken}, `onFault` once): pop returns
 * -2 from then on. No read ever leaves the ring or guest memory and every walk is bounded.
 *
 * Indirect descriptors are followed as QEMU does, whether or not VIRTIO_F_INDIRECT_DESC was
 * negotiated: only an INDIRECT head points at a table (length a non-zero multiple of 16, at most
 * 1024 entries, inside guest memory); the head's WRITE and NEXT flags are ignored; an INDIRECT
 * flag on a chained descriptor or inside a table is ignored too (the descriptor is a plain
 * buffer). Differences kept: the spec (2.7.5.3.2) also wants a device to follow a direct chain
 * that ends in an INDIRECT descriptor, which QEMU does not; vhost refuses a nested table
 * ("Nested indirect descriptor"), QEMU does not.
 *
 * Differences from QEMU kept on purpose: `avail_event` is written at {@link VirtqueueDeviceSide.flush}
 * (QEMU writes it at every pop; nothing of the driver runs between the two here), and
 * {@link VirtqueueDeviceSide.flush} publishes a batch and decides one interrupt for it (as
 * vhost-net does; QEMU's virtio-net TX path pushes and asks `virtio_notify` per packet).
 *
 * A popped chain's segments are in the preallocated arrays `segAddr`, `segLen`, with `outCount`
 * device-readable segments first, then `inCount` writable ones (no allocation per chain).
 *
 * @example
 * ```ts
 * const vq = new VirtqueueDeviceSide({ index: 1, size: 256, ring, memory: pool.bytes });
 * for (let head; (head = vq.pop()) >= 0; ) {
 *   consume(vq.segAddr[0]!, vq.segLen[0]!);
 *   vq.push(head, 0);
 * }
 * if (vq.flush()) interruptDriver();
 * ```
 */
export class VirtqueueDeviceSide {
  readonly index: number;
  readonly size: number;
  readonly layout: SplitVirtqueueLayout;
  readonly eventIdx: boolean;
  /** Segment addresses of the last popped chain (readable first, then writable). */
  readonly segAddr: Float64Array;
  /** Segment lengths of the last popped chain. */
  readonly segLen: Uint32Array;
  /** Readable / writable segment counts and byte totals of the last popped chain. */
  outCount = 0;
  inCount = 0;
  outBytes = 0;
  inBytes = 0;
  /** Chains popped / pushed. */
  popped = 0;
  pushed = 0;
  /** Interrupts requested / suppressed by the driver (NO_INTERRUPT or used_event). */
  interrupts = 0;
  interruptsSuppressed = 0;
  /** The fault that broke the queue, or null. */
  broken: VirtqueueFault | null = null;
  readonly faultCounts = emptyFaultCounts();
  /** Called once when the queue breaks. */
  onFault: ((fault: VirtqueueFault) => void) | null = null;

  private readonly view: DataView;
  /** Guest memory, for indirect descriptor tables. */
  private readonly memView: DataView;
  private readonly memLength: number;
  private lastAvail = 0;
  private usedShadow = 0;
  private usedAtFlush = 0;
  private signalledValid = false;

  /** @throws `BypassError` `ERR_INVALID_ARGUMENT` for a bad size, or a ring buffer smaller than the layout. */
  constructor(options: VirtqueueDeviceSideOptions) {
    this.layout = new SplitVirtqueueLayout(
      options.size,
      options.usedAlign === undefined ? {} : { usedAlign: options.usedAlign },
    );
    if (options.ring.byteLength < this.layout.totalBytes) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `ring of ${options.ring.byteLength} bytes is smaller than the ${this.layout.totalBytes} bytes a ${options.size}-entry split virtqueue needs`,
      );
    }
    this.index = options.index;
    this.size = options.size;
    this.eventIdx = options.eventIdx ?? false;
    this.view = new DataView(options.ring);
    const mem = options.memory;
    this.memView = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    this.memLength = mem.byteLength;
    // A direct chain has at most `size` segments, an indirect table at most 1024 (QEMU).
    const segs = Math.max(this.size, VIRTQUEUE_MAX_SIZE);
    this.segAddr = new Float64Array(segs);
    this.segLen = new Uint32Array(segs);
  }

  /** Chains the driver has made available and the device has not popped (0 when broken or bogus). */
  get availCount(): number {
    if (this.broken !== null) return 0;
    const n = (this.view.getUint16(this.layout.availIdx, true) - this.lastAvail) & 0xffff;
    return n <= this.size ? n : 0;
  }

  /**
   * Takes the next available chain: returns its head, -1 when there is none, -2 when the queue
   * is (now) broken. The segments are in `segAddr` / `segLen`.
   */
  pop(): number {
    if (this.broken !== null) return -2;
    const L = this.layout;
    const v = this.view;
    const availIdx = v.getUint16(L.availIdx, true);
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending === 0) return -1;
    if (pending > this.size) {
      // QEMU's virtqueue_num_heads words it "used index", though it is the avail index.
      return this.fault(
        'avail-index-jump',
        `Guest moved used index from ${this.lastAvail} to ${availIdx}, more than the ${this.size} entries of the ring`,
      );
    }
    // hw/virtio/virtio.c virtqueue_split_pop: no more chains in flight than the ring holds.
    if (this.popped - this.pushed >= this.size) {
      return this.fault(
        'queue-size-exceeded',
        `Virtqueue size exceeded: ${this.popped - this.pushed} chains popped and not pushed back`,
      );
    }
    const head = v.getUint16(L.availRing(this.lastAvail & (this.size - 1)), true);
    if (head >= this.size)
      return this.fault(
        'avail-head-out-of-range',
        `Guest says index ${head} is available (queue size ${this.size})`,
      );
    // The table walked: the ring's own, or (INDIRECT on the head) one in guest memory.
    let tv = v;
    let tbase = 0;
    let max = this.size;
    let d = head;
    const hf = v.getUint16(L.descFlags(head), true);
    if ((hf & VRING_DESC_F.INDIRECT) !== 0) {
      // virtqueue_split_pop: only the head may point at a table; its WRITE and NEXT flags are
      // ignored, and the feature is not checked (QEMU only logs a guest error since 10.1).
      const a = L.descAddr(head);
      const taddr = v.getUint32(a, true) + v.getUint32(a + 4, true) * TWO_32;
      const tlen = v.getUint32(L.descLen(head), true);
      if (tlen === 0 || tlen % DESC_SIZE !== 0)
        return this.fault(
          'desc-indirect',
          `Invalid size for indirect buffer table: ${tlen} bytes (descriptor ${head}), not a non-zero multiple of 16`,
        );
      if (taddr + tlen > this.memLength)
        return this.fault(
          'desc-out-of-bounds',
          `Cannot map indirect buffer: table of descriptor ${head} at ${taddr}+${tlen} is outside the ${this.memLength} bytes of guest memory`,
        );
      if (tlen / DESC_SIZE > this.segAddr.length)
        return this.fault(
          'desc-indirect',
          `virtio: too many write descriptors in indirect table: ${tlen / DESC_SIZE} (at most ${this.segAddr.length})`,
        );
      tv = this.memView;
      tbase = taddr;
      max = tlen / DESC_SIZE;
      d = 0;
    }
    let nseg = 0;
    let outs = 0;
    let outBytes = 0;
    let inBytes = 0;
    for (;;) {
      // Checks in virtqueue_split_pop's order: descriptor order, then the mapping
      // (virtqueue_map_desc), then the loop count, then `next` (virtqueue_split_read_next_desc).
      // An INDIRECT flag here (a chained or nested descriptor) is ignored, as QEMU does.
      const o = tbase + DESC_SIZE * d;
      const addr = tv.getUint32(o, true) + tv.getUint32(o + 4, true) * TWO_32;
      const len = tv.getUint32(o + 8, true);
      const flags = tv.getUint16(o + 12, true);
      const writable = (flags & VRING_DESC_F.WRITE) !== 0;
      if (!writable && nseg > outs)
        return this.fault(
          'desc-order',
          `Incorrect order for descriptors: readable descriptor ${d} after a writable one`,
        );
      if (len === 0)
        return this.fault(
          'desc-zero-size',
          `virtio: zero sized buffers are not allowed (descriptor ${d})`,
        );
      if (addr + len > this.memLength)
        return this.fault(
          'desc-out-of-bounds',
          `virtio: bogus descriptor or out of resources: descriptor ${d} points at ${addr}+${len}, outside the ${this.memLength} bytes of guest memory`,
        );
      if (nseg >= max)
        return this.fault(
          'desc-loop',
          `Looped descriptor: chain from head ${head} is longer than the ${max} entries of its table`,
        );
      if (writable) inBytes += len;
      else {
        outs++;
        outBytes += len;
      }
      this.segAddr[nseg] = addr;
      this.segLen[nseg] = len;
      nseg++;
      if ((flags & VRING_DESC_F.NEXT) === 0) break;
      const next = tv.getUint16(o + 14, true);
      if (next >= max)
        return this.fault('desc-next-out-of-range', `Desc next is ${next} (table of ${max})`);
      d = next;
    }
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    this.outCount = outs;
    this.inCount = nseg - outs;
    this.outBytes = outBytes;
    this.inBytes = inBytes;
    this.popped++;
    return head;
  }

  /** Gives the last popped chain back to the available ring (QEMU `virtqueue_unpop`). */
  unpop(): void {
    this.lastAvail = (this.lastAvail - 1) & 0xffff;
    this.popped--;
  }

  /** Writes a used element (`id` = head, `len` = bytes written); visible after {@link VirtqueueDeviceSide.flush}. */
  push(head: number, len: number): void {
    const e = this.layout.usedRing(this.usedShadow & (this.size - 1));
    this.view.setUint32(e, head, true);
    this.view.setUint32(e + 4, len, true);
    this.usedShadow = (this.usedShadow + 1) & 0xffff;
    this.pushed++;
  }

  /**
   * Publishes the used index and, with RING_EVENT_IDX, `avail_event`; returns whether the driver
   * wants an interrupt for what was pushed since the last flush (`virtio_should_notify`).
   * With RING_EVENT_IDX the first flush that pushed something after setup always interrupts
   * (QEMU's `signalled_used_valid`). A flush with nothing pushed never interrupts (QEMU only
   * calls `virtio_notify` after a push).
   */
  flush(): boolean {
    const L = this.layout;
    const v = this.view;
    const next = this.usedShadow;
    const old = this.usedAtFlush;
    v.setUint16(L.usedIdx, next, true);
    if (this.eventIdx) v.setUint16(L.availEvent, this.lastAvail, true);
    this.usedAtFlush = next;
    if (next === old) return false;
    let want: boolean;
    if (this.eventIdx) {
      // hw/virtio/virtio.c virtio_split_should_notify: no used_event to compare with yet.
      want = !this.signalledValid || vringNeedEvent(v.getUint16(L.usedEvent, true), next, old);
      this.signalledValid = true;
    } else {
      want = (v.getUint16(L.availFlags, true) & VRING_FLAGS.AVAIL_F_NO_INTERRUPT) === 0;
    }
    if (want) this.interrupts++;
    else this.interruptsSuppressed++;
    return want;
  }

  /**
   * Breaks the queue for a fault the device type found in the chain it last popped (QEMU's
   * device code calling `virtio_error`, e.g. a virtio-net TX chain without a header). The chain
   * is neither pushed nor put back: the driver gets it back only by resetting the device. Counts
   * `kind` in {@link VirtqueueDeviceSide.faultCounts}; returns -2 like {@link VirtqueueDeviceSide.pop}.
   *
   * @example
   * ```ts
   * if (vq.outCount === 0) return vq.deviceFault('tx-no-header', 'virtio-net header not in first element');
   * ```
   */
  deviceFault(kind: VirtqueueFaultKind, detail: string): -2 {
    return this.fault(kind, detail);
  }

  private fault(kind: VirtqueueFaultKind, detail: string): -2 {
    this.faultCounts[kind]++;
    if (this.broken === null) {
      this.broken = {
        queue: this.index,
        side: 'device',
        kind,
        message: `virtqueue ${this.index}: ${detail}; the driver misbehaves: the device needs a reset`,
      };
      this.onFault?.(this.broken);
    }
    return -2;
  }
}
