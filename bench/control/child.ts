/**
 * The control-plane section in a process of its own: `node --import tsx bench/control/child.ts
 * '<options JSON>'` runs {@link runControl} with those options, logs its progress on stderr and
 * prints one JSON line `{ rows, samples }` on stdout. The parent merges them into its report
 * (`bench/control/measure.ts`).
 */
import {
  emptySamples,
  runControl,
  type BenchRow,
  type BenchSamples,
  type SuiteOptions,
} from '../suite.js';

/** What the child prints. */
export interface ControlSectionResult {
  readonly rows: BenchRow[];
  readonly samples: Pick<
    BenchSamples,
    'controlNsPerEvent' | 'controlWallNsPerEvent' | 'controlEventsPerPair'
  >;
}

const options = JSON.parse(process.argv[2] ?? '') as SuiteOptions['control'];
const rows: BenchRow[] = [];
const samples = emptySamples();
runControl(options, rows, samples, (line) => process.stderr.write(`${line}\n`));
const result: ControlSectionResult = {
  rows,
  samples: {
    controlNsPerEvent: samples.controlNsPerEvent,
    controlWallNsPerEvent: samples.controlWallNsPerEvent,
    controlEventsPerPair: samples.controlEventsPerPair,
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
