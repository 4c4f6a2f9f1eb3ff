import { BypassRegistry, DeviceBus, NetNamespace } from '@bypass/core';
import type { ScenarioVm } from '../scenario/Scenario.js';
import type { Host } from './Host.js';
import type { Migration } from './Migration.js';
import type { VmNic, VmNicOwner } from './VmNic.js';

/**
 * A VM: its guest kernel's world (a network namespace, a device bus for hot-plug, a bypass
 * registry), its NICs, the host it runs on, and whether it runs (`paused` during the
 * stop-and-copy phase of a migration, `down` between guest-down and guest-up).
 *
 * @example
 * ```ts
 * const vm = new Vm(spec, hosts.get(spec.host)!);
 * console.log(vm.ns.name, vm.host.name);
 * ```
 */
export class Vm implements VmNicOwner {
  readonly name: string;
  readonly ns: NetNamespace;
  readonly bus = new DeviceBus();
  readonly registry = new BypassRegistry();
  readonly nics: VmNic[] = [];
  paused = false;
  down = false;
  /** The migration under way, or null. */
  migration: Migration | null = null;

  constructor(
    readonly spec: ScenarioVm,
    public host: Host,
  ) {
    this.name = spec.name;
    this.ns = new NetNamespace(spec.name);
  }

  /** The NIC called `name`, or undefined. */
  nic(name: string): VmNic | undefined {
    return this.nics.find((n) => n.spec.name === name);
  }
}
