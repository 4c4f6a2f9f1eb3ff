import { defineDropReason, type DropReasonCode } from '@bypass/core';

/**
 * Drop reasons of the virtio-net package (registered with `defineDropReason`):
 * - `virtio-queue-broken`: sent on a queue the driver stopped after a device fault;
 * - `virtio-ring-flushed`: frames still in a TX ring when the device was reset (removal);
 * - `virtio-no-rx-buffer`: the host had a frame for the guest but no RX buffer was posted;
 * - `virtio-host-link-down`: the guest transmitted while the host's link was down;
 * - `virtio-host-no-memory`: the host had no buffer to copy a guest frame into;
 * - `virtio-tx-malformed`: a TX chain the host refused (bad header, too short or too long).
 *
 * @example
 * ```ts
 * pool.drop(pkts, 0, n, VIRTIO_DROP.RING_FLUSHED);
 * dropReasonName(VIRTIO_DROP.NO_RX_BUFFER); // 'virtio-no-rx-buffer'
 * ```
 */
export const VIRTIO_DROP: {
  readonly QUEUE_BROKEN: DropReasonCode;
  readonly RING_FLUSHED: DropReasonCode;
  readonly NO_RX_BUFFER: DropReasonCode;
  readonly HOST_LINK_DOWN: DropReasonCode;
  readonly HOST_NO_MEMORY: DropReasonCode;
  readonly TX_MALFORMED: DropReasonCode;
} = {
  QUEUE_BROKEN: defineDropReason('virtio-queue-broken'),
  RING_FLUSHED: defineDropReason('virtio-ring-flushed'),
  NO_RX_BUFFER: defineDropReason('virtio-no-rx-buffer'),
  HOST_LINK_DOWN: defineDropReason('virtio-host-link-down'),
  HOST_NO_MEMORY: defineDropReason('virtio-host-no-memory'),
  TX_MALFORMED: defineDropReason('virtio-tx-malformed'),
};
