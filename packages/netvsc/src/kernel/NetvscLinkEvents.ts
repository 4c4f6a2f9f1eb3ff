import { NS_PER_S, type Scheduler, type TimerId } from '@bypass/core';
import { RNDIS_STATUS } from '../rndis/RndisConstants.js';

/**
 * netvsc_drv.c LINKCHANGE_INT: 2 seconds between link reconfigurations, ns.
 *
 * @example
 * ```ts
 * scheduler.advanceBy(LINKCHANGE_INT_NS); // the next queued link event is processed
 * ```
 */
export const LINKCHANGE_INT_NS = 2 * NS_PER_S;

/**
 * What a processed link event did to the device, for the owner to apply.
 *
 * @example
 * ```ts
 * const apply = (a: NetvscLinkAction): void => { if (a === 'carrier-on') dev.carrierOn(); };
 * ```
 */
export type NetvscLinkAction = 'carrier-on' | 'carrier-off' | 'notify-peers';

/**
 * The host's link indications as Linux netvsc handles them (`netvsc_drv.c`
 * netvsc_linkstatus_callback and netvsc_link_change): MEDIA_CONNECT, MEDIA_DISCONNECT and
 * NETWORK_CHANGE are queued and processed one at a time, at most once per LINKCHANGE_INT (2 s);
 * a connect while the link is up notifies peers (gratuitous ARP); a network change while up
 * takes the link down and brings it back up one interval later. Timers run on the injected
 * scheduler only.
 *
 * @example
 * ```ts
 * const link = new NetvscLinkEvents(scheduler, (a) => apply(a));
 * link.indicate(RNDIS_STATUS.NETWORK_CHANGE); // carrier-off now, carrier-on 2 s later
 * ```
 */
export class NetvscLinkEvents {
  /** `rdev->link_state`: true while the host says the link is down. */
  linkDown: boolean;
  /** Events processed so far. */
  processed = 0;
  private readonly queue: number[] = [];
  private lastReconfig = -Infinity;
  private timer: TimerId | null = null;
  private readonly scheduler: Scheduler;
  private readonly apply: (a: NetvscLinkAction) => void;
  private readonly busy: () => boolean;

  /**
   * @param busy - true while netvsc is in a change that holds RTNL in Linux (an MTU change's
   *   detach and attach): the work then comes back one interval later, as `netvsc_link_change`
   *   does when `rtnl_trylock` fails
   */
  constructor(
    scheduler: Scheduler,
    apply: (a: NetvscLinkAction) => void,
    linkDown = false,
    busy: () => boolean = () => false,
  ) {
    this.scheduler = scheduler;
    this.apply = apply;
    this.linkDown = linkDown;
    this.busy = busy;
  }

  /** Events waiting to be processed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues a host indication (other statuses are ignored); processing starts at once (delay 0). */
  indicate(status: number): void {
    if (
      status !== RNDIS_STATUS.MEDIA_CONNECT &&
      status !== RNDIS_STATUS.MEDIA_DISCONNECT &&
      status !== RNDIS_STATUS.NETWORK_CHANGE
    )
      return;
    this.queue.push(status);
    this.arm(0);
  }

  /** Cancels pending work (device removal). */
  cancel(): void {
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private arm(delay: number): void {
    if (this.timer !== null) return;
    this.timer = this.scheduler.runAfter(delay, this.work);
  }

  private readonly work = (): void => {
    this.timer = null;
    // netvsc_drv.c netvsc_link_change: RTNL taken elsewhere, try again one interval later.
    if (this.busy()) {
      this.arm(LINKCHANGE_INT_NS);
      return;
    }
    const now = this.scheduler.now();
    const next = this.lastReconfig + LINKCHANGE_INT_NS;
    if (now < next) {
      this.arm(Math.min(next - now, LINKCHANGE_INT_NS));
      return;
    }
    this.lastReconfig = now;
    const ev = this.queue.shift();
    if (ev === undefined) return;
    this.processed++;
    let reschedule = this.queue.length > 0;
    if (ev === RNDIS_STATUS.MEDIA_CONNECT) {
      if (this.linkDown) {
        this.linkDown = false;
        this.apply('carrier-on');
      } else this.apply('notify-peers');
    } else if (ev === RNDIS_STATUS.MEDIA_DISCONNECT) {
      if (!this.linkDown) {
        this.linkDown = true;
        this.apply('carrier-off');
      }
    } else if (!this.linkDown) {
      // NETWORK_CHANGE: emulate link down, then up one interval later.
      this.linkDown = true;
      this.apply('carrier-off');
      this.queue.unshift(RNDIS_STATUS.MEDIA_CONNECT);
      reschedule = true;
    }
    if (reschedule) this.arm(LINKCHANGE_INT_NS);
  };
}
