import { BypassError, MacAddress } from '@bypass/core';
import type { AddressRecord } from '../netlink/AddressRecord.js';
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type {
  SysfsAddressInfo,
  SysfsInterfaceInfo,
  SysfsNetFacts,
  SysfsView,
} from './SysfsView.js';

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  // ENODEV: vmbus_drv.c class_id_show (and the other VMBus attributes) fail with -ENODEV once the
  // channel is gone, i.e. while the host rescinds the device (a VF during host servicing).
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL' || code === 'ENODEV';
}

/**
 * A {@link SysfsView} over a sysfs directory: `/sys` by default, or a fixture tree (tests build
 * the Hyper-V and net_failover layouts in temporary directories). Reads are synchronous and
 * uncached, so the view always shows the current state. Attributes that are absent read as
 * `null` (a virtual interface has no `device`, and a VMBus device being rescinded answers
 * ENODEV); other I/O errors (permissions) throw.
 *
 * It covers what the DPDK helper's vdev_netvsc discovery reads (`device/class_id`,
 * `device/subsystem`, the address, the PCI address) and what Linux failover pairing needs
 * (driver, PCI slot serial, master/upper/lower links). It is shaped so that it can implement the
 * `SysfsView` interface `@bypass/netvsc` defines for vdev_netvsc once that package exists (a
 * structural match: `interfaces()` and `addresses()` return the shapes of its
 * `SysfsInterface` and `SysfsAddress`), without `@bypass/linux` depending on it. Addresses are
 * not in sysfs: give them with {@link RealSysfsView.setAddresses} (from an rtnetlink read).
 *
 * @example
 * ```ts
 * const sysfs = new RealSysfsView();               // reads /sys
 * for (const name of sysfs.interfaces()) {
 *   const f = sysfs.facts(name);
 *   console.log(name, f.driver, f.subsystem, f.classId, f.pciSlot, f.master);
 * }
 * const fixture = new RealSysfsView('/tmp/fixture/sys');
 * ```
 */
export class RealSysfsView implements SysfsView {
  /** The sysfs root directory. */
  readonly root: string;

  private addressRecords: readonly AddressRecord[] = [];

  private readonly readText: (path: string) => string;

  /**
   * @param root - the sysfs mount point or a fixture tree; default `/sys`
   * @param io - `readFileSync(path)` reading an attribute as text (tests inject errors a fixture
   * tree cannot produce, such as ENODEV); default `fs.readFileSync(path, 'utf8')`
   */
  constructor(root = '/sys', io: { readFileSync?: (path: string) => string } = {}) {
    this.root = root;
    this.readText = io.readFileSync ?? ((path) => readFileSync(path, 'utf8'));
  }

  /** Sets the addresses {@link RealSysfsView.addresses} reports (e.g. `await source.readAddresses()`). */
  setAddresses(records: readonly AddressRecord[]): void {
    this.addressRecords = records;
  }

  /** Every interface with ifindex, type, MAC, class id, subsystem and device, by ifindex. */
  interfaces(): SysfsInterfaceInfo[] {
    const out: SysfsInterfaceInfo[] = [];
    for (const name of this.names()) {
      const ifindex = Number(this.text(this.netPath(name, 'ifindex')));
      if (!Number.isInteger(ifindex) || ifindex <= 0) continue; // vanished, or not a netdev
      const addr = this.address(name);
      const dev = this.real(this.netPath(name, 'device'));
      out.push({
        name,
        ifindex,
        type: Number(this.text(this.netPath(name, 'type')) ?? '0'),
        mac:
          addr !== null && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(addr)
            ? MacAddress.parse(addr)
            : MacAddress.ZERO,
        classId: this.classId(name),
        subsystem: this.subsystem(name),
        device: dev === null ? null : basename(dev),
      });
    }
    return out.sort((a, b) => a.ifindex - b.ifindex);
  }

  /** Addresses of `name` from the last {@link RealSysfsView.setAddresses}; empty when unknown. */
  addresses(name: string): SysfsAddressInfo[] {
    const ifindex = Number(this.text(this.netPath(name, 'ifindex')));
    return this.addressRecords
      .filter((a) => a.ifindex === ifindex)
      .map((a) => ({
        family: a.family === 4 ? ('inet' as const) : ('inet6' as const),
        address: a.address,
        scope: a.scope === 'site' || a.scope === 'link' || a.scope === 'host' ? a.scope : 'global',
      }));
  }

  /** Interface names under `class/net`, sorted (empty when the directory is missing). */
  names(): string[] {
    try {
      return readdirSync(join(this.root, 'class', 'net')).sort();
    } catch (err) {
      if (isMissing(err)) return [];
      throw this.ioError('list class/net', err);
    }
  }

  /** True when the interface exists. */
  has(name: string): boolean {
    return existsSync(join(this.root, 'class', 'net', name));
  }

  /** Driver of the parent device (`device/driver`). */
  driver(name: string): string | null {
    return this.linkBase(this.netPath(name, 'device', 'driver'));
  }

  /** Bus of the parent device (`device/subsystem`). */
  subsystem(name: string): string | null {
    return this.linkBase(this.netPath(name, 'device', 'subsystem'));
  }

  /** VMBus class id (`device/class_id`), lower-case. */
  classId(name: string): string | null {
    return this.text(this.netPath(name, 'device', 'class_id'))?.toLowerCase() ?? null;
  }

  /** PCI address of the parent device when it is a PCI function. */
  pciAddress(name: string): string | null {
    if (this.subsystem(name) !== 'pci') return null;
    const dev = this.real(this.netPath(name, 'device'));
    return dev === null ? null : basename(dev);
  }

  /** Name of the PCI slot whose `address` is the function's `dddd:bb:dd` (Hyper-V: the serial). */
  pciSlot(name: string): string | null {
    const addr = this.pciAddress(name);
    if (addr === null) return null;
    const slotAddr = addr.replace(/\.[0-7]$/, '');
    const slots = join(this.root, 'bus', 'pci', 'slots');
    let entries: string[];
    try {
      entries = readdirSync(slots).sort();
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.ioError('list bus/pci/slots', err);
    }
    for (const slot of entries) {
      if (this.text(join(slots, slot, 'address')) === slotAddr) return slot;
    }
    return null;
  }

  /** Current hardware address (`address`). */
  address(name: string): string | null {
    return this.text(this.netPath(name, 'address'))?.toLowerCase() ?? null;
  }

  /** Master device (`master` link). */
  master(name: string): string | null {
    return this.linkBase(this.netPath(name, 'master'));
  }

  /** Upper devices (`upper_<name>` entries). */
  uppers(name: string): string[] {
    return this.prefixed(name, 'upper_');
  }

  /** Lower devices (`lower_<name>` entries). */
  lowers(name: string): string[] {
    return this.prefixed(name, 'lower_');
  }

  /**
   * Every fact about `name`.
   *
   * @throws `BypassError` `ERR_NOT_FOUND` when `class/net/<name>` does not exist.
   */
  facts(name: string): SysfsNetFacts {
    if (!this.has(name)) {
      throw new BypassError(
        'ERR_NOT_FOUND',
        `no interface ${name} under ${join(this.root, 'class', 'net')}; it may have been renamed or removed`,
      );
    }
    const devReal = this.real(this.netPath(name, 'device'));
    const ifindex = Number(this.text(this.netPath(name, 'ifindex')) ?? NaN);
    return {
      name,
      ifindex: Number.isInteger(ifindex) && ifindex > 0 ? ifindex : null,
      driver: this.driver(name),
      subsystem: this.subsystem(name),
      classId: this.classId(name),
      devicePath: devReal === null ? null : relative(this.realRoot(), devReal),
      pciAddress: this.pciAddress(name),
      pciSlot: this.pciSlot(name),
      vmbusBacked: devReal !== null && this.hasVmbusAncestor(devReal),
      address: this.address(name),
      master: this.master(name),
      uppers: this.uppers(name),
      lowers: this.lowers(name),
    };
  }

  private netPath(name: string, ...rest: string[]): string {
    if (name.length === 0 || name.includes('/') || name === '.' || name === '..') {
      throw new BypassError('ERR_NAME_INVALID', `invalid interface name ${JSON.stringify(name)}`);
    }
    return join(this.root, 'class', 'net', name, ...rest);
  }

  private realRoot(): string {
    try {
      return realpathSync(this.root);
    } catch {
      return this.root;
    }
  }

  private hasVmbusAncestor(devReal: string): boolean {
    const stop = join(this.realRoot(), 'devices');
    for (let d = dirname(devReal); d.startsWith(stop + sep); d = dirname(d)) {
      if (this.linkBase(join(d, 'subsystem')) === 'vmbus') return true;
    }
    return false;
  }

  private prefixed(name: string, prefix: string): string[] {
    let entries: string[];
    try {
      entries = readdirSync(this.netPath(name));
    } catch (err) {
      if (isMissing(err)) return [];
      throw this.ioError(`list class/net/${name}`, err);
    }
    return entries
      .filter((e) => e.startsWith(prefix))
      .map((e) => e.slice(prefix.length))
      .sort();
  }

  private linkBase(path: string): string | null {
    try {
      return basename(readlinkSync(path));
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.ioError(`read link ${path}`, err);
    }
  }

  private real(path: string): string | null {
    try {
      return realpathSync(path);
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.ioError(`resolve ${path}`, err);
    }
  }

  private text(path: string): string | null {
    try {
      return this.readText(path).trim();
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.ioError(`read ${path}`, err);
    }
  }

  private ioError(what: string, err: unknown): BypassError {
    return new BypassError(
      'ERR_STATE',
      `cannot ${what} in sysfs (${err instanceof Error ? err.message : String(err)}); bypass only reads sysfs, check the mount and permissions`,
    );
  }
}
