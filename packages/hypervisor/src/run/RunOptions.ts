import type { FrameCapture } from '../capture/FrameCapture.js';
import type { NicModel, NicModelContext } from '../guest/NicModel.js';
import type { NicModelName } from '../scenario/Scenario.js';

/**
 * Builds the {@link NicModel} of one VM NIC from its context (see {@link RunOptions.models}).
 *
 * @example
 * ```ts
 * const factory: NicModelFactory = (ctx) => new MyParavirtNicModel(ctx);
 * ```
 */
export type NicModelFactory = (ctx: NicModelContext) => NicModel;

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
  /**
   * Run every VM NIC with this model instead of the file's (what `bypass compare` does): one of
   * {@link NicModelName}, or the name of a custom model in `models`.
   */
  readonly model?: NicModelName | (string & {});
  /**
   * Custom mechanisms by name (a new paravirtual driver written against the bypass ops): a
   * factory that builds the {@link NicModel} of one VM NIC. Used for every NIC when `model`
   * names it.
   */
  readonly models?: Readonly<Record<string, NicModelFactory>>;
  /** Called now and then with the simulated ns done and the total (for a progress bar). */
  readonly onProgress?: (doneNs: number, totalNs: number) => void;
  /** Copy frames at every capture point into this (for `--pcap`). */
  readonly capture?: FrameCapture;
}
