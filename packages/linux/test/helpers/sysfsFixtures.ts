import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * Builders of fixture sysfs trees (the test machine is not Hyper-V and has no virtio failover):
 * real directories, files and relative symlinks laid out like the kernel's, in a temp dir.
 */
export class SysfsTree {
  readonly root: string;
  private ifindex = 0;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'bypass-sysfs-'));
  }

  /** A file; sysfs attributes end with a newline, `raw` files (like /proc cmdline) do not. */
  file(path: string, content: string, raw = false): void {
    const p = join(this.root, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, raw ? content : content + '\n');
  }

  dir(path: string): void {
    mkdirSync(join(this.root, path), { recursive: true });
  }

  /** A relative symlink at `path` pointing to `target` (both relative to the root). */
  link(path: string, target: string): void {
    const p = join(this.root, path);
    mkdirSync(dirname(p), { recursive: true });
    mkdirSync(join(this.root, target), { recursive: true });
    symlinkSync(relative(dirname(p), join(this.root, target)), p);
  }

  /**
   * A net device directory under `parent` with class/net and `device` links. Its `ifindex` is
   * `ifindex`, else one more than the last one given.
   */
  netdev(
    parent: string | null,
    name: string,
    address: string,
    mtu = 1500,
    ifindex = this.ifindex + 1,
  ): string {
    const dir = parent === null ? `devices/virtual/net/${name}` : `${parent}/net/${name}`;
    this.ifindex = ifindex;
    this.file(`${dir}/ifindex`, String(ifindex));
    this.file(`${dir}/address`, address);
    this.file(`${dir}/mtu`, String(mtu));
    this.file(`${dir}/type`, '1');
    if (parent !== null) this.link(`${dir}/device`, parent);
    this.link(`class/net/${name}`, dir);
    return dir;
  }

  /** Links `lower` under `upper` (master, upper_*, lower_* entries). */
  enslave(lowerDir: string, upperDir: string): void {
    const upperName = upperDir.split('/').at(-1) as string;
    const lowerName = lowerDir.split('/').at(-1) as string;
    this.link(`${lowerDir}/master`, upperDir);
    this.link(`${lowerDir}/upper_${upperName}`, upperDir);
    this.link(`${upperDir}/lower_${lowerName}`, lowerDir);
  }

  /** A device with a driver and a subsystem. */
  device(path: string, bus: string, driver: string | null): void {
    this.dir(path);
    this.link(`${path}/subsystem`, `bus/${bus}`);
    if (driver !== null) this.link(`${path}/driver`, `bus/${bus}/drivers/${driver}`);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const HV_MAC = '00:0d:3a:12:34:56';
export const VMBUS = 'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00';
export const NETVSC_INSTANCE = '000d3a12-3456-000d-3a12-3456000d3a12';
export const VPCI_INSTANCE = '2f9e0aa1-0001-4e5b-9a3c-000000000001';

/**
 * Azure with accelerated networking: `lo` (ifindex 1), hv_netvsc `eth0` (2) on VMBus (NetVSC
 * class id) and its VF `enP1s1` (3; mlx5 unless `vfDriver` says otherwise: `mlx4_core`,
 * `mana`) on a Hyper-V virtual PCI bus (a VMBus device of the vPCI class), PCI slot "1" (the
 * serial the host announces), enslaved to eth0. `enslaved: false` leaves the VF alone (the
 * one-legged case).
 */
export function hyperVTree(
  options: { enslaved?: boolean; vfMtu?: number; vfDriver?: string } = {},
): SysfsTree {
  const t = new SysfsTree();
  t.netdev(null, 'lo', '00:00:00:00:00:00', 65536, 1);
  const nv = `${VMBUS}/${NETVSC_INSTANCE}`;
  t.device(nv, 'vmbus', 'hv_netvsc');
  t.file(`${nv}/class_id`, '{f8615163-df3e-46c5-913f-f2d2f965ed0e}');
  const eth0 = t.netdev(nv, 'eth0', HV_MAC);
  const vpci = `${VMBUS}/${VPCI_INSTANCE}`;
  t.device(vpci, 'vmbus', 'hv_pci');
  t.file(`${vpci}/class_id`, '{44c4f61d-4444-4400-9d52-802e27ede19f}');
  const fn = `${vpci}/pci0001:00/0001:00:02.0`;
  t.device(fn, 'pci', options.vfDriver ?? 'mlx5_core');
  const vf = t.netdev(fn, 'enP1s1', HV_MAC, options.vfMtu ?? 1500);
  t.file('bus/pci/slots/1/address', '0001:00:02');
  t.file('bus/pci/slots/7/address', '0002:00:02');
  if (options.enslaved !== false) t.enslave(vf, eth0);
  return t;
}

export const KVM_MAC = '52:54:00:ab:cd:ef';

/**
 * KVM with virtio failover (net_failover): `ens3` (failover master, ifindex 2) and `ens3nsby`
 * (virtio_net standby, 3) share the virtio device virtio0; `ens4` (4) is the VF primary on its
 * own PCI function.
 */
export function netFailoverTree(): SysfsTree {
  const t = new SysfsTree();
  const pciVirtio = 'devices/pci0000:00/0000:00:03.0';
  t.device(pciVirtio, 'pci', 'virtio-pci');
  const virtio = `${pciVirtio}/virtio0`;
  t.device(virtio, 'virtio', 'virtio_net');
  const master = t.netdev(virtio, 'ens3', KVM_MAC, 1500, 2);
  const standby = t.netdev(virtio, 'ens3nsby', KVM_MAC);
  const vfFn = 'devices/pci0000:00/0000:00:04.0';
  t.device(vfFn, 'pci', 'ixgbevf');
  const primary = t.netdev(vfFn, 'ens4', KVM_MAC);
  t.enslave(standby, master);
  t.enslave(primary, master);
  return t;
}
