import { ARPHRD } from '@bypass/core';
import type { LinkRecord } from '../netlink/LinkRecord.js';
import { NETVSC_CLASS_ID, type SysfsNetFacts } from '../sysfs/SysfsView.js';
import type { FailoverPair, LinkSnapshot } from './FailoverPair.js';

/** Link kinds that copy another device's MAC by design (stacked devices): never a same-MAC pair. */
const STACKED_KINDS = new Set([
  'vlan',
  'macvlan',
  'macvtap',
  'ipvlan',
  'ipvtap',
  'bridge',
  'bond',
  'team',
  'vrf',
  'macsec',
  'hsr',
  'net_failover',
]);

/** Drivers and kinds of paravirtual (backup-side) interfaces. */
const PARAVIRT = new Set(['hv_netvsc', 'virtio_net', 'tun', 'netvsc']);

/**
 * Options of {@link discoverPairs}.
 *
 * @example
 * ```ts
 * const o: DiscoverOptions = { force: true };
 * ```
 */
export interface DiscoverOptions {
  /**
   * Also report plain same-MAC pairs without a master, and accept a same-MAC VF that is not on a
   * PCI bus (vdev_netvsc's `force=1`; veth/tap test setups need it).
   */
  force?: boolean;
}

const ZERO = '00:00:00:00:00:00';

function isEthernet(l: LinkRecord): boolean {
  return l.type === ARPHRD.ETHER && l.address !== null && l.address !== ZERO;
}

/** Kinds that never act as a master of a VF (so a VF "under" them is not held by them). */
const STACKED_KINDS_NOT_MASTERS = new Set(['vlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap']);

/**
 * The MAC both kernels pair on: the permanent address (IFLA_PERM_ADDRESS, sent only when
 * non-zero since v5.5), else the current one. failover.c failover_get_bymac and
 * failover_existing_slave_register compare perm_addr; netvsc_drv.c get_netvsc_byslot compares
 * perm_addr too (the serial match also requires it since the MANA multi-vPort change, and the
 * MAC-only fallback uses it). A guest that changes the VF's current MAC keeps its pairing.
 */
function pairingMac(l: LinkRecord): string | null {
  return l.permAddress ?? l.address;
}

function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

class Index {
  readonly byIndex = new Map<number, LinkRecord>();
  readonly lowers = new Map<number, LinkRecord[]>();
  constructor(readonly snap: LinkSnapshot) {
    for (const l of snap.links) this.byIndex.set(l.ifindex, l);
    for (const l of snap.links) {
      if (l.master === 0) continue;
      const list = this.lowers.get(l.master);
      if (list === undefined) this.lowers.set(l.master, [l]);
      else list.push(l);
    }
  }
  /**
   * sysfs facts of `l`, unless they belong to another device: facts are read by name, and
   * between the rtnetlink read and the sysfs read udev may have renamed the device and a new
   * one taken the name, or /sys may show another namespace (nsenter without remounting /sys).
   */
  facts(l: LinkRecord): SysfsNetFacts | undefined {
    const f = this.snap.facts.get(l.name);
    return f === undefined || (f.ifindex !== null && f.ifindex !== l.ifindex) ? undefined : f;
  }
  driver(l: LinkRecord): string | null {
    return this.facts(l)?.driver ?? null;
  }
  isNetvsc(l: LinkRecord): boolean {
    const f = this.facts(l);
    return f?.driver === 'hv_netvsc' || f?.classId === NETVSC_CLASS_ID;
  }
  isPci(l: LinkRecord): boolean {
    return this.facts(l)?.subsystem === 'pci';
  }
  isParavirt(l: LinkRecord): boolean {
    return PARAVIRT.has(this.driver(l) ?? '') || PARAVIRT.has(l.kind ?? '');
  }
  lowersOf(l: LinkRecord): LinkRecord[] {
    return this.lowers.get(l.ifindex) ?? [];
  }
  sameMac(l: LinkRecord): LinkRecord[] {
    const key = pairingMac(l);
    return this.snap.links.filter(
      (o) => o.ifindex !== l.ifindex && isEthernet(o) && pairingMac(o) === key,
    );
  }
  /**
   * Whether a same-MAC candidate may be reported as the pair's one-legged VF: not enslaved,
   * or enslaved to a master with a link kind (bond, bridge, team, openvswitch). Such a master's
   * rx_handler is what makes hv_netvsc's netvsc_vf_join and failover.c's
   * failover_slave_register fail ("can not register ... rx handler"). netvsc and net_failover
   * masters have no link kind, so a VF under one of them is never taken from it.
   */
  freeOrForeign(l: LinkRecord): boolean {
    if (l.master === 0) return true;
    const m = this.byIndex.get(l.master);
    return m !== undefined && m.kind !== null && !STACKED_KINDS_NOT_MASTERS.has(m.kind);
  }
  /** Name of `l`'s master when it has one (for a one-legged VF held by another master). */
  masterName(l: LinkRecord): string | undefined {
    return l.master === 0 ? undefined : this.byIndex.get(l.master)?.name;
  }
}

function netvscPairs(ix: Index, force: boolean, used: Set<number>): FailoverPair[] {
  const out: FailoverPair[] = [];
  for (const nv of ix.snap.links) {
    if (!isEthernet(nv) || !ix.isNetvsc(nv)) continue;
    let vf = ix.lowersOf(nv).find((l) => !ix.isNetvsc(l));
    const enslaved = vf !== undefined;
    // A netvsc enslaved to a bond (the pre-4.14 Azure way) is paired by the bond, unless it
    // holds a VF of its own: since v4.14 netvsc_register_vf joins the VF under netvsc itself,
    // so a bond above netvsc does not stop that pair from existing.
    const underBond = ix.byIndex.get(nv.master)?.kind === 'bond';
    if (underBond && !enslaved) continue;
    used.add(nv.ifindex);
    // Enslaved VF first (netvsc links the VF under itself), else vdev_netvsc's rule: a
    // non-NetVSC same-MAC interface on the PCI bus (any with force), free or held by another
    // master (then netvsc could not join it).
    vf ??= ix
      .sameMac(nv)
      .find(
        (l) =>
          !ix.isNetvsc(l) &&
          ix.freeOrForeign(l) &&
          (force || ix.isPci(l)) &&
          !STACKED_KINDS.has(l.kind ?? ''),
      );
    if (vf !== undefined) used.add(vf.ifindex);
    const other = enslaved || vf === undefined ? undefined : ix.masterName(vf);
    out.push({
      id: `netvsc:${nv.name}`,
      model: 'netvsc',
      mac: nv.address as string,
      master: nv.name,
      backup: nv.name,
      active: vf?.name ?? null,
      activeEnslaved: enslaved,
      ...(other === undefined ? {} : { activeMaster: other }),
    });
  }
  return out;
}

function failoverPairs(ix: Index, force: boolean, used: Set<number>): FailoverPair[] {
  const out: FailoverPair[] = [];
  for (const m of ix.snap.links) {
    if (used.has(m.ifindex) || !isEthernet(m) || (m.kind !== null && m.kind !== 'net_failover')) {
      continue;
    }
    const lowers = ix.lowersOf(m);
    const mPath = ix.facts(m)?.devicePath ?? null;
    // net_failover: the standby shares the master's parent device (drivers/net/net_failover.c);
    // virtio names it <master>nsby and reports phys_port_name "sby".
    const isStandby = (l: LinkRecord): boolean =>
      (mPath !== null && ix.facts(l)?.devicePath === mPath) ||
      l.physPortName === 'sby' ||
      ix.driver(l) === 'virtio_net';
    const standby = lowers.find(isStandby);
    if (standby === undefined && m.kind !== 'net_failover') continue;
    let primary = lowers.find((l) => l !== standby);
    const enslaved = primary !== undefined;
    primary ??= ix
      .sameMac(m)
      .find(
        (l) =>
          ix.freeOrForeign(l) &&
          l.ifindex !== standby?.ifindex &&
          (force || ix.isPci(l)) &&
          !STACKED_KINDS.has(l.kind ?? ''),
      );
    for (const l of [m, standby, primary]) if (l !== undefined) used.add(l.ifindex);
    const other = enslaved || primary === undefined ? undefined : ix.masterName(primary);
    out.push({
      id: `net_failover:${m.name}`,
      model: 'net_failover',
      mac: m.address as string,
      master: m.name,
      backup: standby?.name ?? null,
      active: primary?.name ?? null,
      activeEnslaved: enslaved,
      ...(other === undefined ? {} : { activeMaster: other }),
    });
  }
  return out;
}

function bondPairs(ix: Index, used: Set<number>): FailoverPair[] {
  const out: FailoverPair[] = [];
  for (const b of ix.snap.links) {
    if (b.kind !== 'bond' || b.bond?.mode !== 1 || used.has(b.ifindex)) continue;
    // Slaves another pair already claimed (a VF held by the bond that a netvsc or failover
    // pair reports as its one-legged VF) are left out, except a netvsc with its own VF.
    const slaves = ix.lowersOf(b).filter((l) => ix.isNetvsc(l) || !used.has(l.ifindex));
    if (slaves.length === 0) continue;
    // A netvsc slave is the synthetic (backup) side, never the bond's active VF.
    const vfs = slaves.filter((l) => !ix.isNetvsc(l));
    const active =
      vfs.find((l) => ix.isPci(l)) ?? vfs.find((l) => l.ifindex === b.bond?.activeSlave) ?? vfs[0];
    const backup =
      slaves.find((l) => l !== active && ix.isNetvsc(l)) ?? slaves.find((l) => l !== active);
    for (const l of [b, ...slaves]) used.add(l.ifindex);
    out.push({
      id: `bond:${b.name}`,
      model: 'bond',
      mac: b.address ?? ZERO,
      master: b.name,
      backup: backup?.name ?? null,
      active: active?.name ?? null,
      activeEnslaved: active !== undefined,
    });
  }
  return out;
}

/**
 * Groups of two or more Ethernet interfaces that share a unicast MAC (the permanent MAC when
 * the kernel reports one, else the current one), none enslaved and none a
 * master or a stacked device (VLAN, macvlan, bridge...), leaving out interfaces in `exclude`.
 * These are the candidates of the `same-mac` model (and `doctor`'s "same MAC, no master").
 *
 * @example
 * ```ts
 * for (const g of sameMacGroups(snapshot)) console.log(g.map((l) => l.name).join(' = '));
 * ```
 */
export function sameMacGroups(
  snapshot: LinkSnapshot,
  exclude: ReadonlySet<number> = new Set(),
): LinkRecord[][] {
  const ix = new Index(snapshot);
  const groups = new Map<string, LinkRecord[]>();
  for (const l of snapshot.links) {
    if (exclude.has(l.ifindex) || !isEthernet(l) || isMulticastMac(l.address as string)) continue;
    if (l.master !== 0 || ix.lowersOf(l).length > 0 || STACKED_KINDS.has(l.kind ?? '')) continue;
    const key = pairingMac(l) as string;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [l]);
    else g.push(l);
  }
  return [...groups.values()]
    .filter((g) => g.length >= 2)
    .map((g) => g.sort((a, b) => a.ifindex - b.ifindex));
}

/**
 * Finds the failover pairs in a snapshot (a pure function: tests feed fixtures):
 * 1. `netvsc`: an interface whose driver is hv_netvsc (or whose VMBus class is NetVSC) with its
 *    enslaved VF, else a same-MAC PCI interface that netvsc did not enslave (one-legged), also
 *    when another master (bond, bridge, team, OVS) holds it: then `activeMaster` names that
 *    master. A netvsc under a bond is listed here only when it has a VF of its own;
 * 2. `net_failover`: a master without a link kind whose lower shares its parent device (or is
 *    virtio_net / reports port name `sby`): that lower is the standby, the other the primary;
 *    the one-legged fallback is as for netvsc;
 * 3. `bond`: a bond in active-backup mode and its slaves (the PCI slave is the active; a netvsc
 *    slave is always the backup);
 * 4. with `force`, `same-mac`: the remaining same-MAC groups ({@link sameMacGroups}); the
 *    paravirtual member (hv_netvsc, virtio_net, a tap) is the backup, the PCI one the active,
 *    otherwise the lower ifindex is the backup (paravirtual NICs usually register first).
 *
 * "Same MAC" compares the permanent MAC (IFLA_PERM_ADDRESS) when the kernel reports one, else
 * the current MAC, as both kernels do; `mac` in the result is the current MAC. sysfs facts
 * whose `ifindex` is not the link's are ignored (the name now belongs to another device).
 * Pairs come out in that order, each group by ifindex.
 *
 * @example
 * ```ts
 * const pairs = discoverPairs({ links, facts });
 * for (const p of pairs) console.log(p.model, p.master, p.backup, p.active);
 * ```
 */
export function discoverPairs(
  snapshot: LinkSnapshot,
  options: DiscoverOptions = {},
): FailoverPair[] {
  const force = options.force === true;
  const ix = new Index(snapshot);
  const used = new Set<number>();
  const pairs = [
    ...netvscPairs(ix, force, used),
    ...failoverPairs(ix, force, used),
    ...bondPairs(ix, used),
  ];
  if (force) {
    for (const g of sameMacGroups(snapshot, used)) {
      const backup =
        g.find((l) => ix.isParavirt(l) && !ix.isPci(l)) ??
        g.find((l) => !ix.isPci(l)) ??
        (g[0] as LinkRecord);
      const active = g.find((l) => l !== backup && ix.isPci(l)) ?? g.find((l) => l !== backup);
      pairs.push({
        id: `same-mac:${backup.name}`,
        model: 'same-mac',
        mac: backup.address as string,
        master: null,
        backup: backup.name,
        active: active?.name ?? null,
        activeEnslaved: false,
      });
    }
  }
  return pairs;
}
