import { BypassError, type Scheduler, type TimerId } from '@bypass/core';

/** One timer of the guest: its callback and its job on the host's scheduler (-1 while held). */
interface GuestTimer {
  readonly fn: () => void;
  hostJob: TimerId;
}

/**
 * The clock a VM's guest software runs its timers on: the guest kernel's (miimon, netvsc's VF
 * takeover, VMBus interrupts, the ACPI eject) and its DPDK applications' alarms. It reads the
 * world's time, but a timer that falls due while the guest does not run (a migration's
 * stop-and-copy pause, `guest-down`) is held and runs when the guest runs again, in the order
 * the timers fell due, each after what the host already has due at that instant. That is what
 * a Linux guest does after a migration: kvmclock counted the final RAM copy made after the stop
 * (QEMU `hw/i386/kvm/clock.c` `kvmclock_pre_save`), so on the destination the guest's clock has
 * moved past those timers and its first timer interrupt runs them all; a periodic job re-armed
 * from its own callback (bonding's miimon, DPDK's `rte_eal_alarm_set` in vdev_netvsc and
 * fail-safe) then keeps the phase of the resume, not that of the boot.
 *
 * The host's own timers (QEMU, the NetVSP host, the migration) stay on the world's scheduler:
 * they run during the pause.
 *
 * @example
 * ```ts
 * const clock = new GuestClock(world.scheduler, () => vm.paused || vm.down);
 * clock.runAfter(100 * NS_PER_MS, () => bond.miimon()); // held if the VM is paused then
 * vm.paused = false;
 * clock.resume(); // what fell due meanwhile runs now
 * ```
 */
export class GuestClock implements Scheduler {
  private readonly timers = new Map<TimerId, GuestTimer>();
  /** Timers that fell due while the guest was stopped, in the order they fell due. */
  private held: TimerId[] = [];
  private nextId = 1;

  constructor(
    private readonly host: Scheduler,
    /** True while the guest does not run. */
    private readonly stopped: () => boolean,
  ) {}

  /** The world's time: the guest's clock counts the pause (see the class description). */
  now(): number {
    return this.host.now();
  }

  /** Timers armed and not yet run or cancelled, held ones included. */
  get pending(): number {
    return this.timers.size;
  }

  /** Timers that fell due while the guest was stopped and wait for it to run again. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Runs `fn` at `time` on the guest's clock (see the class description for a stopped guest). */
  runAt(time: number, fn: () => void): TimerId {
    const id = this.take(fn);
    this.timers.set(id, { fn, hostJob: this.host.runAt(time, () => this.fire(id)) });
    return id;
  }

  /** Runs `fn` after `delay` ns on the guest's clock. */
  runAfter(delay: number, fn: () => void): TimerId {
    const id = this.take(fn);
    this.timers.set(id, { fn, hostJob: this.host.runAfter(delay, () => this.fire(id)) });
    return id;
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
   * order they fell due. Does nothing while the guest is still stopped (`guest-down` during a
   * pause) or when nothing is held.
   */
  resume(): void {
    if (this.held.length === 0 || this.stopped()) return;
    const ids = this.held;
    this.held = [];
    const now = this.host.now();
    for (const id of ids) {
      const timer = this.timers.get(id) as GuestTimer;
      timer.hostJob = this.host.runAt(now, () => this.fire(id));
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
