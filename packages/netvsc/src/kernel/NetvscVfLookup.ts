import { IFF, PRIV_FLAG, type NetDevice } from '@bypass/core';
import type { NvspClient } from '../nvsp/NvspClient.js';

/**
 * Why a device is not (or not now) this netvsc's VF. Linux returns NOTIFY_DONE in every case
 * (`netvsc_drv.c` check_dev_is_matching_vf, get_netvsc_byslot, netvsc_register_vf); here each
 * has a stable code.
 *
 * - `netvsc`: the device is a netvsc itself.
 * - `not-ethernet`: not an Ethernet device.
 * - `bonding-master`: a bonding master (which may carry the VF's MAC).
 * - `not-pci`: its parent is not a PCI device (Linux says nothing).
 * - `no-slot`: a PCI function without a slot (Linux: "no PCI slot information").
 * - `invalid-serial`: a slot whose name is not a decimal u32 (Linux: "Invalid vf serial:...").
 * - `other-mac`: neither pass of get_netvsc_byslot leads to this netvsc (both need its MAC).
 * - `vf-present`: this netvsc already has a VF (netvsc_register_vf).
 *
 * @example
 * ```ts
 * const code: VfRefusalCode = 'no-slot';
 * ```
 */
export type VfRefusalCode =
  | 'netvsc'
  | 'not-ethernet'
  | 'bonding-master'
  | 'not-pci'
  | 'no-slot'
  | 'invalid-serial'
  | 'other-mac'
  | 'vf-present';

/**
 * What netvsc decided about a device: this netvsc's VF (`by` says which pass of
 * get_netvsc_byslot found it), or not, with a {@link VfRefusalCode} and a readable reason.
 *
 * @example
 * ```ts
 * const m: VfMatch = netvsc.vfs.lookup(vf);
 * if (m.ok) console.log(`matched by ${m.by}, slot ${m.serial}`);
 * else console.log(m.code, m.reason); // "no-slot enP1s2 has no PCI slot information"
 * ```
 */
export type VfMatch =
  | { readonly ok: true; readonly by: 'serial' | 'mac'; readonly serial: number }
  | { readonly ok: false; readonly code: VfRefusalCode; readonly reason: string };

const U32_MAX = 0xffff_ffff;

function refuse(code: VfRefusalCode, reason: string): VfMatch {
  return { ok: false, code, reason };
}

/**
 * Linux `netvsc_drv.c` check_dev_is_matching_vf then get_netvsc_byslot, seen from one netvsc:
 * whether `dev` leads to `netvsc` (the VF lookup of NETDEV_POST_INIT and NETDEV_REGISTER).
 *
 * - Not a candidate: a netvsc, a non-Ethernet device, a bonding master.
 * - Not a netvsc VF: a parent that is not PCI, a PCI function without a slot (`pci.serial`
 *   absent: pci-hyperv names each slot after the vPCI serial), a serial that is not a u32.
 * - First pass: the host announced a VF (`vfAllocated`) in this slot and the permanent MACs
 *   are equal (`by: 'serial'`).
 * - Fallback: netvsc's permanent MAC equals the device's permanent or current MAC, whatever the
 *   association says (`by: 'mac'`; before registration the current one is all there is).
 *
 * Linux walks every netvsc in each pass; this function answers for one, so with two netvscs of
 * the same MAC the registry's choice (the first registered) stands, not Linux's order.
 *
 * @example
 * ```ts
 * const m = lookupNetvscVf(netvsc, netvsc.client, vf); // { ok: true, by: 'mac', serial: 2 }
 * ```
 */
export function lookupNetvscVf(netvsc: NetDevice, client: NvspClient, dev: NetDevice): VfMatch {
  const name = dev.name;
  if (dev === netvsc || dev.driver === 'hv_netvsc')
    return refuse('netvsc', `${name} is a netvsc device`);
  if (dev.type !== netvsc.type) return refuse('not-ethernet', `${name} is not an Ethernet device`);
  if ((dev.flags & IFF.MASTER) !== 0 && (dev.privFlags & PRIV_FLAG.BONDING) !== 0)
    return refuse('bonding-master', `${name} is a bonding master`);
  const pci = dev.parent?.isPci === true ? dev.parent.pci : null;
  if (pci === null) return refuse('not-pci', `${name} is not a PCI device`);
  const serial = pci.serial;
  if (serial === undefined) return refuse('no-slot', `${name} has no PCI slot information`);
  // kstrtou32(pci_slot_name(...), 10): a decimal 32-bit unsigned number.
  if (!Number.isInteger(serial) || serial < 0 || serial > U32_MAX)
    return refuse('invalid-serial', `${name} has an invalid VF serial ${serial}`);
  const mine = netvsc.permAddr;
  if (client.vfAllocated && client.vfSerial === serial && dev.permAddr.equals(mine))
    return { ok: true, by: 'serial', serial };
  if (dev.permAddr.equals(mine) || dev.devAddr.equals(mine)) return { ok: true, by: 'mac', serial };
  return refuse('other-mac', `neither MAC of ${name} is the permanent MAC of ${netvsc.name}`);
}

/**
 * The line Linux logs on the VF for a refusal (`netdev_notice` in get_netvsc_byslot), or null
 * when it logs nothing. Worded as Linux words it, after the VF's name.
 *
 * @example
 * ```ts
 * vfNotice(vf, lookupNetvscVf(netvsc, client, vf)); // "enP1s2: no PCI slot information"
 * ```
 */
export function vfNotice(dev: NetDevice, m: VfMatch): string | null {
  if (m.ok) return null;
  if (m.code === 'no-slot') return `${dev.name}: no PCI slot information`;
  if (m.code === 'invalid-serial')
    return `${dev.name}: Invalid vf serial:${dev.parent?.pci?.serial}`;
  return null;
}
