import type { NetDevice } from '../netdev/NetDevice.js';
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

  constructor(master: NetDevice, ops: BypassOps) {
    this.master = master;
    this.ops = ops;
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
