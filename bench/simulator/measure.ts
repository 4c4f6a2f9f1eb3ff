import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { coreBuild } from '../report.js';
import type { SimulatorRunResult } from '../definitions.js';
import type { SimulatorMeasurement } from './child.js';

/** The repository root (bench/simulator/../..). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs the live-migration scenario for `seconds` at `pps` in a fresh node process (the same
 * build of the packages as this one: dist, or the sources when this process runs them), and
 * returns what the child measured.
 *
 * @throws Error when the child fails or prints no measurement.
 */
export function runLiveMigration(options: { seconds: number; pps: number }): SimulatorRunResult {
  const child = fileURLToPath(new URL('./child.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const conditions = coreBuild() === 'source' ? ['--conditions=@bypass/source'] : [];
  const r = spawnSync(
    process.execPath,
    ['--import', tsx, ...conditions, child, String(options.seconds), String(options.pps)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) {
    throw new Error(`simulator child failed (${String(r.status ?? r.signal)}): ${r.stderr}`);
  }
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  const m = JSON.parse(line) as SimulatorMeasurement;
  return {
    simulatedNs: m.simulatedNs,
    frames: m.frames,
    wallNs: m.wallNs,
    cpuNs: m.cpuNs,
    peakRss: m.peakRss,
    lost: m.lost,
    migration: m.migration,
  };
}
