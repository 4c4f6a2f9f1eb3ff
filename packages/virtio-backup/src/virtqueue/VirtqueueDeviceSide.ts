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
 * Nothing the driver wrote is trusted: the available index may move by at most the queue size,
 * every head and `next` must be inside the table, a chain may not be longer than the queue (a
 * loop), every buffer must lie inside guest memory, readable descriptors come before writable
 * ones, and INDIRECT is refused (not negotiated). The first violation breaks the queue
 * ({@link VirtqueueDeviceSide.broken}, `onFault` once): pop returns -2 from then on. No read ever
 * leaves the ring or guest memory and every walk is bounded by the queue size.
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
  private readonly memLength: number;
  private lastAvail = 0;
  private usedShadow = 0;
  private usedAtFlush = 0;

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
    this.memLength = options.memory.byteLength;
    this.segAddr = new Float64Array(this.size);
    this.segLen = new Uint32Array(this.size);
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
      return this.fault(
        'avail-index-jump',
        `Guest moved avail index from ${this.lastAvail} to ${availIdx}, more than the ${this.size} entries of the ring`,
      );
    }
    const head = v.getUint16(L.availRing(this.lastAvail & (this.size - 1)), true);
    if (head >= this.size)
      return this.fault(
        'avail-head-out-of-range',
        `Guest says index ${head} is available (queue size ${this.size})`,
      );
    let d = head;
    let nseg = 0;
    let outs = 0;
    let outBytes = 0;
    let inBytes = 0;
    for (;;) {
      if (nseg >= this.size)
        return this.fault(
          'desc-loop',
          `Looped descriptor: chain from head ${head} is longer than the ${this.size} entries of the table`,
        );
      const a = L.descAddr(d);
      const addr = v.getUint32(a, true) + v.getUint32(a + 4, true) * TWO_32;
      const len = v.getUint32(L.descLen(d), true);
      const flags = v.getUint16(L.descFlags(d), true);
      if ((flags & VRING_DESC_F.INDIRECT) !== 0)
        return this.fault(
          'desc-indirect',
          `descriptor ${d} is INDIRECT but VIRTIO_F_INDIRECT_DESC was not negotiated`,
        );
      if (addr + len > this.memLength)
        return this.fault(
          'desc-out-of-bounds',
          `descriptor ${d} points at ${addr}+${len}, outside the ${this.memLength} bytes of guest memory`,
        );
      if ((flags & VRING_DESC_F.WRITE) === 0) {
        if (nseg > outs)
          return this.fault(
            'desc-order',
            `Incorrect order for descriptors: readable descriptor ${d} after a writable one`,
          );
        outs++;
        outBytes += len;
      } else {
        inBytes += len;
      }
      this.segAddr[nseg] = addr;
      this.segLen[nseg] = len;
      nseg++;
      if ((flags & VRING_DESC_F.NEXT) === 0) break;
      const next = v.getUint16(L.descNext(d), true);
      if (next >= this.size)
        return this.fault(
          'desc-next-out-of-range',
          `Desc next is ${next} (queue size ${this.size})`,
        );
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
    const want = this.eventIdx
      ? vringNeedEvent(v.getUint16(L.usedEvent, true), next, old)
      : (v.getUint16(L.availFlags, true) & VRING_FLAGS.AVAIL_F_NO_INTERRUPT) === 0;
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
