/**
 * What a virtqueue side found wrong in what the other side wrote.
 *
 * Found by the driver in the used ring (`drivers/virtio/virtio_ring.c`
 * `virtqueue_get_buf_ctx_split` marks the queue broken, `BAD_RING`):
 * - `used-index-jump`: the used index moved by more than the queue size. Linux has no such
 *   check (it reads the entry at `last_used_idx` and relies on the two below); kept as a
 *   hardening, it fires only on a used index no device can produce;
 * - `used-id-out-of-range`: a used id >= queue size ("id %u out of range");
 * - `used-id-not-head`: a used id that is not the head of a chain the driver made available
 *   ("id %u is not a head!"), including an id returned twice.
 *
 * A used length larger than the buffer is not a ring fault: mainline reverted that check
 * (f124034faa91), and virtio_net drops the one frame instead (`rx_length_errors`).
 *
 * Found by the device in the available ring and descriptor table (QEMU `hw/virtio/virtio.c`
 * `virtqueue_split_pop` and helpers call `virtio_error`, which sets NEEDS_RESET and stops the
 * device):
 * - `avail-index-jump`: the available index moved by more than the queue size
 *   (`virtqueue_num_heads`: "Guest moved used index from %u to %u", sic);
 * - `queue-size-exceeded`: a pop while as many chains as the queue size are popped and not yet
 *   pushed ("Virtqueue size exceeded");
 * - `avail-head-out-of-range`: an available head >= queue size ("Guest says index %u is
 *   available");
 * - `desc-next-out-of-range`: a `next` >= the size of its table ("Desc next is %u");
 * - `desc-loop`: a chain longer than its table ("Looped descriptor");
 * - `desc-zero-size`: a descriptor of length 0 (`virtqueue_map_desc`: "virtio: zero sized
 *   buffers are not allowed");
 * - `desc-out-of-bounds`: a buffer or an indirect table outside guest memory ("virtio: bogus
 *   descriptor or out of resources", "Cannot map indirect buffer");
 * - `desc-indirect`: an indirect table whose length is 0 or not a multiple of 16 ("Invalid size
 *   for indirect buffer table"), or with more than 1024 entries ("virtio: too many write
 *   descriptors in indirect table");
 * - `desc-order`: a device-readable descriptor after a device-writable one ("Incorrect order
 *   for descriptors").
 *
 * Found by the virtio-net device in a chain it popped (QEMU `hw/net/virtio-net.c` calls
 * `virtio_error` for these, the same NEEDS_RESET and stop):
 * - `tx-no-header`: a TX chain with no device-readable buffer (`virtio_net_flush_tx`:
 *   "virtio-net header not in first element");
 * - `tx-short-header`: a TX chain with fewer readable bytes than the 12-byte header
 *   (`virtio_net_flush_tx`: "virtio-net header incorrect");
 * - `ctrl-missing-headers`: a control chain with fewer than 2 readable bytes (class and command)
 *   or no writable byte for the ack (`virtio_net_handle_ctrl_iov`);
 * - `rx-no-in-buffers`: an RX chain with no device-writable buffer (`virtio_net_receive_rcu`:
 *   "virtio-net receive queue contains no in buffers").
 *
 * @example
 * ```ts
 * const k: VirtqueueFaultKind = 'desc-loop';
 * ```
 */
export type VirtqueueFaultKind =
  | 'used-index-jump'
  | 'used-id-out-of-range'
  | 'used-id-not-head'
  | 'avail-index-jump'
  | 'queue-size-exceeded'
  | 'avail-head-out-of-range'
  | 'desc-next-out-of-range'
  | 'desc-loop'
  | 'desc-zero-size'
  | 'desc-out-of-bounds'
  | 'desc-indirect'
  | 'desc-order'
  | 'tx-no-header'
  | 'tx-short-header'
  | 'ctrl-missing-headers'
  | 'rx-no-in-buffers';

/**
 * Every {@link VirtqueueFaultKind}, in a stable order (for counters and reports).
 *
 * @example
 * ```ts
 * for (const k of VIRTQUEUE_FAULT_KINDS) console.log(k, vq.faultCounts[k]);
 * ```
 */
export const VIRTQUEUE_FAULT_KINDS: readonly VirtqueueFaultKind[] = [
  'used-index-jump',
  'used-id-out-of-range',
  'used-id-not-head',
  'avail-index-jump',
  'queue-size-exceeded',
  'avail-head-out-of-range',
  'desc-next-out-of-range',
  'desc-loop',
  'desc-zero-size',
  'desc-out-of-bounds',
  'desc-indirect',
  'desc-order',
  'tx-no-header',
  'tx-short-header',
  'ctrl-missing-headers',
  'rx-no-in-buffers',
];

/**
 * A detected fault: which queue, which side detected it, what, and a message that says what to
 * do. The queue is broken from then on (the side that found it stops using it).
 *
 * @example
 * ```ts
 * driver.events.on('queue-broken', (f: VirtqueueFault) => console.error(f.queue, f.kind, f.message));
 * ```
 */
export interface VirtqueueFault {
  readonly queue: number;
  readonly side: 'driver' | 'device';
  readonly kind: VirtqueueFaultKind;
  readonly message: string;
}

/**
 * A zeroed counter per {@link VirtqueueFaultKind}.
 *
 * @example
 * ```ts
 * const counts = emptyFaultCounts();
 * counts['desc-loop']++;
 * ```
 */
export function emptyFaultCounts(): Record<VirtqueueFaultKind, number> {
  const out = {} as Record<VirtqueueFaultKind, number>;
  for (const k of VIRTQUEUE_FAULT_KINDS) out[k] = 0;
  return out;
}
