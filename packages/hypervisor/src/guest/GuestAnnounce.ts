import type { TimerId } from '@bypass/core';
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
 * Announces a virtio-net NIC after a migration the QEMU way. Every round of the self-announce
 * (`net/announce.c` `qemu_announce_self_iter`, on QEMU's real-time clock, so on the world's
 * scheduler) sends a RARP with the NIC's MAC through the NIC's net client, which sends nothing
 * while the NIC's link is down (`net/net.c` `qemu_send_packet_async_with_flags`): after a
 * `link-down` on `backup` no RARP leaves. When the guest negotiated GUEST_ANNOUNCE, virtio-net's
 * own announce timer asks the guest in rounds too (config status ANNOUNCE and a config
 * interrupt; the driver notifies peers on the virtio netdev and acks). That timer runs on the
 * VM's virtual clock (`hw/net/virtio-net.c` `virtio_net_post_load_device`), so those rounds are
 * on the guest's clock, and an interrupt raised while the guest is stopped reaches it when it
 * runs again. That notify sends a gratuitous ARP only for addresses the virtio netdev holds:
 * none when it is a failover standby or a bond slave (the addresses are on the master), so
 * there only QEMU's RARPs go out. A new announce replaces the rounds of the previous one;
 * {@link VirtioAnnouncer.cancel} stops them (the NIC goes away).
 *
 * @example
 * ```ts
 * private readonly announcer = new VirtioAnnouncer(this.backend, this.virtio, this.ctx);
 * announce() { this.announcer.announce(); }
 * ```
 */
export class VirtioAnnouncer {
  private hostTimers: TimerId[] = [];
  private guestTimer: TimerId = -1;

  constructor(
    private readonly backend: VirtioNetBackend,
    private readonly virtio: VirtioNetDevice,
    private readonly ctx: NicModelContext,
  ) {}

  /** Runs the first round now (the guest's when it runs) and schedules the others. */
  announce(): void {
    this.cancel();
    const before = this.virtio.garpSent;
    const linkUp = this.backend.linkUp;
    this.rarp();
    const stopped = this.ctx.guestStopped();
    // virtio_net_post_load_device arms the first round for now on the virtual clock: it runs
    // once the guest does
    const guest = stopped ? this.backend.canAnnounce : this.guestRound(0);
    if (stopped && guest)
      this.guestTimer = this.ctx.guestClock.runAfter(0, () => this.guestRound(0));
    const garp = stopped
      ? 'the guest does not run: asked when it runs again'
      : this.virtio.garpSent > before
        ? 'gratuitous ARP'
        : `nothing sent: ${this.virtio.name} holds no address`;
    const rarp = linkUp ? 'RARP' : 'no RARP (the NIC link is down)';
    this.ctx.event(
      'announce',
      `QEMU self-announce: ${rarp}${guest ? ` and guest announce (GUEST_ANNOUNCE: ${garp})` : ''}, ${QEMU_ANNOUNCE_ROUNDS_MS.length} rounds at ${QEMU_ANNOUNCE_ROUNDS_MS.join(', ')} ms`,
    );
    this.hostTimers = QEMU_ANNOUNCE_ROUNDS_MS.slice(1).map((ms) =>
      this.ctx.scheduler.runAfter(ms * 1_000_000, () => this.rarp()),
    );
  }

  /** Cancels the rounds still to come. */
  cancel(): void {
    for (const id of this.hostTimers) this.ctx.scheduler.cancel(id);
    this.hostTimers = [];
    if (this.guestTimer >= 0) this.ctx.guestClock.cancel(this.guestTimer);
    this.guestTimer = -1;
  }

  // QEMU's RARP for the NIC, unless its link is down (net/net.c
  // qemu_send_packet_async_with_flags returns before sending from a link-down NIC).
  private rarp(): void {
    if (this.backend.linkUp)
      hostAnnounce(this.ctx.pool, this.ctx.mac.value, this.ctx.toHostParavirt);
  }

  /**
   * Round `i` of virtio-net's announce timer: ANNOUNCE and a config interrupt. The next round is
   * armed only once the guest acked this one (`virtio_net_handle_announce` steps the timer on
   * the ack: `qemu_announce_timer_step`), on the guest's clock. False when the guest cannot be
   * asked.
   */
  private guestRound(i: number): boolean {
    this.guestTimer = -1;
    if (!this.backend.announce()) return false;
    const next = i + 1;
    if (!this.backend.announcePending && next < QEMU_ANNOUNCE_ROUNDS_MS.length) {
      const gap =
        (QEMU_ANNOUNCE_ROUNDS_MS[next] as number) - (QEMU_ANNOUNCE_ROUNDS_MS[i] as number);
      this.guestTimer = this.ctx.guestClock.runAfter(gap * 1_000_000, () => this.guestRound(next));
    }
    return true;
  }
}

/**
 * After a migration, the destination's Hyper-V host tells the synthetic NIC that its medium is
 * connected (RNDIS MEDIA_CONNECT); Hyper-V sends no announcement of its own. A Linux netvsc
 * whose link is already up answers with a gratuitous ARP per address (`netvsc_drv.c`
 * `netvsc_link_change`: a connect while up calls `__netdev_notify_peers`; the driver's older
 * `netvsc_send_garp` named this case, the network after a quick migration), at most once per
 * `LINKCHANGE_INT` (2 s) after its previous link event. The indication goes over VMBus, so the
 * guest takes it when it runs. `indicate` sends it and says whether the channel could carry it;
 * `guest` says what the guest does with it, for the event.
 *
 * @example
 * ```ts
 * announceHyperV(() => this.side.indicateLink(true), this.ctx, 'the guest netvsc notifies its peers');
 * ```
 */
export function announceHyperV(indicate: () => boolean, ctx: NicModelContext, guest: string): void {
  ctx.event(
    'announce',
    indicate()
      ? `Hyper-V host: RNDIS MEDIA_CONNECT on the synthetic NIC; ${guest}`
      : 'Hyper-V host: the synthetic channel is gone, nothing indicated',
  );
}
