import type { DeviceBus, NetDevice, NetNamespace } from '@bypass/core';
import type { SysfsAddress, SysfsInterface, SysfsView } from './SysfsView.js';

/**
 * A {@link SysfsView} over a simulated kernel: the netdevs of a {@link NetNamespace}, plus
 * netdevs that exist for the kernel without being registered there (a bifurcated VF whose
 * queues a PMD drives, added with {@link SimulatedSysfs.addUnregistered}), with their sysfs
 * attributes taken from each netdev's parent bus device: `device/class_id` from its VMBus class
 * (in braces), `device/subsystem` from its bus, `device` from its PCI address or bus id. An
 * interface whose parent is no longer present (or, with a bus given, no longer plugged into
 * it) is not listed. Addresses are set per interface name.
 *
 * @example
 * ```ts
 * const sysfs = new SimulatedSysfs({ ns, bus });
 * sysfs.setAddresses('eth0', [{ family: 'inet', address: '10.0.0.4', scope: 'global' }]);
 * sysfs.interfaces().map((i) => [i.name, i.subsystem]); // [['eth0', 'vmbus'], ['eth1', 'vmbus'], ...]
 * ```
 */
export class SimulatedSysfs implements SysfsView {
  private readonly ns: NetNamespace;
  private readonly bus: DeviceBus | null;
  private readonly extra = new Map<NetDevice, { name: string; ifindex: number }>();
  private readonly addrs = new Map<string, SysfsAddress[]>();
  private nextExtraIndex = 1000;

  constructor(options: { ns: NetNamespace; bus?: DeviceBus }) {
    this.ns = options.ns;
    this.bus = options.bus ?? null;
  }

  /**
   * Lists `dev` under `name` although it is not registered in the namespace (a VF driven by a
   * bifurcated PMD keeps its kernel interface). It disappears with its parent.
   */
  addUnregistered(dev: NetDevice, name: string): void {
    this.extra.set(dev, { name, ifindex: this.nextExtraIndex++ });
  }

  /** Stops listing a device added with {@link SimulatedSysfs.addUnregistered}. */
  removeUnregistered(dev: NetDevice): void {
    this.extra.delete(dev);
  }

  /** Replaces the addresses of interface `name`. */
  setAddresses(name: string, addresses: readonly SysfsAddress[]): void {
    this.addrs.set(name, [...addresses]);
  }

  interfaces(): SysfsInterface[] {
    const out: SysfsInterface[] = [];
    for (const dev of this.ns.devices()) {
      if (this.visible(dev)) out.push(this.describe(dev, dev.name, dev.ifindex));
    }
    for (const [dev, { name, ifindex }] of this.extra) {
      if (dev.registered || !this.visible(dev)) continue;
      out.push(this.describe(dev, name, ifindex));
    }
    return out;
  }

  addresses(name: string): SysfsAddress[] {
    return [...(this.addrs.get(name) ?? [])];
  }

  private visible(dev: NetDevice): boolean {
    if (!dev.present) return false;
    const p = dev.parent;
    if (p === null) return true;
    if (!p.present) return false;
    return this.bus === null || this.bus.get(p.id) === p || p.bus !== 'pci';
  }

  private describe(dev: NetDevice, name: string, ifindex: number): SysfsInterface {
    const p = dev.parent;
    return {
      name,
      ifindex,
      type: dev.type,
      mac: dev.devAddr,
      classId: p?.vmbus ? `{${p.vmbus.classId}}` : null,
      subsystem: p === null ? null : p.bus,
      device: p === null ? null : (p.pci?.address ?? p.id),
    };
  }
}
