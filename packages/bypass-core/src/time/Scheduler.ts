/**
 * A handle for a scheduled callback, for {@link Scheduler.cancel}.
 *
 * @example
 * ```ts
 * const id: TimerId = scheduler.runAfter(100 * NS_PER_MS, () => poll());
 * ```
 */
export type TimerId = number;

/** Nanoseconds per microsecond. @example `scheduler.runAfter(50 * NS_PER_US, fn)` */
export const NS_PER_US = 1_000;
/** Nanoseconds per millisecond. @example `scheduler.runAfter(100 * NS_PER_MS, fn)` */
export const NS_PER_MS = 1_000_000;
/** Nanoseconds per second. @example `scheduler.runAt(2 * NS_PER_S, fn)` */
export const NS_PER_S = 1_000_000_000;

/**
 * The only clock the bypass packages read. Time is an integer number of nanoseconds since the
 * scheduler's epoch (exact in a double up to ~104 days). Components take a Scheduler by
 * injection, so the same code runs on virtual time (deterministic simulation and tests) and on
 * real time.
 *
 * Callbacks run one at a time, never re-entrantly; callbacks due at the same instant run in the
 * order they were scheduled.
 *
 * @example
 * ```ts
 * function startMiimon(s: Scheduler, poll: () => void): TimerId {
 *   const tick = () => { poll(); id = s.runAfter(100 * NS_PER_MS, tick); };
 *   let id = s.runAfter(100 * NS_PER_MS, tick);
 *   return id;
 * }
 * ```
 */
export interface Scheduler {
  /** Current time, ns. */
  now(): number;
  /** Runs `fn` at absolute time `time` (ns); a time in the past means "as soon as possible". */
  runAt(time: number, fn: () => void): TimerId;
  /** Runs `fn` after `delay` ns (0 = as soon as possible, after what is already due). */
  runAfter(delay: number, fn: () => void): TimerId;
  /** Cancels a pending callback; returns false when it already ran or was unknown. */
  cancel(id: TimerId): boolean;
  /** Number of callbacks still pending (for leak checks after teardown). */
  readonly pending: number;
}
