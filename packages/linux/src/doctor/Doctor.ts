import { discoverPairs } from '../discovery/PairDiscovery.js';
import type { FailoverPair, LinkSnapshot } from '../discovery/FailoverPair.js';
import type { LinkRecord } from '../netlink/LinkRecord.js';
import type { LinkSource } from '../netlink/LinkSource.js';
import { RtnlLinkSource } from '../netlink/RtnlLinkSource.js';
import { RealSysfsView } from '../sysfs/RealSysfsView.js';
import type { SysfsNetFacts, SysfsView } from '../sysfs/SysfsView.js';
import type { ConfigMention, DoctorFacts, DoctorFinding } from './DoctorFinding.js';
import { FileDoctorProbes, type DoctorProbes } from './DoctorProbes.js';
import { runDoctorChecks } from './DoctorChecks.js';

/**
 * Options of {@link doctor} and {@link gatherDoctorFacts}; every source is injectable.
 *
 * @example
 * ```ts
 * const o: DoctorOptions = { sysfs: new RealSysfsView('/tmp/fixture/sys'), probes: new FileDoctorProbes('/tmp/fixture'), force: true };
 * ```
 */
export interface DoctorOptions {
  /** Links and addresses; default a new {@link RtnlLinkSource} (closed afterwards). */
  source?: LinkSource;
  /** Default `new RealSysfsView()` (`/sys`). */
  sysfs?: SysfsView;
  /** Default `new FileDoctorProbes()` (`/`). */
  probes?: DoctorProbes;
  /** Treat same-MAC groups without a master as pairs. */
  force?: boolean;
}

/**
 * What {@link doctor} returns: the pairs it found, the findings, and the facts behind them.
 *
 * @example
 * ```ts
 * const report: DoctorReport = await doctor();
 * console.log(formatDoctorReport(report));
 * ```
 */
export interface DoctorReport {
  readonly pairs: readonly FailoverPair[];
  readonly findings: readonly DoctorFinding[];
  readonly facts: DoctorFacts;
}

/**
 * Builds a {@link LinkSnapshot}: the links and, for each one sysfs still shows under the same
 * ifindex, its facts. An interface whose facts cannot be read (renamed or removed between the
 * two reads, or its device rescinded by the host) simply has none, as in `watch`; facts whose
 * `ifindex` is not the link's belong to another device that now has the name and are dropped.
 *
 * @example
 * ```ts
 * const snap = snapshotOf(await source.readLinks(), new RealSysfsView());
 * ```
 */
export function snapshotOf(links: readonly LinkRecord[], sysfs: SysfsView): LinkSnapshot {
  const facts = new Map<string, SysfsNetFacts>();
  for (const l of links) {
    let f: SysfsNetFacts;
    try {
      if (!sysfs.has(l.name)) continue;
      f = sysfs.facts(l.name);
    } catch {
      continue;
    }
    if (f.ifindex === null || f.ifindex === l.ifindex) facts.set(l.name, f);
  }
  return { links, facts };
}

/**
 * Gathers everything the checks need, read-only: links and addresses over rtnetlink, sysfs
 * facts, the default qdisc, and for the VF of every pair its DHCP evidence and configuration
 * mentions.
 *
 * @throws `BypassError` from the source (`ERR_STATE` when the kernel does not answer); an
 * interface whose sysfs entries cannot be read just has no facts.
 *
 * @example
 * ```ts
 * const facts = await gatherDoctorFacts({ probes: new FileDoctorProbes('/') });
 * const findings = runDoctorChecks(facts);
 * ```
 */
export async function gatherDoctorFacts(options: DoctorOptions = {}): Promise<DoctorFacts> {
  const own = options.source === undefined;
  const source = options.source ?? new RtnlLinkSource();
  try {
    const links = await source.readLinks();
    const addresses = await source.readAddresses();
    const snapshot = snapshotOf(links, options.sysfs ?? new RealSysfsView());
    const probes = options.probes ?? new FileDoctorProbes();
    const force = options.force === true;
    const dhcpEvidence = new Map<string, string[]>();
    const configMentions = new Map<string, ConfigMention[]>();
    for (const p of discoverPairs(snapshot, { force })) {
      const vf = links.find((l) => l.name === p.active);
      if (vf === undefined) continue;
      dhcpEvidence.set(vf.name, probes.dhcpEvidence(vf.name, vf.ifindex));
      configMentions.set(vf.name, probes.configMentions(vf.name, vf.address));
    }
    return {
      snapshot,
      addresses,
      defaultQdisc: probes.defaultQdisc(),
      dhcpEvidence,
      configMentions,
      force,
    };
  } finally {
    if (own) source.close();
  }
}

/**
 * `bypass doctor`: read-only checks for the mistakes users keep reporting, each finding with a
 * stable id, a severity, the interfaces and advice. Needs no root (rtnetlink dumps and sysfs
 * are world-readable; files that are not are skipped).
 *
 * @example
 * ```ts
 * const report = await doctor({ force: false });
 * for (const f of report.findings) console.log(f.severity, f.id, f.message);
 * process.exitCode = report.findings.some((f) => f.severity === 'error') ? 1 : 0;
 * ```
 */
export async function doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const facts = await gatherDoctorFacts(options);
  return {
    pairs: discoverPairs(facts.snapshot, { force: facts.force === true }),
    findings: runDoctorChecks(facts),
    facts,
  };
}

/**
 * Human-readable text of a {@link DoctorReport} (what the CLI prints without `--json`).
 *
 * @example
 * ```ts
 * console.log(formatDoctorReport(await doctor()));
 * ```
 */
export function formatDoctorReport(report: Pick<DoctorReport, 'pairs' | 'findings'>): string {
  const lines: string[] = [];
  if (report.pairs.length === 0) lines.push('no failover pairs found');
  for (const p of report.pairs) {
    lines.push(
      `pair ${p.id}: master ${p.master ?? '-'}, backup ${p.backup ?? '-'}, active ${p.active ?? '-'}${p.active !== null && !p.activeEnslaved && p.model !== 'same-mac' ? (p.activeMaster === undefined ? ' (not enslaved)' : ` (enslaved to ${p.activeMaster})`) : ''}`,
    );
  }
  if (report.findings.length === 0) lines.push('no problems found');
  for (const f of report.findings) {
    lines.push(`${f.severity.toUpperCase()} ${f.id} [${f.devices.join(', ')}]: ${f.message}`);
    lines.push(`  advice: ${f.advice}`);
  }
  return lines.join('\n');
}
