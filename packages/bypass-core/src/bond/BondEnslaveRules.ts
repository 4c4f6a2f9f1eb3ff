import { BypassError } from '../errors/BypassError.js';
import type { NetDevice } from '../netdev/NetDevice.js';
import { IFF, NETIF_F, PRIV_FLAG } from '../netdev/NetDeviceFlags.js';
import type { NetNamespace } from '../netdev/NetNamespace.js';

/**
 * True when `dev` is a bonding master (include/net/bonding.h: netif_is_bond_master): IFF_MASTER
 * and the BONDING private flag.
 *
 * @example
 * ```ts
 * isBondMaster(bond); // true
 * isBondMaster(vf);   // false
 * ```
 */
export function isBondMaster(dev: NetDevice): boolean {
  return (dev.flags & IFF.MASTER) !== 0 && (dev.privFlags & PRIV_FLAG.BONDING) !== 0;
}

/**
 * The refusals of drivers/net/bonding/bond_main.c: bond_enslave, checked before anything is
 * changed. Returns the namespace both devices are in.
 *
 * @param bond - the bonding master
 * @param slave - the device to enslave
 * @param alreadyMine - whether `slave` is already a slave of `bond`
 * @throws {@link BypassError} `ERR_NOT_REGISTERED` (bond or slave), `ERR_INVALID_ARGUMENT` (the
 * bond itself), `ERR_WRONG_NAMESPACE`, `ERR_BUSY` (already enslaved, has a master, has an rx
 * handler, is up), `ERR_NOT_SUPPORTED` (a master that is not a bond),
 * `ERR_VLAN_CHALLENGED`, `ERR_NOT_ETHERNET` (another device type).
 * @example
 * ```ts
 * const ns = checkEnslaveable(bond, vf, false); // throws ERR_BUSY when netvsc owns vf
 * ```
 */
export function checkEnslaveable(
  bond: NetDevice,
  slave: NetDevice,
  alreadyMine: boolean,
): NetNamespace {
  const ns = bond.ns;
  if (ns === null) {
    throw new BypassError(
      'ERR_NOT_REGISTERED',
      `register ${bond.name} in a namespace before enslaving ${slave.name}`,
    );
  }
  if (slave === bond) {
    throw new BypassError('ERR_INVALID_ARGUMENT', `cannot enslave ${bond.name} to itself`);
  }
  if (slave.ns === null) {
    throw new BypassError(
      'ERR_NOT_REGISTERED',
      `${slave.name} is not registered; register it in ${ns.name} before enslaving it`,
    );
  }
  if (slave.ns !== ns) {
    throw new BypassError(
      'ERR_WRONG_NAMESPACE',
      `${slave.name} is in namespace ${slave.ns.name} and ${bond.name} in ${ns.name}; move it first`,
    );
  }
  if (alreadyMine) {
    throw new BypassError('ERR_BUSY', `${slave.name} is already a slave of ${bond.name}`);
  }
  if ((slave.flags & IFF.MASTER) !== 0 && !isBondMaster(slave)) {
    throw new BypassError(
      'ERR_NOT_SUPPORTED',
      `${slave.name} is a master device and cannot be enslaved (only bonds can be nested)`,
    );
  }
  if (slave.master !== null) {
    throw new BypassError(
      'ERR_BUSY',
      `${slave.name} already has a master (${slave.master.name}) and cannot be enslaved to ` +
        `${bond.name}; enslave ${slave.master.name} instead, or release ${slave.name} from it first`,
    );
  }
  if (slave.rxHandler !== null) {
    throw new BypassError(
      'ERR_BUSY',
      `${slave.name} is in use (it has an rx handler: bridge port, bond or bypass slave) and cannot be enslaved`,
    );
  }
  if ((slave.features & NETIF_F.VLAN_CHALLENGED) !== 0 && bond.usesVlans) {
    throw new BypassError(
      'ERR_VLAN_CHALLENGED',
      `${slave.name} is VLAN challenged and ${bond.name} carries VLANs; remove the VLANs first`,
    );
  }
  if (slave.isUp) {
    throw new BypassError(
      'ERR_BUSY',
      `${slave.name} is up; take it down before enslaving it (as ifenslave does): the bond opens it`,
    );
  }
  if (slave.type !== bond.type) {
    throw new BypassError(
      'ERR_NOT_ETHERNET',
      `${slave.name} has device type ${slave.type}; ${bond.name} only takes Ethernet slaves`,
    );
  }
  return ns;
}
