import type { PacketPool, Scheduler } from '@bypass/core';
import type { ScenarioHost } from '../scenario/Scenario.js';
import { VirtualSwitch } from './VirtualSwitch.js';

/**
 * One VF of a host's SR-IOV NIC: its PCI address and the VM NIC that holds it (`vm/nic`), or
 * null while free.
 *
 * @example
 * ```ts
 * const slot: VfSlot | null = host.takeFreeVf('vm1/eth0');
 * ```
 */
export interface VfSlot {
  readonly host: Host;
  readonly index: number;
  /** PCI address of the VF as the host sees it (`0000:3b:02.0`, ...). */
  readonly address: string;
  owner: string | null;
}

/**
 * A hypervisor host: its virtual switch (with the SR-IOV NIC's MAC filters in front of it) and
 * the NIC's pool of VFs. The switch ages its learned entries after the host's `fdb_ageing` on
 * `scheduler` (never without one).
 *
 * @example
 * ```ts
 * const host = new Host(scenario.hosts[0]!, pool, world.scheduler);
 * const slot = host.takeFreeVf('vm1/eth0');
 * ```
 */
export class Host {
  readonly name: string;
  readonly switch: VirtualSwitch;
  readonly vfs: VfSlot[] = [];
  /** PCI address of the SR-IOV NIC's physical function, whose VFs follow it on its bus. */
  readonly pfAddress: string;
  /** The host's port on the physical network (set by the world). */
  uplinkPort = -1;

  constructor(
    readonly spec: ScenarioHost,
    pool: PacketPool,
    scheduler?: Scheduler,
  ) {
    this.name = spec.name;
    this.switch = new VirtualSwitch(spec.name, pool, {
      ageing: spec.fdb_ageing,
      vfToBridge: spec.vf_to_bridge,
      ...(scheduler === undefined ? {} : { scheduler }),
    });
    const bus = (0x3b + spec.index).toString(16).padStart(2, '0');
    this.pfAddress = `0000:${bus}:00.0`;
    for (let i = 0; i < spec.vfs; i++) {
      const dev = (2 + (i >> 3)).toString(16).padStart(2, '0');
      this.vfs.push({ host: this, index: i, address: `0000:${bus}:${dev}.${i & 7}`, owner: null });
    }
  }

  /** VFs nobody holds. */
  get freeVfs(): number {
    let n = 0;
    for (const s of this.vfs) if (s.owner === null) n++;
    return n;
  }

  /** Gives the first free VF to `owner`; null when every VF is taken. */
  takeFreeVf(owner: string): VfSlot | null {
    for (const s of this.vfs) {
      if (s.owner === null) {
        s.owner = owner;
        return s;
      }
    }
    return null;
  }

  /** Returns `slot` to the pool. */
  releaseVf(slot: VfSlot): void {
    slot.owner = null;
  }
}
