import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { ScenarioIssue } from './ScenarioError.js';

/** One step of a path inside the file: a mapping key or a list index. */
export type PathSegment = string | number;

/** An issue before it is placed: path segments, and whether it is about the key itself. */
export interface RawIssue {
  readonly segments: readonly PathSegment[];
  readonly message: string;
  /** Point at the key (an unknown property) rather than the value. */
  readonly atKey?: boolean;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * `['vms', 0, 'nics', 0, 'mac']` -> `vms[0].nics[0].mac`; keys that are not identifiers are
 * quoted (`links["a b"]`).
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * An ajv `instancePath` (`/vms/0/nics/0/mac`) -> segments, numbers where the data is a list.
 */
export function pointerToSegments(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(key);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(key);
      cur =
        cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** A parsed scenario file: its data, syntax issues, and a way to find a path's line/column. */
export interface ScenarioSource {
  /** The parsed value (undefined when the text did not parse). */
  readonly data: unknown;
  /** Syntax problems (already placed). Empty when the text parsed. */
  readonly syntaxIssues: readonly ScenarioIssue[];
  /** Places a raw issue: formats its path and adds line/column when the source has them. */
  place(issue: RawIssue): ScenarioIssue;
}

/** Offset -> 1-based line and column. */
type Locator = (offset: number) => { line: number; col: number };

function findNodeOffset(
  doc: Document,
  segments: readonly PathSegment[],
  atKey: boolean,
): number | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = rangeStart(node);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as PathSegment;
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return best;
      const keyStart = rangeStart(pair.key);
      if (last && atKey) return keyStart ?? best;
      const valueStart = rangeStart(pair.value);
      best = valueStart ?? keyStart ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      best = rangeStart(node) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

function makePlace(doc: Document | undefined, locate: Locator): (issue: RawIssue) => ScenarioIssue {
  return (issue) => {
    const path = formatPath(issue.segments);
    const offset =
      doc === undefined ? undefined : findNodeOffset(doc, issue.segments, issue.atKey === true);
    if (offset === undefined) return { path, message: issue.message };
    const pos = locate(offset);
    return { path, message: issue.message, line: pos.line, column: pos.col };
  };
}

const YAML_OPTIONS = {
  prettyErrors: false,
  uniqueKeys: true,
  strict: true,
  version: '1.2',
} as const;

/** Parses only for source positions; undefined when the text is not a clean YAML document. */
function yamlForPositions(text: string): { doc?: Document; locate: Locator } {
  const lineCounter = new LineCounter();
  const locate: Locator = (offset) => lineCounter.linePos(offset);
  try {
    const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter });
    return doc.errors.length === 0 ? { doc, locate } : { locate };
  } catch {
    return { locate };
  }
}

/** Line and column of a character offset, counting lines the way YAML does. */
function offsetLocator(text: string): Locator {
  const lc = new LineCounter();
  let at = 0;
  lc.addNewLine(0);
  for (;;) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) break;
    lc.addNewLine(nl + 1);
    at = nl + 1;
  }
  return (offset) => lc.linePos(offset);
}

function parseJson(text: string): ScenarioSource {
  const { doc, locate } = yamlForPositions(text);
  try {
    const data: unknown = JSON.parse(text);
    return { data, syntaxIssues: [], place: makePlace(doc, locate) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(msg);
    const issue: ScenarioIssue = { path: '', message: `JSON syntax error: ${msg}` };
    if (at === null)
      return { data: undefined, syntaxIssues: [issue], place: makePlace(undefined, locate) };
    const pos = offsetLocator(text)(Number(at[1]));
    return {
      data: undefined,
      syntaxIssues: [{ ...issue, line: pos.line, column: pos.col }],
      place: makePlace(undefined, locate),
    };
  }
}

function parseYaml(text: string): ScenarioSource {
  const lineCounter = new LineCounter();
  const locate: Locator = (offset) => lineCounter.linePos(offset);
  let doc: Document;
  try {
    doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      data: undefined,
      syntaxIssues: [{ path: '', message: `YAML syntax error: ${msg}` }],
      place: makePlace(undefined, locate),
    };
  }
  if (doc.errors.length > 0) {
    const syntaxIssues = doc.errors.map((e): ScenarioIssue => {
      const pos = locate(e.pos[0]);
      return {
        path: '',
        message: `YAML syntax error: ${e.message.split('\n')[0] ?? e.code}`,
        line: pos.line,
        column: pos.col,
      };
    });
    return { data: undefined, syntaxIssues, place: makePlace(undefined, locate) };
  }
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    const data: unknown = doc.toJS({ maxAliasCount: 100 });
    return { data, syntaxIssues: [], place: makePlace(doc, locate) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      data: undefined,
      syntaxIssues: [{ path: '', message: `YAML error: ${msg}` }],
      place: makePlace(doc, locate),
    };
  }
}

/**
 * Parses scenario text as YAML (which reads JSON too) or strictly as JSON.
 */
export function parseScenarioSource(text: string, format: 'yaml' | 'json'): ScenarioSource {
  return format === 'json' ? parseJson(text) : parseYaml(text);
}
