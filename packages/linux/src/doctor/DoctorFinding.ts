import type { AddressRecord } from '../netlink/AddressRecord.js';
import type { LinkSnapshot } from '../discovery/FailoverPair.js';

/**
 * Stable ids of `doctor` checks (tools and tests match on them; an id never changes meaning):
 * - `vf-has-address`: an enslaved VF carries IP addresses (something configures it).
 * - `vf-dhcp-client`: a DHCP client runs, or left a lease, for an enslaved VF.
 * - `config-matches-vf`: a NetworkManager / systemd-networkd / netplan (cloud-init) / ifupdown
 *   file names the VF, or matches the pair's MAC without restricting the driver (so it
 *   configures the VF too).
 * - `mtu-mismatch`: master and slave MTUs differ.
 * - `vf-not-enslaved`: a same-MAC VF is not enslaved to its master (a one-legged pair).
 * - `vf-down`: the VF is enslaved but down while its master is up, so traffic takes the slow
 *   path (a master that is down closes its VF itself: no finding then).
 * - `qdisc-on-both`: both the master and the VF have a non-default root qdisc.
 * - `same-mac-no-master`: interfaces share a MAC and no master pairs them.
 * - `qdisc-on-vf-only`: the VF has a non-default root qdisc and the master does not, so only
 *   the VF path is shaped and a fallback to the synthetic/standby path is not.
 *
 * @example
 * ```ts
 * const id: DoctorCheckId = 'mtu-mismatch';
 * ```
 */
export type DoctorCheckId =
  | 'vf-has-address'
  | 'vf-dhcp-client'
  | 'config-matches-vf'
  | 'mtu-mismatch'
  | 'vf-not-enslaved'
  | 'vf-down'
  | 'qdisc-on-both'
  | 'same-mac-no-master'
  | 'qdisc-on-vf-only';

/**
 * One problem `doctor` found, with what to do about it.
 *
 * @example
 * ```ts
 * for (const f of findings) console.log(`${f.severity} ${f.id} [${f.devices.join(', ')}] ${f.message}\n  ${f.advice}`);
 * ```
 */
export interface DoctorFinding {
  readonly id: DoctorCheckId;
  readonly severity: 'error' | 'warning';
  /** Interfaces involved, master first. */
  readonly devices: readonly string[];
  /** What is wrong, with the evidence. */
  readonly message: string;
  /** What to do about it. */
  readonly advice: string;
}

/**
 * A stanza of a configuration file that mentions an interface or a MAC (found by a read-only
 * probe); a file with several such stanzas gives several mentions.
 *
 * @example
 * ```ts
 * const m: ConfigMention = {
 *   file: '/etc/netplan/50-cloud-init.yaml', tool: 'netplan',
 *   byName: false, byMac: true, driverMatch: true, driver: 'hv_netvsc',
 * };
 * ```
 */
export interface ConfigMention {
  /** Path of the file. */
  readonly file: string;
  readonly tool:
    'NetworkManager' | 'systemd-networkd' | 'netplan' | 'ifupdown' | 'ifcfg' | 'cloud-init';
  /** The file names the interface. */
  readonly byName: boolean;
  /** The file contains the MAC address. */
  readonly byMac: boolean;
  /** The stanza restricts its match to a driver (`match: driver:` / `[Match] Driver=` / `[match] driver=`). */
  readonly driverMatch: boolean;
  /**
   * The driver patterns of that match, space-separated (`hv_netvsc`, `mlx5_core`, `!mlx*`...),
   * or null without one. Only a match on the master's own driver (the one `ethtool -i` shows:
   * `hv_netvsc`, `net_failover`, `bonding`) keeps a MAC match off the VF.
   */
  readonly driver: string | null;
}

/**
 * Everything the checks look at, gathered beforehand so that the checks are pure: the links and
 * sysfs facts, the IP addresses, the system's default qdisc, and per-interface evidence of DHCP
 * clients and configuration files.
 *
 * @example
 * ```ts
 * const facts: DoctorFacts = {
 *   snapshot, addresses, defaultQdisc: 'fq_codel',
 *   dhcpEvidence: new Map([['enP1s1', ['/var/lib/dhcp/dhclient.enP1s1.leases']]]),
 *   configMentions: new Map(),
 * };
 * ```
 */
export interface DoctorFacts {
  readonly snapshot: LinkSnapshot;
  readonly addresses: readonly AddressRecord[];
  /** `net.core.default_qdisc`, or null when unknown. */
  readonly defaultQdisc: string | null;
  /** By interface name: lease files and DHCP client processes that name it. */
  readonly dhcpEvidence: ReadonlyMap<string, readonly string[]>;
  /** By interface name: configuration files that mention it (by name or by its MAC). */
  readonly configMentions: ReadonlyMap<string, readonly ConfigMention[]>;
  /** Treat same-MAC groups as pairs (as `discoverPairs` with `force`). */
  readonly force?: boolean;
}
