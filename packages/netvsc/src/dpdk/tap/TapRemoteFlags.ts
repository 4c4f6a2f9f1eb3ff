import { IFF, type NetDevice } from '@bypass/core';

/**
 * What a TAP with `remote=` changed on the remote netdev, so that close can put it back
 * (drivers/net/tap/rte_eth_tap.c: `remote_initial_flags` saved at creation, restored by
 * `tap_dev_close`): whether it was up, promiscuous and all-multicast, and the promiscuity and
 * all-multicast references the TAP added.
 *
 * @example
 * ```ts
 * const flags = new TapRemoteFlags(eth1);
 * flags.promiscuous(true); // eth1 promiscuous, one reference held by the TAP
 * flags.restore();         // eth1 as it was
 * ```
 */
export class TapRemoteFlags {
  readonly dev: NetDevice;
  private readonly wasUp: boolean;
  /** Initial IFF_PROMISC / IFF_ALLMULTI bits (for reports; the counts are what is undone). */
  readonly initialFlags: number;
  private promiscRefs = 0;
  private allmultiRefs = 0;

  constructor(dev: NetDevice) {
    this.dev = dev;
    this.wasUp = dev.isUp;
    this.initialFlags = dev.flags & (IFF.PROMISC | IFF.ALLMULTI | IFF.UP);
  }

  /** Brings the remote up if it is down (`tap_link_set_up` on the remote). */
  up(): void {
    if (!this.dev.isUp) this.dev.open();
  }

  /**
   * Holds or drops the TAP's one promiscuity reference on the remote (tap_promisc_enable sets
   * IFF_PROMISC, a flag: setting it twice is setting it once).
   */
  promiscuous(on: boolean): void {
    if (on === this.promiscRefs > 0) return;
    this.dev.setPromiscuity(on ? 1 : -1);
    this.promiscRefs = on ? 1 : 0;
  }

  /** Holds or drops the TAP's one all-multicast reference on the remote (IFF_ALLMULTI). */
  allmulticast(on: boolean): void {
    if (on === this.allmultiRefs > 0) return;
    this.dev.setAllmulti(on ? 1 : -1);
    this.allmultiRefs = on ? 1 : 0;
  }

  /** Puts the remote back as it was when the TAP took it over. */
  restore(): void {
    const dev = this.dev;
    if (this.promiscRefs > 0) dev.setPromiscuity(-this.promiscRefs);
    if (this.allmultiRefs > 0) dev.setAllmulti(-this.allmultiRefs);
    this.promiscRefs = 0;
    this.allmultiRefs = 0;
    if (!dev.registered) return;
    if (!this.wasUp && dev.isUp) dev.close();
    else if (this.wasUp && !dev.isUp) dev.open();
  }
}
