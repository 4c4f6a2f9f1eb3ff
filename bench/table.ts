import type { BenchRow } from './suite.js';

function si(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(1);
}

function bytes(v: number): string {
  if (Math.abs(v) >= 1 << 20) return `${(v / (1 << 20)).toFixed(1)} MiB`;
  return `${Math.round(v)} B`;
}

/** The value column of a row: SI prefixes for rates, 3 decimals for ratios, bytes for memory. */
export function formatValue(row: BenchRow): string {
  const v = row.value;
  if (v === null) return '-';
  if (row.unit === 'bytes') return bytes(v);
  if (row.unit === 'x') return v.toFixed(3);
  if (row.unit === 'sim s / wall s' || row.unit === 'sim s / CPU s') return v.toFixed(2);
  return si(v);
}

function unitOf(row: BenchRow): string {
  return row.unit === 'bytes' ? '' : row.unit;
}

function spreadOf(row: BenchRow): string {
  return row.spread === null ? '' : `±${((row.spread * 100) / 2).toFixed(1)}%`;
}

/** The table's header and rows as cells. */
function cells(rows: readonly BenchRow[]): string[][] {
  const out = [['benchmark', 'value', 'unit', 'spread', 'target', 'result']];
  for (const r of rows) {
    out.push([
      r.name,
      formatValue(r),
      unitOf(r),
      spreadOf(r),
      r.target ?? '',
      r.status === 'n/a' && r.note !== undefined ? `n/a: ${r.note}` : r.status,
    ]);
  }
  return out;
}

/** A plain-text table for the terminal. */
export function formatTable(rows: readonly BenchRow[]): string {
  const c = cells(rows);
  const widths = (c[0] as string[]).map((_, i) =>
    Math.max(...c.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, i) =>
        i === 1 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  const [head, ...body] = c;
  return [
    line(head as string[]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n');
}

/** The same table in Markdown, for docs/performance.md. */
export function formatMarkdown(rows: readonly BenchRow[]): string {
  const c = cells(rows);
  const [head, ...body] = c;
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${(head as string[]).join(' | ')} |`,
    `| ${(head as string[]).map((_, i) => (i === 1 ? '---:' : '---')).join(' | ')} |`,
    ...body.map((row) => `| ${row.map(esc).join(' | ')} |`),
  ].join('\n');
}
