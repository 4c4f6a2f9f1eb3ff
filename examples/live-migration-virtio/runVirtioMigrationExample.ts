import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatReportText,
  loadScenarioFile,
  renderTimelineSvg,
  runScenario,
  type Report,
} from '@bypass/hypervisor';

/** The bundled scenario this example runs. */
export const VIRTIO_MIGRATION_SCENARIO = fileURLToPath(
  new URL('../../scenarios/virtio-live-migration.yaml', import.meta.url),
);

/** What the example observed: the full report and the numbers worth looking at first. */
export interface VirtioMigrationExampleResult {
  /** The run's report (what `bypass run --json` prints). */
  report: Report;
  /** The human-readable report (what `bypass run` prints). */
  text: string;
  /** Where the SVG timeline was written. */
  svgPath: string;
  /** How the migration ended and the QEMU states it went through, in order. */
  migration: { result: string; states: string[]; downtime: string };
  /** Per flow: frames lost, by drop counter, and the longest gap the receiver saw. */
  flows: Record<
    string,
    { sent: number; lost: number; drops: Record<string, number>; longestGap: string }
  >;
  /** The NIC's time on the VF and on virtio, and its datapath switches. */
  nic: { onActive: string; onBackup: string; switches: number };
}

/**
 * Runs `scenarios/virtio-live-migration.yaml`: a virtio-net NIC with BACKUP (QEMU
 * `failover=on`, Linux net_failover in the guest) live-migrated while traffic flows both ways.
 * Writes the SVG timeline into `outDir` (created if needed) and returns the report with its
 * key numbers.
 */
export function runVirtioMigrationExample(outDir: string): VirtioMigrationExampleResult {
  const scenario = loadScenarioFile(VIRTIO_MIGRATION_SCENARIO);
  const report = runScenario(scenario);
  mkdirSync(outDir, { recursive: true });
  const svgPath = join(outDir, 'virtio-live-migration.svg');
  writeFileSync(svgPath, renderTimelineSvg(report));
  const m = report.migrations[0];
  const nic = report.nics['vm1/eth0'];
  const flows: VirtioMigrationExampleResult['flows'] = {};
  for (const [name, f] of Object.entries(report.flows)) {
    flows[name] = { sent: f.sent, lost: f.lost, drops: { ...f.drops }, longestGap: f.longestGap };
  }
  return {
    report,
    text: formatReportText(report),
    svgPath,
    migration: {
      result: m?.result ?? 'none',
      states: m?.states.map((s) => s.state) ?? [],
      downtime: m?.downtime ?? '0s',
    },
    flows,
    nic: {
      onActive: nic?.onActive ?? '0s',
      onBackup: nic?.onBackup ?? '0s',
      switches: nic?.switches ?? 0,
    },
  };
}
