import { BypassError } from '@bypass/core';

/**
 * Descriptor flags (`include/uapi/linux/virtio_ring.h`).
 *
 * @example
 * ```ts
 * const writable = (flags & VRING_DESC_F.WRITE) !== 0;
 * ```
 */
export const VRING_DESC_F = {
  /** The chain continues at `next`. */
  NEXT: 1,
  /** Device-writable (otherwise device-readable). */
  WRITE: 2,
  /** The buffer holds an indirect descriptor table. */
  INDIRECT: 4,
} as const;

/**
 * Ring flags (`include/uapi/linux/virtio_ring.h`): `VRING_AVAIL_F_NO_INTERRUPT` in the available
 * ring, `VRING_USED_F_NO_NOTIFY` in the used ring.
 *
 * @example
 * ```ts
 * if ((usedFlags & VRING_FLAGS.USED_F_NO_NOTIFY) === 0) transport.notify(index);
 * ```
 */
export const VRING_FLAGS = {
  AVAIL_F_NO_INTERRUPT: 1,
  USED_F_NO_NOTIFY: 1,
} as const;

/** Size of one descriptor: `le64 addr; le32 len; le16 flags; le16 next`. */
const DESC_SIZE = 16;
/** Size of one used element: `le32 id; le32 len`. */
const USED_ELEM_SIZE = 8;

/**
 * Byte layout of a split virtqueue of `size` entries (virtio 1.x spec 2.7 "Split Virtqueues"):
 *
 * | part             | alignment | size              |
 * | ---------------- | --------- | ----------------- |
 * | descriptor table | 16        | 16 × size         |
 * | available ring   | 2         | 6 + 2 × size      |
 * | used ring        | 4         | 6 + 8 × size      |
 *
 * The three parts are placed one after the other in one buffer, each at its alignment; legacy
 * devices (`vring_size` in `include/uapi/linux/virtio_ring.h`) align the used ring to a page,
 * which `usedAlign: 4096` reproduces. The `used_event` field sits after the available ring's
 * entries and `avail_event` after the used ring's (RING_EVENT_IDX). Size is a power of two up to
 * 32768.
 *
 * @example
 * ```ts
 * const l = new SplitVirtqueueLayout(256);
 * l.availOffset; // 4096 = 16 × 256
 * l.usedOffset;  // 4616 = align(4096 + 6 + 512, 4)
 * l.totalBytes;  // 6670 = 4616 + 6 + 8 × 256
 * ```
 */
export class SplitVirtqueueLayout {
  /** Largest split queue size (virtio spec 2.7). */
  static readonly MAX_SIZE = 32768;

  readonly size: number;
  readonly usedAlign: number;
  readonly descOffset = 0;
  readonly descBytes: number;
  readonly availOffset: number;
  readonly availBytes: number;
  readonly usedOffset: number;
  readonly usedBytes: number;
  readonly totalBytes: number;

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` when `size` is not a power of two in
   * 1..32768 or `usedAlign` is not a power of two of at least 4.
   */
  constructor(size: number, options: { usedAlign?: number } = {}) {
    if (!(
      Number.isInteger(size) &&
      size >= 1 &&
      size <= SplitVirtqueueLayout.MAX_SIZE &&
      (size & (size - 1)) === 0
    )) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `split virtqueue size must be a power of two in 1..32768, got ${size}`,
      );
    }
    const ua = options.usedAlign ?? 4;
    if (!(Number.isInteger(ua) && ua >= 4 && (ua & (ua - 1)) === 0)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `used ring alignment must be a power of two >= 4, got ${ua}`,
      );
    }
    this.size = size;
    this.usedAlign = ua;
    this.descBytes = DESC_SIZE * size;
    this.availOffset = this.descBytes; // 16-aligned start + 16n: already 2-aligned
    this.availBytes = 6 + 2 * size;
    this.usedOffset = alignUp(this.availOffset + this.availBytes, ua);
    this.usedBytes = 6 + USED_ELEM_SIZE * size;
    this.totalBytes = this.usedOffset + this.usedBytes;
  }

  /** Offset of descriptor `i`'s `addr` (le64). */
  descAddr(i: number): number {
    return DESC_SIZE * i;
  }
  /** Offset of descriptor `i`'s `len` (le32). */
  descLen(i: number): number {
    return DESC_SIZE * i + 8;
  }
  /** Offset of descriptor `i`'s `flags` (le16). */
  descFlags(i: number): number {
    return DESC_SIZE * i + 12;
  }
  /** Offset of descriptor `i`'s `next` (le16). */
  descNext(i: number): number {
    return DESC_SIZE * i + 14;
  }
  /** Offset of the available ring's `flags` (le16). */
  get availFlags(): number {
    return this.availOffset;
  }
  /** Offset of the available ring's `idx` (le16). */
  get availIdx(): number {
    return this.availOffset + 2;
  }
  /** Offset of available ring entry `i` (le16). */
  availRing(i: number): number {
    return this.availOffset + 4 + 2 * i;
  }
  /** Offset of `used_event` (le16), after the available ring's entries. */
  get usedEvent(): number {
    return this.availOffset + 4 + 2 * this.size;
  }
  /** Offset of the used ring's `flags` (le16). */
  get usedFlags(): number {
    return this.usedOffset;
  }
  /** Offset of the used ring's `idx` (le16). */
  get usedIdx(): number {
    return this.usedOffset + 2;
  }
  /** Offset of used element `i`'s `id` (le32); its `len` follows at +4. */
  usedRing(i: number): number {
    return this.usedOffset + 4 + USED_ELEM_SIZE * i;
  }
  /** Offset of `avail_event` (le16), after the used ring's entries. */
  get availEvent(): number {
    return this.usedOffset + 4 + USED_ELEM_SIZE * this.size;
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * `vring_need_event` (`include/uapi/linux/virtio_ring.h`): true when moving an index from `old`
 * to `next` crosses the other side's `event` index, all modulo 2^16.
 *
 * @example
 * ```ts
 * vringNeedEvent(0, 1, 0); // true: the first buffer after event 0
 * vringNeedEvent(5, 3, 2); // false
 * ```
 */
export function vringNeedEvent(event: number, next: number, old: number): boolean {
  return ((next - event - 1) & 0xffff) < ((next - old) & 0xffff);
}
