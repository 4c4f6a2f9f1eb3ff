import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IdleNetdevMeasurement } from './child.js';

/** The repository root (bench/memory/../..). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs the memory child for idle-netdev kind `id` with `n` devices in a fresh node process with
 * `--expose-gc`, and returns what it measured.
 *
 * @throws Error when the child fails or prints no measurement.
 */
export function measureIdleNetdevs(id: string, n: number): IdleNetdevMeasurement {
  const child = fileURLToPath(new URL('./child.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', tsx, '--conditions=@bypass/source', child, id, String(n)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) {
    throw new Error(`memory child failed (${String(r.status ?? r.signal)}): ${r.stderr}`);
  }
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as IdleNetdevMeasurement;
}
