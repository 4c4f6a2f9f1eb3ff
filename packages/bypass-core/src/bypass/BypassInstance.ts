import type { NetDevice } from '../netdev/NetDevice.js';
import { macHigh24, macLow24 } from '../netdev/macIndexKey.js';
import type { BypassOps } from './BypassOps.js';

/**
 * One registered bypass master with its ops (Linux `struct failover`). Returned by
 * {@link BypassRegistry.register}; pass it back to {@link BypassRegistry.unregister}.
 *
 * @example
 * ```ts
 * const inst = registry.register(master, ops);
 * inst.master === master; // true
 * inst.slaves();          // devices currently enslaved through this instance
 * ```
 */
export class BypassInstance {
  readonly master: NetDevice;
  readonly ops: BypassOps;
  /** False once unregistered. */
  active = true;

  /**
   * The permanent MAC's two 24-bit halves, kept here (small integers, no object to read) so
   * that the registry checks a candidate's address without touching the master.
   */
  readonly macHigh: number;
  readonly macLow: number;
  /**
   * The next instance whose master's address folds to the same key, in the registry's chain.
   * Set by the registry; leave it alone.
   */
  nextSameKey: BypassInstance | null = null;

  constructor(master: NetDevice, ops: BypassOps) {
    this.master = master;
    this.ops = ops;
    this.macHigh = macHigh24(master.permAddr.value);
    this.macLow = macLow24(master.permAddr.value);
  }

  /** True when `mac` (a 48-bit number) is this instance's permanent MAC. */
  pairsOn(mac: number): boolean {
    return this.macLow === macLow24(mac) && this.macHigh === macHigh24(mac);
  }

  /** The permanent MAC this instance pairs on. */
  get mac(): number {
    return this.master.permAddr.value;
  }

  /** Devices currently linked under the master. */
  slaves(): readonly NetDevice[] {
    return this.master.lowers;
  }
}
