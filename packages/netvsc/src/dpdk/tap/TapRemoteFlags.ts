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

  /** Adds or drops the TAP's promiscuity reference on the remote. */
  promiscuous(on: boolean): void {
    if (on) {
      this.dev.setPromiscuity(1);
      this.promiscRefs++;
    } else if (this.promiscRefs > 0) {
      this.dev.setPromiscuity(-1);
      this.promiscRefs--;
    }
  }

  /** Adds or drops the TAP's all-multicast reference on the remote. */
  allmulticast(on: boolean): void {
    if (on) {
      this.dev.setAllmulti(1);
      this.allmultiRefs++;
    } else if (this.allmultiRefs > 0) {
      this.dev.setAllmulti(-1);
      this.allmultiRefs--;
    }
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
