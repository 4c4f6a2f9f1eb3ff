/**
 * `npm run bench`: runs every benchmark, prints the table, writes bench/results/latest.json.
 *
 *   tsx --conditions=@bypass/source bench/run.ts [--smoke] [--only=datapath,control,...]
 *       [--out=path] [--markdown]
 *
 * `--smoke` uses the tiny sizes of the test (numbers meaningless; nothing written unless --out).
 * `--only` runs some sections (for profiling with `node --cpu-prof`). `--markdown` also prints
 * the table in Markdown for docs/performance.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreBuild, reportDocument } from './report.js';
import { formatMarkdown, formatTable } from './table.js';
import { FULL_OPTIONS, SMOKE_OPTIONS, runSuite, type SuiteSection } from './suite.js';

const SECTIONS: readonly SuiteSection[] = ['datapath', 'control', 'simulator', 'memory'];

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function main(): void {
  const smoke = process.argv.includes('--smoke');
  const options = smoke ? SMOKE_OPTIONS : FULL_OPTIONS;
  const only = arg('only');
  const sections = new Set(
    only === undefined ? SECTIONS : SECTIONS.filter((s) => only.split(',').includes(s)),
  );
  process.stderr.write(`measuring @bypass/core from its ${coreBuild()} build\n`);
  const report = runSuite(options, (line) => process.stderr.write(`${line}\n`), sections);
  process.stdout.write(`${formatTable(report.rows)}\n`);
  if (process.argv.includes('--markdown'))
    process.stdout.write(`\n${formatMarkdown(report.rows)}\n`);
  const def = fileURLToPath(new URL('./results/latest.json', import.meta.url));
  const out = arg('out') ?? (smoke || only !== undefined ? undefined : def);
  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(reportDocument(report, options), null, 2)}\n`);
    process.stderr.write(`wrote ${out}\n`);
  }
  const failed = report.rows.filter((r) => r.status === 'fail').length;
  process.stderr.write(`${failed} target(s) missed\n`);
}

main();
