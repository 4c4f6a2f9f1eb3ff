import type { MacAddress } from '@bypass/core';

/**
 * The VMBus device class of Hyper-V synthetic network adapters (NetVSC), as sysfs shows it in
 * `device/class_id` (DPDK `drivers/net/vdev_netvsc/vdev_netvsc.c` compares with this string).
 *
 * @example
 * ```ts
 * if (sysfs.classId('eth0') === NETVSC_CLASS_ID) console.log('eth0 is NetVSC');
 * ```
 */
export const NETVSC_CLASS_ID = '{f8615163-df3e-46c5-913f-f2d2f965ed0e}';

/**
 * The VMBus device class of Hyper-V virtual PCI buses (where a VF appears on Hyper-V/Azure).
 *
 * @example
 * ```ts
 * const isVpci = facts.classId === HV_PCI_CLASS_ID;
 * ```
 */
export const HV_PCI_CLASS_ID = '{44c4f61d-4444-4400-9d52-802e27ede19f}';

/**
 * What sysfs says about one network interface: the facts vdev_netvsc discovery and failover
 * pairing need. `null` means "not there" (a virtual interface has no `device`, a non-VMBus
 * device no `class_id`...).
 *
 * @example
 * ```ts
 * const f: SysfsNetFacts = sysfs.facts('enP1s1');
 * if (f.subsystem === 'pci' && f.vmbusBacked) console.log(`Hyper-V VF in slot ${f.pciSlot}`);
 * ```
 */
export interface SysfsNetFacts {
  readonly name: string;
  /**
   * Interface index (`ifindex` file), or null when unreadable. Facts are read by name, and a
   * name can move to another device (udev renames, other namespaces' sysfs): compare it with
   * the rtnetlink ifindex before trusting the rest.
   */
  readonly ifindex: number | null;
  /** Driver bound to the parent device (`device/driver` link): `hv_netvsc`, `mlx5_core`, `virtio_net`... */
  readonly driver: string | null;
  /** Bus of the parent device (`device/subsystem` link): `pci`, `vmbus`, `virtio`... */
  readonly subsystem: string | null;
  /** VMBus class id (`device/class_id`), lower-case with braces. */
  readonly classId: string | null;
  /**
   * Path of the parent device under the sysfs root (`devices/...`): equal paths mean the same
   * parent (how net_failover tells its standby from its primary).
   */
  readonly devicePath: string | null;
  /** PCI address (`dddd:bb:dd.f`) when the parent is a PCI function. */
  readonly pciAddress: string | null;
  /** PCI slot name (`bus/pci/slots/<name>`); on Hyper-V the slot serial netvsc matches its VF by. */
  readonly pciSlot: string | null;
  /** True when a VMBus device is an ancestor of the parent (a Hyper-V vPCI function). */
  readonly vmbusBacked: boolean;
  /** Current address (`address`), lower-case. */
  readonly address: string | null;
  /** Master (`master` link), or null. */
  readonly master: string | null;
  /** Upper devices (`upper_*` links). */
  readonly uppers: readonly string[];
  /** Lower devices (`lower_*` links). */
  readonly lowers: readonly string[];
}

/**
 * One interface as vdev_netvsc discovery lists it (`if_nameindex` + sysfs): the shape of
 * `@bypass/netvsc`'s `SysfsInterface`, so a {@link RealSysfsView} can serve that package.
 *
 * @example
 * ```ts
 * const i: SysfsInterfaceInfo = sysfs.interfaces()[0]!;
 * if (i.classId === NETVSC_CLASS_ID) console.log(i.name, i.mac.toString());
 * ```
 */
export interface SysfsInterfaceInfo {
  name: string;
  ifindex: number;
  /** ARP hardware type (`type` file; 1 = Ethernet). */
  type: number;
  /** Hardware address (`address` file); zero when it is not a 6-byte address. */
  mac: MacAddress;
  /** `device/class_id`, or null. */
  classId: string | null;
  /** Basename of `device/subsystem`, or null. */
  subsystem: string | null;
  /** Basename of the `device` link (a PCI address for a PCI function), or null. */
  device: string | null;
}

/**
 * An address of an interface in the shape `@bypass/netvsc`'s `SysfsAddress` uses.
 *
 * @example
 * ```ts
 * const a: SysfsAddressInfo = { family: 'inet6', address: 'fe80::1', scope: 'link' };
 * ```
 */
export interface SysfsAddressInfo {
  family: 'inet' | 'inet6';
  address: string;
  scope: 'global' | 'site' | 'link' | 'host';
}

/**
 * Read-only access to the network part of sysfs. {@link RealSysfsView} reads a real (or fixture)
 * tree; tests and other platforms can supply any object of this shape.
 *
 * @example
 * ```ts
 * function netvscInterfaces(sysfs: SysfsView): string[] {
 *   return sysfs.names().filter((n) => sysfs.classId(n) === NETVSC_CLASS_ID);
 * }
 * ```
 */
export interface SysfsView {
  /** Names under `class/net`, sorted. */
  names(): string[];
  /** Every interface with its identity, in ifindex order (vdev_netvsc's listing). */
  interfaces(): SysfsInterfaceInfo[];
  /** Addresses of the interface, from rtnetlink (sysfs has none); empty when unknown. */
  addresses(name: string): SysfsAddressInfo[];
  /** True when `class/net/<name>` exists. */
  has(name: string): boolean;
  driver(name: string): string | null;
  subsystem(name: string): string | null;
  classId(name: string): string | null;
  pciAddress(name: string): string | null;
  pciSlot(name: string): string | null;
  address(name: string): string | null;
  master(name: string): string | null;
  uppers(name: string): string[];
  lowers(name: string): string[];
  /** Everything above at once. */
  facts(name: string): SysfsNetFacts;
}
