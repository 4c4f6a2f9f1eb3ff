import { BypassError, type Scheduler, type TimerId } from '@bypass/core';

/**
 * One timer of the guest: its callback, when it is due on the guest's clock, and its job on the
 * host's scheduler (-1 while held).
 */
interface GuestTimer {
  readonly fn: () => void;
  readonly due: number;
  hostJob: TimerId;
}

/**
 * The clock a VM's guest software runs its timers on: the guest kernel's (miimon, netvsc's VF
 * takeover, VMBus interrupts, the ACPI eject) and its DPDK applications' alarms. It reads the
 * world's time (less the freezes below), but a timer that falls due while the guest does not
 * run (a migration's stop-and-copy pause, `guest-down`) is held and runs when the guest runs
 * again, in the order the timers fell due, each after what the host already has due at that
 * instant. That is what a Linux guest does after a migration: kvmclock counted the final RAM
 * copy made after the stop (QEMU `hw/i386/kvm/clock.c` `kvmclock_pre_save`), so on the
 * destination the guest's clock has moved past those timers and its first timer interrupt runs
 * them all; a periodic job re-armed from its own callback (bonding's miimon, DPDK's
 * `rte_eal_alarm_set` in vdev_netvsc and fail-safe) then keeps the phase of the resume, not
 * that of the boot.
 *
 * The host's own timers (QEMU, the NetVSP host, the migration) stay on the world's scheduler:
 * they run during the pause.
 *
 * A VM stopped in place (QEMU `stop` and `cont`, `virsh suspend` and `resume`) is different:
 * QEMU saves kvmclock at the stop and sets it back at the `cont` (`hw/i386/kvm/clock.c`
 * `kvmclock_vm_state_change`), so the guest's clock does not count the stop. Between
 * {@link GuestClock.freeze} and the next {@link GuestClock.resume} the clock stands still:
 * {@link GuestClock.now} stays at the time of the freeze, and at the resume every pending
 * timer, held or not, moves later by the length of the freeze. The guest's clock then runs
 * that far behind the world's ({@link GuestClock.lag}).
 *
 * @example
 * ```ts
 * const clock = new GuestClock(world.scheduler, () => vm.paused || vm.down);
 * clock.runAfter(100 * NS_PER_MS, () => bond.miimon()); // held if the VM is paused then
 * vm.paused = false;
 * clock.resume(); // what fell due meanwhile runs now
 *
 * clock.freeze(); vm.down = true;  // virsh suspend
 * // ... 1 s later: virsh resume
 * vm.down = false;
 * clock.resume(); // every pending timer now runs 1 s later than it would have; clock.lag === 1e9
 * ```
 */
export class GuestClock implements Scheduler {
  private readonly timers = new Map<TimerId, GuestTimer>();
  /** Timers that fell due while the guest was stopped, in the order they fell due. */
  private held: TimerId[] = [];
  private nextId = 1;
  /** The world's time when the clock froze, -1 while it runs. */
  private frozenSince = -1;
  private lagNs = 0;

  constructor(
    private readonly host: Scheduler,
    /** True while the guest does not run. */
    private readonly stopped: () => boolean,
  ) {}

  /**
   * The guest's time: the world's, less the time the clock stood frozen; during a freeze, the
   * time it froze at. A migration's pause and a running `guest-down` count (see the class
   * description).
   */
  now(): number {
    return (this.frozenSince >= 0 ? this.frozenSince : this.host.now()) - this.lagNs;
  }

  /** How far the guest's clock is behind the world's: the length of the freezes so far, ns. */
  get lag(): number {
    return this.frozenSince >= 0 ? this.lagNs + this.host.now() - this.frozenSince : this.lagNs;
  }

  /** True between {@link GuestClock.freeze} and the resume that ends it. */
  get frozen(): boolean {
    return this.frozenSince >= 0;
  }

  /** Timers armed and not yet run or cancelled, held ones included. */
  get pending(): number {
    return this.timers.size;
  }

  /** Timers that fell due while the guest was stopped and wait for it to run again. */
  get heldCount(): number {
    return this.held.length;
  }

  /**
   * Runs `fn` at `time` on the guest's clock (see the class description for a stopped guest).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `fn` is not a function or `time`
   * is not a non-negative integer.
   */
  runAt(time: number, fn: () => void): TimerId {
    const id = this.take(fn);
    if (!Number.isSafeInteger(time) || time < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `guest timer time must be a non-negative integer number of ns, got ${String(time)}`,
      );
    }
    const hostJob = this.host.runAt(time + this.lagNs, () => this.fire(id));
    this.timers.set(id, { fn, due: time, hostJob });
    return id;
  }

  /** Runs `fn` after `delay` ns on the guest's clock. */
  runAfter(delay: number, fn: () => void): TimerId {
    const id = this.take(fn);
    const hostJob = this.host.runAfter(delay, () => this.fire(id));
    this.timers.set(id, { fn, due: this.now() + delay, hostJob });
    return id;
  }

  /**
   * The clock stops counting (QEMU `stop`, `virsh suspend`): from now until the resume that
   * ends the freeze, no guest time passes. Does nothing when already frozen.
   */
  freeze(): void {
    if (this.frozenSince < 0) this.frozenSince = this.host.now();
  }

  /** Cancels a timer, held or not; false when it already ran, was cancelled, or is unknown. */
  cancel(id: TimerId): boolean {
    const timer = this.timers.get(id);
    if (timer === undefined) return false;
    this.timers.delete(id);
    if (timer.hostJob >= 0) this.host.cancel(timer.hostJob);
    else this.held = this.held.filter((h) => h !== id);
    return true;
  }

  /**
   * The guest runs again: every held timer is put on the host's scheduler for now, in the
   * order they fell due. After a freeze, every pending timer moves later by its length instead
   * (one that fell due before the freeze began still runs now). Does nothing while the guest
   * is still stopped (`guest-down` during a pause): a freeze lasts until the guest runs.
   */
  resume(): void {
    if (this.stopped()) return;
    if (this.frozenSince >= 0) {
      this.thaw();
      return;
    }
    if (this.held.length === 0) return;
    const ids = this.held;
    this.held = [];
    const now = this.host.now();
    for (const id of ids) {
      const timer = this.timers.get(id) as GuestTimer;
      timer.hostJob = this.host.runAt(now, () => this.fire(id));
    }
  }

  /**
   * Ends a freeze: the clock is behind by its length more, and every pending timer goes back on
   * the host's scheduler at its due time plus the new lag, in the order of their due times
   * (then of arming), held ones included.
   */
  private thaw(): void {
    const now = this.host.now();
    this.lagNs += now - this.frozenSince;
    this.frozenSince = -1;
    this.held = [];
    const order = [...this.timers].sort((a, b) => a[1].due - b[1].due || a[0] - b[0]);
    for (const [id, timer] of order) {
      if (timer.hostJob >= 0) this.host.cancel(timer.hostJob);
      timer.hostJob = this.host.runAt(Math.max(now, timer.due + this.lagNs), () => this.fire(id));
    }
  }

  /** A new timer id, once `fn` is known to be callable. */
  private take(fn: () => void): TimerId {
    if (typeof fn !== 'function') {
      throw new BypassError('ERR_INVALID_ARGUMENT', 'guest timer callback must be a function');
    }
    return this.nextId++;
  }

  private fire(id: TimerId): void {
    const timer = this.timers.get(id);
    if (timer === undefined) return;
    if (this.stopped()) {
      timer.hostJob = -1;
      this.held.push(id);
      return;
    }
    this.timers.delete(id);
    timer.fn();
  }
}
