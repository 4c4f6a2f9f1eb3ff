import { BypassError } from '../errors/BypassError.js';

const TWO_32 = 0x1_0000_0000;
/** Separates fork labels in a stream's key (a character unlikely in labels). */
const KEY_SEP = '\u001f';

/**
 * cyrb128: a fast 128-bit string hash (public domain, bryc), used to turn a string seed into
 * the four 32-bit words of the generator state.
 */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** splitmix32: expands a 32-bit integer seed into well-mixed state words. */
function splitmix32(seed: number): [number, number, number, number] {
  let s = seed >>> 0;
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    out[i] = (z ^ (z >>> 15)) >>> 0;
  }
  return out;
}

/**
 * The project's only source of randomness: a small, fast, seeded PRNG (sfc32, Chris Doty-Humphrey's
 * "Small Fast Chaotic" generator, 128-bit state). Same seed, same sequence, on every machine and
 * Node version, which is what makes a scenario + seed reproduce the same report.
 *
 * A seed is a 32-bit integer or any string (hashed with cyrb128). {@link SeededRandom.fork} gives
 * a named child stream that depends only on the parent's seed and the label, not on how many
 * numbers the parent has drawn, so adding a draw in one component does not shift the others.
 *
 * @example
 * ```ts
 * const rng = new SeededRandom('scenario-42');
 * const jitter = rng.range(0, 500);               // integer in 0..500
 * const lossy = rng.bool(0.01);                    // true 1% of the time
 * const trafficRng = rng.fork('traffic');          // independent stream
 * const again = new SeededRandom('scenario-42');
 * again.range(0, 500) === jitter;                   // true
 * ```
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Identifies the seed (and fork path) that {@link SeededRandom.fork} derives children from. */
  private key: string;

  /**
   * @param seed - a 32-bit integer (other integers are reduced modulo 2^32) or a string
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `seed` is a non-integer number.
   */
  constructor(seed: number | string) {
    let words: [number, number, number, number];
    if (typeof seed === 'string') {
      words = cyrb128(seed);
      this.key = `s:${seed}`;
    } else if (Number.isSafeInteger(seed)) {
      words = splitmix32(seed);
      this.key = `n:${seed >>> 0}`;
    } else {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `random seed must be an integer or a string, got ${String(seed)}`,
      );
    }
    [this.a, this.b, this.c, this.d] = words;
    // Warm-up: mixes the seed words before the first output (as PractRand's sfc32 seeding).
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * Restores a generator from {@link SeededRandom.state}: it continues the same sequence. (Its
   * forks derive from the restored state, not from the original seed.)
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `state` is not four 32-bit words.
   * @example
   * ```ts
   * const saved = rng.state;
   * const later = SeededRandom.fromState(saved);
   * later.next() === rng.next(); // true
   * ```
   */
  static fromState(state: readonly number[]): SeededRandom {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        'a SeededRandom state is four unsigned 32-bit integers, as returned by rng.state',
      );
    }
    const r = new SeededRandom(0);
    r.key = `state:${state.join(',')}`;
    r.a = state[0] as number;
    r.b = state[1] as number;
    r.c = state[2] as number;
    r.d = state[3] as number;
    return r;
  }

  /** The four 32-bit words of the generator state (a copy). */
  get state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }

  /** A generator at the same point of the same stream; drawing from one does not move the other. */
  clone(): SeededRandom {
    const r = new SeededRandom(0);
    r.a = this.a;
    r.b = this.b;
    r.c = this.c;
    r.d = this.d;
    r.key = this.key;
    return r;
  }

  /**
   * A deterministic child stream named `label`: the same parent seed and label always give the
   * same child, whatever the parent has drawn; different labels give independent streams.
   */
  fork(label: string): SeededRandom {
    const key = this.key + KEY_SEP + label;
    const child = new SeededRandom(key);
    child.key = key;
    return child;
  }

  /** The next 32-bit unsigned integer of the stream. */
  nextUint32(): number {
    // sfc32, as in PractRand's sfc32 (Chris Doty-Humphrey).
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) >>> 0;
    this.a = (b ^ (b >>> 9)) >>> 0;
    this.b = (c + (c << 3)) >>> 0;
    const c2 = (c << 21) | (c >>> 11);
    this.c = ((c2 + t) | 0) >>> 0;
    return t >>> 0;
  }

  /** A float uniformly distributed in [0, 1) (32 bits of randomness). */
  next(): number {
    return this.nextUint32() / TWO_32;
  }

  /**
   * An integer uniformly distributed in `0 .. maxExclusive - 1`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` unless `maxExclusive` is a safe integer >= 1.
   */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `int(maxExclusive) needs a safe integer >= 1, got ${maxExclusive}`,
      );
    }
    if (maxExclusive <= TWO_32) return Math.floor(this.next() * maxExclusive);
    // 53 bits from two draws for large ranges.
    const hi = this.nextUint32() >>> 11; // 21 bits
    const lo = this.nextUint32();
    return Math.floor(((hi * TWO_32 + lo) / 2 ** 53) * maxExclusive);
  }

  /**
   * An integer uniformly distributed in `min .. maxInclusive`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` unless both are safe integers and
   * `min <= maxInclusive`.
   */
  range(min: number, maxInclusive: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(maxInclusive) || min > maxInclusive) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `range(min, maxInclusive) needs integers with min <= maxInclusive, got ${min}, ${maxInclusive}`,
      );
    }
    return min + this.int(maxInclusive - min + 1);
  }

  /**
   * True with probability `p`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `p` is not in [0, 1].
   */
  bool(p = 0.5): boolean {
    if (!(p >= 0 && p <= 1)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `bool(p) needs a probability in [0, 1], got ${p}`,
      );
    }
    return this.next() < p;
  }

  /**
   * A uniformly chosen element of `arr`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `arr` is empty.
   */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) {
      throw new BypassError('ERR_INVALID_ARGUMENT', 'pick() needs a non-empty array');
    }
    return arr[this.int(arr.length)] as T;
  }

  /** Shuffles `arr` in place (Fisher-Yates) and returns it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = tmp;
    }
    return arr;
  }
}
