/**
 * The simulator row's scenario: the bundled live migration (`scenarios/virtio-live-migration.yaml`)
 * with its flows scaled to a total offered load and its duration changed. Everything else (hosts,
 * VM, NIC, the migration at 2 s with 300 ms of downtime) is the file's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

/** The bundled scenario the row measures. */
export const LIVE_MIGRATION_FILE = fileURLToPath(
  new URL('../../scenarios/virtio-live-migration.yaml', import.meta.url),
);

/**
 * The text of the live-migration scenario run for `seconds` of simulated time with `pps` frames
 * per second in total: each flow keeps its share of the file's total rate (f1 100 kpps and f2
 * 50 kpps become 2/3 and 1/3 of `pps`). The file's `expect` block is left out: its loss bound is
 * for the file's rates.
 */
export function liveMigrationScenarioText(seconds: number, pps: number): string {
  const doc = parseDocument(readFileSync(LIVE_MIGRATION_FILE, 'utf8'));
  const flows = doc.toJS().flows as { rate: string }[];
  const rates = flows.map((f) => ratePps(f.rate));
  const total = rates.reduce((a, b) => a + b, 0);
  rates.forEach((r, i) => doc.setIn(['flows', i, 'rate'], `${(pps * r) / total}pps`));
  doc.set('duration', `${seconds}s`);
  doc.delete('expect');
  return doc.toString();
}

const RATE_UNITS: Record<string, number> = { pps: 1, kpps: 1e3, mpps: 1e6 };

function ratePps(text: string): number {
  const m = /^([0-9.]+)\s*([a-z]+)$/i.exec(String(text).trim());
  const unit = m === null ? undefined : RATE_UNITS[(m[2] as string).toLowerCase()];
  if (m === null || unit === undefined) throw new Error(`unexpected flow rate ${text}`);
  return Number(m[1]) * unit;
}
