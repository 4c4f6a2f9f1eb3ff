import { Presets, SingleBar } from 'cli-progress';
import type { CliIo } from '../io/CliIo.js';

/** A run lasting longer than this (wall clock, ns) gets a progress bar. */
export const PROGRESS_DELAY_NS = 1_000_000_000;

/**
 * Whether runs may draw a progress bar: stderr is a terminal, the output is not JSON, not
 * `--quiet`, and `CI` is not set.
 */
export function progressAllowed(io: CliIo, options: { json: boolean; quiet: boolean }): boolean {
  const ci = io.env['CI'];
  return (
    io.isTTY.stderr &&
    !options.json &&
    !options.quiet &&
    (ci === undefined || ci === '') &&
    io.now !== undefined
  );
}

function seconds(ns: number): string {
  return `${(ns / 1e9).toFixed(ns < 10e9 ? 2 : 1)}s`;
}

/**
 * The progress bar of one run, on stderr, started lazily: {@link RunProgress.update} (the
 * runner's `onProgress`) draws nothing until the run has lasted {@link PROGRESS_DELAY_NS} of wall
 * time, so quick runs print nothing. Only the CLI reads the wall clock (`io.now`); the simulator
 * reports simulated ns.
 */
export class RunProgress {
  private readonly start: number;
  private bar: SingleBar | null = null;

  constructor(
    private readonly io: CliIo & { readonly now: () => number },
    private readonly label: string,
  ) {
    this.start = io.now();
  }

  /** A progress for one run, or null when bars are not allowed (see {@link progressAllowed}). */
  static create(
    io: CliIo,
    label: string,
    options: { json: boolean; quiet: boolean },
  ): RunProgress | null {
    const now = io.now;
    if (!progressAllowed(io, options) || now === undefined) return null;
    return new RunProgress({ ...io, now }, label);
  }

  /** Whether the bar has been drawn. */
  get started(): boolean {
    return this.bar !== null;
  }

  /** The runner's `onProgress(doneNs, totalNs)`. */
  readonly update = (doneNs: number, totalNs: number): void => {
    if (this.bar === null) {
      if (this.io.now() - this.start <= PROGRESS_DELAY_NS) return;
      const stderr = this.io.stderr;
      // cli-progress draws with readline's escape sequences through `write`; the adapter says
      // it is a terminal (progressAllowed checked that) and forwards the width.
      const stream = {
        isTTY: true,
        get columns(): number | undefined {
          return stderr.columns;
        },
        write: (chunk: string): boolean => {
          stderr.write(chunk);
          return true;
        },
      };
      this.bar = new SingleBar(
        {
          stream: stream as unknown as NodeJS.WritableStream,
          format: `${this.label} [{bar}] {percentage}% | {sim} of {total_sim} simulated | ETA {eta_formatted}`,
          clearOnComplete: true,
          hideCursor: false,
          barsize: 30,
          etaBuffer: 20,
        },
        Presets.shades_classic,
      );
      this.bar.start(totalNs, doneNs, { sim: seconds(doneNs), total_sim: seconds(totalNs) });
      return;
    }
    this.bar.update(doneNs, { sim: seconds(doneNs), total_sim: seconds(totalNs) });
  };

  /** Removes the bar (when it was drawn); call once the run returned or threw. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
