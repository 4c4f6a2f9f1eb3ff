import { VirtioNetBackend } from '@bypass/virtio-backup';
import type { NicModelContext } from './NicModel.js';

/**
 * The QEMU side of a VM NIC's virtio-net device: one queue pair of 256 descriptors, the guest's
 * TX handed to the host path, and interrupts gated on the guest's vCPUs (`hw/virtio/virtio.c`
 * `virtio_notify_config` only raises the line: a stopped guest runs its config work, a carrier
 * change or an announce, when it runs again). `backup` offers VIRTIO_NET_F_STANDBY (QEMU
 * `failover=on`).
 *
 * @example
 * ```ts
 * const backend = guestVirtioBackend(ctx, ctx.options.offer_backup);
 * const virtio = VirtioNetDevice.probe({ pool: ctx.pool, transport: backend, ... });
 * ```
 */
export function guestVirtioBackend(ctx: NicModelContext, backup: boolean): VirtioNetBackend {
  return new VirtioNetBackend({
    pool: ctx.pool,
    mac: ctx.mac,
    backup,
    maxQueuePairs: 1,
    queueSize: 256,
    txSink: (_pair, pkts, start, count) => ctx.toHostParavirt(pkts, start, count),
    interruptGate: { stopped: ctx.guestStopped, clock: ctx.guestClock },
  });
}
