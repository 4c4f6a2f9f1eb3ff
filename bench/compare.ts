/**
 * `bypass compare` for docs/performance.md: runs the bundled compare-all scenario (one live
 * migration) under every failover mechanism and prints the comparison table.
 *
 *   npx tsx bench/compare.ts [--markdown] [--json] [--file=scenarios/compare-all.yaml]
 *
 * Without options it prints the CLI's table (`formatCompareTable`); `--markdown` prints the same
 * numbers as a Markdown table (what docs/performance.md shows), `--json` the `compareRows`.
 */
import { fileURLToPath } from 'node:url';
import {
  NIC_MODELS,
  compareRows,
  formatCompareTable,
  loadScenarioFile,
  runScenario,
  type CompareEntry,
  type CompareRow,
} from '@bypass/hypervisor';

/** The scenario compared by default. */
export const COMPARE_ALL_FILE = fileURLToPath(
  new URL('../scenarios/compare-all.yaml', import.meta.url),
);

/** Runs `file` once per mechanism of {@link NIC_MODELS} (the file's NIC model replaced). */
export function compareAll(file = COMPARE_ALL_FILE): CompareEntry[] {
  const scenario = loadScenarioFile(file);
  return NIC_MODELS.map((model) => ({ model, report: runScenario(scenario, { model }) }));
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The comparison as a Markdown table (the columns of `bypass compare`, drops in full). */
export function compareMarkdown(rows: readonly CompareRow[]): string {
  const head = [
    '| mechanism | sent | lost | worst gap | on VF | switches | migration | result | drops |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
  ];
  const body = rows.map((r) => {
    const drops = Object.entries(r.drops)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `| ${cell(r.model)} | ${r.sent} | ${r.lost} | ${r.worstGap} (${r.worstGapFlow ?? '-'}) | ${r.onActive} (${r.onActivePercent}%) | ${r.switches} | ${r.migrations.join(', ')} | ${r.ok ? 'OK' : 'FAIL'} | ${cell(drops)} |`;
  });
  return [...head, ...body].join('\n');
}

function main(argv: readonly string[]): void {
  const file = argv.find((a) => a.startsWith('--file='))?.slice('--file='.length);
  const entries = compareAll(file);
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(compareRows(entries), null, 2)}\n`);
  } else if (argv.includes('--markdown')) {
    process.stdout.write(`${compareMarkdown(compareRows(entries))}\n`);
  } else {
    process.stdout.write(`${formatCompareTable(entries)}\n`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2));
}
