import type { TimerId } from '@bypass/core';
import type { NetvscDevice } from '@bypass/netvsc';
import type { VirtioNetBackend, VirtioNetDevice } from '@bypass/virtio-backup';
import { hostAnnounce } from '../world/HostAnnounce.js';
import type { NicModelContext } from './NicModel.js';

/**
 * QEMU's self-announce after a migration (`net/announce.c`, defaults of `-global
 * migration.announce-*`): 5 rounds, the first at once, then after 50, 150, 250 and 350 ms
 * (initial 50 ms, step 100 ms, max 550 ms), i.e. at 0, 50, 200, 450 and 800 ms.
 *
 * @example
 * ```ts
 * console.log(QEMU_ANNOUNCE_ROUNDS_MS); // [0, 50, 200, 450, 800]
 * ```
 */
export const QEMU_ANNOUNCE_ROUNDS_MS: readonly number[] = [0, 50, 200, 450, 800];

/**
 * Announces a virtio-net NIC after a migration the QEMU way (`net/announce.c`
 * `qemu_announce_self_iter`): every round QEMU sends a RARP with the NIC's MAC and, when the
 * guest negotiated GUEST_ANNOUNCE, also asks the guest to announce itself (config status
 * ANNOUNCE: the driver notifies peers on the virtio netdev and acks). The RARP goes through the
 * NIC's net client, which sends nothing while the NIC's link is down (`net/net.c`
 * `qemu_send_packet_async_with_flags`): after a `link-down` on `backup` no RARP leaves; the
 * guest is still asked to announce. That notify sends a
 * gratuitous ARP only for addresses the virtio netdev holds: none when it is a failover standby
 * or a bond slave (the addresses are on the master), so there only QEMU's RARPs go out. A new
 * announce replaces the rounds of the previous one; {@link VirtioAnnouncer.cancel} stops them
 * (the NIC goes away).
 *
 * @example
 * ```ts
 * private readonly announcer = new VirtioAnnouncer(this.backend, this.virtio, this.ctx);
 * announce() { this.announcer.announce(); }
 * ```
 */
export class VirtioAnnouncer {
  private timers: TimerId[] = [];

  constructor(
    private readonly backend: VirtioNetBackend,
    private readonly virtio: VirtioNetDevice,
    private readonly ctx: NicModelContext,
  ) {}

  /** Runs the first round now and schedules the others. */
  announce(): void {
    this.cancel();
    const before = this.virtio.garpSent;
    const linkUp = this.backend.linkUp;
    const guest = this.round();
    const garp =
      this.virtio.garpSent > before
        ? 'gratuitous ARP'
        : `nothing sent: ${this.virtio.name} holds no address`;
    const rarp = linkUp ? 'RARP' : 'no RARP (the NIC link is down)';
    this.ctx.event(
      'announce',
      `QEMU self-announce: ${rarp}${guest ? ` and guest announce (GUEST_ANNOUNCE: ${garp})` : ''}, ${QEMU_ANNOUNCE_ROUNDS_MS.length} rounds at ${QEMU_ANNOUNCE_ROUNDS_MS.join(', ')} ms`,
    );
    this.timers = QEMU_ANNOUNCE_ROUNDS_MS.slice(1).map((ms) =>
      this.ctx.scheduler.runAfter(ms * 1_000_000, () => void this.round()),
    );
  }

  /** Cancels the rounds still to come. */
  cancel(): void {
    for (const id of this.timers) this.ctx.scheduler.cancel(id);
    this.timers = [];
  }

  /**
   * One round: QEMU's RARP (unless the link is down), then the guest's announce if it can; true
   * when the guest could.
   */
  private round(): boolean {
    // net/net.c qemu_send_packet_async_with_flags returns before sending from a link-down NIC.
    if (this.backend.linkUp)
      hostAnnounce(this.ctx.pool, this.ctx.mac.value, this.ctx.toHostParavirt);
    return this.backend.announce();
  }
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
