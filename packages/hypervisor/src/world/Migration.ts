import type { TimerId, VirtualScheduler } from '@bypass/core';
import type { MigrationState } from '../report/Report.js';
import type { ScenarioStep } from '../scenario/Scenario.js';
import type { Host } from './Host.js';
import type { Vm } from './Vm.js';
import type { VmNic } from './VmNic.js';
import { vfUnplugger } from './vfUnplugger.js';

/** What a {@link Migration} asks of the world. */
export interface MigrationHooks {
  readonly scheduler: VirtualScheduler;
  /** Scheduler time of the scenario's time 0 (step times are relative to it). */
  readonly origin: number;
  /** Logs a VM-level event. */
  log(kind: string, vm: Vm, detail?: string): void;
  /** Moves the VM's NICs from their host's switch to `to`'s (the VM is paused). */
  moveVm(vm: Vm, to: Host): void;
  /**
   * The VM runs again: on the source after a cancel (the frames held during the pause are
   * delivered), or on the destination (what the source held was dropped when it left).
   */
  resume(vm: Vm): void;
  /**
   * Plugs a VF from `host`'s pool into `nic` if one is free (after the hot-plug delay): the one
   * prepared for it there, if any.
   */
  plugFreeVf(nic: VmNic, host: Host): void;
  /** libvirt prepares `nic`'s hostdev on `host`: false when no VF is free there. */
  prepareIncomingVf(nic: VmNic, host: Host): boolean;
  /** Plugs the VF slot `nic` still holds back into the guest (after the hot-plug delay). */
  replug(nic: VmNic): void;
}

/**
 * How often QEMU's migration thread looks whether the guest finished unplugging, ns: its
 * `qemu_sem_timedwait(&s->wait_unplug_sem, 250)` in `migration/migration.c`
 * `qemu_savevm_wait_unplug`. Nothing posts that semaphore (not even `migrate_fd_cancel`), so
 * every look, and the notice of a cancel, falls on a 250 ms grid that starts at `wait-unplug`.
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
 * `qemu_savevm_wait_unplug`, `hw/net/virtio-net.c` failover). A plain VF (see
 * {@link vfUnplugger}) is unplugged by management first: the `migrate` step sends its unplug
 * request and the migration starts (`setup`) the instant the guest ejected it, with no
 * `wait-unplug` and no poll. Then `setup`; if a failover (or Hyper-V) VF is plugged, the guest
 * is asked to unplug it and, unless its eject is over when setup ends, the migration stays in
 * `wait-unplug` until it is (no time limit; QEMU notices the end of the eject at its next
 * 250 ms poll); `active` is the pre-copy (memory
 * / bandwidth, or the step's `precopy`); `device` is the stop-and-copy pause (`downtime`: the
 * VM does not run, frames to it are dropped or queued); then the VM resumes on the
 * destination, `completed`, announces itself, and gets a VF there if one is free. A cancel
 * moves to `cancelling`: from `wait-unplug` it is noticed at the next poll, which then waits up
 * to `unplug_timeout` (QEMU: 30 s) for an unplug still pending; then `cancelled` with the VF
 * back in the guest. With `unplug: none` a plain VF blocks the migration: QEMU refuses it
 * before any state (result `failed`, event `migration-refused`).
 *
 * @example
 * ```ts
 * const m = new Migration(vm, src, dst, step, hooks);
 * m.start();
 * // later: m.cancel();
 * ```
 */
export class Migration {
  /** QEMU's states with their times; empty while management unplugs plain VFs, or if refused. */
  readonly states: [MigrationState, number][] = [];
  result: 'completed' | 'cancelled' | 'failed' | 'in-progress' = 'in-progress';
  /** The pause actually applied, ns. */
  downtimeApplied = 0;
  reason: string | undefined;
  private timer: TimerId = -1;
  private pendingUnplugs = 0;
  private pendingPlain = 0;
  private pausedAt = -1;
  /**
   * One of the NICs asked to release its VF did. QEMU does not wake up for it: its migration
   * thread looks again at its next 250 ms poll (see {@link UNPLUG_POLL_NS}).
   */
  private readonly onUnplugged = (): void => {
    this.pendingUnplugs--;
  };
  /** A plain VF is gone (DEVICE_DELETED): management sends `migrate` once all are. */
  private readonly onPlainUnplugged = (): void => {
    // libvirt's hostdev detach gives the VF back to the host (virHostdevReAttachPCIDevices,
    // its MAC restored): a plain VF's slot is not kept for the VM.
    for (const nic of this.unplugged)
      if (nic.vf === null && nic.slot !== null && vfUnplugger(nic) === 'plain') nic.releaseSlot();
    if (--this.pendingPlain === 0 && !this.finished) this.begin();
  };
  /**
   * NICs whose VF this migration removed (a failover or Hyper-V VF's slot stays reserved on the
   * source; a plain VF's goes back to the host at its eject).
   */
  private readonly unplugged: VmNic[] = [];

  constructor(
    readonly vm: Vm,
    readonly from: Host,
    readonly to: Host,
    readonly step: ScenarioStep,
    private readonly hooks: MigrationHooks,
  ) {}

  /** The current state (`setup` before QEMU's first state too). */
  get state(): MigrationState {
    return this.states[this.states.length - 1]?.[0] ?? 'setup';
  }

  /** True once the migration ended (completed, cancelled or failed). */
  get finished(): boolean {
    return this.result !== 'in-progress';
  }

  /** Starts the migration now (the `migrate` step). */
  start(): void {
    this.vm.migration = this;
    const s = this.hooks.scheduler;
    if (this.step.cancel_at !== undefined)
      s.runAt(Math.max(this.hooks.origin + this.step.cancel_at, s.now()), () => this.cancel());
    const withVf = this.vm.nics.filter((n) => n.vf !== null);
    const mode = this.step.unplug ?? 'orchestrated';
    if (mode === 'none') {
      // A VF QEMU does not unplug itself keeps vfio's migration blocker: migrate_prepare
      // (migration/migration.c) refuses the command before migrate_init enters SETUP.
      const blocking = withVf.filter((n) => vfUnplugger(n) !== 'failover');
      if (blocking.length > 0) {
        const ids = blocking.map((n) => n.id).join(', ');
        this.refuse(
          `QEMU refuses to migrate: ${ids} ${blocking.length === 1 ? 'holds' : 'hold'} a VF, and a VFIO device without migration support blocks the migration; unplug it first (unplug: orchestrated or surprise)`,
        );
        return;
      }
      // A failover primary has no blocker and QEMU unplugs it at setup whatever management
      // does (the loader refuses unplug: none for such a NIC; a run-time model change can
      // still get here).
      for (const nic of withVf)
        this.hooks.log(
          'migration-warning',
          this.vm,
          `unplug: none does not apply to ${nic.id}: QEMU unplugs a failover primary itself`,
        );
    }
    if (mode === 'orchestrated') {
      const plain = withVf.filter((n) => vfUnplugger(n) === 'plain');
      if (plain.length > 0) {
        this.unplugFirst(plain);
        return;
      }
    }
    this.begin();
  }

  /**
   * libvirt's Prepare on a `vf_filter: libvirt` destination, once management calls migrate
   * (after it detached the plain VFs) and before QEMU's `migrate` (`src/qemu/qemu_migration.c`
   * prepares the incoming domain with `qemuProcessPrepareHost`, whose network and host devices
   * step allocates and configures the hostdevs): each failover NIC's hostdev, which is in the
   * domain whether the guest acknowledged BACKUP or not, takes a VF there with its MAC set. A
   * plain VF's hostdev was detached before the migration and is attached again after it.
   * Without a free VF for each, Prepare fails and so does the migration, with no QEMU state
   * (`migration-refused`). False then.
   */
  private prepareDestination(): boolean {
    if (this.to.spec.vf_filter !== 'libvirt') return true;
    const incoming = this.vm.nics.filter(
      (n) => n.model.model === 'virtio-backup' && n.spec.options.offer_backup && n.hostdev,
    );
    if (incoming.length === 0) return true;
    const free = this.to.freeVfs;
    for (const nic of incoming) {
      if (this.hooks.prepareIncomingVf(nic, this.to)) continue;
      // refuse() gives back what was prepared already
      this.refuse(
        `libvirt could not prepare the incoming domain on ${this.to.name}: ${incoming.length} VF${incoming.length === 1 ? '' : 's'} needed for the hostdev of ${incoming.map((n) => n.id).join(', ')}, ${free} free there; free a VF on ${this.to.name} or migrate elsewhere`,
      );
      return false;
    }
    return true;
  }

  /**
   * Management `device_del`s the plain VFs and waits for DEVICE_DELETED (the guest's eject,
   * exactly, with no poll) before it sends `migrate`: QEMU's states start only then.
   */
  private unplugFirst(plain: VmNic[]): void {
    this.hooks.log(
      'migration-unplug-first',
      this.vm,
      `${plain.map((n) => n.id).join(', ')}: plain VF, not a failover primary: management unplugs it and migrates once it is gone`,
    );
    this.unplugged.push(...plain);
    this.pendingPlain = plain.length;
    for (const nic of plain) nic.requestUnplug(this.onPlainUnplugged);
  }

  /** QEMU's migration proper (`migrate`): `setup`, then QEMU's own unplugs or `active`. */
  private begin(): void {
    if (!this.prepareDestination()) {
      // Plain VFs management already took out come back, as after any migration that fails.
      this.replugUnplugged();
      return;
    }
    this.set('setup');
    const withVf = this.vm.nics.filter((n) => n.vf !== null);
    for (const nic of withVf) if (!this.unplugged.includes(nic)) this.unplugged.push(nic);
    if (this.step.unplug === 'surprise') {
      for (const nic of withVf) nic.removeVf(true);
      this.precopy();
      return;
    }
    this.pendingUnplugs = withVf.length;
    if (this.pendingUnplugs === 0) {
      this.precopy();
      return;
    }
    // The unplug is asked for at SETUP, by a migration notifier (hw/net/virtio-net.c
    // virtio_net_handle_migration_primary); the thread looks once its setup is done.
    for (const nic of withVf) nic.requestUnplug(this.onUnplugged);
    this.timer = this.hooks.scheduler.runAfter(0, () => {
      this.timer = -1;
      this.waitUnplug();
    });
  }

  /**
   * The migration thread after its setup (`migration/migration.c` `qemu_savevm_wait_unplug`):
   * an unplug already over (an eject quicker than setup, which takes no time here) goes
   * straight to `active` with no `wait-unplug`; otherwise `wait-unplug` and the 250 ms polls. A
   * cancel during setup finds an unplug started, so it waits for it as a cancel in
   * `wait-unplug` does.
   */
  private waitUnplug(): void {
    if (this.state === 'cancelling') {
      this.waitAfterCancel();
      return;
    }
    if (!this.unplugPending) {
      this.precopy();
      return;
    }
    this.set('wait-unplug');
    this.pollUnplug();
  }

  /** True while a device of the VM still has an unplug pending (QEMU's guest_unplug_pending). */
  private get unplugPending(): boolean {
    return this.pendingUnplugs > 0 || this.vm.nics.some((n) => n.unplugPending);
  }

  /**
   * The wait-unplug loop of QEMU's migration thread (`migration/migration.c`
   * `qemu_savevm_wait_unplug`): it looks, then sleeps 250 ms on a semaphore nothing posts, so
   * the end of the guest's eject, and a cancel, are seen at the next look, not when they happen.
   */
  private pollUnplug(): void {
    if (this.state === 'cancelling') {
      this.waitAfterCancel();
      return;
    }
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
    if (this.states.length === 0) {
      this.cancelBeforeMigrate();
      return;
    }
    const was = this.state;
    this.set('cancelling');
    // migrate_fd_cancel only sets CANCELLING: the thread sleeping in qemu_savevm_wait_unplug
    // notices it when its 250 ms wait ends, on the grid that started at wait-unplug, and a
    // thread still in setup when it reaches qemu_savevm_wait_unplug.
    if (was === 'wait-unplug' || was === 'setup') return;
    // Past wait-unplug no unplug of this migration is pending; the thread's next iteration and
    // the cleanup that sets CANCELLED take a few ms, taken as none.
    this.clearTimer();
    if (was === 'device') this.unpause();
    this.endCancel();
  }

  /**
   * The cancel reached the wait-unplug loop (at its poll): an unplug was started, so QEMU polls
   * every 250 ms, up to unplug_timeout (120 polls, 30 s), for it to end before the VF can be
   * plugged back (`qemu_savevm_wait_unplug`).
   */
  private waitAfterCancel(): void {
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
    for (const nic of this.vm.nics) nic.releasePrepared();
    this.replugUnplugged();
  }

  /**
   * A cancel while management still waits for a plain VF to go: QEMU never started (no state).
   * Management gives up the migration and plugs every VF back once its eject is done (an
   * eject under way cannot be stopped; a guest that ignores the request keeps its VF).
   */
  private cancelBeforeMigrate(): void {
    for (const nic of this.unplugged) {
      nic.cancelUnplugRequest(this.onPlainUnplugged);
      if (nic.ejectInProgress) nic.requestUnplug(() => this.hooks.replug(nic));
    }
    this.result = 'cancelled';
    this.reason = 'cancelled before the migration started (management was unplugging the VF)';
    this.hooks.log('migration-cancelled', this.vm, this.reason);
    this.vm.migration = null;
    for (const nic of this.vm.nics) nic.releasePrepared();
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
      // the domain the destination starts holds the hostdevs the source's domain held
      if (this.unplugged.includes(nic) || (nic.hostdev && nic.vf === null))
        this.hooks.plugFreeVf(nic, this.to);
    }
  }

  /** QEMU refuses the `migrate` command: no state at all, the VM keeps everything. */
  private refuse(reason: string): void {
    this.result = 'failed';
    this.reason = reason;
    this.vm.migration = null;
    // libvirt's Finish on the destination after a failed Perform gives the prepared VFs back
    for (const nic of this.vm.nics) nic.releasePrepared();
    this.hooks.log('migration-refused', this.vm, reason);
  }

  /**
   * The VM stays where it is: every VF slot it still holds without a VF (removed by this
   * migration, or revoked for host servicing meanwhile) is plugged back.
   */
  private replugUnplugged(): void {
    for (const nic of this.vm.nics) {
      if (nic.vf === null && nic.slot !== null) this.hooks.replug(nic);
      // A plain VF went back to the host: management attaches a free one again.
      else if (nic.vf === null && this.unplugged.includes(nic) && vfUnplugger(nic) === 'plain')
        this.hooks.plugFreeVf(nic, this.from);
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
