import { formatDuration } from '@bypass/core';
import type { ScenarioStep } from '../scenario/Scenario.js';
import { Migration, type MigrationHooks } from './Migration.js';
import type { Host } from './Host.js';
import type { Vm } from './Vm.js';
import type { VmNic } from './VmNic.js';
import type { World } from './World.js';

/**
 * Runs a scenario's steps on a {@link World} at their times: migrations (with their
 * {@link Migration} state machine), VF hot-plug and removal, Hyper-V host servicing, link and
 * device changes, guest down/up. Every step is logged; a step that cannot apply (no VF to
 * unplug, a migration to a host the VM is on) is logged as `step-ignored` with the reason.
 *
 * @example
 * ```ts
 * const steps = new StepRunner(world);
 * steps.schedule(scenario.steps);
 * ```
 */
export class StepRunner implements MigrationHooks {
  readonly migrations: Migration[] = [];

  constructor(private readonly world: World) {}

  get scheduler(): World['scheduler'] {
    return this.world.scheduler;
  }

  get origin(): number {
    return this.world.origin;
  }

  /** Schedules every step at its time. */
  schedule(steps: readonly ScenarioStep[]): void {
    for (const step of steps)
      this.world.scheduler.runAt(this.world.origin + step.at, () => this.run(step));
  }

  log(kind: string, vm: Vm, detail?: string): void {
    this.world.event(kind, {
      host: vm.host.name,
      vm: vm.name,
      ...(detail === undefined ? {} : { detail }),
    });
  }

  moveVm(vm: Vm, to: Host): void {
    for (const nic of vm.nics) nic.detach();
    vm.host = to;
    for (const nic of vm.nics) nic.attach(to);
  }

  resume(vm: Vm): void {
    for (const nic of vm.nics) nic.releasePaused();
    vm.clock.resume();
  }

  plugFreeVf(nic: VmNic, host: Host): void {
    this.world.plugFreeVf(nic, host);
  }

  prepareIncomingVf(nic: VmNic, host: Host): boolean {
    return this.world.prepareIncomingVf(nic, host);
  }

  replug(nic: VmNic): void {
    this.world.scheduler.runAfter(nic.spec.options.vf_plug_delay, () => this.world.plugSlot(nic));
  }

  private run(step: ScenarioStep): void {
    const vm = step.vm === undefined ? undefined : this.world.vms.get(step.vm);
    const ignore = (why: string): void =>
      this.world.event('step-ignored', {
        ...(vm === undefined ? {} : { host: vm.host.name, vm: vm.name }),
        detail: `${step.path} ${step.action}: ${why}`,
      });
    if (vm === undefined) {
      ignore('no such VM');
      return;
    }
    const nics = step.nic === undefined ? vm.nics : vm.nics.filter((n) => n.spec.name === step.nic);
    switch (step.action) {
      case 'migrate': {
        const to = this.world.hosts.get(step.to ?? '');
        if (to === undefined) return ignore(`no host ${step.to}`);
        if (to === vm.host) return ignore(`${vm.name} already runs on ${to.name}`);
        if (vm.migration !== null) return ignore('a migration is already in progress');
        const m = new Migration(vm, vm.host, to, step, this);
        this.migrations.push(m);
        m.start();
        return;
      }
      case 'cancel-migration':
        if (vm.migration === null) return ignore('no migration in progress');
        vm.migration.cancel();
        return;
      case 'vf-unplug':
        for (const nic of nics) {
          if (nic.vf === null) {
            ignore(`${nic.id} has no VF`);
            continue;
          }
          // device_del: the hostdev leaves the live domain once the device is gone (libvirt
          // drops it at DEVICE_DELETED), so no destination plugs it again
          if (step.mode === 'surprise') {
            nic.hostdev = false;
            nic.removeVf(true);
            nic.releaseSlot();
          } else
            nic.requestUnplug(() => {
              nic.hostdev = false;
              nic.releaseSlot();
            });
        }
        return;
      case 'vf-plug':
        if (vm.migration !== null) return ignore('device_add is not allowed while migrating');
        for (const nic of nics) {
          if (nic.vf !== null || nic.slot !== null) ignore(`${nic.id} already has a VF`);
          else {
            nic.hostdev = true; // device_add: the domain holds the hostdev again
            this.world.plugFreeVf(nic, vm.host, 0);
          }
        }
        return;
      case 'host-servicing':
        for (const nic of nics) this.service(nic, step.duration ?? 1_000_000_000);
        return;
      case 'link-down':
      case 'link-up':
        for (const nic of nics) this.setLink(nic, step.dev ?? 'vf', step.action === 'link-up');
        return;
      case 'rename':
        for (const nic of nics) {
          const dev = nic.model.device(step.dev ?? 'master');
          if (dev === null || step.name === undefined)
            ignore(`${nic.id} has no device ${step.dev}`);
          else
            this.apply(nic, 'rename', `${dev.name} -> ${step.name}`, () =>
              dev.rename(step.name as string),
            );
        }
        return;
      case 'set-mtu':
        for (const nic of nics) {
          const dev = nic.model.device(step.dev ?? 'master');
          if (dev === null || step.mtu === undefined) ignore(`${nic.id} has no device ${step.dev}`);
          else
            this.apply(nic, 'mtu-change', `${dev.name} mtu ${step.mtu}`, () =>
              dev.setMtu(step.mtu as number),
            );
        }
        return;
      case 'guest-down':
        // QEMU stop: kvmclock is saved now and set back at cont (hw/i386/kvm/clock.c
        // kvmclock_vm_state_change), so a suspended guest's clock does not count the stop.
        if (step.clock === 'frozen') vm.clock.freeze();
        vm.down = true;
        this.log('guest-down', vm, step.clock === 'frozen' ? 'clock frozen' : undefined);
        return;
      case 'guest-up': {
        const wasFrozen = vm.clock.frozen;
        vm.down = false;
        vm.clock.resume();
        let detail: string | undefined;
        if (vm.clock.frozen) detail = 'the clock stays frozen while the VM is paused';
        else if (wasFrozen) detail = `the guest's clock is ${formatDuration(vm.clock.lag)} behind`;
        this.log('guest-up', vm, detail);
        return;
      }
    }
  }

  /** Hyper-V host servicing: the VF is taken away in an orderly way and given back later. */
  private service(nic: VmNic, duration: number): void {
    if (nic.vf === null) {
      this.world.event('step-ignored', {
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail: 'host-servicing: no VF',
      });
      return;
    }
    this.world.event('host-servicing', {
      host: nic.vm.host.name,
      vm: nic.vm.name,
      dev: nic.spec.name,
      detail: `VF revoked for ${duration / 1e6}ms`,
    });
    const giveBack = (): void => {
      this.world.scheduler.runAfter(duration, () => this.world.plugSlot(nic));
    };
    nic.requestUnplug(giveBack);
    if (!nic.spec.options.guest_ejects) {
      // The host does not wait for a guest that ignores the request: it rescinds the device
      // (which also runs giveBack, as every waiter of the unplug).
      this.world.scheduler.runAfter(nic.spec.options.eject_delay, () => nic.removeVf(true));
    }
  }

  private setLink(nic: VmNic, role: string, up: boolean): void {
    const kind = up ? 'link-up' : 'link-down';
    if (nic.model.setLink?.(role, up) === true) {
      this.world.event(kind, {
        host: nic.vm.host.name,
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail: `${role} (host side)`,
      });
      return;
    }
    const dev = nic.model.device(role);
    if (dev === null) {
      this.world.event('step-ignored', {
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail: `${kind}: no device ${role}`,
      });
      return;
    }
    this.apply(nic, kind, `${dev.name} (admin)`, () => (up ? dev.open() : dev.close()));
  }

  private apply(nic: VmNic, kind: string, detail: string, fn: () => void): void {
    try {
      fn();
      this.world.event(kind, {
        host: nic.vm.host.name,
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail,
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      this.world.event('step-refused', {
        host: nic.vm.host.name,
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail: `${kind}: ${code}: ${(e as Error).message}`,
      });
    }
  }
}
