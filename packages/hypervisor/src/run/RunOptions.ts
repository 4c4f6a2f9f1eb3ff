import type { FrameCapture } from '../capture/FrameCapture.js';
import type { NicModelName } from '../scenario/Scenario.js';

/**
 * Options of {@link runScenario}.
 *
 * @example
 * ```ts
 * const report = runScenario(scenario, {
 *   model: 'failsafe',
 *   onProgress: (done, total) => bar.update(done / total),
 * });
 * ```
 */
export interface RunOptions {
  /** Run every VM NIC with this model instead of the file's (what `bypass compare` does). */
  readonly model?: NicModelName;
  /** Called now and then with the simulated ns done and the total (for a progress bar). */
  readonly onProgress?: (doneNs: number, totalNs: number) => void;
  /** Copy frames at every capture point into this (for `--pcap`). */
  readonly capture?: FrameCapture;
}
