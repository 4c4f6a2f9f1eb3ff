import { BypassError } from '../errors/BypassError.js';

/**
 * A parsed traffic rate: packets per second (`pps`) or bits per second (`bps`).
 *
 * @example
 * ```ts
 * const r: Rate = parseRate('10kpps'); // { kind: 'pps', value: 10_000 }
 * ```
 */
export interface Rate {
  /** `pps`: packets per second; `bps`: bits per second. */
  readonly kind: 'pps' | 'bps';
  /** The rate in packets/s or bits/s (may be fractional, always > 0). */
  readonly value: number;
}

const RATE_RE = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)(pps|bps)$/;

/** Decimal exponent of each SI prefix (lower case accepted: `mbps` means Mbit/s here). */
const PREFIX_EXP: Readonly<Record<string, number>> = { '': 0, k: 3, m: 6, g: 9 };

/**
 * Parses a traffic rate: a decimal number, an optional SI prefix (`k`, `M`, `G`; powers of ten)
 * and `pps` (packets/s) or `bps` (bits/s): `100pps`, `10kpps`, `1.5Mpps`, `64kbps`, `100Mbps`,
 * `10Gbps`. Prefixes are case-insensitive (`mbps` is megabits, never millibits).
 *
 * @throws {@link BypassError} `ERR_PARSE` for anything else, or for a rate that is not > 0.
 * @example
 * ```ts
 * parseRate('1.5Mpps'); // { kind: 'pps', value: 1_500_000 }
 * parseRate('10Gbps');  // { kind: 'bps', value: 10_000_000_000 }
 * ```
 */
export function parseRate(text: string): Rate {
  const m = typeof text === 'string' ? RATE_RE.exec(text.trim()) : null;
  const fail = (why: string): BypassError =>
    new BypassError(
      'ERR_PARSE',
      `invalid rate ${JSON.stringify(text)}: ${why}; write a number, an optional k/M/G prefix ` +
        'and pps or bps, such as 10kpps, 1.5Mpps or 100Mbps',
    );
  if (m === null) throw fail('not a number with a pps or bps unit');
  const exp = PREFIX_EXP[(m[2] as string).toLowerCase()] as number;
  // Decimal exponent notation keeps '1.1k' exact (1100, not 1100.0000000000002).
  const value = Number(`${m[1] as string}e${exp}`);
  if (!(value > 0) || !Number.isFinite(value)) throw fail('the rate must be greater than zero');
  return { kind: m[3] === 'pps' ? 'pps' : 'bps', value };
}
