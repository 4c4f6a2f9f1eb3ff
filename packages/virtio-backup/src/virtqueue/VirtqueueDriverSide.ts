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
 * Options of a {@link VirtqueueDriverSide}.
 *
 * @example
 * ```ts
 * const o: VirtqueueDriverSideOptions = { index: 1, size: 256, eventIdx: true };
 * ```
 */
export interface VirtqueueDriverSideOptions {
  /** Queue index on the device (rx0 = 0, tx0 = 1, ...). */
  index: number;
  /** Entries, a power of two up to 32768. */
  size: number;
  /** RING_EVENT_IDX negotiated: use `used_event` / `avail_event`. */
  eventIdx?: boolean;
  /** Used ring alignment (4 for virtio 1.x, 4096 for the legacy layout). */
  usedAlign?: number;
}

/**
 * The driver side of a split virtqueue (Linux `drivers/virtio/virtio_ring.c`, split ring): it
 * owns the ring memory (an ArrayBuffer laid out by {@link SplitVirtqueueLayout}), adds buffer
 * chains to the available ring, decides whether a kick is needed, and takes completed chains
 * from the used ring.
 *
 * The free-descriptor list, the token of each chain and its length live in private arrays, never
 * re-read from the shared ring (as Linux's `desc_extra`): a device cannot corrupt them. Every used
 * entry is validated before use ({@link VirtqueueFaultKind}); the first fault breaks the queue
 * (`onFault` is called once, {@link VirtqueueDriverSide.broken} is set) and from then on nothing
 * is added or taken. Tokens are non-negative integers (frame handles).
 *
 * Notification suppression follows Linux: `kickPrepare` is `virtqueue_kick_prepare_split`,
 * `disableCb` / `enableCb` / `enableCbDelayed` the `virtqueue_*_cb*_split` functions (with
 * RING_EVENT_IDX only `used_event` is written, never the flags), and `getBuf` re-arms
 * `used_event` after each chain while callbacks are enabled. Differences kept: the used index
 * is checked against the ring size (`used-index-jump`, a hardening Linux does not have); a full
 * ring makes an add fail without the notify `virtqueue_add_split` forces for device-readable
 * buffers (the caller kicks); no kick is forced after 65535 adds without one; descriptors are
 * always direct (INDIRECT_DESC is not used); the last descriptor of a chain has `next` 0 (Linux
 * leaves the free-list link there; the device ignores it without NEXT).
 *
 * @example
 * ```ts
 * const vq = new VirtqueueDriverSide({ index: 1, size: 256 });
 * transport.setupQueue(1, vq.ring, vq.size);
 * vq.addOne(handle, addr, len, false);      // device-readable buffer
 * if (vq.kickPrepare()) transport.notify(1);
 * let t;
 * while ((t = vq.getBuf()) >= 0) pool.free(t); // completed
 * ```
 */
export class VirtqueueDriverSide {
  readonly index: number;
  readonly size: number;
  readonly layout: SplitVirtqueueLayout;
  /** The ring memory shared with the device. */
  readonly ring: ArrayBuffer;
  readonly eventIdx: boolean;
  /** Length (bytes) the device reported for the chain last returned by getBuf. */
  lastLen = 0;
  /** Kicks that were needed (kickPrepare returned true). */
  kicks = 0;
  /** Kicks the device suppressed (NO_NOTIFY or avail_event). */
  kicksSuppressed = 0;
  /** Chains added / completed. */
  added = 0;
  completed = 0;
  /** The fault that broke the queue, or null. */
  broken: VirtqueueFault | null = null;
  /** How many faults of each kind were detected (the first one breaks the queue). */
  readonly faultCounts = emptyFaultCounts();
  /** Called once when the queue breaks. */
  onFault: ((fault: VirtqueueFault) => void) | null = null;

  private readonly view: DataView;
  private readonly nextFree: Uint16Array;
  private readonly tokens: Int32Array;
  private readonly chainLen: Uint16Array;
  private freeHead = 0;
  private free: number;
  private availShadow = 0;
  /** Chains published since the last kickPrepare (Linux `num_added`). */
  private numAdded = 0;
  /** Linux `avail_flags_shadow`: NO_INTERRUPT while callbacks are disabled. */
  private availFlagsShadow = 0;
  private lastUsed = 0;
  private detachCursor = 0;

  /** @throws `BypassError` `ERR_INVALID_ARGUMENT` for a bad size or alignment. */
  constructor(options: VirtqueueDriverSideOptions) {
    this.layout = new SplitVirtqueueLayout(
      options.size,
      options.usedAlign === undefined ? {} : { usedAlign: options.usedAlign },
    );
    this.index = options.index;
    this.size = options.size;
    this.eventIdx = options.eventIdx ?? false;
    this.ring = new ArrayBuffer(this.layout.totalBytes);
    this.view = new DataView(this.ring);
    const n = this.size;
    this.nextFree = new Uint16Array(n);
    for (let i = 0; i < n; i++) this.nextFree[i] = (i + 1) % n;
    this.tokens = new Int32Array(n).fill(-1);
    this.chainLen = new Uint16Array(n);
    this.free = n;
  }

  /** Free descriptors. */
  get numFree(): number {
    return this.free;
  }

  /** Chains made available and not yet completed. */
  get inFlight(): number {
    return this.added - this.completed;
  }

  /**
   * Adds a one-descriptor chain: `len` bytes at guest address `addr`, device-writable when
   * `writable`. Returns false (nothing added) when the queue is broken or full.
   */
  addOne(token: number, addr: number, len: number, writable: boolean): boolean {
    if (this.broken !== null || this.free < 1) return false;
    const head = this.freeHead;
    this.freeHead = this.nextFree[head] as number;
    this.free--;
    this.writeDesc(head, addr, len, writable ? VRING_DESC_F.WRITE : 0, 0);
    this.tokens[head] = token;
    this.chainLen[head] = 1;
    this.publish(head);
    return true;
  }

  /**
   * Adds a chain of `addrs.length` descriptors; those from index `firstWritable` on are
   * device-writable (the spec requires readable ones first). Returns false when broken or short
   * of descriptors.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an empty chain or mismatched arrays.
   */
  addChain(
    token: number,
    addrs: readonly number[],
    lens: readonly number[],
    firstWritable: number,
  ): boolean {
    const n = addrs.length;
    if (n === 0 || lens.length !== n) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `a chain needs matching, non-empty address and length lists (got ${n} and ${lens.length})`,
      );
    }
    if (this.broken !== null || this.free < n) return false;
    const head = this.freeHead;
    let d = head;
    for (let i = 0; i < n; i++) {
      const next = this.nextFree[d] as number;
      const w = i >= firstWritable;
      this.writeDesc(
        d,
        addrs[i] as number,
        lens[i] as number,
        (w ? VRING_DESC_F.WRITE : 0) | (i < n - 1 ? VRING_DESC_F.NEXT : 0),
        i < n - 1 ? next : 0,
      );
      if (i < n - 1) d = next;
      else this.freeHead = next;
    }
    this.free -= n;
    this.tokens[head] = token;
    this.chainLen[head] = n;
    this.publish(head);
    return true;
  }

  /**
   * Whether the device wants a notification for what was added since the last call
   * (`virtio_ring.c` `virtqueue_kick_prepare_split`): with RING_EVENT_IDX when the new index
   * crosses `avail_event`, otherwise unless the device set `VRING_USED_F_NO_NOTIFY`, even when
   * nothing was added. False on a broken queue (`virtqueue_notify` does not notify then). Counts
   * kicks, and suppressed kicks of added chains.
   */
  kickPrepare(): boolean {
    const added = this.numAdded;
    this.numAdded = 0;
    if (this.broken !== null) return false;
    const next = this.availShadow;
    const L = this.layout;
    const need = this.eventIdx
      ? vringNeedEvent(this.view.getUint16(L.availEvent, true), next, (next - added) & 0xffff)
      : (this.view.getUint16(L.usedFlags, true) & VRING_FLAGS.USED_F_NO_NOTIFY) === 0;
    if (need) this.kicks++;
    else if (added > 0) this.kicksSuppressed++;
    return need;
  }

  /** True when the used ring has entries the driver has not taken. */
  hasUsed(): boolean {
    return this.broken === null && this.view.getUint16(this.layout.usedIdx, true) !== this.lastUsed;
  }

  /**
   * Takes the next completed chain (`virtqueue_get_buf`): returns its token and sets
   * {@link VirtqueueDriverSide.lastLen}; -1 when there is none or the queue is (now) broken.
   * While callbacks are enabled, each chain taken moves `used_event` to the new position (an
   * interrupt for the next one). The used length is passed on unchecked: the caller compares it
   * with its buffer.
   */
  getBuf(): number {
    if (this.broken !== null) return -1;
    const L = this.layout;
    const v = this.view;
    const usedIdx = v.getUint16(L.usedIdx, true);
    const pending = (usedIdx - this.lastUsed) & 0xffff;
    if (pending === 0) return -1;
    if (pending > this.size) {
      return this.fault(
        'used-index-jump',
        `used index moved from ${this.lastUsed} to ${usedIdx}, more than the ${this.size} entries of the ring`,
      );
    }
    const e = L.usedRing(this.lastUsed & (this.size - 1));
    const id = v.getUint32(e, true);
    const len = v.getUint32(e + 4, true);
    if (id >= this.size)
      return this.fault('used-id-out-of-range', `id ${id} out of range (queue size ${this.size})`);
    const token = this.tokens[id] as number;
    // virtio_ring.c virtqueue_get_buf_ctx_split checks the id only; the used-length check of
    // v5.16-rc1 (939779f5152d) was reverted before v5.16 (f124034faa91, fcfb65f8a922).
    if (token < 0)
      return this.fault(
        'used-id-not-head',
        `id ${id} is not a head! (never made available, or returned twice)`,
      );
    this.lastUsed = (this.lastUsed + 1) & 0xffff;
    this.lastLen = len;
    this.release(id);
    this.completed++;
    // virtio_ring.c virtqueue_get_buf_ctx_split: re-arm used_event unless callbacks are off.
    if (this.availFlagsShadow === 0) v.setUint16(L.usedEvent, this.lastUsed, true);
    return token;
  }

  /**
   * Takes back a chain the device never completed (`virtqueue_detach_unused_buf`; only after a
   * device reset): returns its token, or -1 when none is left. Reads only private state, so it is
   * safe on a broken queue.
   */
  detachUnused(): number {
    for (; this.detachCursor < this.size; this.detachCursor++) {
      const id = this.detachCursor;
      const token = this.tokens[id] as number;
      if (token >= 0) {
        this.release(id);
        this.completed++;
        // virtio_ring.c virtqueue_detach_unused_buf_split: the available index goes back by one.
        this.availShadow = (this.availShadow - 1) & 0xffff;
        this.view.setUint16(this.layout.availIdx, this.availShadow, true);
        return token;
      }
    }
    this.detachCursor = 0;
    return -1;
  }

  /**
   * Disables used-buffer interrupts (`virtio_ring.c` `virtqueue_disable_cb_split`): without
   * RING_EVENT_IDX by setting `VRING_AVAIL_F_NO_INTERRUPT`; with it (the device ignores the
   * flags then) by writing 0 to `used_event`, as Linux does, so that only a used index crossing
   * 0 interrupts. {@link VirtqueueDriverSide.getBuf} no longer re-arms `used_event`.
   */
  disableCb(): void {
    if (this.availFlagsShadow !== 0) return;
    this.availFlagsShadow = VRING_FLAGS.AVAIL_F_NO_INTERRUPT;
    const L = this.layout;
    if (this.eventIdx) this.view.setUint16(L.usedEvent, 0, true);
    else this.view.setUint16(L.availFlags, this.availFlagsShadow, true);
  }

  /**
   * Re-enables interrupts for the next used buffer (`virtqueue_enable_cb`: clears the flag,
   * points `used_event` at the current position); returns false when buffers are already
   * waiting (the caller polls again instead of waiting for an interrupt).
   */
  enableCb(): boolean {
    this.clearNoInterrupt();
    const L = this.layout;
    this.view.setUint16(L.usedEvent, this.lastUsed, true);
    return this.view.getUint16(L.usedIdx, true) === this.lastUsed;
  }

  /**
   * Re-enables interrupts but asks for one only after 3/4 of the outstanding chains were used
   * (`virtio_ring.c` `virtqueue_enable_cb_delayed_split`; meaningful with RING_EVENT_IDX);
   * returns false when more than that are already used.
   */
  enableCbDelayed(): boolean {
    this.clearNoInterrupt();
    const L = this.layout;
    const bufs = Math.floor((((this.availShadow - this.lastUsed) & 0xffff) * 3) / 4);
    this.view.setUint16(L.usedEvent, (this.lastUsed + bufs) & 0xffff, true);
    return ((this.view.getUint16(L.usedIdx, true) - this.lastUsed) & 0xffff) <= bufs;
  }

  /** {@link VirtqueueDriverSide.enableCb} (`true`) or {@link VirtqueueDriverSide.disableCb} (`false`). */
  setInterrupts(enabled: boolean): void {
    if (enabled) this.enableCb();
    else this.disableCb();
  }

  private clearNoInterrupt(): void {
    if (this.availFlagsShadow === 0) return;
    this.availFlagsShadow = 0;
    if (!this.eventIdx) this.view.setUint16(this.layout.availFlags, 0, true);
  }

  private writeDesc(d: number, addr: number, len: number, flags: number, next: number): void {
    const L = this.layout;
    const v = this.view;
    const a = L.descAddr(d);
    // The two 32-bit halves without `%`: a floating-point remainder is a call out of compiled code.
    const hi = addr >= 0 && addr < TWO_32 ? 0 : Math.floor(addr / TWO_32);
    v.setUint32(a, addr - hi * TWO_32, true);
    v.setUint32(a + 4, hi, true);
    v.setUint32(L.descLen(d), len, true);
    v.setUint16(L.descFlags(d), flags, true);
    v.setUint16(L.descNext(d), next, true);
  }

  private publish(head: number): void {
    const L = this.layout;
    this.view.setUint16(L.availRing(this.availShadow & (this.size - 1)), head, true);
    this.availShadow = (this.availShadow + 1) & 0xffff;
    this.view.setUint16(L.availIdx, this.availShadow, true);
    this.numAdded++;
    this.added++;
  }

  private release(head: number): void {
    // Walk the chain through the private next array only: bounded by chainLen <= size.
    const n = this.chainLen[head] as number;
    let last = head;
    for (let i = 1; i < n; i++) last = this.nextFree[last] as number;
    this.nextFree[last] = this.freeHead;
    this.freeHead = head;
    this.free += n;
    this.tokens[head] = -1;
    this.chainLen[head] = 0;
  }

  private fault(kind: VirtqueueFaultKind, detail: string): -1 {
    this.faultCounts[kind]++;
    if (this.broken === null) {
      this.broken = {
        queue: this.index,
        side: 'driver',
        kind,
        message: `virtqueue ${this.index}: ${detail}; the device misbehaves: the queue is stopped, reset or remove the device`,
      };
      this.onFault?.(this.broken);
    }
    return -1;
  }
}
