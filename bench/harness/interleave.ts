import { timeNs } from './clock.js';

/** Passes of one iteration of every subject before the warm-up rounds. */
export const PREWARM_PASSES = 4;

/** Something measured by repetition: `run(iterations)` does the operation that many times. */
export interface Repeatable {
  readonly id: string;
  run(iterations: number): void;
}

/** Options of {@link measureInterleaved}. */
export interface InterleaveOptions {
  /** Measured rounds (each subject runs once per round). */
  readonly rounds: number;
  /** Unmeasured rounds first (JIT warm-up and calibration). */
  readonly warmupRounds: number;
  /** Wall time one subject should take per round, in ns (the iteration count is calibrated). */
  readonly roundNs: number;
  /** Fixed iterations per round instead of calibrating (smoke runs). */
  readonly iterations?: number;
}

/** Per-subject results of {@link measureInterleaved}. */
export interface InterleavedSamples {
  /** Iterations per round chosen for each subject. */
  readonly iterations: ReadonlyMap<string, number>;
  /** Nanoseconds per iteration, one value per measured round, for each subject. */
  readonly nsPerOp: ReadonlyMap<string, number[]>;
}

/**
 * Measures several subjects in interleaved rounds: in every round each subject runs once, and the
 * order rotates from round to round, so machine noise (another tenant, a frequency change, a GC)
 * hits baseline and subject rounds alike. Ratios are then taken per round (adjacent
 * measurements) and their median reported.
 *
 * During warm-up the iteration count of each subject is calibrated so that one of its rounds
 * lasts about `roundNs`.
 */
export function measureInterleaved(
  subjects: readonly Repeatable[],
  options: InterleaveOptions,
): InterleavedSamples {
  const iterations = new Map<string, number>();
  const nsPerOp = new Map<string, number[]>();
  for (const s of subjects) {
    iterations.set(s.id, options.iterations ?? 64);
    nsPerOp.set(s.id, []);
  }
  const k = subjects.length;
  // One burst of every subject, a few times over, before anything runs long enough to be
  // optimized: call sites that several subjects share then have seen all of them when they are
  // compiled, whichever subject makes them hot first.
  for (let p = 0; p < PREWARM_PASSES; p++) for (const s of subjects) s.run(1);
  const total = options.warmupRounds + options.rounds;
  for (let r = 0; r < total; r++) {
    const warm = r < options.warmupRounds;
    for (let j = 0; j < k; j++) {
      const s = subjects[(r + j) % k] as Repeatable;
      const it = iterations.get(s.id) as number;
      const ns = timeNs(() => s.run(it));
      if (warm && options.iterations === undefined) {
        // Scale towards the wanted round length, at most x8 per step, never below 1.
        const per = Math.max(ns, 1) / it;
        const want = Math.round(options.roundNs / per);
        iterations.set(s.id, Math.max(1, Math.min(want, it * 8)));
      } else if (!warm) {
        (nsPerOp.get(s.id) as number[]).push(ns / it);
      }
    }
  }
  return { iterations, nsPerOp };
}
