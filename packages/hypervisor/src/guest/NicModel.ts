import type {
  BusDevice,
  BypassRegistry,
  DeviceBus,
  MacAddress,
  NetDevice,
  NetNamespace,
  PacketPool,
  Scheduler,
  SeededRandom,
  VfDevice,
  VirtualScheduler,
} from '@bypass/core';
import type { DatapathInUse } from '../report/Report.js';
import type { NicOptions } from '../scenario/Scenario.js';

/**
 * A burst handler: `(pkts, start, count)`; ownership of the frames moves to the callee.
 *
 * @example
 * ```ts
 * const toHost: BurstSink = (pkts, start, count) => link.push(pkts, start, count, now);
 * ```
 */
export type BurstSink = (pkts: Int32Array, start: number, count: number) => void;

/**
 * What the world gives a {@link NicModel}: the simulation's clock, pool and randomness, the
 * VM's namespace, bus and bypass registry, the NIC's identity and options, and the wires to
 * the host.
 *
 * @example
 * ```ts
 * const model = createNicModel('virtio-backup', ctx);
 * ctx.event('vf-plug', 'VF 0000:3b:02.0', 'eth0');
 * ```
 */
export interface NicModelContext {
  /** The world's clock: the host's timers (QEMU, the NetVSP host), which run during a pause. */
  readonly scheduler: VirtualScheduler;
  /**
   * The guest's clock, for the guest kernel's and applications' timers and interrupts: what
   * falls due while the VM is paused or down runs when it runs again (`world/GuestClock.ts`).
   */
  readonly guestClock: Scheduler;
  /**
   * True while the guest's vCPUs do not run (a migration's pause, `guest-down`): an interrupt a
   * device raises then reaches the guest through `guestClock`, when it runs again.
   */
  readonly guestStopped: () => boolean;
  readonly pool: PacketPool;
  readonly random: SeededRandom;
  /** VM name and NIC name (`vm1`, `eth0`): the guest-visible name of the NIC's main netdev. */
  readonly vm: string;
  readonly nic: string;
  readonly mac: MacAddress;
  /** The NIC's IPv4 address (host byte order), for ARP/GARP. */
  readonly ipv4: number;
  /**
   * The multicast groups (Ethernet addresses) the application on this NIC joins, one per
   * multicast flow to it. A model has them joined once the application can run: on its IP
   * interface for a kernel model (`joinKernelGroups`), as its port's multicast list for a DPDK
   * one (`joinDpdkGroups`).
   */
  readonly groups: readonly MacAddress[];
  readonly options: NicOptions;
  /** The VM's network namespace: every guest netdev registers here. */
  readonly ns: NetNamespace;
  /** The VM's device bus: the VF's PCI function appears and disappears here. */
  readonly bus: DeviceBus;
  /** The VM's bypass registry (one per guest kernel). */
  readonly registry: BypassRegistry;
  /** Guest -> host over the paravirtual path (the host backend's device side drained the guest's TX). */
  readonly toHostParavirt: BurstSink;
  /** Host -> guest over the VF wire (netvsc models: host RX after SWITCH_DATA_PATH). */
  readonly toGuestVf: BurstSink;
  /**
   * NetVSP models: the host switched the NIC's RX to the VF (`true`) or back to the synthetic
   * path (`false`); the host NIC then steers the MAC's unicast to the VF port (or stops).
   */
  readonly steerVf?: (toVf: boolean) => void;
  /** Frames the guest application receives on this NIC (the flows' sinks). */
  readonly deliver: BurstSink;
  /** Logs a control-plane event of this NIC (`dev` defaults to the NIC's name). */
  event(kind: string, detail?: string, dev?: string): void;
}

/**
 * One VM NIC under one failover mechanism: the guest driver(s), the host's paravirtual backend
 * and the application's view. The world moves frames in and out through it and tells it what
 * the host does (plug or remove the VF, announce after a migration); the model turns that into
 * what its real counterpart does (Linux net_failover, netvsc, DPDK fail-safe, a bond...).
 *
 * Frames in and out are bursts of pool handles; a model frees or drops (with a named reason)
 * every frame it takes.
 *
 * @example
 * ```ts
 * const m: NicModel = createNicModel('virtio-backup', ctx);
 * m.send(pkts, 0, n);     // the application transmits
 * m.service(now);         // NAPI / PMD polling, backend processing
 * m.plugVf(vf, fn);       // the host hot-plugs a VF
 * ```
 */
export interface NicModel {
  /** The mechanism's name (one of the `NicModelName`s, or a custom model's name). */
  readonly model: string;
  /**
   * How the host steers RX to the VF: `filter` when the NIC's MAC filter does it as soon as the
   * VF is plugged (virtio failover, bonding); `host` when the host's paravirtual backend decides
   * and forwards on {@link NicModelContext.toGuestVf} (NetVSP: after SWITCH_DATA_PATH).
   */
  readonly vfSteering: 'filter' | 'host';
  /** The host may plug a VF now (virtio failover hides it until the guest acknowledged BACKUP). */
  readonly acceptsVf: boolean;
  /** Host -> guest over the paravirtual path. */
  fromHostParavirt(pkts: Int32Array, start: number, count: number): void;
  /** The guest application transmits on this NIC. */
  send(pkts: Int32Array, start: number, count: number): void;
  /** Runs once per simulation tick: polling (NAPI, PMD bursts) and host backend processing. */
  service(now: number): void;
  /**
   * The host plugged a VF: `vf` is the function (its wire side belongs to the host NIC), `fn` its
   * PCI function on the VM's bus (already added). The model binds its guest driver to it.
   */
  plugVf(vf: VfDevice, fn: BusDevice): void;
  /** Orderly eject, step 1: the guest takes in what the VF already received. */
  drainVfRx(): void;
  /** The VF goes away (orderly eject, step 2, or a surprise removal). */
  removeVf(surprise: boolean): void;
  /** After a migration: make the network learn where the NIC is now (GARP / RARP / announce). */
  announce(): void;
  /**
   * The host is about to take the VF away in an orderly way (before the guest's eject): NetVSP
   * hosts withdraw the VF association and switch the data path back to synthetic first.
   */
  prepareVfRemoval?(): void;
  /**
   * A `link-down`/`link-up` step on the device with role `role`; returns false when the model
   * has no host-side link for it (the world then sets the guest device administratively down/up).
   */
  setLink?(role: string, up: boolean): boolean;
  /**
   * True when the NIC has settled after boot (optional; by default: a usable path, and the VF
   * when one is plugged). A model whose VF never carries its TX (virtio with failover off)
   * says so here.
   */
  bootSettled?(): boolean;
  /** Which path the guest's transmissions take right now. */
  datapath(): DatapathInUse;
  /** Guest device by role for link/rename/MTU steps: `master`, `backup`, `vf` or a name. */
  device(role: string): NetDevice | null;
  /**
   * Frames waiting in memory that is not pool slots (VMBus rings): `visit(h)` sees each one in a
   * temporary slot (its bytes only; the rings stay as they are). Returns how many. Lets the run
   * count them as in flight at the end.
   */
  ringFrames?(visit: (h: number) => void): number;
  /** Driver counters (`ethtool -S` names). */
  stats(): Record<string, number>;
  /** Tears everything down (end of run). */
  dispose(): void;
}
