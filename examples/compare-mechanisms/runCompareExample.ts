import { fileURLToPath } from 'node:url';
import {
  NIC_MODELS,
  compareRows,
  formatCompareTable,
  loadScenarioFile,
  runScenario,
  type CompareEntry,
  type CompareRow,
  type NicModelName,
} from '@bypass/hypervisor';

/** The bundled scenario this example runs under every mechanism. */
export const COMPARE_SCENARIO = fileURLToPath(
  new URL('../../scenarios/compare-all.yaml', import.meta.url),
);

/** What the example observed. */
export interface CompareExampleResult {
  /** One report per model, in the order run. */
  entries: CompareEntry[];
  /** The numbers of the comparison table, one row per model. */
  rows: CompareRow[];
  /** The table `bypass compare` prints. */
  table: string;
}

/**
 * Runs `scenarios/compare-all.yaml` (one live migration, traffic both ways) once per failover
 * mechanism, replacing the NIC's model each time, as `bypass compare` does.
 */
export function runCompareExample(
  models: readonly NicModelName[] = NIC_MODELS,
): CompareExampleResult {
  const scenario = loadScenarioFile(COMPARE_SCENARIO);
  const entries = models.map((model) => ({ model, report: runScenario(scenario, { model }) }));
  return { entries, rows: compareRows(entries), table: formatCompareTable(entries) };
}
