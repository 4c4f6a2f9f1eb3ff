import { formatDuration } from '@bypass/core';
import { loadScenarioText, runScenario, type Report } from '@bypass/hypervisor';

/**
 * Two Hyper-V VMs on host hv1, both migrated to hv2 at 1s: one runs the Linux netvsc driver
 * (the synthetic NIC is the master of its VF, 2-netdev model), the other a DPDK application on
 * the netvsc PMD (the VF is a sub-port the PMD hot-adds). Traffic flows both ways for each.
 */
export const NETVSC_MIGRATION_YAML = `
name: Hyper-V live migration, kernel netvsc and DPDK netvsc PMD side by side
seed: 1
duration: 4s
hosts:
  - { name: hv1, vfs: 4 }
  - { name: hv2, vfs: 4 }
vms:
  - name: kernel-vm
    host: hv1
    memory: 1GiB
    nics:
      - { name: eth0, model: netvsc, mac: 00:15:5d:00:00:01, vf: true }
  - name: dpdk-vm
    host: hv1
    memory: 1GiB
    nics:
      - { name: eth0, model: netvsc-pmd, mac: 00:15:5d:00:00:02, vf: true }
peers:
  - { name: client, host: hv1 }
flows:
  - { name: to-kernel, from: client, to: kernel-vm/eth0, rate: 50kpps, size: 64 }
  - { name: from-kernel, from: kernel-vm/eth0, to: client, rate: 20kpps, size: 512 }
  - { name: to-dpdk, from: client, to: dpdk-vm/eth0, rate: 50kpps, size: 64 }
  - { name: from-dpdk, from: dpdk-vm/eth0, to: client, rate: 20kpps, size: 512 }
steps:
  - { at: 1s, action: migrate, vm: kernel-vm, to: hv2, downtime: 200ms }
  - { at: 1s, action: migrate, vm: dpdk-vm, to: hv2, downtime: 200ms }
`;

/** The NetVSC control events this example follows (host side of NetVSP). */
export const NETVSC_EVENT_KINDS = ['vf-association', 'host-datapath'] as const;

/** What one migrated NIC experienced. */
export interface NetvscNicStory {
  /** `vm/nic` and its mechanism. */
  id: string;
  model: string;
  /** How its VM's migration ended, and the QEMU-named states it went through. */
  migration: { result: string; states: string[] };
  /** Time on the VF before the migration started, and after it completed. */
  vfBefore: string;
  vfAfter: string;
  /** From the end of the migration until TX was back on the VF (null: never). */
  backOnVfAfter: string | null;
  /** The datapath segments of the NIC, and the path of the last one. */
  segments: { from: string; to: string; path: string }[];
  lastPath: string;
  /** Frames lost in the NIC's flows (both directions), by drop counter. */
  losses: Record<string, number>;
  /** The NetVSC event log: VF association offers/withdrawals and host data path switches. */
  netvscEvents: { at: string; kind: string; detail: string }[];
}

/** What the example observed. */
export interface NetvscMigrationExampleResult {
  report: Report;
  nics: NetvscNicStory[];
}

/**
 * Runs {@link NETVSC_MIGRATION_YAML} and tells, NIC by NIC, how long it was on the VF before and
 * after the migration, what it lost and why, and what the NetVSP host did (VF association,
 * data path switches).
 */
export function runNetvscMigrationExample(): NetvscMigrationExampleResult {
  const scenario = loadScenarioText(NETVSC_MIGRATION_YAML, 'live-migration-netvsc.yaml');
  const report = runScenario(scenario);
  const nics = Object.entries(report.nics).map(([id, nic]): NetvscNicStory => {
    const vm = id.slice(0, id.indexOf('/'));
    const mi = report.migrations.findIndex((m) => m.vm === vm);
    const migration = report.migrations[mi];
    const phases = report.timeline.migrations[mi] ?? [];
    const startNs = phases[0]?.[0] ?? 0;
    const doneNs = phases.find((p) => p[2] === 'completed')?.[0] ?? null;
    const segs = report.timeline.datapath[id] ?? [];
    const onVf = (from: number, to: number): number =>
      segs.reduce(
        (sum, [s, e, p]) =>
          p === 'active' ? sum + Math.max(0, Math.min(e, to) - Math.max(s, from)) : sum,
        0,
      );
    const end = segs[segs.length - 1]?.[1] ?? 0;
    const back =
      doneNs === null ? undefined : segs.find(([s, , p]) => p === 'active' && s >= doneNs);
    const losses: Record<string, number> = {};
    for (const f of Object.values(report.flows)) {
      if (f.from !== id && f.to !== id) continue;
      for (const [k, v] of Object.entries(f.drops)) losses[k] = (losses[k] ?? 0) + v;
    }
    return {
      id,
      model: nic.model,
      migration: {
        result: migration?.result ?? 'none',
        states: migration?.states.map((s) => s.state) ?? [],
      },
      vfBefore: formatDuration(onVf(0, startNs)),
      vfAfter: formatDuration(doneNs === null ? 0 : onVf(doneNs, end)),
      backOnVfAfter:
        back === undefined || doneNs === null ? null : formatDuration(back[0] - doneNs),
      segments: segs.map(([s, e, p]) => ({
        from: formatDuration(s),
        to: formatDuration(e),
        path: p,
      })),
      lastPath: segs[segs.length - 1]?.[2] ?? 'none',
      losses,
      netvscEvents: report.events
        .filter((e) => e.vm === vm && (NETVSC_EVENT_KINDS as readonly string[]).includes(e.kind))
        .map((e) => ({ at: e.at, kind: e.kind, detail: e.detail ?? '' })),
    };
  });
  return { report, nics };
}
