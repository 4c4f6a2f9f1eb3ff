import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { BenchReport, SuiteOptions } from './suite.js';

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** Which build of `@bypass/core` this process runs: the TypeScript source (through tsx) or dist. */
export function coreBuild(): 'source' | 'dist' {
  return import.meta.resolve('@bypass/core').endsWith('.ts') ? 'source' : 'dist';
}

/** The JSON document written to bench/results/latest.json. */
export function reportDocument(report: BenchReport, options: SuiteOptions): object {
  const cpu = cpus();
  return {
    schema: 1,
    command: 'npm run bench',
    commit: gitCommit(),
    coreBuild: coreBuild(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    loadavg: loadavg(),
    options,
    rows: report.rows,
    samples: report.samples,
  };
}
