import test from 'ava';
import fc from 'fast-check';

/** True under `npm run test:deep` (`BYPASS_DEEP=1`). */
export const DEEP = process.env['BYPASS_DEEP'] === '1';

/** How many runs a model test does, in `npm test` and in `npm run test:deep`. */
export interface ModelTestOptions {
  /** Runs in `npm test`, all with `seed` (reproducible). */
  runs: number;
  /** The fixed seed of the `npm test` runs; deep runs use fresh seeds (fast-check prints them). */
  seed: number;
  /** Total runs in deep mode: at least 100x `runs`, as the project promises. */
  deepRuns: number;
  /**
   * Deep mode splits the runs into this many serial tests, each of which first yields to the
   * event loop: ava then hears of every finished chunk (a long synchronous test blocks its
   * worker's messages) and its inactivity timeout holds.
   */
  deepChunks: number;
}

/**
 * Registers a fast-check model-based test the way every package does it: one test with a fixed
 * seed in `npm test`, `deepRuns` with fresh seeds in `npm run test:deep`. `make` is called once
 * per test (chunk) and returns the property, plus an optional line for the log (coverage
 * counters, read after the runs).
 */
export function modelTest<Ts>(
  title: string,
  make: () => { property: fc.IRawProperty<Ts>; log?: () => string },
  options: ModelTestOptions,
): void {
  const chunks = DEEP ? options.deepChunks : 1;
  const runs = DEEP ? Math.ceil(options.deepRuns / chunks) : options.runs;
  for (let c = 0; c < chunks; c++) {
    const name = DEEP ? `${title} (deep ${c + 1}/${chunks})` : title;
    test.serial(name, async (t) => {
      await new Promise((resolve) => setImmediate(resolve));
      const { property, log } = make();
      fc.assert(property, DEEP ? { numRuns: runs } : { numRuns: runs, seed: options.seed });
      t.log(`${runs} runs${log === undefined ? '' : `; ${log()}`}`);
      t.pass();
    });
  }
}
