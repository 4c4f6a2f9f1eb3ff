import fc from 'fast-check';
import { modelTest } from '../../../../test/support/modelTest.js';
import {
  emptyKernelCoverage,
  kcmdArb,
  kernelStartArb,
  runNetvscDevice,
} from './netvscDeviceModel.js';

/**
 * npm test: 200 runs of 0..40 steps (size 'max': about 17 on average), fixed seed. test:deep:
 * 100x the runs with fresh seeds, in chunks so that each test reports well within ava's timeout.
 */
const MAX_STEPS = 40;

modelTest(
  'random VF, association, link, MTU, namespace and traffic sequences keep NetvscDevice consistent with the model',
  () => {
    const cov = emptyKernelCoverage();
    return {
      property: fc.property(
        fc.array(kcmdArb, { maxLength: MAX_STEPS, size: 'max' }),
        fc.boolean(),
        kernelStartArb,
        (cmds, watch, start) => {
          runNetvscDevice(cmds, watch, start, cov);
        },
      ),
      log: () => `up to ${MAX_STEPS} steps; coverage ${JSON.stringify(cov)}`,
    };
  },
  { runs: 200, seed: 7, deepRuns: 20_000, deepChunks: 20 },
);
