import { BypassRegistry, DeviceBus, NetNamespace, type Scheduler } from '@bypass/core';
import type { ScenarioVm } from '../scenario/Scenario.js';
import { GuestClock } from './GuestClock.js';
import type { Host } from './Host.js';
import type { Migration } from './Migration.js';
import type { VmNic, VmNicOwner } from './VmNic.js';

/**
 * A VM: its guest kernel's world (a network namespace, a device bus for hot-plug, a bypass
 * registry), its NICs, the host it runs on, and whether it runs (`paused` during the
 * stop-and-copy phase of a migration, `down` between guest-down and guest-up), and the clock
 * its guest software's timers run on (held while it does not run).
 *
 * @example
 * ```ts
 * const vm = new Vm(spec, hosts.get(spec.host)!, world.scheduler);
 * vm.clock.runAfter(100 * NS_PER_MS, () => miimon()); // a guest timer
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
  /** The guest's timers: they do not run while the VM is paused or down. */
  readonly clock: GuestClock;

  constructor(
    readonly spec: ScenarioVm,
    public host: Host,
    scheduler: Scheduler,
  ) {
    this.name = spec.name;
    this.ns = new NetNamespace(spec.name);
    this.clock = new GuestClock(scheduler, () => this.paused || this.down);
  }

  /** The NIC called `name`, or undefined. */
  nic(name: string): VmNic | undefined {
    return this.nics.find((n) => n.spec.name === name);
  }
}
