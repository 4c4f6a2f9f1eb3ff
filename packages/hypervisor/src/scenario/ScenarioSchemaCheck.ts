import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PATTERN_HINTS, SCENARIO_JSON_SCHEMA } from './ScenarioJsonSchema.js';
import { pointerToSegments } from './ScenarioSource.js';
import type { PathSegment, RawIssue } from './ScenarioSource.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({
      allErrors: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
      verbose: true,
    });
    compiled = ajv.compile(SCENARIO_JSON_SCHEMA);
  }
  return compiled;
}

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest candidate within a small edit distance, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping (key: value pairs)',
  array: 'a list',
  null: 'empty',
};

function parentPattern(e: ErrorObject): string | undefined {
  const p = (e.parentSchema as { pattern?: unknown } | undefined)?.pattern;
  return typeof p === 'string' ? p : undefined;
}

function message(e: ErrorObject): string | undefined {
  const params = e.params as Record<string, unknown>;
  const pattern = parentPattern(e);
  const hint = pattern === undefined ? undefined : PATTERN_HINTS[pattern];
  switch (e.keyword) {
    case 'if':
      return undefined; // the failing `then` reports the real problem
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const prop = String(params['additionalProperty']);
      const props = Object.keys(
        ((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object,
      );
      const near = closest(prop, props);
      return near !== undefined
        ? `unknown property "${prop}": did you mean "${near}"?`
        : `unknown property "${prop}"; the properties here are ${props.join(', ')}`;
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String);
      const near = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const base = `${describeValue(e.data)} is not one of ${allowed.join(', ')}`;
      return near !== undefined ? `${base}: did you mean "${near}"?` : base;
    }
    case 'type': {
      if (hint !== undefined) return `must be ${hint}, not ${describeValue(e.data)}`;
      const types = String(params['type']).split(',');
      const words = types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      const quote =
        types.includes('string') && typeof e.data === 'number' ? ' (write it in quotes)' : '';
      return `must be ${words}, not ${describeValue(e.data)}${quote}`;
    }
    case 'pattern':
      return `${describeValue(e.data)} is not ${hint ?? `matching ${String(params['pattern'])}`}`;
    case 'minimum':
    case 'maximum':
      if (hint !== undefined && typeof e.data === 'number') {
        return (
          `${e.data} has no unit: write ${hint}` +
          (pattern?.includes('ns') ? ' (only 0 may go without a unit)' : '')
        );
      }
      return `${describeValue(e.data)} is out of range: ${e.message ?? e.keyword}`;
    case 'minItems':
      return `needs at least ${String(params['limit'])} entr${params['limit'] === 1 ? 'y' : 'ies'}`;
    case 'maxItems':
      return `has more than ${String(params['limit'])} entries`;
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `is longer than ${String(params['limit'])} characters`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * Validates parsed scenario data against {@link SCENARIO_JSON_SCHEMA}; returns every problem
 * (empty when the data conforms).
 */
export function checkScenarioSchema(data: unknown): RawIssue[] {
  const validate = validator();
  if (validate(data)) return [];
  const out: RawIssue[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const text = message(e);
    if (text === undefined) continue;
    const segments: PathSegment[] = pointerToSegments(e.instancePath, data);
    const params = e.params as Record<string, unknown>;
    let atKey = false;
    if (e.keyword === 'required') segments.push(String(params['missingProperty']));
    if (e.keyword === 'additionalProperties') {
      segments.push(String(params['additionalProperty']));
      atKey = true;
    }
    if (segments.length === 0 && e.keyword === 'type') {
      const issue: RawIssue = {
        segments,
        message:
          data === undefined || data === null
            ? 'the file is empty: a scenario is a mapping with at least duration and hosts'
            : `the file must be a mapping (key: value pairs), not ${describeValue(data)}`,
      };
      return [issue];
    }
    const key = `${JSON.stringify(segments)} ${text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(atKey ? { segments, message: text, atKey } : { segments, message: text });
  }
  return out;
}
