import { BypassError } from '../errors/BypassError.js';
import type { Scheduler, TimerId } from './Scheduler.js';
import { VirtualScheduler } from './VirtualScheduler.js';

/** setTimeout's largest delay (ms); longer waits re-arm when it fires. */
const MAX_TIMEOUT_MS = 0x7fff_ffff;

/**
 * A {@link Scheduler} on the wall clock, for running the bypass components for real (the `bypass`
 * CLI on a live Linux VM). It is the only place in the project that reads a clock: `now()` is the
 * number of ns since construction, from the monotonic `process.hrtime.bigint()`.
 *
 * Pending callbacks are kept in a {@link VirtualScheduler} that is advanced to the current time
 * whenever the single armed `setTimeout` fires, so the ordering guarantees are the same as in
 * simulation (due time, then scheduling order) and a callback never runs before it is due.
 * An exception thrown by a callback surfaces as an uncaught exception, as with `setTimeout`;
 * the other callbacks stay scheduled.
 *
 * @example
 * ```ts
 * const s = new RealTimeScheduler();
 * s.runAfter(100 * NS_PER_MS, () => console.log('tick at', s.now(), 'ns'));
 * // ... on shutdown:
 * s.dispose();
 * ```
 */
export class RealTimeScheduler implements Scheduler {
  private readonly origin: bigint;
  private readonly queue = new VirtualScheduler();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private armedFor = Number.POSITIVE_INFINITY;
  private disposed = false;
  private readonly onTimer = (): void => this.fire();

  constructor() {
    this.origin = process.hrtime.bigint();
  }

  /** Nanoseconds since this scheduler was constructed (monotonic). */
  now(): number {
    return Number(process.hrtime.bigint() - this.origin);
  }

  /** Callbacks scheduled and neither run nor cancelled yet. */
  get pending(): number {
    return this.queue.pending;
  }

  /**
   * Runs `fn` at `time` ns after construction; a time in the past runs as soon as possible.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a negative or non-integer time;
   * `ERR_STATE` after {@link RealTimeScheduler.dispose}.
   */
  runAt(time: number, fn: () => void): TimerId {
    this.checkOpen();
    const id = this.queue.runAt(time, fn);
    this.arm();
    return id;
  }

  /**
   * Runs `fn` after `delay` ns (0 = as soon as possible).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a negative or non-integer delay;
   * `ERR_STATE` after {@link RealTimeScheduler.dispose}.
   */
  runAfter(delay: number, fn: () => void): TimerId {
    if (!Number.isSafeInteger(delay) || delay < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `scheduler delay must be a non-negative integer number of ns, got ${delay}`,
      );
    }
    return this.runAt(this.now() + delay, fn);
  }

  /** Cancels a pending callback; false when it already ran or was unknown. */
  cancel(id: TimerId): boolean {
    const ok = this.queue.cancel(id);
    if (ok && this.queue.pending === 0) this.disarm();
    return ok;
  }

  /** Cancels everything and releases the timer; later scheduling throws `ERR_STATE`. */
  dispose(): void {
    this.disposed = true;
    this.queue.cancelAll();
    this.disarm();
  }

  private checkOpen(): void {
    if (this.disposed) {
      throw new BypassError(
        'ERR_STATE',
        'this RealTimeScheduler was disposed; create a new one to schedule more work',
      );
    }
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    try {
      const target = this.now();
      if (target > this.queue.now()) this.queue.advanceTo(target);
    } finally {
      if (!this.disposed) this.arm();
    }
  }

  /** Makes sure the timer fires no later than the earliest pending callback is due. */
  private arm(): void {
    const next = this.queue.nextDueTime();
    if (next === undefined) {
      this.disarm();
      return;
    }
    if (this.timer !== null && next >= this.armedFor) return;
    this.disarm();
    const ms = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil((next - this.now()) / 1e6)));
    this.armedFor = next;
    this.timer = setTimeout(this.onTimer, ms);
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
  }
}
