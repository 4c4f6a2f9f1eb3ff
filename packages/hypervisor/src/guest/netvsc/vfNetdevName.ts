import { InterfaceName, type BusDevice, type NetNamespace } from '@bypass/core';

/**
 * The name a Hyper-V VF's netdev gets in the guest: systemd's `enP<domain>s<slot>` (the PCI
 * domain of the vPCI bus, the slot serial the host announced: `udev-builtin-net_id.c`), or
 * `<nic>vf%d` when that name is taken or invalid.
 *
 * @example
 * ```ts
 * vfNetdevName(ns, fn, 1, 'eth0'); // 'enP1s1' for a function at 0001:00:02.0
 * ```
 */
export function vfNetdevName(ns: NetNamespace, fn: BusDevice, serial: number, nic: string): string {
  const domain = Number.parseInt(fn.pci?.address.split(':')[0] ?? '0', 16);
  const name = `enP${Number.isFinite(domain) ? domain : 0}s${serial}`;
  let valid = true;
  try {
    InterfaceName.validate(name, false);
  } catch {
    valid = false;
  }
  if (valid && ns.getByName(name) === undefined) return name;
  return `${nic.slice(0, 10)}vf%d`;
}
