import test from 'ava';
import fc from 'fast-check';
import { emptyPmdCoverage, pcmdArb, pmdStartArb, runNetvscPmd } from './netvscPmdModel.js';

const DEEP = process.env['BYPASS_DEEP'] === '1';
/**
 * npm test: 200 runs of 0..40 steps (size 'max': about 17 on average), fixed seed. test:deep:
 * 100x the runs with fresh seeds, in chunks so that each test reports well within ava's timeout.
 */
const CHUNKS = DEEP ? 20 : 1;
const RUNS = DEEP ? 1_000 : 200;
const MAX_STEPS = 40;

for (let chunk = 0; chunk < CHUNKS; chunk++) {
  const suffix = DEEP ? ` (deep, chunk ${chunk + 1}/${CHUNKS})` : '';
  // Serial, and yielding to the event loop first: ava hears of each finished chunk before the
  // next one blocks the process (a synchronous chunk would otherwise hide the others' results).
  test.serial(
    `random VF hot-plug, association, start/stop, link, MTU, recovery and burst sequences keep the netvsc PMD consistent with the model${suffix}`,
    async (t) => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const cov = emptyPmdCoverage();
      fc.assert(
        fc.property(
          fc.array(pcmdArb, { maxLength: MAX_STEPS, size: 'max' }),
          pmdStartArb,
          (cmds, start) => {
            runNetvscPmd(cmds, start, cov);
          },
        ),
        DEEP ? { numRuns: RUNS } : { numRuns: RUNS, seed: 7 },
      );
      t.log(`${RUNS} runs of up to ${MAX_STEPS} steps; coverage ${JSON.stringify(cov)}`);
      t.pass();
    },
  );
}
