import type { TimerId, VirtualScheduler } from '@bypass/core';
import type { MigrationState } from '../report/Report.js';
import type { ScenarioStep } from '../scenario/Scenario.js';
import type { Host } from './Host.js';
import type { Vm } from './Vm.js';
import type { VmNic } from './VmNic.js';

/** What a {@link Migration} asks of the world. */
export interface MigrationHooks {
  readonly scheduler: VirtualScheduler;
  /** Scheduler time of the scenario's time 0 (step times are relative to it). */
  readonly origin: number;
  /** Logs a VM-level event. */
  log(kind: string, vm: Vm, detail?: string): void;
  /** Moves the VM's NICs from their host's switch to `to`'s (the VM is paused). */
  moveVm(vm: Vm, to: Host): void;
  /** The VM runs again (frames held during the pause are delivered). */
  resume(vm: Vm): void;
  /** Plugs a VF from `host`'s pool into `nic` if one is free (after the hot-plug delay). */
  plugFreeVf(nic: VmNic, host: Host): void;
  /** Plugs the VF slot `nic` still holds back into the guest (after the hot-plug delay). */
  replug(nic: VmNic): void;
}

/**
 * How often QEMU's migration thread looks whether the guest finished unplugging (its
 * `qemu_sem_timedwait(&s->wait_unplug_sem, 250)`), ns.
 *
 * @example
 * ```ts
 * console.log(UNPLUG_POLL_NS / 1e6); // 250
 * ```
 */
export const UNPLUG_POLL_NS = 250_000_000;

/** Pre-copy bandwidth when the step gives neither `precopy` nor `bandwidth`: 10 Gbit/s. */
export const DEFAULT_MIGRATION_BANDWIDTH = 10e9;

/**
 * One live migration, with QEMU's states and failover choreography (`migration/migration.c`
 * `qemu_savevm_wait_unplug`, `hw/net/virtio-net.c` failover): `setup`; if a VF is plugged, the
 * guest is asked to unplug it and the migration stays in `wait-unplug` until it did (no time
 * limit; QEMU notices the end of the eject at its next 250 ms poll); `active` is the pre-copy (memory / bandwidth, or the step's `precopy`); `device` is the
 * stop-and-copy pause (`downtime`: the VM does not run, frames to it are dropped or queued);
 * then the VM resumes on the destination, `completed`, announces itself, and gets a VF there if
 * one is free. A cancel moves to `cancelling`: an unplug still pending is waited for up to
 * `unplug_timeout` (QEMU waits 30 s), then `cancelled` with the VF back in the guest. A VF that
 * is not unplugged (`unplug: none`) makes the migration `failed`: a VFIO device blocks it.
 *
 * @example
 * ```ts
 * const m = new Migration(vm, src, dst, step, hooks);
 * m.start();
 * // later: m.cancel();
 * ```
 */
export class Migration {
  readonly states: [MigrationState, number][] = [];
  result: 'completed' | 'cancelled' | 'failed' | 'in-progress' = 'in-progress';
  /** The pause actually applied, ns. */
  downtimeApplied = 0;
  reason: string | undefined;
  private timer: TimerId = -1;
  private pendingUnplugs = 0;
  private pausedAt = -1;
  /**
   * One of the NICs asked to release its VF did. QEMU does not wake up for it: its migration
   * thread looks again at its next 250 ms poll (see {@link UNPLUG_POLL_NS}).
   */
  private readonly onUnplugged = (): void => {
    this.pendingUnplugs--;
  };
  /** NICs whose VF this migration removed (their slots stay reserved on the source). */
  private readonly unplugged: VmNic[] = [];

  constructor(
    readonly vm: Vm,
    readonly from: Host,
    readonly to: Host,
    readonly step: ScenarioStep,
    private readonly hooks: MigrationHooks,
  ) {}

  /** The current state. */
  get state(): MigrationState {
    return this.states[this.states.length - 1]?.[0] ?? 'setup';
  }

  /** True once the migration ended (completed, cancelled or failed). */
  get finished(): boolean {
    return this.result !== 'in-progress';
  }

  /** Starts the migration now. */
  start(): void {
    this.vm.migration = this;
    this.set('setup');
    const s = this.hooks.scheduler;
    if (this.step.cancel_at !== undefined)
      s.runAt(Math.max(this.hooks.origin + this.step.cancel_at, s.now()), () => this.cancel());
    const withVf = this.vm.nics.filter((n) => n.vf !== null);
    const mode = this.step.unplug ?? 'orchestrated';
    if (withVf.length > 0 && mode === 'none') {
      this.fail(
        `${withVf.map((n) => n.id).join(', ')} still hold a VF: a VFIO device without migration support blocks the migration; unplug it first (unplug: orchestrated or surprise)`,
      );
      return;
    }
    for (const nic of withVf) this.unplugged.push(nic);
    if (mode === 'surprise') {
      for (const nic of withVf) nic.removeVf(true);
      this.precopy();
      return;
    }
    this.pendingUnplugs = withVf.length;
    if (this.pendingUnplugs === 0) {
      this.precopy();
      return;
    }
    this.set('wait-unplug');
    for (const nic of withVf) nic.requestUnplug(this.onUnplugged);
    this.pollUnplug();
  }

  /** True while a device of the VM still has an unplug pending (QEMU's guest_unplug_pending). */
  private get unplugPending(): boolean {
    return this.pendingUnplugs > 0 || this.vm.nics.some((n) => n.unplugPending);
  }

  /**
   * The wait-unplug loop of QEMU's migration thread (`migration/migration.c`
   * `qemu_savevm_wait_unplug`): while an unplug is pending it sleeps on a semaphore with a
   * 250 ms timeout that only a cancel posts, so the end of the guest's eject is seen at the next
   * poll, not when it happens.
   */
  private pollUnplug(): void {
    if (this.state !== 'wait-unplug') return;
    if (!this.unplugPending) {
      this.precopy();
      return;
    }
    this.timer = this.hooks.scheduler.runAfter(UNPLUG_POLL_NS, () => {
      this.timer = -1;
      this.pollUnplug();
    });
  }

  /** Cancels the migration (QEMU `migrate_cancel`); a finished migration ignores it. */
  cancel(): void {
    if (this.finished || this.state === 'cancelling') {
      this.hooks.log(
        'migration-cancel-ignored',
        this.vm,
        `the migration is ${this.finished ? this.result : 'already cancelling'}`,
      );
      return;
    }
    const was = this.state;
    this.set('cancelling');
    this.clearTimer();
    if (was === 'device') this.unpause();
    // An unplug was started: QEMU polls every 250 ms, up to unplug_timeout (120 polls, 30 s),
    // for it to end before the VF can be plugged back (qemu_savevm_wait_unplug).
    const waiting = this.vm.nics.filter((n) => n.unplugPending);
    const limit = Math.max(0, ...waiting.map((n) => n.spec.options.unplug_timeout));
    this.pollCancel(Math.ceil(limit / UNPLUG_POLL_NS));
  }

  private pollCancel(polls: number): void {
    if (!this.unplugPending) {
      this.endCancel();
      return;
    }
    if (polls <= 0) {
      this.hooks.log(
        'migration-warning',
        this.vm,
        'partially unplugged device on failure: gave up waiting for the guest',
      );
      this.endCancel();
      return;
    }
    this.timer = this.hooks.scheduler.runAfter(UNPLUG_POLL_NS, () => {
      this.timer = -1;
      this.pollCancel(polls - 1);
    });
  }

  private endCancel(): void {
    if (this.finished) return;
    this.clearTimer();
    for (const nic of this.vm.nics) nic.cancelUnplugRequest(this.onUnplugged);
    this.result = 'cancelled';
    this.reason = 'cancelled';
    this.set('cancelled');
    this.vm.migration = null;
    this.replugUnplugged();
  }

  private precopy(): void {
    this.set('active');
    const bw = this.step.bandwidth ?? DEFAULT_MIGRATION_BANDWIDTH;
    const precopy = this.step.precopy ?? Math.round((this.vm.spec.memory * 8 * 1e9) / bw);
    this.timer = this.hooks.scheduler.runAfter(precopy, () => {
      this.timer = -1;
      this.stopAndCopy();
    });
  }

  private stopAndCopy(): void {
    this.set('device');
    this.vm.paused = true;
    this.pausedAt = this.hooks.scheduler.now();
    this.timer = this.hooks.scheduler.runAfter(this.step.downtime ?? 300_000_000, () => {
      this.timer = -1;
      this.complete();
    });
  }

  private complete(): void {
    this.hooks.moveVm(this.vm, this.to);
    this.unpause();
    this.result = 'completed';
    this.set('completed');
    this.vm.migration = null;
    // Every VF slot the VM held on the source goes back to its pool (one revoked for host
    // servicing too: the VM does not come back to it).
    for (const nic of this.vm.nics)
      if (nic.slot !== null && nic.slot.host === this.from) nic.releaseSlot();
    for (const nic of this.vm.nics) nic.model.announce();
    for (const nic of this.vm.nics) {
      if (this.unplugged.includes(nic) || (nic.spec.vf && nic.vf === null))
        this.hooks.plugFreeVf(nic, this.to);
    }
  }

  private fail(reason: string): void {
    this.result = 'failed';
    this.reason = reason;
    this.set('failed');
    this.vm.migration = null;
    this.replugUnplugged();
  }

  /**
   * The VM stays where it is: every VF slot it still holds without a VF (removed by this
   * migration, or revoked for host servicing meanwhile) is plugged back.
   */
  private replugUnplugged(): void {
    for (const nic of this.vm.nics) {
      if (nic.vf === null && nic.slot !== null) this.hooks.replug(nic);
    }
  }

  private unpause(): void {
    if (this.pausedAt < 0) return;
    this.downtimeApplied += this.hooks.scheduler.now() - this.pausedAt;
    this.pausedAt = -1;
    this.vm.paused = false;
    this.hooks.resume(this.vm);
  }

  private clearTimer(): void {
    if (this.timer >= 0) this.hooks.scheduler.cancel(this.timer);
    this.timer = -1;
  }

  private set(state: MigrationState): void {
    this.states.push([state, this.hooks.scheduler.now()]);
    this.hooks.log('migration-state', this.vm, state);
  }
}
