import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { coreBuild } from '../report.js';
import type { ControlSectionResult } from './child.js';

/** The repository root (bench/control/../..). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs the control-plane section in a fresh node process (the same build of the packages as
 * this one), so that what ran before it in this process (the datapath section's devices, which
 * leave the core's shared call sites polymorphic, and their heap) does not count as the control
 * plane's cost; the memory and simulator rows are measured the same way. The child's progress
 * lines are handed to `log` when it ends.
 *
 * @throws Error when the child fails or prints no result.
 */
export function runControlSection(
  options: object,
  log: (line: string) => void = () => {},
): ControlSectionResult {
  const child = fileURLToPath(new URL('./child.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const conditions = coreBuild() === 'source' ? ['--conditions=@bypass/source'] : [];
  const r = spawnSync(
    process.execPath,
    ['--import', tsx, ...conditions, child, JSON.stringify(options)],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 },
  );
  for (const l of r.stderr.split('\n')) if (l.trim() !== '') log(l);
  if (r.status !== 0) {
    throw new Error(`control-plane child failed (${String(r.status ?? r.signal)}): ${r.stderr}`);
  }
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ControlSectionResult;
}
