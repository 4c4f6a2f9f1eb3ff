import { BypassError, type Scheduler } from '@bypass/core';
import type { InterruptGate } from './InterruptGate.js';

/**
 * A notification line: a virtqueue kick (driver to device) or an interrupt (device to driver).
 * Synchronous by default: {@link Doorbell.ring} calls the target at once. With a scheduler and a
 * latency, the call happens `latencyNs` later, and rings while one is pending coalesce into it
 * (as a pending MSI-X vector or an eventfd counter does). With a `gate` (an interrupt toward a
 * guest), a ring while the guest is stopped stays pending and is delivered on the guest's clock,
 * i.e. once the guest runs again ({@link InterruptGate}). No allocation per ring: the scheduled
 * callback is bound once.
 *
 * @example
 * ```ts
 * const kick = new Doorbell(() => device.processTx(1), { scheduler, latencyNs: 2_000 });
 * kick.ring(); kick.ring(); // one call, 2 µs later
 * ```
 */
export class Doorbell {
  /** Rings so far (each call of {@link Doorbell.ring}). */
  rings = 0;
  /** Times the target actually ran. */
  deliveries = 0;
  private readonly target: () => void;
  private readonly scheduler: Scheduler | null;
  private readonly latencyNs: number;
  private readonly gate: InterruptGate | null;
  private pending = false;
  private timer = -1;
  /** The scheduler the pending delivery is on. */
  private timerOn: Scheduler | null = null;
  private readonly fire = (): void => {
    this.pending = false;
    this.timer = -1;
    this.timerOn = null;
    this.deliveries++;
    this.target();
  };

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a negative or non-integer latency, or a
   * latency without a scheduler.
   */
  constructor(
    target: () => void,
    options: { scheduler?: Scheduler | null; latencyNs?: number; gate?: InterruptGate | null } = {},
  ) {
    const latency = options.latencyNs ?? 0;
    if (!Number.isInteger(latency) || latency < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `notification latency must be an integer ns >= 0, got ${latency}`,
      );
    }
    const s = options.scheduler ?? null;
    if (latency > 0 && s === null) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        'a notification latency needs a scheduler: pass options.scheduler',
      );
    }
    this.target = target;
    this.scheduler = s;
    this.latencyNs = latency;
    this.gate = options.gate ?? null;
  }

  /** True while a delayed delivery is pending. */
  get isPending(): boolean {
    return this.pending;
  }

  /** Rings: delivers now (synchronous) or schedules one delivery (coalesced). */
  ring(): void {
    this.rings++;
    const g = this.gate;
    if (g !== null && g.stopped()) {
      // the line stays raised until the guest's vCPUs run again
      if (this.pending) return;
      this.pending = true;
      this.timerOn = g.clock;
      this.timer = g.clock.runAfter(0, this.fire);
      return;
    }
    const s = this.scheduler;
    if (s === null) {
      this.deliveries++;
      this.target();
      return;
    }
    if (this.pending) return;
    this.pending = true;
    this.timerOn = s;
    this.timer = s.runAfter(this.latencyNs, this.fire);
  }

  /** Drops a pending delivery (device reset, removal). */
  cancel(): void {
    if (this.pending && this.timerOn !== null) this.timerOn.cancel(this.timer);
    this.pending = false;
    this.timer = -1;
    this.timerOn = null;
  }
}
