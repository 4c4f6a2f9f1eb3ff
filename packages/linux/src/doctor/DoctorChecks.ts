import { discoverPairs, sameMacGroups } from '../discovery/PairDiscovery.js';
import type { FailoverPair } from '../discovery/FailoverPair.js';
import type { LinkRecord } from '../netlink/LinkRecord.js';
import type { DoctorFacts, DoctorFinding } from './DoctorFinding.js';

/** Root qdiscs the kernel installs by itself (and `noop` on a device that is down). */
const KERNEL_DEFAULT_QDISCS = new Set(['noqueue', 'mq', 'noop', 'pfifo_fast', 'fq_codel']);

function unmanageAdvice(vf: string, master: string, driver: string | null): string {
  const drv = driver ?? 'mlx5_core';
  return (
    `Only ${master} should be configured; the VF is used through it. ` +
    `NetworkManager: add "[keyfile] unmanaged-devices=interface-name:${vf}" (or "driver:${drv}") in /etc/NetworkManager/conf.d/. ` +
    `systemd-networkd: a .network file with "[Match] Name=${vf}" (or "Driver=${drv}") and "[Link] Unmanaged=yes". ` +
    `netplan/cloud-init: match the master with "driver: hv_netvsc" (or virtio_net) as well as the MAC, so the rule does not also match the VF. ` +
    `Then remove what is there: "ip addr flush dev ${vf}" and stop its DHCP client.`
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
  const driver = facts.snapshot.facts.get(vf.name)?.driver ?? null;
  const mName = master?.name ?? backup?.name ?? '?';
  const devs = master === undefined ? [vf.name] : [master.name, vf.name];

  if (!pair.activeEnslaved && pair.model !== 'same-mac') {
    out.push({
      id: 'vf-not-enslaved',
      severity: 'error',
      devices: devs,
      message: `${vf.name} has ${mName}'s MAC ${pair.mac} but is not enslaved to it: a one-legged pair, traffic cannot fail over to or from the VF`,
      advice:
        pair.model === 'netvsc'
          ? `netvsc enslaves a VF whose PCI slot serial or MAC matches; check "dmesg | grep -i 'VF registering\\|Data path switched'", that ${vf.name} was not moved to another namespace or bond, and that no udev rule or service (e.g. an old bonding script) took it; unbinding and rebinding the VF driver re-runs the pairing.`
          : `net_failover enslaves a same-MAC PCI device when it registers: check that ${vf.name} is not a port of a bridge/bond, that it is in the same namespace as ${mName}, and that virtio negotiated STANDBY (ethtool -i ${mName} shows net_failover).`,
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
      advice: unmanageAdvice(vf.name, mName, driver),
    });
  }
  const dhcp = facts.dhcpEvidence.get(vf.name) ?? [];
  if (dhcp.length > 0) {
    out.push({
      id: 'vf-dhcp-client',
      severity: 'error',
      devices: devs,
      message: `a DHCP client is configured for the enslaved VF ${vf.name}: ${dhcp.join(', ')}`,
      advice: unmanageAdvice(vf.name, mName, driver),
    });
  }
  const configs = (facts.configMentions.get(vf.name) ?? []).filter(
    (c) => c.byName || (c.byMac && !c.driverMatch),
  );
  if (configs.length > 0) {
    out.push({
      id: 'config-matches-vf',
      severity: 'warning',
      devices: devs,
      message: `configuration that applies to the VF ${vf.name}: ${configs.map((c) => `${c.file} (${c.tool}, ${c.byName ? 'by name' : 'by MAC without a driver match'})`).join(', ')}`,
      advice: unmanageAdvice(vf.name, mName, driver),
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
  if (!vf.up && pair.model !== 'bond') {
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
  return out;
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
        'On Hyper-V/Azure hv_netvsc pairs its VF itself (check that the VF is not in another namespace). With virtio, the host must offer STANDBY (QEMU "failover=on") and net_failover must be loaded. ' +
        'Otherwise build the pair explicitly (a bond in active-backup mode with the VF as primary), or keep only one of them configured.',
    });
  }
  return out;
}
