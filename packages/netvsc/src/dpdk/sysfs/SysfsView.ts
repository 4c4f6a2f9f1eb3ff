import type { MacAddress } from '@bypass/core';

/**
 * The VMBus device class of network adapters, as `device/class_id` shows it in sysfs.
 *
 * @example
 * ```ts
 * if (iface.classId === NETVSC_CLASS_ID) console.log(`${iface.name} is NetVSC`);
 * ```
 */
export const NETVSC_CLASS_ID = '{f8615163-df3e-46c5-913f-f2d2f965ed0e}';

/**
 * One network interface as sysfs and `SIOCGIFHWADDR` describe it.
 *
 * @example
 * ```ts
 * const i: SysfsInterface = {
 *   name: 'eth1', ifindex: 3, type: ARPHRD.ETHER, mac: MacAddress.parse('00:15:5d:00:00:01'),
 *   classId: NETVSC_CLASS_ID, subsystem: 'vmbus', device: '1f2e3d4c-0000-0000-0000-000000000001',
 * };
 * ```
 */
export interface SysfsInterface {
  /** Interface name (`/sys/class/net/<name>`). */
  name: string;
  ifindex: number;
  /** ARP hardware type (`ARPHRD_ETHER` = 1). */
  type: number;
  /** Hardware address. */
  mac: MacAddress;
  /** Content of `device/class_id`, or null when there is none (not a VMBus device). */
  classId: string | null;
  /** Basename of the `device/subsystem` link (`pci`, `vmbus`...), or null. */
  subsystem: string | null;
  /** Basename of the `device` link (the PCI address of a PCI function), or null. */
  device: string | null;
}

/**
 * An address configured on an interface (what `RTM_GETADDR` lists), with its scope.
 *
 * @example
 * ```ts
 * const a: SysfsAddress = { family: 'inet6', address: 'fe80::215:5dff:fe00:1', scope: 'link' };
 * ```
 */
export interface SysfsAddress {
  family: 'inet' | 'inet6';
  address: string;
  scope: 'global' | 'site' | 'link' | 'host';
}

/**
 * What vdev_netvsc reads from the system: the interfaces with their sysfs attributes, and the
 * addresses of each. {@link SimulatedSysfs} implements it on a simulated namespace; an
 * implementation over the real `/sys/class/net` and rtnetlink can replace it unchanged.
 *
 * @example
 * ```ts
 * function netvscNames(view: SysfsView): string[] {
 *   return view.interfaces().filter((i) => i.classId === NETVSC_CLASS_ID).map((i) => i.name);
 * }
 * ```
 */
export interface SysfsView {
  /** Every interface, in ifindex order (`if_nameindex`). */
  interfaces(): SysfsInterface[];
  /** The addresses of interface `name` (empty when none or unknown). */
  addresses(name: string): SysfsAddress[];
}
