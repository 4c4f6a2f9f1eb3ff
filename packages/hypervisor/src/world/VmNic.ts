import {
  VfDevice,
  BusDevice,
  type DeviceBus,
  DropReason,
  Ethernet,
  PacketRing,
  defineDropReason,
  MacAddress,
  type PacketPool,
  type TimerId,
  type Scheduler,
} from '@bypass/core';
import type { NicModel } from '../guest/NicModel.js';
import type { DatapathInUse } from '../report/Report.js';
import type { LinkSpec, ScenarioNic } from '../scenario/Scenario.js';
import { DelayLink, type LinkSink, type WireClock } from './DelayLink.js';
import { nextPow2 } from './nextPow2.js';
import type { Host, VfSlot } from './Host.js';

/**
 * Frames that reached a VM during its stop-and-copy pause: all of them with `paused_frames:
 * drop`, those the host's queue had no room for with `queue`.
 */
export const VM_PAUSED = defineDropReason('vm-paused');
/**
 * Frames still on the source host's path to the VM when it leaves at `completed`: held in the
 * paused VM's queue or on the wire toward it. In QEMU only guest memory migrates; the source's
 * tap and what it queued go away with the source QEMU.
 */
export const LEFT_ON_SOURCE = defineDropReason('left-on-source');
/** Frames that reached a VM whose guest is down. */
export const GUEST_DOWN = defineDropReason('guest-down');
/**
 * Frames the host NIC steered to the VM's VF while no guest driver was bound to it (a host with
 * `vf_filter: libvirt`: the VF is hidden, ejected, or not probed yet).
 */
export const VF_NOT_BOUND = defineDropReason('vf-not-bound');
/**
 * Frames the VM's VF sent from a source MAC that is not the VF's, dropped by the host NIC's
 * anti-spoofing (`vf_spoofchk`, on by default as in Intel PF drivers).
 */
export const VF_SPOOFED = defineDropReason('vf-spoofed');

/**
 * How often the PF driver reports the spoofed frames its NIC counted: ixgbe's watchdog reads
 * the clear-on-read `SSVPC` register every service-timer period (`ixgbe_main.c`
 * `ixgbe_spoof_check`, `ixgbe_service_timer`: 2 s with the link up), ns.
 */
const SPOOF_REPORT_NS = 2_000_000_000;

/**
 * How long Linux pciehp blinks after an attention-button press before it removes the slot's
 * driver (`drivers/pci/hotplug/pciehp_ctrl.c` `pciehp_handle_button_press` schedules the work
 * 5 s out; a second press meanwhile cancels it), ns. Added to `eject_delay` for a NIC with
 * `hotplug: pcie-native`.
 *
 * @example
 * ```ts
 * console.log(PCIEHP_BUTTON_WAIT_NS / 1e9); // 5
 * ```
 */
export const PCIEHP_BUTTON_WAIT_NS = 5_000_000_000;

/**
 * How long the guest's pciehp waits after it powered a slot off, before it turns the power
 * indicator off (`drivers/pci/hotplug/pciehp_ctrl.c` `remove_board`: the 1 s the PCIe spec asks
 * for), ns. QEMU unplugs the device only once both are off (`hw/pci/pcie.c`
 * `pcie_cap_slot_write_config`), so behind a native PCIe slot QEMU sees an eject this long after
 * the guest removed the driver.
 *
 * @example
 * ```ts
 * console.log(PCIEHP_POWER_OFF_WAIT_NS / 1e9); // 1
 * ```
 */
export const PCIEHP_POWER_OFF_WAIT_NS = 1_000_000_000;

/** What a {@link VmNic} needs from its VM. */
export interface VmNicOwner {
  readonly name: string;
  readonly paused: boolean;
  readonly down: boolean;
  readonly host: Host;
  /** The VM's device bus (VF functions are added to it before the guest driver binds). */
  readonly bus: DeviceBus;
  /** The migration under way (its state), or null. */
  readonly migration: { readonly state: string } | null;
  /** The guest's clock (the eject runs in the guest: it waits while the VM does not run). */
  readonly clock: Scheduler;
}

/** Logs an event of a NIC: `(kind, detail, dev)`. */
export type NicEventSink = (kind: string, detail?: string, dev?: string) => void;

/**
 * The world's side of one VM NIC: the wires between its host's switch and the guest (a
 * paravirtual pair of links and a VF pair), its switch ports on the current host, the VF it
 * holds, and the hot-plug choreography: the host programs the VF's MAC filter and then plugs
 * it; an orderly removal asks the guest, which ejects after `eject_delay` (5 s more behind a
 * native PCIe slot: {@link PCIEHP_BUTTON_WAIT_NS}) and the VF's rings are quiesced, so nothing
 * in them is lost; a surprise removal loses what was in the VF's rings (`vf-ring-flushed`).
 * Where the filter is reset depends on the host's `vf_filter`: at the eject (a host script's
 * step, the default), or only when the slot goes back to the host (`libvirt`: it is then
 * programmed as soon as the slot is assigned, and frames it steers to a VF without a bound
 * driver are dropped as `vf-not-bound`).
 *
 * @example
 * ```ts
 * const nic = new VmNic(vm, spec, pool, wire, links, log);
 * nic.bindModel(model);
 * nic.attach(host);
 * nic.plugVf(host.takeFreeVf(nic.id)!);
 * ```
 */
export class VmNic {
  readonly id: string;
  readonly mac: number;
  /**
   * The VF's MAC as the host assigns it (`vf_mac`, default the NIC's): the VF's permanent
   * address, set again whenever the VM gets a VF.
   */
  private readonly adminVfMac: number;
  /**
   * The MAC the host NIC steers to the VF: `adminVfMac`, or the address a trusted VF's driver
   * moved it to (`vf_trust`), until the host resets the filter.
   */
  private vfMac: number;
  model!: NicModel;
  /** The VF slot held (on the current host, or reserved on the source during a migration). */
  slot: VfSlot | null = null;
  /**
   * The destination's VF slot libvirt prepared for an incoming migration (see
   * {@link VmNic.prepareIncoming}), or null.
   */
  preparedSlot: VfSlot | null = null;
  /** The destination switch's port of `preparedSlot`'s VF, or -1. */
  private preparedPort = -1;
  vf: VfDevice | null = null;
  private host: Host | null = null;
  private pvPort = -1;
  private vfPort = -1;
  readonly pvIn: DelayLink;
  readonly pvOut: DelayLink;
  readonly vfIn: DelayLink;
  readonly vfOut: DelayLink;
  /** Frames the NIC's anti-spoofing dropped since the PF driver last reported them. */
  private spoofedUnreported = 0;
  /** Wire time of the PF driver's last report of spoofed frames (-inf: none yet). */
  private spoofReportedAt = -Infinity;
  /**
   * The VM's domain holds a hostdev for this NIC's VF: set at boot for a NIC given a VF and by a
   * `vf-plug` step (`device_add`), cleared by a `vf-unplug` step (`device_del` takes it out of
   * the live domain, so the domain a migration starts on the destination has none). A
   * migration's destination plugs a VF only for such a NIC.
   */
  hostdev = false;
  /** An orderly unplug requested and not yet done. */
  unplugPending = false;
  private ejectTimer: TimerId = -1;
  /**
   * Behind a native PCIe slot, the guest's wait between the slot's power-off and the power
   * indicator's, after which QEMU unplugs the device; -1 if none.
   */
  private powerOffTimer: TimerId = -1;
  /** The guest's probe of a VF plugged while the guest did not run, on its clock; -1 if none. */
  private probeTimer: TimerId = -1;
  private readonly unplugWaiters: (() => void)[] = [];
  /**
   * The paravirtual path's hold queue during a pause (`paused_frames: queue`), sized for
   * `paused_queue` frames.
   */
  private readonly pausedPv: PacketRing;
  private readonly scratch = new Int32Array(256);
  // datapath accounting
  path: DatapathInUse | null = null;
  private pathSince = 0;
  readonly onPath = { active: 0, backup: 0, none: 0 };
  switches = 0;
  readonly segments: [number, number, DatapathInUse][] = [];

  constructor(
    readonly vm: VmNicOwner,
    readonly spec: ScenarioNic,
    private readonly pool: PacketPool,
    private readonly wire: WireClock,
    links: { paravirt: LinkSpec; vf: LinkSpec },
    private readonly log: NicEventSink,
  ) {
    this.id = `${vm.name}/${spec.name}`;
    this.mac = spec.mac.value;
    // vf_mac belongs to the bonding model; run as another model (--model), the VF takes the mac
    this.adminVfMac = this.vfPermAddr.value;
    this.vfMac = this.adminVfMac;
    this.pausedPv = new PacketRing(Math.max(2, nextPow2(spec.options.paused_queue)));
    this.pvIn = new DelayLink(
      pool,
      links.paravirt,
      (p, s, n) => this.toGuestPv(p, s, n),
      1 << 14,
      wire,
    );
    this.vfIn = new DelayLink(pool, links.vf, (p, s, n) => this.toGuestVf(p, s, n), 1 << 14, wire);
    this.pvOut = new DelayLink(
      pool,
      links.paravirt,
      (p, s, n) => this.fromGuest(this.pvPort, p, s, n),
      1 << 14,
      wire,
    );
    this.vfOut = new DelayLink(pool, links.vf, (p, s, n) => this.fromVf(p, s, n), 1 << 14, wire);
  }

  /** Binds the mechanism (done once, right after construction). */
  bindModel(model: NicModel): void {
    this.model = model;
    this.applyLearning();
  }

  /**
   * A Hyper-V switch port has the VM's MAC configured, not learned (MAC address spoofing is off
   * by default), and the VF is that same port's offload: the NetVSP models' two ports do not
   * learn. A Linux bridge learns on the tap, and on the NIC side from what the VF sends.
   */
  private applyLearning(): void {
    const host = this.host;
    if (host === null || this.model === undefined) return;
    const learns = this.model.vfSteering === 'filter';
    host.switch.setLearning(this.pvPort, learns);
    host.switch.setLearning(this.vfPort, learns && this.vf !== null);
  }

  /** The host the NIC is attached to now. */
  get currentHost(): Host | null {
    return this.host;
  }

  /**
   * Attaches the NIC's ports to `host`'s switch (boot, or resume after a migration). The VF port
   * libvirt prepared there for the incoming VM, if any, becomes the NIC's.
   */
  attach(host: Host): void {
    this.host = host;
    const sw = host.switch;
    this.pvPort = sw.addPort('paravirt', `${this.vm.name}-${this.spec.name}-paravirt`, (p, s, n) =>
      this.pvIn.push(p, s, n, this.wire.now),
    );
    const toVf: LinkSink = (p, s, n) => this.vfIn.push(p, s, n, this.wire.now);
    if (this.preparedPort >= 0 && this.preparedSlot?.host === host) {
      this.vfPort = this.preparedPort;
      sw.port(this.vfPort).sink = toVf;
    } else this.vfPort = sw.addPort('vf', this.vfPortName, toVf);
    sw.pairPorts(this.pvPort, this.vfPort);
    sw.setStatic(this.mac, this.pvPort);
    this.applyLearning();
  }

  /**
   * Detaches from the current host's switch (the VM leaves it at `completed`). What the source
   * still holds for the VM dies with the source QEMU (`left-on-source`): the paused VM's queue and
   * the frames on the wires toward it (the tap and the host NIC's DMA are the source's).
   */
  detach(): void {
    const host = this.host;
    if (host === null) return;
    this.pvIn.discard(LEFT_ON_SOURCE);
    this.vfIn.discard(LEFT_ON_SOURCE);
    this.dropHeld(LEFT_ON_SOURCE);
    this.dropVfSteering(host);
    host.switch.removeStatic(this.mac);
    host.switch.removePort(this.pvPort);
    host.switch.removePort(this.vfPort);
    this.pvPort = -1;
    this.vfPort = -1;
    this.host = null;
  }

  /** The name of the NIC's VF port on a host switch (and of its capture point). */
  private get vfPortName(): string {
    return `${this.vm.name}-${this.spec.name}-vf`;
  }

  /**
   * libvirt prepares the incoming domain on the destination of a migration (before QEMU's
   * `migrate`): it takes the VF `slot` for the NIC's hostdev and sets the VF's MAC
   * (`virHostdevPreparePCIDevices`), so the destination's NIC steers the MAC to that VF from now
   * on, frames from the wire and, through the PF, from the destination's bridge. No driver is
   * bound to it until the VM arrives and the guest probes it: those frames are dropped as
   * `vf-not-bound`. The NIC's own ports join the destination at `completed` ({@link VmNic.attach}).
   */
  prepareIncoming(slot: VfSlot): void {
    this.preparedSlot = slot;
    if (this.model.vfSteering !== 'filter') return;
    const sw = slot.host.switch;
    this.preparedPort = sw.addPort('vf', this.vfPortName, (p, s, n) =>
      this.pool.drop(p, s, n, VF_NOT_BOUND),
    );
    sw.setVfFilter(this.adminVfMac, this.preparedPort, -1);
  }

  /**
   * The VF slot libvirt prepared on `host` for the incoming VM, which has arrived there: the NIC
   * holds it from now on (null when none was prepared there).
   */
  takePrepared(host: Host): VfSlot | null {
    const slot = this.preparedSlot;
    if (slot === null || slot.host !== host) return null;
    this.preparedSlot = null;
    this.preparedPort = -1;
    return slot;
  }

  /**
   * The incoming migration ended without the VM (cancelled or failed): libvirt gives the
   * prepared VF back to its host (its MAC reset), and the destination stops steering to it.
   */
  releasePrepared(): void {
    const slot = this.preparedSlot;
    if (slot === null) return;
    if (this.preparedPort >= 0) {
      slot.host.switch.clearVfFilter(this.adminVfMac);
      slot.host.switch.removePort(this.preparedPort);
    }
    slot.host.releaseVf(slot);
    this.preparedSlot = null;
    this.preparedPort = -1;
  }

  /**
   * The VM gets the VF `slot` (it will be plugged, or stay hidden). A `libvirt` host sets the
   * VF's MAC now (libvirt `virHostdevPreparePCIDevices` configures the VF's netdev when it
   * prepares the hostdev, whatever the guest later sees), so the NIC steers the MAC to the VF
   * from here on; while no driver is bound, flooded frames still reach the paravirtual port.
   */
  assignSlot(slot: VfSlot): void {
    this.slot = slot;
    const host = this.host;
    if (host === slot.host && this.filterFollowsSlot && this.model.vfSteering === 'filter')
      host.switch.setVfFilter(this.vfMac, this.vfPort, this.vf === null ? -1 : this.shadowedPort);
  }

  /**
   * The port whose flooded copy is this NIC's frame (the others are copies), or -1 for where
   * unicast would go: the paravirtual port while the filter steers to a VF without a driver.
   */
  get floodPort(): number {
    return this.vf === null && this.slot !== null && this.filterFollowsSlot ? this.pvPort : -1;
  }

  /**
   * The MAC the guest's stack sends this NIC's traffic from now: its master device's address
   * (the device the IP address sits on). A bond with `fail_over_mac=active` takes the active
   * slave's (bond_main.c `bond_do_fail_over_mac`); every other master keeps the NIC's `mac`,
   * which is also the answer for a master without a usable unicast address.
   */
  sendingMac(): number {
    const addr = this.model.device('master')?.devAddr;
    return addr !== undefined && addr.isValidUnicast ? addr.value : this.mac;
  }

  /** The VF's MAC as the host assigns it: `vf_mac` for model bonding, else the NIC's `mac`. */
  private get vfPermAddr(): MacAddress {
    return (this.spec.model === 'bonding' ? this.spec.options.vf_mac : null) ?? this.spec.mac;
  }

  /**
   * The paravirtual port the VF's filter shadows (no flooded copies while the VF has its
   * filter): none when the VF has a MAC of its own, as the two are then distinct stations.
   */
  private get shadowedPort(): number {
    return this.vfMac === this.mac ? this.pvPort : -1;
  }

  /** True when the current host keeps the MAC filter for as long as the slot is held. */
  private get filterFollowsSlot(): boolean {
    return this.host?.spec.vf_filter === 'libvirt';
  }

  /**
   * Plugs the VF of `slot` into the guest: the host programs the MAC filter (when the model
   * steers by filter), the PCI function appears on the VM's bus and the model binds its driver.
   */
  plugVf(slot: VfSlot): void {
    const host = this.host;
    if (host === null || this.vf !== null) return;
    this.slot = slot;
    const address = `0000:00:${(5 + slot.index).toString(16).padStart(2, '0')}.0`;
    const fn = new BusDevice({
      id: `${slot.host.name}:${slot.address}`,
      bus: 'pci',
      pci: { address, virtfn: true, serial: slot.index + 1 },
    });
    const vf = new VfDevice({
      pool: this.pool,
      permAddr: this.vfPermAddr,
      parent: fn,
      driver: 'mlx5_core',
      ringSize: 256,
      // the host assigned the VF's MAC (libvirt hostdev <mac>): the guest cannot move it unless
      // the VF is trusted
      adminMac: true,
      // vf_trust, like vf_mac, belongs to the bonding model (the only one whose guest changes it)
      trusted: this.spec.model === 'bonding' && this.spec.options.vf_trust,
      onMacChange: (mac) => this.moveVfFilter(mac.value),
    });
    this.vf = vf;
    // The host sets the VF's MAC for the VM again (libvirt hostdev <mac>).
    this.moveVfFilter(this.adminVfMac);
    if (this.model.vfSteering === 'filter') {
      host.switch.setLearning(this.vfPort, true);
      host.switch.setVfFilter(this.vfMac, this.vfPort, this.shadowedPort);
      // The guest's VF driver puts broadcast on the VF's MC list (mlx5e, iavf); NetVSP models
      // keep group frames on the synthetic path.
      host.switch.setVfListening(this.vfPort, true);
      // The host bridge learns the MAC on the NIC side (the PF) from the guest's first frame
      // through the VF (br_fdb_update); the simulated guest sends none of its own (no ARP),
      // so the entry moves at the plug. The VF's own MAC, that is: with a `vf_mac` of its own
      // the NIC's `mac` stays on the paravirtual port.
      host.switch.setStatic(this.vfMac, this.vfPort);
    }
    // The guest's hot-plug handler (acpiphp, pciehp) and the VF driver's probe are guest code: a
    // VF plugged while the guest does not run is found and bound when it runs again.
    if (this.vm.paused || this.vm.down) {
      this.log(
        'vf-plug',
        `${slot.host.name} VF ${slot.address} (the guest probes it when it runs)`,
      );
      this.probeTimer = this.vm.clock.runAfter(0, () => {
        this.probeTimer = -1;
        this.probe(vf, fn);
      });
    } else {
      this.log('vf-plug', `${slot.host.name} VF ${slot.address}`);
      this.probe(vf, fn);
    }
  }

  /** The guest finds the plugged function on its bus and its VF driver binds. */
  private probe(vf: VfDevice, fn: BusDevice): void {
    this.vm.bus.add(fn);
    this.model.plugVf(vf, fn);
  }

  /**
   * Asks the guest to release the VF (ACPI/PCIe attention, or the NetVSP association withdrawn);
   * a guest that ejects does so after `eject_delay`, then every waiter's `done` runs (a second
   * request while one is pending only adds its waiter). A guest that ignores the request keeps
   * the VF; {@link VmNic.cancelUnplugRequest} takes a waiter back. If the VF goes away by other
   * means meanwhile (a surprise removal), the waiters run then.
   */
  requestUnplug(done: () => void): void {
    if (this.vf === null) {
      // gone from the guest; QEMU may still wait for the slot's power indicator
      if (this.powerOffTimer >= 0) this.unplugWaiters.push(done);
      else done();
      return;
    }
    this.unplugWaiters.push(done);
    if (this.unplugPending) return;
    this.unplugPending = true;
    // Behind a native PCIe slot QEMU presses the attention button (hw/pci/pcie.c
    // pcie_cap_slot_unplug_request_cb) and the guest's pciehp waits before it removes the driver.
    const button =
      this.spec.options.hotplug === 'pcie-native' && this.model.vfSteering === 'filter'
        ? PCIEHP_BUTTON_WAIT_NS
        : 0;
    const vfName = this.slot === null ? undefined : `VF ${this.slot.address}`;
    this.log(
      'unplug-request',
      button === 0
        ? vfName
        : `${vfName ?? 'VF'}: attention button, pciehp waits ${button / 1e9}s before the eject`,
    );
    this.model.prepareVfRemoval?.();
    if (!this.spec.options.guest_ejects) return;
    this.ejectTimer = this.vm.clock.runAfter(button + this.spec.options.eject_delay, () => {
      this.ejectTimer = -1;
      this.removeVf(false, button > 0 ? PCIEHP_POWER_OFF_WAIT_NS : 0);
    });
  }

  /**
   * True while an eject is under way (requested to a guest that does eject), until QEMU has
   * unplugged the device.
   */
  get ejectInProgress(): boolean {
    return this.ejectTimer >= 0 || this.powerOffTimer >= 0;
  }

  /** Takes `done` back from the waiters of a pending unplug (an eject under way completes). */
  cancelUnplugRequest(done?: () => void): void {
    if (done !== undefined) {
      const i = this.unplugWaiters.indexOf(done);
      if (i >= 0) this.unplugWaiters.splice(i, 1);
    } else this.unplugWaiters.length = 0;
    if (this.unplugWaiters.length === 0 && this.ejectTimer < 0 && this.powerOffTimer < 0)
      this.unplugPending = false;
  }

  /**
   * Removes the VF from the guest now. Orderly: frames already on their way to the VF are
   * delivered and the guest takes them in, what the guest queued for transmission goes out, then
   * the function is removed. Surprise: everything in the VF's rings or on its wire toward the
   * guest is lost as `vf-ring-flushed`. Then QEMU unplugs the device: at once, or
   * `qemuUnplugAfter` ns later on the guest's clock (a native PCIe slot: pciehp's wait between
   * power-off and the indicator), and only then do the host's steering change (the filter reset
   * by the host script that waits for the detach; a `libvirt` host keeps steering the MAC to the
   * VF, only flooded frames go back to the paravirtual port, until the slot is released) and
   * whoever waited for the unplug (a migration in wait-unplug, management's DEVICE_DELETED) see
   * it. Until then frames the filter steers to the VF find no driver (`vf-not-bound`).
   */
  removeVf(surprise: boolean, qemuUnplugAfter = 0): void {
    const vf = this.vf;
    if (vf === null) return;
    const host = this.host;
    if (host !== null) {
      host.switch.setVfListening(this.vfPort, false);
      // What the VF still sends (its TX ring, pumped below) left before the host's FDB
      // changes of the eject (a script runs after detach-device returns): not learned.
      host.switch.setLearning(this.vfPort, false);
      if (qemuUnplugAfter === 0) this.steerAwayFromVf(host);
    }
    if (surprise) {
      this.vfIn.discard(DropReason.VF_RING_FLUSHED);
    } else {
      this.vfIn.flush(this.wire.now);
      this.model.drainVfRx();
      this.pumpVfTx(this.wire.now);
    }
    if (this.probeTimer >= 0) {
      // Gone before the guest ran again: the guest never saw it.
      this.vm.clock.cancel(this.probeTimer);
      this.probeTimer = -1;
    } else this.model.removeVf(surprise);
    this.vf = null;
    if (this.ejectTimer >= 0) this.vm.clock.cancel(this.ejectTimer);
    this.ejectTimer = -1;
    if (qemuUnplugAfter === 0) {
      this.log('vf-unplug', surprise ? 'surprise' : 'orderly');
      this.unplugged();
      return;
    }
    this.log(
      'vf-unplug',
      `orderly: pciehp powers the slot off and waits ${qemuUnplugAfter / 1e9}s before QEMU can unplug it`,
    );
    this.powerOffTimer = this.vm.clock.runAfter(qemuUnplugAfter, () => {
      this.powerOffTimer = -1;
      if (this.host !== null) this.steerAwayFromVf(this.host);
      this.log('vf-deleted', 'QEMU unplugged the VF (power indicator off)');
      this.unplugged();
    });
  }

  // Neither QEMU (virtio-net.c failover_unplug_primary only asks the guest) nor libvirt touch
  // the VF's MAC at the unplug; the default mode stands for a host script that does once the
  // detach returns: Documentation/networking/net_failover.rst zeroes the VF's MAC and adds
  // `bridge fdb add $MAC dev $TAP_IF master`. A NetVSP host takes the VF's steering back.
  private steerAwayFromVf(host: Host): void {
    if (this.filterFollowsSlot && this.model.vfSteering === 'filter')
      host.switch.unshadowVfFilter(this.vfMac);
    else this.steerToParavirt(host);
  }

  // QEMU unplugged the device: whoever waited for the VF to go (a migration in wait-unplug) has
  // what it waited for.
  private unplugged(): void {
    this.unplugPending = false;
    for (const done of this.unplugWaiters.splice(0)) done();
  }

  /**
   * A NetVSP host (`vfSteering: 'host'`) switched the NIC's host RX to the VF (`toVf`) or back
   * to the synthetic path. To the VF: the NIC steers the MAC's unicast from the wire to the VF
   * and the vswitch port's traffic goes there too; group frames stay synthetic (Microsoft
   * "SR-IOV VF Failover and Live Migration Support": with the VF data path, the NIC delivers
   * the VM's traffic to the VF directly; DPDK vdev_netvsc: only multicast and hypervisor
   * control still flow through NetVSC). Back: filter reset, the MAC's entry to the paravirtual
   * port.
   */
  hostRxToVf(toVf: boolean): void {
    const host = this.host;
    if (host === null || this.model.vfSteering !== 'host') return;
    if (!toVf) {
      this.steerToParavirt(host);
      return;
    }
    if (this.vf === null || this.vfPort < 0) return;
    host.switch.setVfFilter(this.mac, this.vfPort, -1);
    host.switch.setStatic(this.mac, this.vfPort);
  }

  /**
   * Resets the MAC filter and points the MAC's entry at the paravirtual port (a `vf_mac` of the
   * VF's own loses its entry: nothing behind the paravirtual port has it).
   */
  private steerToParavirt(host: Host): void {
    this.dropVfSteering(host);
    if (this.pvPort >= 0) host.switch.setStatic(this.mac, this.pvPort);
  }

  /**
   * `host` resets the VF's MAC filter and forgets the VF's MAC (the next VF gets the host's
   * again); the bridge's entry for a MAC of the VF's own goes with it.
   */
  private dropVfSteering(host: Host): void {
    host.switch.clearVfFilter(this.vfMac);
    if (this.vfMac !== this.mac) host.switch.removeStatic(this.vfMac);
    this.vfMac = this.adminVfMac;
  }

  /**
   * The VF's MAC becomes `mac`: a trusted VF's driver changed it (the PF moves its filter,
   * ixgbe_sriov.c ixgbe_set_vf_mac), or the host sets its own again at a plug. A filter the
   * current host has for the old MAC moves to the new one with the bridge's entry (as at the
   * plug: the guest's frames through the VF teach it), and the NIC's `mac` goes back to the
   * paravirtual port when the VF leaves it.
   */
  private moveVfFilter(mac: number): void {
    const old = this.vfMac;
    if (old === mac) return;
    this.vfMac = mac;
    const host = this.host;
    if (host === null || this.model.vfSteering !== 'filter' || !host.switch.hasVfFilter(old))
      return;
    const sw = host.switch;
    sw.clearVfFilter(old);
    if (old !== this.mac) sw.removeStatic(old);
    else if (this.pvPort >= 0) sw.setStatic(this.mac, this.pvPort);
    sw.setVfFilter(mac, this.vfPort, this.shadowedPort);
    sw.setStatic(mac, this.vfPort);
  }

  /** Returns the held VF slot to its host's pool (which stops steering the MAC to it). */
  releaseSlot(): void {
    const slot = this.slot;
    if (slot === null) return;
    if (this.host === slot.host) slot.host.switch.clearVfFilter(this.vfMac);
    this.vfMac = this.adminVfMac;
    slot.host.releaseVf(slot);
    this.slot = null;
  }

  /** The host NIC takes what the guest queued on the VF's TX rings onto the VF wire. */
  pumpVfTx(now: number): void {
    const vf = this.vf;
    if (vf === null || !vf.present) return;
    for (let q = 0; q < vf.numTxQueues; q++) {
      // Read in place from the TX ring (pushing onto the wire queues nothing on the VF); a run
      // that wraps around the ring's end goes on the wire in two pushes, which time and drop
      // frame by frame exactly as one.
      const ring = vf.txRing(q);
      for (let n; (n = ring.takeInPlace(ring.size)) > 0;)
        this.vfOut.push(ring.slotArray, ring.takenAt, n, now);
    }
  }

  /**
   * Delivers the frames held on the paravirtual path during a pause (`paused_frames: queue`)
   * once the VM runs again on the same host (a cancelled migration). Those on the VF path are
   * already in its RX ring.
   */
  releasePaused(): void {
    const out = this.scratch;
    for (let n; (n = this.pausedPv.dequeueBurst(out, 0, out.length)) > 0;)
      this.model.fromHostParavirt(out, 0, n);
  }

  /** Drops every frame of the pause queue for `reason`. */
  private dropHeld(reason: number): void {
    const out = this.scratch;
    for (let n; (n = this.pausedPv.dequeueBurst(out, 0, out.length)) > 0;)
      this.pool.drop(out, 0, n, reason);
  }

  /**
   * True once the NIC uses the path it will keep: a usable path, the VF when it has one, and no
   * VF plug still pending for a guest that can take one (the end of the boot phase).
   */
  get settled(): boolean {
    // A VF plug still pending for a guest that can take it: not settled, whatever the model says.
    if (this.vf === null && this.slot !== null && this.model.acceptsVf) return false;
    if (this.model.bootSettled !== undefined) return this.model.bootSettled();
    const p = this.model.datapath();
    if (p === 'none') return false;
    return this.vf === null || p === 'active';
  }

  /** Accounts `tickNs` of time ending at `now` to the path in use; logs changes. */
  sample(now: number, tickNs: number): void {
    const p = this.model.datapath();
    if (p !== this.path) {
      if (this.path !== null) {
        this.switches++;
        this.segments.push([this.pathSince, now - tickNs, this.path]);
        this.log('datapath-switched', `to ${p}`);
      }
      this.path = p;
      this.pathSince = now - tickNs;
    }
    this.onPath[p] += tickNs;
  }

  /** Closes the last datapath segment at `end`. */
  finish(end: number): void {
    if (this.path !== null) this.segments.push([this.pathSince, end, this.path]);
  }

  /** Frames still held by this NIC's wires and pause queues (for teardown). */
  discardAll(): void {
    for (const l of [this.pvIn, this.pvOut, this.vfIn, this.vfOut]) l.discard(DropReason.NO_DEVICE);
    this.dropHeld(VM_PAUSED);
  }

  /** The NIC's four wires (the world pulls them every tick). */
  get links(): DelayLink[] {
    return [this.pvIn, this.pvOut, this.vfIn, this.vfOut];
  }

  /**
   * What the VF sent reaches the NIC's embedded switch. With `vf_spoofchk` (the default) a
   * frame whose source MAC is not the VF's (its MAC filter, moved with a trusted VF's change)
   * is dropped by the NIC (`vf-spoofed`: ixgbe `PFVFSPOOF`, checked in hardware before the
   * eswitch, so nothing learns it); the rest go on in order, in runs.
   */
  private fromVf(pkts: Int32Array, start: number, count: number): void {
    if (!this.spec.options.vf_spoofchk) {
      this.fromGuest(this.vfPort, pkts, start, count);
      return;
    }
    const pool = this.pool;
    const view = pool.view;
    const st = pool.start;
    const mac = this.vfMac;
    // The VF's MAC as its top 16 and low 32 bits, compared with two loads per frame.
    const macHi = Math.floor(mac / 2 ** 32);
    const macLo = (mac % 2 ** 32) | 0;
    const end = start + count;
    let run = start;
    for (let i = start; i < end; i++) {
      const h = pkts[i] as number;
      if (!Ethernet.isValid(pool, h)) continue; // a runt has no source to check
      const o = st[h] as number;
      if (view.getUint16(o + 6) === macHi && view.getInt32(o + 8) === macLo) continue;
      if (i > run) this.fromGuest(this.vfPort, pkts, run, i - run);
      pool.drop(pkts, i, 1, VF_SPOOFED);
      this.noteSpoofed();
      run = i + 1;
    }
    if (end > run) this.fromGuest(this.vfPort, pkts, run, end - run);
  }

  /**
   * Counts a spoofed frame for the PF driver's report: the first one at once, then at most one
   * report per watchdog period ({@link SPOOF_REPORT_NS}), each with the frames dropped since the
   * previous one (ixgbe's `%u Spoofed packets detected`).
   */
  private noteSpoofed(): void {
    this.spoofedUnreported++;
    const now = this.wire.now;
    if (now - this.spoofReportedAt < SPOOF_REPORT_NS) return;
    this.log(
      'driver-log',
      `PF ${this.slot?.host.pfAddress ?? '?'}: ${this.spoofedUnreported} Spoofed packets detected (the PF driver's watchdog report, as ixgbe words it: VF ${this.slot?.address ?? '?'}, MAC ${MacAddress.fromNumber(this.vfMac).toString()}, sent from another source MAC)`,
    );
    this.spoofedUnreported = 0;
    // The watchdog keeps its period: the next report is due a whole number of periods on.
    this.spoofReportedAt =
      this.spoofReportedAt === -Infinity
        ? now
        : this.spoofReportedAt +
          Math.floor((now - this.spoofReportedAt) / SPOOF_REPORT_NS) * SPOOF_REPORT_NS;
  }

  private fromGuest(port: number, pkts: Int32Array, start: number, count: number): void {
    const host = this.host;
    if (host === null || port < 0) {
      this.pool.drop(pkts, start, count, DropReason.NO_DEVICE);
      return;
    }
    host.switch.ingress(port, pkts, start, count);
  }

  /**
   * Frames for a VM that is not running: true when they were taken care of here. A down guest
   * drops them (`guest-down`). A paused VM drops them with `paused_frames: drop`; with `queue`
   * the paravirtual path holds up to `paused_queue` frames as the source's tap does (a stopped
   * VM's vhost or QEMU no longer reads it: `drivers/net/tun.c` `tun_net_xmit` drops once
   * `tx_queue_len` frames wait, `TUN_READQ_SIZE` = 500 by default), and the VF path is left to
   * the VF (false), whose NIC keeps writing into the RX buffers the guest posted before the pause
   * until its ring is full.
   */
  private pausedOrDown(paravirt: boolean, pkts: Int32Array, start: number, count: number): boolean {
    if (this.vm.paused) {
      if (this.spec.options.paused_frames !== 'queue') {
        this.pool.drop(pkts, start, count, VM_PAUSED);
        return true;
      }
      if (!paravirt) return false;
      const ring = this.pausedPv;
      const room = this.spec.options.paused_queue - ring.count;
      const kept = ring.enqueueBurst(pkts, start, count < room ? count : room);
      if (kept < count) this.pool.drop(pkts, start + kept, count - kept, VM_PAUSED);
      return true;
    }
    if (this.vm.down) {
      this.pool.drop(pkts, start, count, GUEST_DOWN);
      return true;
    }
    return false;
  }

  private toGuestPv(pkts: Int32Array, start: number, count: number): void {
    if (this.pausedOrDown(true, pkts, start, count)) return;
    this.model.fromHostParavirt(pkts, start, count);
  }

  private toGuestVf(pkts: Int32Array, start: number, count: number): void {
    const vf = this.vf;
    if (vf === null) {
      // A libvirt host keeps the VF (and its filter) for the VM, and behind a native PCIe slot
      // the function stays in QEMU for pciehp's power-off wait: no driver takes the frames, and
      // the NIC drops them whether the VM runs, is paused or is down.
      const unbound = (this.slot !== null && this.filterFollowsSlot) || this.powerOffTimer >= 0;
      this.pool.drop(pkts, start, count, unbound ? VF_NOT_BOUND : DropReason.NO_DEVICE);
      return;
    }
    if (this.pausedOrDown(false, pkts, start, count)) return;
    vf.injectRx(0, pkts, start, count);
  }
}
