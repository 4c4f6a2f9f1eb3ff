import fc from 'fast-check';
import { modelTest } from '../../../../test/support/modelTest.js';
import { emptyPmdCoverage, pcmdArb, pmdStartArb, runNetvscPmd } from './netvscPmdModel.js';

/**
 * npm test: 200 runs of 0..40 steps (size 'max': about 17 on average), fixed seed. test:deep:
 * 100x the runs with fresh seeds, in chunks so that each test reports well within ava's timeout.
 */
const MAX_STEPS = 40;

modelTest(
  'random VF hot-plug, association, start/stop, link (with and without lsc), MTU, recovery and burst sequences keep the netvsc PMD consistent with the model',
  () => {
    const cov = emptyPmdCoverage();
    return {
      property: fc.property(
        fc.array(pcmdArb, { maxLength: MAX_STEPS, size: 'max' }),
        pmdStartArb,
        fc.boolean(),
        (cmds, start, lsc) => {
          runNetvscPmd(cmds, start, cov, lsc);
        },
      ),
      log: () => `up to ${MAX_STEPS} steps; coverage ${JSON.stringify(cov)}`,
    };
  },
  { runs: 200, seed: 7, deepRuns: 20_000, deepChunks: 20 },
);
