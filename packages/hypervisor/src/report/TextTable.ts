/**
 * How a cell reads: `good` (green), `bad` (red), `warn` (yellow), `dim` or plain. Text output
 * paints it with ANSI colours when asked to; HTML output turns it into a CSS class.
 */
export type Tone = 'good' | 'bad' | 'warn' | 'dim' | 'plain';

/** A table cell: plain text, or text with a {@link Tone}. */
export type Cell = string | { readonly text: string; readonly tone: Tone };

/** A table to lay out: headers, per-column alignment (default left) and rows of cells. */
export interface TableSpec {
  readonly headers: readonly string[];
  readonly align?: readonly ('left' | 'right')[];
  readonly rows: readonly (readonly Cell[])[];
}

/** Options of {@link formatTextTable}. */
export interface TextTableOptions {
  /** Paint tones and headers with ANSI escapes (the widths are computed without them). */
  readonly color?: boolean;
  /** Spaces before every line. */
  readonly indent?: number;
  /** Spaces between columns (default 2). */
  readonly gap?: number;
}

const ANSI: Readonly<Record<Tone | 'header', string>> = {
  good: '\x1b[32m',
  bad: '\x1b[31m',
  warn: '\x1b[33m',
  dim: '\x1b[2m',
  plain: '',
  header: '\x1b[1m',
};
const RESET = '\x1b[0m';

/**
 * Text safe for one line of a terminal: control characters (newlines, tabs, ANSI escapes from
 * a name in a scenario file) become spaces or `?`, so they cannot break a table or the screen.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\r\n\t]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** The text of a cell without its tone. */
export function cellText(cell: Cell): string {
  return typeof cell === 'string' ? cell : cell.text;
}

/** The tone of a cell (`plain` for a bare string). */
export function cellTone(cell: Cell): Tone {
  return typeof cell === 'string' ? 'plain' : cell.tone;
}

/** `text` wrapped in the ANSI escape of `tone` when `color` is on; unchanged otherwise. */
export function paint(text: string, tone: Tone | 'header', color: boolean): string {
  const code = ANSI[tone];
  return color && code !== '' && text !== '' ? `${code}${text}${RESET}` : text;
}

/** Visible width: code points, so `µs` counts as two columns, not three bytes. */
function width(text: string): number {
  return [...text].length;
}

function padTo(text: string, to: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * Lays a table out as text: column widths from the content, numbers right-aligned where the
 * spec says so, the last column not padded, trailing spaces trimmed. Used by every text table
 * of the reports, so they all look alike.
 */
export function formatTextTable(spec: TableSpec, options: TextTableOptions = {}): string {
  const color = options.color === true;
  const indent = ' '.repeat(options.indent ?? 0);
  const gap = ' '.repeat(options.gap ?? 2);
  const columns = Math.max(spec.headers.length, ...spec.rows.map((r) => r.length));
  const widths: number[] = new Array<number>(columns).fill(0);
  const all: readonly (readonly Cell[])[] = [spec.headers, ...spec.rows];
  for (const row of all) {
    for (let i = 0; i < columns; i++) {
      widths[i] = Math.max(widths[i] ?? 0, width(oneLine(cellText(row[i] ?? ''))));
    }
  }
  const line = (row: readonly Cell[], header: boolean): string => {
    const parts: string[] = [];
    for (let i = 0; i < columns; i++) {
      const cell = row[i] ?? '';
      const align = spec.align?.[i] ?? 'left';
      const last = i === columns - 1;
      const text = oneLine(cellText(cell));
      const padded = last && align === 'left' ? text : padTo(text, widths[i] ?? 0, align);
      // Paint only the text, not the padding, so the columns stay aligned on any terminal.
      const start = padded.indexOf(text);
      const painted = paint(text, header ? 'header' : cellTone(cell), color);
      parts.push(padded.slice(0, start) + painted + padded.slice(start + text.length));
    }
    return (indent + parts.join(gap)).trimEnd();
  };
  return [line(spec.headers, true), ...spec.rows.map((r) => line(r, false))].join('\n');
}
