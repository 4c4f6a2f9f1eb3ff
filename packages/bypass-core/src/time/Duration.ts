import { BypassError } from '../errors/BypassError.js';

const DURATION_RE = /^(\d+)(?:\.(\d+))?\s*(ns|us|µs|μs|ms|s|m|h)$/;

/** Nanoseconds per unit. */
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = BigInt(Number.MAX_SAFE_INTEGER);

function parseError(text: unknown, why: string): BypassError {
  return new BypassError(
    'ERR_PARSE',
    `invalid duration ${JSON.stringify(text)}: ${why}; write a number and a unit ` +
      '(ns, us, ms, s, m, h) such as 100ms, 250us or 1.5s',
  );
}

/**
 * Parses a duration into integer nanoseconds: a decimal number and a unit, `ns`, `us` (or `µs`),
 * `ms`, `s`, `m` or `h` (`250ns`, `250us`, `100ms`, `2s`, `1.5s`, `2m`, `1h`; a space before the
 * unit is allowed). The bare text `0` is zero. A number is taken as ns already.
 *
 * @throws {@link BypassError} `ERR_PARSE` for anything else: no unit, an unknown unit, a negative
 * value, a value finer than 1 ns (`1.5ns`) or beyond 2^53 ns.
 * @example
 * ```ts
 * parseDuration('1.5s');  // 1_500_000_000
 * parseDuration('250us'); // 250_000
 * parseDuration(42);      // 42
 * ```
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0) {
      throw parseError(text, 'a number is taken as ns and must be a non-negative integer');
    }
    return text;
  }
  if (typeof text !== 'string') throw parseError(text, 'not a string');
  const t = text.trim();
  if (t === '0') return 0;
  const m = DURATION_RE.exec(t);
  if (m === null) {
    const why = /^\d+(\.\d+)?$/.test(t) ? 'the unit is missing' : 'not a number with a unit';
    throw parseError(text, why);
  }
  const intPart = m[1] as string;
  const frac = m[2] ?? '';
  const unit = UNIT_NS[m[3] as string] as bigint;
  const scaled = BigInt(intPart + frac) * unit;
  const denom = 10n ** BigInt(frac.length);
  if (scaled % denom !== 0n) throw parseError(text, 'the resolution is 1 ns');
  const ns = scaled / denom;
  if (ns > MAX_NS) throw parseError(text, 'too large (the limit is 2^53 ns, about 104 days)');
  return Number(ns);
}

/** Formats `v / div` with the fewest decimals that keep it exact (div is a power of ten). */
function exact(v: number, div: number, digits: number, unit: string): string {
  const whole = Math.floor(v / div);
  const rest = v - whole * div;
  if (rest === 0) return `${whole}${unit}`;
  const decimals = String(rest).padStart(digits, '0').replace(/0+$/, '');
  return `${whole}.${decimals}${unit}`;
}

/**
 * Formats integer nanoseconds compactly, in a form {@link parseDuration} reads back to the same
 * value: seconds when >= 1 s (`2s`, `2.0001s`), else ms when >= 1 ms (`100ms`, `1.5ms`), else
 * us when >= 1 us (`250us`), else ns; zero is `0s`. Decimals are trimmed, and kept only as far as
 * needed to be exact (at most 9 for seconds). A negative value gets a leading `-` (which
 * parseDuration refuses: durations are not negative, differences may be).
 *
 * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `ns` is not a safe integer.
 * @example
 * ```ts
 * formatDuration(1_500_000_000); // '1.5s'
 * formatDuration(250_000);       // '250us'
 * formatDuration(0);             // '0s'
 * ```
 */
export function formatDuration(ns: number): string {
  if (!Number.isSafeInteger(ns)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `formatDuration needs an integer number of ns, got ${ns}`,
    );
  }
  if (ns < 0) return `-${formatDuration(-ns)}`;
  if (ns === 0) return '0s';
  if (ns >= 1_000_000_000) return exact(ns, 1_000_000_000, 9, 's');
  if (ns >= 1_000_000) return exact(ns, 1_000_000, 6, 'ms');
  if (ns >= 1_000) return exact(ns, 1_000, 3, 'us');
  return `${ns}ns`;
}
