/**
 * The fuzz harness (issue 7): for each target an arbitrary-input generator, a structure-aware
 * mutator, an oracle and a regression corpus.
 *
 * Oracle: the only allowed outcomes of feeding hostile input to a target are a `BypassError`
 * with a known `code` (a typed refusal) or a counted drop (the target's check says which counter
 * must have moved). Any other exception, a read or write outside the structure, or a loop that
 * does not end within its structural bound is a failure.
 *
 * `npm test` runs a few hundred cases per target with a fixed seed; `BYPASS_DEEP=1` runs 100x
 * more with a random seed (printed; `BYPASS_FUZZ_SEED=<n>` replays one). Every input that ever
 * failed is kept in `regressions/<target>.json` and replayed first.
 */
import type { ExecutionContext } from 'ava';
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BypassError, type BypassErrorCode } from '@bypass/core';

/** True under `npm run test:deep`. */
export const DEEP = process.env['BYPASS_DEEP'] === '1';
/** Cases per target are multiplied by this in deep mode. */
export const DEEP_FACTOR = 100;
const FIXED_SEED = 0x0b7a55;

/** Every `BypassErrorCode` (the compile-time check below keeps it complete). */
const CODES = [
  'ERR_MAC_MALFORMED',
  'ERR_MTU_RANGE',
  'ERR_NAME_INVALID',
  'ERR_NAME_EXISTS',
  'ERR_NOT_FOUND',
  'ERR_ALREADY_REGISTERED',
  'ERR_NOT_REGISTERED',
  'ERR_WRONG_NAMESPACE',
  'ERR_BUSY',
  'ERR_NOT_SUPPORTED',
  'ERR_INVALID_ARGUMENT',
  'ERR_NOT_ETHERNET',
  'ERR_NO_DEVICE',
  'ERR_REFUSED',
  'ERR_VLAN_CHALLENGED',
  'ERR_PARSE',
  'ERR_STATE',
  'ERR_SCENARIO',
] as const satisfies readonly BypassErrorCode[];
type MissingCode = Exclude<BypassErrorCode, (typeof CODES)[number]>;
const codesComplete: [MissingCode] extends [never] ? true : MissingCode = true;
void codesComplete;
const KNOWN_CODES: ReadonlySet<string> = new Set(CODES);

/** A broken promise: the oracle's verdict on one input. */
export class OracleViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OracleViolation';
  }
}

/** Fails the case unless `cond` holds. */
export function expect(cond: boolean, what: string): asserts cond {
  if (!cond) throw new OracleViolation(what);
}

/**
 * Runs `fn`; a typed refusal (`BypassError` with a known code) is an allowed outcome and returns
 * it, anything else thrown is a violation. Returns null when `fn` returned normally.
 */
export function refusedOrOk(fn: () => void, exec?: Executions): BypassError | null {
  try {
    fn();
    exec?.note('returned');
    return null;
  } catch (err) {
    if (err instanceof OracleViolation) throw err;
    if (err instanceof BypassError && KNOWN_CODES.has(err.code)) {
      exec?.note(`refused ${err.code}`);
      return err;
    }
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new OracleViolation(`neither a typed error nor a counted drop: ${what}`);
  }
}

/** Per-target execution counter (calls into the code under test). */
export class Executions {
  count = 0;
  /** How often each outcome was seen ('returned', 'refused ERR_PARSE', 'drop badPacket'...). */
  readonly outcomes = new Map<string, number>();
  /** Counts one call into the code under test. */
  tick(n = 1): void {
    this.count += n;
  }
  /** Records one outcome. */
  note(outcome: string, n = 1): void {
    if (n > 0) this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + n);
  }
  /** The outcomes, most frequent first. */
  summary(): string {
    return [...this.outcomes]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  }
}

/** One fuzz target. */
export interface FuzzTarget<T> {
  /** File name of its corpus: `regressions/<name>.json`. */
  readonly name: string;
  /** Cases per run in `npm test` (deep mode runs {@link DEEP_FACTOR} times more). */
  readonly cases: number;
  /** Inputs: arbitrary and structure-aware mutations, mixed. */
  readonly arbitrary: fc.Arbitrary<T>;
  /** Runs one input through the target and applies the oracle (throws OracleViolation). */
  readonly check: (input: T, exec: Executions) => void;
  /** JSON form of an input, for the corpus and failure reports. */
  readonly toJson: (input: T) => unknown;
  readonly fromJson: (json: unknown) => T;
}

/** Corpus entry: the input and why it is there. */
interface CorpusEntry {
  readonly note: string;
  readonly input: unknown;
}

const corpusDir = join(import.meta.dirname, 'regressions');

function loadCorpus(name: string): CorpusEntry[] {
  const file = join(corpusDir, `${name}.json`);
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as CorpusEntry[];
}

function seed(): number {
  const env = process.env['BYPASS_FUZZ_SEED'];
  if (env !== undefined && env !== '') return Number(env);
  return DEEP ? -1 : FIXED_SEED; // -1: let fast-check draw one (printed)
}

/** Registers the regression replay and the fuzz run of `target` as two ava tests. */
export function fuzzTarget<T>(target: FuzzTarget<T>): void {
  test(`fuzz ${target.name}: regression corpus`, (t) => {
    const corpus = loadCorpus(target.name);
    const exec = new Executions();
    for (const entry of corpus) {
      try {
        target.check(target.fromJson(entry.input), exec);
      } catch (err) {
        t.fail(`${entry.note}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    t.log(`${target.name}: ${corpus.length} corpus inputs, ${exec.count} executions`);
    t.pass();
  });

  test(`fuzz ${target.name}: arbitrary and mutated inputs`, (t) => {
    runFuzz(t, target);
  });
}

function runFuzz<T>(t: ExecutionContext, target: FuzzTarget<T>): void {
  const exec = new Executions();
  let cases = 0;
  const numRuns = DEEP ? target.cases * DEEP_FACTOR : target.cases;
  const s = seed();
  const details = fc.check(
    fc.property(target.arbitrary, (input) => {
      cases++;
      target.check(input, exec);
    }),
    s < 0 ? { numRuns } : { numRuns, seed: s },
  );
  t.log(
    `${target.name}: ${numRuns} cases (${cases} run incl. shrinking), ${exec.count} executions, seed ${details.seed}`,
  );
  t.log(`${target.name} outcomes: ${exec.summary()}`);
  if (details.failed) {
    const input = details.counterexample === null ? null : details.counterexample[0];
    const err = details.errorInstance;
    t.fail(
      `${target.name} failed (seed ${details.seed}, path ${details.counterexamplePath}): ` +
        `${err instanceof Error ? err.message : String(err)}\n` +
        `add to test/fuzz/regressions/${target.name}.json: ` +
        JSON.stringify({
          note: 'found by fuzzing',
          input: input === null ? null : target.toJson(input),
        }),
    );
    return;
  }
  t.pass();
}

// ------------------------------------------------------------------ bytes

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Bytes of a hex string. */
export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Boundary values for a 32-bit unsigned field that holds a length or index up to `max`. */
export function boundaries32(...maxes: number[]): number[] {
  const v = [0, 1, 7, 8, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
  for (const m of maxes) v.push(m - 1, m, m + 1);
  return v.filter((x) => x >= 0 && x <= 0xffffffff);
}

/** A byte-level mutation. */
export type ByteOp =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; n: number }
  | { op: 'u16'; at: number; value: number }
  | { op: 'u32'; at: number; value: number };

/**
 * Mutations of a valid encoding: bit flips, byte overwrites, inserts, deletes, and boundary
 * values written into 16/32-bit little-endian fields at `fieldOffsets` (or anywhere).
 */
export function byteOps(
  fieldOffsets: readonly number[],
  values: readonly number[],
): fc.Arbitrary<ByteOp[]> {
  const at = fc.nat({ max: 4096 });
  const field = fieldOffsets.length > 0 ? fc.oneof(fc.constantFrom(...fieldOffsets), at) : at;
  const value = fc.oneof(fc.constantFrom(...values), fc.nat({ max: 0xffffffff }));
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
      fc.record({ op: fc.constant('set' as const), at, value: fc.nat({ max: 255 }) }),
      fc.record({
        op: fc.constant('insert' as const),
        at,
        bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 16 }),
      }),
      fc.record({ op: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 64 }) }),
      fc.record({ op: fc.constant('u16' as const), at: field, value }),
      fc.record({ op: fc.constant('u32' as const), at: field, value }),
    ),
    { minLength: 1, maxLength: 6 },
  );
}

/** Applies `ops` to a copy of `base` (positions wrap modulo the current length). */
export function applyByteOps(base: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const o of ops) {
    const n = b.length;
    const at = n === 0 ? 0 : o.at % (n + 1);
    switch (o.op) {
      case 'flip':
        if (n > 0) b[at % n] = (b[at % n] as number) ^ (1 << o.bit);
        break;
      case 'set':
        if (n > 0) b[at % n] = o.value;
        break;
      case 'insert': {
        const c = new Uint8Array(n + o.bytes.length);
        c.set(b.subarray(0, at), 0);
        c.set(o.bytes, at);
        c.set(b.subarray(at), at + o.bytes.length);
        b = c;
        break;
      }
      case 'delete': {
        const c = new Uint8Array(Math.max(0, n - Math.min(o.n, n - at)));
        c.set(b.subarray(0, at), 0);
        c.set(b.subarray(Math.min(n, at + o.n)), at);
        b = c;
        break;
      }
      case 'u16':
      case 'u32': {
        const w = o.op === 'u16' ? 2 : 4;
        if (n < w) break;
        const p = at % (n - w + 1);
        for (let i = 0; i < w; i++) b[p + i] = Math.floor(o.value / 2 ** (8 * i)) & 0xff;
        break;
      }
    }
  }
  return b;
}

// ------------------------------------------------------------------ strings

/** Fragments that parsers of devargs, MACs, durations and rates find interesting. */
export const STRING_FRAGMENTS = [
  '',
  ',',
  ',,',
  '=',
  '==',
  '(',
  ')',
  '()',
  ' ',
  '\t',
  '\n',
  '\0',
  '\\',
  '"',
  "'",
  ':',
  '-',
  '.',
  '0',
  '-1',
  '-0',
  '00',
  '1e3',
  '0x10',
  '0x',
  'NaN',
  'Infinity',
  '2147483647',
  '2147483648',
  '4294967295',
  '4294967296',
  '9007199254740993',
  '99999999999999999999999',
  'ff',
  'FF',
  'gg',
  'é',
  '\u{1f600}',
  '\ud800',
  'x'.repeat(300),
  ',dev(',
  'exec(',
  'fd(',
  'mac=',
  'iface=',
  'remote=',
  'force=1',
  'ignore=1',
] as const;

/** A string mutation. */
export type StrOp =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; n: number }
  | { op: 'replace'; at: number; n: number; text: string }
  | { op: 'dup'; at: number; n: number }
  | { op: 'truncate'; at: number };

/** Mutations of a valid string: fragment inserts and replacements, deletes, duplications. */
export function strOps(extra: readonly string[] = []): fc.Arbitrary<StrOp[]> {
  const at = fc.nat({ max: 512 });
  const text = fc.oneof(
    fc.constantFrom(...STRING_FRAGMENTS, ...extra),
    fc.string({ maxLength: 8, unit: 'binary' }),
  );
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('insert' as const), at, text }),
      fc.record({ op: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 16 }) }),
      fc.record({
        op: fc.constant('replace' as const),
        at,
        n: fc.integer({ min: 1, max: 8 }),
        text,
      }),
      fc.record({ op: fc.constant('dup' as const), at, n: fc.integer({ min: 1, max: 32 }) }),
      fc.record({ op: fc.constant('truncate' as const), at }),
    ),
    { minLength: 1, maxLength: 5 },
  );
}

/** Applies `ops` to `base` (positions wrap modulo the current length). */
export function applyStrOps(base: string, ops: readonly StrOp[]): string {
  let s = base;
  for (const o of ops) {
    const at = o.at % (s.length + 1);
    switch (o.op) {
      case 'insert':
        s = s.slice(0, at) + o.text + s.slice(at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + o.n);
        break;
      case 'replace':
        s = s.slice(0, at) + o.text + s.slice(at + o.n);
        break;
      case 'dup':
        s = s.slice(0, at + o.n) + s.slice(at, at + o.n) + s.slice(at + o.n);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}

/**
 * Strings for a text parser: arbitrary strings, and mutations of the `valid` examples (the
 * structure-aware half).
 */
export function stringInputs(
  valid: readonly string[],
  extra: readonly string[] = [],
): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.string({ maxLength: 64, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.constantFrom(...valid, ...STRING_FRAGMENTS, ...extra) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), strOps(extra))
        .map(([base, ops]) => applyStrOps(base, ops)),
    },
  );
}

/** A target whose input is one string (JSON form: the string). */
export function stringTarget(
  name: string,
  cases: number,
  valid: readonly string[],
  check: (input: string, exec: Executions) => void,
  extra: readonly string[] = [],
): FuzzTarget<string> {
  return {
    name,
    cases,
    arbitrary: stringInputs(valid, extra),
    check,
    toJson: (s) => s,
    fromJson: (j) => String(j),
  };
}
