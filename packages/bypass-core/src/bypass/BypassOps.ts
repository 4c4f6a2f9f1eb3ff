import type { NetDevice } from '../netdev/NetDevice.js';
import type { RxHandler } from '../netdev/RxHandler.js';

/**
 * The plug-in contract between the bypass registry and a driver (Linux `struct failover_ops`,
 * `include/net/failover.h`). The registry calls these hooks for devices whose permanent MAC
 * equals the master's; everything runs synchronously inside the notifier chain.
 *
 * - `preRegister`: may refuse a candidate slave by returning a reason (it is then ignored,
 *   silently in Linux; here it is reported on {@link BypassRegistry.events$}).
 * - `register`: takes the slave in (MTU, open, address and VLAN sync, slot). Throwing fails the
 *   registration and the registry undoes everything it did (rx handler, master link, flags).
 * - `preUnregister`: may refuse to let a slave go by returning a reason (the slave stays).
 * - `unregister`: releases the slave.
 * - `linkChange`: a slave went up, down or changed carrier. Only called while the master runs.
 * - `nameChange`: a slave was renamed. Only called while the master runs.
 * - `handleFrame`: the rx handler installed on every slave, with the master as its data device;
 *   default: deliver everything on the master (`RX_HANDLER.ANOTHER`).
 *
 * @example
 * ```ts
 * const ops: BypassOps = {
 *   preRegister: (slave) => (slave.parent?.isPci ? null : 'only PCI VFs may be active'),
 *   register: (slave, master) => slave.setMtu(master.mtu),
 *   unregister: (slave) => slave.close(),
 *   linkChange: (_slave, master) => recomputeCarrier(master),
 * };
 * registry.register(myMaster, ops);
 * ```
 */
export interface BypassOps {
  /** Return a reason to refuse the candidate, or null/undefined to accept it. */
  preRegister?(slave: NetDevice, master: NetDevice): string | null | undefined;
  /** Take the slave in; throw to fail (the registry rolls back). */
  register(slave: NetDevice, master: NetDevice): void;
  /** Return a reason to keep the slave, or null/undefined to let it go. */
  preUnregister?(slave: NetDevice, master: NetDevice): string | null | undefined;
  /** Release the slave. */
  unregister(slave: NetDevice, master: NetDevice): void;
  /** A slave's link state changed (up, down, carrier). */
  linkChange?(slave: NetDevice, master: NetDevice): void;
  /** A slave was renamed. */
  nameChange?(slave: NetDevice, master: NetDevice): void;
  /** RX handler installed on each slave. */
  handleFrame?: RxHandler;
}
