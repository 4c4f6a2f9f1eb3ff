import type { NetDevice } from '../netdev/NetDevice.js';
import { IFF } from '../netdev/NetDeviceFlags.js';

/**
 * Keeps a master's RX configuration on exactly one lower device, the way bonding modes that use
 * a primary do (drivers/net/bonding/bond_main.c: bond_hw_addr_swap, bond_set_rx_mode,
 * bond_set_promiscuity, bond_set_allmulti): the master's unicast and multicast lists (only while
 * the master is up), one promiscuity reference while the master is PROMISC and one allmulti
 * reference while it is ALLMULTI. {@link BondRxSync.moveTo} moves all of them from the previous
 * target to the new one.
 *
 * @example
 * ```ts
 * const rx = new BondRxSync();
 * rx.moveTo(bond, vf);   // vf gets bond's address lists (+ promiscuity if bond is PROMISC)
 * rx.moveTo(bond, eth0); // moved to eth0
 * rx.moveTo(bond, null); // withdrawn everywhere
 * ```
 */
export class BondRxSync {
  private addrTo: NetDevice | null = null;
  private promiscTo: NetDevice | null = null;
  private allmultiTo: NetDevice | null = null;

  /** The lower device currently holding the master's address lists, or null. */
  get addressTarget(): NetDevice | null {
    return this.addrTo;
  }

  /** Makes `target` (or nobody, with null) the one lower device carrying `upper`'s RX state. */
  moveTo(upper: NetDevice, target: NetDevice | null): void {
    const addr = upper.isUp ? target : null;
    if (this.addrTo !== null && this.addrTo !== addr) upper.unsyncAddressesFrom(this.addrTo);
    this.addrTo = addr;
    if (addr !== null) upper.syncAddressesTo(addr);
    const promisc = (upper.flags & IFF.PROMISC) !== 0 ? target : null;
    if (promisc !== this.promiscTo) {
      const prev = this.promiscTo;
      this.promiscTo = promisc;
      if (prev !== null) quietly(() => prev.setPromiscuity(-1));
      if (promisc !== null) promisc.setPromiscuity(1);
    }
    const allmulti = (upper.flags & IFF.ALLMULTI) !== 0 ? target : null;
    if (allmulti !== this.allmultiTo) {
      const prev = this.allmultiTo;
      this.allmultiTo = allmulti;
      if (prev !== null) quietly(() => prev.setAllmulti(-1));
      if (allmulti !== null) allmulti.setAllmulti(1);
    }
  }

  /** Withdraws the address lists only (bond_main.c: bond_close flushes them from the active). */
  flushAddresses(upper: NetDevice): void {
    if (this.addrTo === null) return;
    upper.unsyncAddressesFrom(this.addrTo);
    this.addrTo = null;
  }
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // the previous target may be gone; its counts die with it
  }
}
