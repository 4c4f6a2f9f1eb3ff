import type { NetvscDevice } from '@bypass/netvsc';
import type { VirtioNetBackend } from '@bypass/virtio-backup';
import { hostAnnounce } from '../world/HostAnnounce.js';
import type { NicModelContext } from './NicModel.js';

/**
 * After a migration, a virtio-net NIC is announced the QEMU way: the guest announces itself
 * when it negotiated GUEST_ANNOUNCE (the host sets ANNOUNCE in the config status, the driver
 * sends a gratuitous ARP and acks); otherwise QEMU sends RARPs with the NIC's MAC for it
 * (`net/announce.c` `qemu_announce_self`).
 *
 * @example
 * ```ts
 * announceVirtio(this.backend, this.ctx);
 * ```
 */
export function announceVirtio(backend: VirtioNetBackend, ctx: NicModelContext): void {
  if (backend.announce()) {
    ctx.event('announce', 'guest announce (GUEST_ANNOUNCE): gratuitous ARP');
    return;
  }
  ctx.event('announce', 'QEMU self-announce: RARP');
  hostAnnounce(ctx.pool, ctx.mac.value, ctx.toHostParavirt);
}

/**
 * After a migration, a NetVSC NIC is announced by its guest: Hyper-V sends no announcement of
 * its own, the guest's netvsc notifies its peers with a gratuitous ARP (`netdev_notify_peers`,
 * `drivers/net/hyperv/netvsc_drv.c`). Nothing is sent while the netdev is not up.
 *
 * @example
 * ```ts
 * announceNetvsc(this.dev, this.ctx);
 * ```
 */
export function announceNetvsc(dev: NetvscDevice | null, ctx: NicModelContext): void {
  if (dev === null || !dev.running) {
    ctx.event('announce', 'Hyper-V: no host announce; guest netvsc not up, nothing sent');
    return;
  }
  const before = dev.garpFrames;
  dev.notifyPeers();
  ctx.event(
    'announce',
    `Hyper-V: no host announce; guest netdev_notify_peers: ${dev.garpFrames - before} gratuitous ARP`,
  );
}
