import { discoverPairs, sameMacGroups } from '../discovery/PairDiscovery.js';
import type { FailoverPair } from '../discovery/FailoverPair.js';
import type { LinkRecord } from '../netlink/LinkRecord.js';
import type { ConfigMention, DoctorFacts, DoctorFinding } from './DoctorFinding.js';
import { driverListMatches } from './ConfigStanza.js';

/** Root qdiscs the kernel installs by itself (and `noop` on a device that is down). */
const KERNEL_DEFAULT_QDISCS = new Set(['noqueue', 'mq', 'noop', 'pfifo_fast', 'fq_codel']);

/**
 * The driver `ethtool -i` (ETHTOOL_GDRVINFO) reports for each model's master, which is what
 * udev's ID_NET_DRIVER, networkd/netplan `Driver=` and NetworkManager `driver` match:
 * netvsc_drv.c netvsc_get_drvinfo gives KBUILD_MODNAME "hv_netvsc"; net_failover.c
 * nfo_ethtool_get_drvinfo gives "net_failover" (the sysfs device/driver of that master is
 * virtio_net, because net_failover_create gives it the standby's parent device); bond_main.c
 * bond_ethtool_get_drvinfo gives "bonding".
 */
const MASTER_ETHTOOL_DRIVER: Readonly<Record<FailoverPair['model'], string | null>> = {
  netvsc: 'hv_netvsc',
  net_failover: 'net_failover',
  bond: 'bonding',
  'same-mac': null,
};

/**
 * The netdev's ethtool driver from its parent device's driver, where they differ: the mlx4
 * netdev is made by mlx4_en (en_ethtool.c mlx4_en_get_drvinfo reports DRV_NAME "mlx4_en") on
 * a mlx4_core PCI function; mlx5 reports "mlx5_core", MANA "mana".
 */
function vfEthtoolDriver(parentDriver: string | null): string | null {
  return parentDriver === 'mlx4_core' ? 'mlx4_en' : parentDriver;
}

interface PairCtx {
  readonly pair: FailoverPair;
  readonly vf: LinkRecord;
  readonly master: string;
  /** The VF's ethtool driver, when known. */
  readonly vfDriver: string | null;
  /** The VF sits on a Hyper-V virtual PCI bus. */
  readonly hyperV: boolean;
}

function unmanageAdvice(c: PairCtx): string {
  const drv = c.vfDriver ?? 'mlx5_core';
  const vf = c.vf.name;
  const masterDrv = MASTER_ETHTOOL_DRIVER[c.pair.model];
  const parts = [`Only ${c.master} should be configured; the VF is used through it.`];
  if (c.hyperV) {
    parts.push(
      // Azure's images and docs ship this rule; DRIVERS=="hv_pci" covers mlx4, mlx5 and MANA VFs.
      'NetworkManager on Hyper-V/Azure: the rule Azure images ship, /etc/udev/rules.d/68-azure-sriov-nm-unmanaged.rules with ' +
        'SUBSYSTEM=="net", DRIVERS=="hv_pci", ACTION!="remove", ENV{NM_UNMANAGED}="1", leaves every VF on the Hyper-V PCI bus unmanaged (mlx4, mlx5, MANA); ' +
        `or add "[keyfile] unmanaged-devices=interface-name:${vf}" in /etc/NetworkManager/conf.d/.`,
    );
  } else {
    parts.push(
      `NetworkManager: add "[keyfile] unmanaged-devices=interface-name:${vf}" (or "driver:${drv}") in /etc/NetworkManager/conf.d/.`,
    );
  }
  parts.push(
    `systemd-networkd: a .network file with "[Match] Name=${vf}" (or "Driver=${drv}") and "[Link] Unmanaged=yes".`,
  );
  if (c.pair.model === 'netvsc' || c.pair.model === 'net_failover') {
    parts.push(
      `netplan/cloud-init: match the master by its MAC and "driver: ${masterDrv}" (what "ethtool -i ${c.master}" reports), so the rule does not also match the VF.`,
    );
  }
  if (c.pair.model === 'net_failover') {
    parts.push(
      `Do not match "driver: virtio_net": with the MAC that matches the standby ${c.pair.backup ?? '<master>nsby'}, not ${c.master}.`,
    );
  }
  if (c.pair.model === 'bond') {
    parts.push(`Configure the bond ${c.master}, not its slaves.`);
  }
  parts.push(`Then remove what is there: "ip addr flush dev ${vf}" and stop its DHCP client.`);
  return parts.join(' ');
}

function notEnslavedAdvice(c: PairCtx): string {
  const vf = c.vf.name;
  const held =
    c.pair.activeMaster === undefined
      ? ''
      : `${vf} is enslaved to ${c.pair.activeMaster}, whose rx handler keeps ${c.master} from taking it: remove it there ("ip link set ${vf} nomaster") and stop what put it there (an old bonding script, a bridge or OVS configuration), then `;
  if (c.pair.model === 'netvsc') {
    // netvsc_drv.c get_netvsc_byslot: the hv_pci slot name is the host's VF serial
    // (pci-hyperv.c hv_pci_assign_slots); current kernels also compare permanent MACs, and fall
    // back to a permanent-MAC match (late 2022, ~v6.1). netvsc_register_vf moves a VF found in
    // another namespace into netvsc's, so a namespace is not the usual cause.
    return (
      `${held ? held + 'rebind the VF driver. ' : ''}` +
      `hv_netvsc takes a VF when its PCI slot name (ls /sys/bus/pci/slots: the serial the host announced, "VF slot N added") and its permanent MAC match ${c.master}; kernels since about 6.1 fall back to the permanent MAC alone. ` +
      `Look at "dmesg | grep -iE 'VF slot|no PCI slot information|Invalid vf serial|no netdev found for vf serial|can not register netvsc VF receive handler|joined to|VF registering|Data path switched|Data path failed to switch|Waiting for the VF association'": ` +
      `"can not register netvsc VF receive handler" means another master (bond, bridge, team, OVS) took ${vf} first. ` +
      `Unbinding and rebinding the VF driver re-runs the pairing.`
    );
  }
  // failover.c failover_slave_register and net_failover.c net_failover_slave_pre_register /
  // net_failover_slave_register: the permanent MAC must equal the master's, the primary must be
  // a PCI device, and registration fails on these messages.
  return (
    `${held ? held + 'rebind the VF driver. ' : ''}` +
    `net_failover takes a PCI device whose permanent MAC equals ${c.master}'s when it registers (or when the master is created). ` +
    `Look at "dmesg | grep -iE 'failover|can not register failover rx handler|unable to change mtu|already present|VLAN challenged'": ` +
    `"can not register failover rx handler" means another master took ${vf}; "unable to change mtu of ${vf}" means its max MTU (${c.vf.maxMtu || '?'}) is below ${c.master}'s MTU; ` +
    `"attempting to register as slave dev when primary already present" means another primary holds the slot. ` +
    `Check that virtio negotiated STANDBY: "ethtool -i ${c.master}" must show driver: net_failover.`
  );
}

function isDefaultQdisc(q: string | null, sysDefault: string | null): boolean {
  return q === null || KERNEL_DEFAULT_QDISCS.has(q) || q === sysDefault;
}

function checkPair(
  pair: FailoverPair,
  facts: DoctorFacts,
  byName: Map<string, LinkRecord>,
): DoctorFinding[] {
  const out: DoctorFinding[] = [];
  const master = pair.master === null ? undefined : byName.get(pair.master);
  const vf = pair.active === null ? undefined : byName.get(pair.active);
  const backup = pair.backup === null ? undefined : byName.get(pair.backup);
  if (vf === undefined) return out;
  const vfFacts = facts.snapshot.facts.get(vf.name);
  const ctx: PairCtx = {
    pair,
    vf,
    master: master?.name ?? backup?.name ?? '?',
    vfDriver: vfEthtoolDriver(vfFacts?.driver ?? null),
    hyperV: vfFacts?.vmbusBacked === true,
  };
  const mName = ctx.master;
  const devs = master === undefined ? [vf.name] : [master.name, vf.name];

  if (!pair.activeEnslaved && pair.model !== 'same-mac') {
    const where =
      pair.activeMaster === undefined
        ? 'is not enslaved to it'
        : `is enslaved to ${pair.activeMaster} instead`;
    out.push({
      id: 'vf-not-enslaved',
      severity: 'error',
      devices: pair.activeMaster === undefined ? devs : [...devs, pair.activeMaster],
      message: `${vf.name} has ${mName}'s MAC ${pair.mac} but ${where}: a one-legged pair, traffic cannot fail over to or from the VF`,
      advice: notEnslavedAdvice(ctx),
    });
  }
  if (!pair.activeEnslaved) return out;

  const addrs = facts.addresses.filter(
    (a) => a.ifindex === vf.ifindex && a.scope !== 'link' && a.scope !== 'host',
  );
  if (addrs.length > 0) {
    out.push({
      id: 'vf-has-address',
      severity: 'error',
      devices: devs,
      message: `${vf.name} is enslaved to ${mName} but has ${addrs.map((a) => `${a.address}/${a.prefixLen}${a.dynamic ? ' (leased)' : ''}`).join(', ')}: replies may leave through the VF with the wrong source and break when the VF goes away`,
      advice: unmanageAdvice(ctx),
    });
  }
  const dhcp = facts.dhcpEvidence.get(vf.name) ?? [];
  if (dhcp.length > 0) {
    out.push({
      id: 'vf-dhcp-client',
      severity: 'error',
      devices: devs,
      message: `a DHCP client is configured for the enslaved VF ${vf.name}: ${dhcp.join(', ')}`,
      advice: unmanageAdvice(ctx),
    });
  }
  const masterDrv = MASTER_ETHTOOL_DRIVER[pair.model];
  const configs = (facts.configMentions.get(vf.name) ?? []).filter(
    (c) => c.byName || (c.byMac && !driverKeepsOffVf(c.driver, masterDrv, ctx.vfDriver)),
  );
  if (configs.length > 0) {
    out.push({
      id: 'config-matches-vf',
      severity: 'warning',
      devices: devs,
      message: `configuration that applies to the VF ${vf.name}: ${configs.map((c) => `${c.file} (${c.tool}, ${howMatched(c, masterDrv)})`).join(', ')}`,
      advice: unmanageAdvice(ctx),
    });
  }
  for (const other of [master, pair.model === 'net_failover' ? backup : undefined]) {
    if (other === undefined || other.mtu === vf.mtu) continue;
    out.push({
      id: 'mtu-mismatch',
      severity: 'warning',
      devices: [other.name, vf.name],
      message: `MTU of ${other.name} is ${other.mtu} but ${vf.name}'s is ${vf.mtu}: frames larger than the smaller MTU are dropped on one of the paths`,
      advice: `Set the MTU on the master only ("ip link set ${mName} mtu ${master?.mtu ?? other.mtu}"); it propagates to the slaves. Something set it on ${vf.name} directly: look for an MTU in a config that matches the VF.`,
    });
  }
  // netvsc_drv.c netvsc_close and net_failover.c net_failover_close close the VF themselves:
  // with the master down the VF is down by design and neither path carries traffic.
  if (!vf.up && pair.model !== 'bond' && master?.up !== false) {
    out.push({
      id: 'vf-down',
      severity: 'warning',
      devices: devs,
      message: `${vf.name} is enslaved to ${mName} but down: traffic uses the slow path`,
      advice: `The master brings the VF up by itself; if it stays down, something took it down ("ip link set ${vf.name} up" to test; look at udev rules and network managers that manage ${vf.name}).`,
    });
  }
  if (
    master !== undefined &&
    !isDefaultQdisc(master.qdisc, facts.defaultQdisc) &&
    !isDefaultQdisc(vf.qdisc, facts.defaultQdisc)
  ) {
    out.push({
      id: 'qdisc-on-both',
      severity: 'warning',
      devices: devs,
      message: `both ${master.name} (${master.qdisc ?? '?'}) and ${vf.name} (${vf.qdisc ?? '?'}) have a non-default root qdisc: traffic is shaped twice on the VF path and once on the other`,
      advice: `Keep shaping on the master only: "tc qdisc del dev ${vf.name} root" and configure ${master.name}.`,
    });
  }
  // netvsc_drv.c netvsc_vf_xmit and net_failover.c net_failover_start_xmit hand the skb to the
  // VF with dev_queue_xmit: a VF qdisc shapes only the VF path; after a fallback (VF removed
  // for host servicing or migration) traffic leaves through the master's qdisc only.
  if (
    master !== undefined &&
    pair.model !== 'bond' &&
    isDefaultQdisc(master.qdisc, facts.defaultQdisc) &&
    !isDefaultQdisc(vf.qdisc, facts.defaultQdisc)
  ) {
    out.push({
      id: 'qdisc-on-vf-only',
      severity: 'warning',
      devices: devs,
      message: `${vf.name} has a non-default root qdisc (${vf.qdisc ?? '?'}) and ${master.name} has none: only the VF path is shaped; when the VF goes away (host servicing, migration) traffic is not shaped at all`,
      advice: `Shape on the master, which carries both paths: "tc qdisc del dev ${vf.name} root" and put the qdisc on ${master.name}.`,
    });
  }
  return out;
}

/**
 * True when a stanza's driver patterns keep its MAC match off the VF: they match the master's
 * ethtool driver and not the VF's.
 */
function driverKeepsOffVf(
  driver: string | null,
  masterDrv: string | null,
  vfDrv: string | null,
): boolean {
  if (driver === null || masterDrv === null) return false;
  const list = driver.split(' ');
  return driverListMatches(list, masterDrv) && (vfDrv === null || !driverListMatches(list, vfDrv));
}

function howMatched(c: ConfigMention, masterDrv: string | null): string {
  if (c.byName) return 'by name';
  if (c.driver === null) return 'by MAC without a driver match';
  return `by MAC with driver ${c.driver}, not the master's ${masterDrv ?? '?'}`;
}

/**
 * Runs every `doctor` check over gathered facts (a pure function; the probes that gather the
 * facts are separate and injectable, see {@link gatherDoctorFacts}). Findings come pair by pair,
 * in {@link discoverPairs} order, then the same-MAC groups without a master.
 *
 * @example
 * ```ts
 * const findings = runDoctorChecks(await gatherDoctorFacts(probes));
 * if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
 * ```
 */
export function runDoctorChecks(facts: DoctorFacts): DoctorFinding[] {
  const byName = new Map(facts.snapshot.links.map((l) => [l.name, l]));
  const pairs = discoverPairs(facts.snapshot, { force: facts.force === true });
  const out: DoctorFinding[] = [];
  const used = new Set<number>();
  for (const p of pairs) {
    out.push(...checkPair(p, facts, byName));
    if (p.model === 'same-mac') continue;
    for (const n of [p.master, p.backup, p.active]) {
      const l = n === null ? undefined : byName.get(n);
      if (l !== undefined) used.add(l.ifindex);
    }
  }
  for (const g of sameMacGroups(facts.snapshot, used)) {
    const names = g.map((l) => l.name);
    out.push({
      id: 'same-mac-no-master',
      severity: 'warning',
      devices: names,
      message: `${names.join(', ')} share the MAC ${g[0]?.address ?? '?'} and no master pairs them: the kernel treats them as independent NICs and ARP/routing decide which one is used`,
      advice:
        'On Hyper-V/Azure hv_netvsc pairs its VF itself (check that hv_netvsc is loaded and see "dmesg | grep -i \'VF\'"). With virtio, the host must offer STANDBY (QEMU "failover=on") and net_failover must be loaded. ' +
        'Otherwise build the pair explicitly (a bond in active-backup mode with the VF as primary), or keep only one of them configured.',
    });
  }
  return out;
}
