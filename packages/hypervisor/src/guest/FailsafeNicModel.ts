import { Subject } from 'rxjs';
import {
  NS_PER_MS,
  defineDropReason,
  type BusDevice,
  type NetDevice,
  type TimerId,
  type VfDevice,
} from '@bypass/core';
import {
  EthDevRegistry,
  NetvscDevice,
  NetvspHost,
  PipeTable,
  RNDIS_STATUS,
  SimulatedSysfs,
  VF_TAKEOVER_NS,
  VDEV_NETVSC_DRIVER_NAME,
  VdevNetvsc,
  VfPmdPort,
  VmbusChannel,
  failsafeDriver,
  tapDriver,
  vfPmdDriver,
  type EthDriver,
  type FailsafePort,
} from '@bypass/netvsc';
import type { DatapathInUse } from '../report/Report.js';
import { announceHyperV } from './GuestAnnounce.js';
import { joinDpdkGroups, joinKernelGroups } from './GuestGroups.js';
import type { NicModel, NicModelContext } from './NicModel.js';
import { visitRingFrames } from './netvsc/visitRingFrames.js';

/**
 * Frames the application passed to the fail-safe port's `txBurst` that it did not take (no TX
 * sub-device, or the sub-device refused them: a full VF ring, or a TAP burst ended by a frame
 * longer than MTU + 22, which leaves that frame and the ones after it): the application frees
 * them.
 *
 * @example
 * ```ts
 * pool.drop(pkts, took, n - took, FAILSAFE_TX_REFUSED);
 * ```
 */
export const FAILSAFE_TX_REFUSED = defineDropReason('failsafe-tx-refused');

/** Frames the application sent before the DPDK ports existed (netvsc still probing). */
const FAILSAFE_NOT_READY = defineDropReason('failsafe-not-ready');

const BURST = 256;

/**
 * DPDK on Hyper-V/Azure without the netvsc PMD: the kernel netvsc driver (`<nic>`, over a
 * VMBus channel to a NetVSP host), vdev_netvsc creating `net_failsafe_vsc0` =
 * `fd(<pipe>),dev(net_tap_vsc0,remote=<nic>),hotplug_poll=<ms>` (the VF's PMD preferred, the
 * TAP through the kernel netvsc as fallback), and the application polling the fail-safe port.
 *
 * - Bring-up: netvsc's NVSP/RNDIS handshake runs on the scheduler (well under 1 ms); the DPDK
 *   side is created when it completes. What the application sends before is dropped as
 *   `failsafe-not-ready`. vdev_netvsc is probed with `iface=<nic>` (equivalent to its
 *   auto-probe for a one-NIC VM, and correct when the VM has several NICs, each its own model).
 * - `hotplug_poll`: `ctx.options.hotplug_poll` (ns) becomes the fail-safe devarg in ms. DPDK
 *   reads it as a global from whichever fail-safe instance declares it; here it is per port
 *   (the fail-safe PMD of @bypass/netvsc fixes that bug).
 * - VF discovery: vdev_netvsc re-probes sysfs every 1000 ms and writes the VF's PCI address
 *   into the pipe; the fail-safe's upkeep alarm (every `hotplug_poll` ms) reads it, probes the
 *   VF PMD, replays the configuration and starts it; TX moves to it. A plugged VF carries TX
 *   after at most 1 s + `hotplug_poll`; until then TX uses the TAP (no loss, slow path).
 * - Removal (either kind): the VF PMD raises `intr_rmv` on the PCI removal (mlx4/mlx5 do, from
 *   the device-fatal event, as the fail-safe configured it with `rmv`: failsafe_ops.c
 *   fs_dev_configure) and the fail-safe moves TX to the TAP at once
 *   (failsafe_ether.c failsafe_eth_rmv_event_callback); the detach completes at the next
 *   upkeep. Only what was in the VF's rings is lost (`vf-ring-flushed`). `hotplug_poll` thus
 *   sets how long a (re)plugged VF waits before it is used, not how much a removal loses.
 * - VF carrier loss: the fail-safe does not fail over on link state (failsafe_private.h
 *   fs_switch_dev looks at presence, not link): TX stays on the VF, whose PMD still takes it
 *   (mlx4/mlx5 tx_burst do not look at the link), and the VF loses it as `no-carrier` until the
 *   link returns.
 * - Kernel data path (decided here): on Azure the mlx4/mlx5 VF is bifurcated, so its kernel
 *   netdev exists next to the DPDK PMD; netvsc takes it over 100 ms after it appears
 *   (netvsc_drv.c VF_TAKEOVER_INT) and switches the data path (NVSP SWITCH_DATA_PATH), so the
 *   host sends RX to the VF (`vfSteering = 'host'`, `host.vfSink = ctx.toGuestVf`). The core's
 *   VF is either a kernel netdev or PMD-bound, so the kernel half is modelled here: the VF is
 *   listed in sysfs but not registered, the takeover enables it and asks netvsc's datapath to
 *   switch, and until the fail-safe has started the VF PMD, what the VF receives goes the
 *   kernel way (netvsc_vf_handle_frame -> netvsc -> the TAP's redirect) instead of being lost;
 *   once the PMD runs, its flow rules take the traffic (counted per sub-device). Kernel TX of
 *   netvsc (the TAP's egress) stays synthetic (the kernel VF netdev is not enslaved here).
 *   The VF's removal switches the data path back; `prepareVfRemoval` is the host withdrawing
 *   the association and switching back to synthetic itself first (so an orderly eject loses
 *   nothing).
 * - Groups: the kernel netvsc holds the guest's address, so it joins 224.0.0.1 (its RNDIS
 *   filter takes every group); the application sets its groups as the fail-safe port's
 *   multicast list and, with the `allmulticast` option, enables all-multicast, which the TAP
 *   applies to the remote too (`joinDpdkGroups`). The TAP adds no tc rule for the list, so an
 *   IPv4 group reaches the application only with `allmulticast`; otherwise it ends in the
 *   kernel netvsc, whose stack is not modelled (`rx-nohandler`).
 *
 * @example
 * ```ts
 * const m = new FailsafeNicModel(ctx);
 * ctx.scheduler.advanceBy(1_000_000);        // netvsc probed: net_failsafe_vsc0 on the TAP
 * m.plugVf(vf, fn);                          // noticed within 1 s + hotplug_poll
 * m.datapath();                              // 'backup' now, 'active' once the fail-safe started the VF
 * ```
 */
export class FailsafeNicModel implements NicModel {
  readonly model = 'failsafe' as const;
  readonly vfSteering = 'host' as const;
  readonly acceptsVf = true;
  readonly channel: VmbusChannel;
  readonly host: NetvspHost;
  readonly ethdevs = new EthDevRegistry();
  readonly sysfs: SimulatedSysfs;
  readonly pipes = new PipeTable();
  /** The kernel netvsc netdev once probed. */
  netvsc: NetvscDevice | null = null;
  /** vdev_netvsc, once the kernel netdev exists. */
  vdev: VdevNetvsc | null = null;
  /** `net_failsafe_vsc0`, once created. */
  port: FailsafePort | null = null;
  /** The fail-safe's `hotplug_poll` devarg, ms. */
  readonly hotplugPollMs: number;
  /** DPDK log lines (vdev_netvsc, fail-safe). */
  readonly log: string[] = [];
  private vf: VfDevice | null = null;
  private fn: BusDevice | null = null;
  private serial = 0;
  private takeover: TimerId | null = null;
  private kernelVf = false;
  private readonly vfs = new Map<string, VfDevice>();
  /** The VFs' link interrupts, heard by their PMD ports (see {@link FailsafeNicModel.setLink}). */
  private readonly vfLinks = new Subject<VfDevice>();
  private readonly out = new Int32Array(BURST);
  private readonly counters = {
    txRefused: 0,
    txNotReady: 0,
    kernelVfRx: 0,
  };
  private disposed = false;

  constructor(private readonly ctx: NicModelContext) {
    this.hotplugPollMs = Math.max(1, Math.round(ctx.options.hotplug_poll / NS_PER_MS));
    const suffix = (ctx.mac.value % 2 ** 48).toString(16).padStart(12, '0');
    this.channel = new VmbusChannel({
      scheduler: ctx.scheduler,
      guestScheduler: ctx.guestClock,
      signalLatencyNs: 20_000,
      instanceId: `f8615163-0000-1000-8000-${suffix}`,
    });
    this.host = new NetvspHost({
      channel: this.channel,
      pool: ctx.pool,
      scheduler: ctx.scheduler,
      mac: ctx.mac,
    });
    this.host.vfSink = ctx.toGuestVf;
    // The host NIC steers the MAC's unicast to the VF while host RX is on it (NetvspHostSide).
    this.host.events.on('datapath', (vf) => ctx.steerVf?.(vf));
    this.host.onGuestFrames = (pkts, start, count) => ctx.toHostParavirt(pkts, start, count);
    this.sysfs = new SimulatedSysfs({ ns: ctx.ns, bus: ctx.bus });
    const dpdkLog = (level: string, m: string): void => void this.log.push(`${level}: ${m}`);
    const pollArg = `hotplug_poll=${this.hotplugPollMs}`;
    const fs = failsafeDriver({
      pool: ctx.pool,
      scheduler: ctx.guestClock,
      fds: this.pipes,
      log: dpdkLog,
    });
    // The hotplug_poll devarg vdev_netvsc does not generate (DPDK takes it from any instance).
    const fsWithPoll: EthDriver = {
      ...fs,
      probe: (registry, devName, args) => fs.probe(registry, devName, `${args},${pollArg}`),
    };
    this.ethdevs.registerDriver(tapDriver({ ns: ctx.ns, pool: ctx.pool }));
    this.ethdevs.registerDriver(fsWithPoll);
    this.ethdevs.registerDriver(
      vfPmdDriver({ resolve: (a) => this.vfs.get(a), bus: ctx.bus, linkEvents$: this.vfLinks }),
    );
    NetvscDevice.probe(
      {
        channel: this.channel,
        pool: ctx.pool,
        scheduler: ctx.guestClock,
        registry: ctx.registry,
        ns: ctx.ns,
        name: ctx.nic,
        ipv4Addresses: [ctx.ipv4],
        random: ctx.random.fork(`netvsc-${ctx.vm}-${ctx.nic}`),
      },
      (err, dev) => {
        if (err !== null || dev === null) {
          ctx.event('probe-failed', err?.message ?? 'netvsc probe failed');
          return;
        }
        if (this.disposed) {
          dev.remove();
          return;
        }
        this.netvsc = dev;
        dev.events.on('log', (line) => ctx.event('netvsc', line));
        // The kernel netvsc holds the guest's address; its application is DPDK's (the port).
        joinKernelGroups(dev, ctx, false);
        // A VF plugged during the bring-up: the host associates it once the guest can read it.
        if (this.vf !== null) this.host.sendVfAssociation(true, this.serial);
        this.startDpdk(dpdkLog);
      },
    );
  }

  /**
   * Visits the frames waiting in the VMBus rings (both directions; bytes in shared memory, not
   * pool slots), each copied into a temporary slot for the duration of `visit`; returns how many.
   * For end-of-run accounting of frames in flight.
   */
  ringFrames(visit: (h: number) => void): number {
    return this.disposed ? 0 : visitRingFrames(this.channel, this.ctx.pool, visit);
  }

  fromHostParavirt(pkts: Int32Array, start: number, count: number): void {
    this.host.deliver(pkts, start, count);
  }

  send(pkts: Int32Array, start: number, count: number): void {
    const port = this.port;
    if (port === null) {
      this.counters.txNotReady += count;
      this.ctx.pool.drop(pkts, start, count, FAILSAFE_NOT_READY);
      return;
    }
    const took = port.txBurst(0, pkts, start, count);
    if (took < count) {
      // The application frees what rte_eth_tx_burst did not take.
      this.counters.txRefused += count - took;
      this.ctx.pool.drop(pkts, start + took, count - took, FAILSAFE_TX_REFUSED);
    }
  }

  service(_now: number): void {
    this.kernelVfPath();
    const port = this.port;
    if (port === null) return;
    const out = this.out;
    for (let n; (n = port.rxBurst(0, out, 0, BURST)) > 0;) this.ctx.deliver(out, 0, n);
  }

  plugVf(vf: VfDevice, fn: BusDevice): void {
    this.vf = vf;
    this.fn = fn;
    this.serial = fn.pci?.serial ?? 0;
    this.setVfLink(vf, true);
    const address = fn.pci?.address ?? fn.id;
    this.vfs.set(address, vf);
    // The bifurcated VF keeps its kernel interface: vdev_netvsc finds it in sysfs.
    this.sysfs.addUnregistered(vf, `${this.ctx.nic}vf`);
    // Hyper-V sends the association with the PCI device (vmbus_pci); before netvsc finished its
    // NVSP/RNDIS bring-up nobody would read it, so it is sent when the probe completes.
    if (this.netvsc !== null) this.host.sendVfAssociation(true, this.serial);
    this.cancelTakeover();
    this.takeover = this.ctx.guestClock.runAfter(VF_TAKEOVER_NS, () => {
      this.takeover = null;
      this.kernelTakeover(vf);
    });
    this.ctx.event('vf-plug', `VF ${address} (serial ${this.serial}) listed in sysfs`);
  }

  drainVfRx(): void {
    this.kernelVfPath();
    const port = this.port;
    if (port === null) return;
    const out = this.out;
    for (let n; (n = port.rxBurst(0, out, 0, BURST)) > 0;) this.ctx.deliver(out, 0, n);
  }

  prepareVfRemoval(): void {
    if (this.vf === null) return;
    this.host.sendVfAssociation(false, this.serial);
    // The NetVSP host switches its data path back to synthetic before it removes the VF.
    this.host.dataPath = 'synthetic';
    this.ctx.steerVf?.(false);
    this.ctx.event('vf-association', `withdrawn (serial ${this.serial})`);
  }

  removeVf(surprise: boolean): void {
    const vf = this.vf;
    const fn = this.fn;
    if (vf === null) return;
    this.vf = null;
    this.fn = null;
    this.cancelTakeover();
    // The PCI removal raises intr_rmv on the VF PMD: the fail-safe moves TX to the TAP now.
    if (fn !== null) this.ctx.bus.remove(fn, { surprise });
    vf.hotUnplug({ surprise });
    this.sysfs.removeUnregistered(vf);
    for (const [a, v] of this.vfs) if (v === vf) this.vfs.delete(a);
    // netvsc_vf_changed: the kernel VF netdev is gone, the data path goes back to synthetic.
    if (this.kernelVf) this.netvsc?.datapath.reconcile(false, `${this.ctx.nic}vf`);
    this.kernelVf = false;
  }

  announce(): void {
    // As the netvsc model: the kernel netvsc under the TAP notifies its peers.
    announceHyperV(
      () => {
        this.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
        return true;
      },
      this.ctx,
      'the kernel netvsc, its link up, notifies its peers (netvsc_link_change)',
    );
  }

  /**
   * The VF's carrier changes, and its PMD hears it as a link interrupt (mlx4_intr.c: the PMD's
   * handler runs for a port configured with `lsc`; without it the link changes at `linkGet`).
   */
  private setVfLink(vf: VfDevice, up: boolean): void {
    vf.setLink(up);
    this.vfLinks.next(vf);
  }

  setLink(role: string, up: boolean): boolean {
    if (role === 'vf' && this.vf !== null) this.setVfLink(this.vf, up);
    else if (role === 'backup' || role === 'master')
      this.host.indicateStatus(up ? RNDIS_STATUS.MEDIA_CONNECT : RNDIS_STATUS.MEDIA_DISCONNECT);
    else return false;
    return true;
  }

  datapath(): DatapathInUse {
    const p = this.port?.txSubDevice?.port ?? null;
    if (p === null || !(this.port?.started ?? false)) return 'none';
    return p instanceof VfPmdPort ? 'active' : 'backup';
  }

  device(role: string): NetDevice | null {
    if (role === 'master' || role === 'backup') return this.netvsc;
    if (role === 'vf') return this.vf;
    return this.ctx.ns.getByName(role) ?? null;
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {
      tx_refused: this.counters.txRefused,
      tx_not_ready: this.counters.txNotReady,
      kernel_vf_rx: this.counters.kernelVfRx,
    };
    const port = this.port;
    if (port !== null && port.state !== 'unused') {
      const s = port.statsGet();
      out['opackets'] = s.opackets;
      out['ipackets'] = s.ipackets;
      out['oerrors'] = s.oerrors;
      out['imissed'] = s.imissed;
      for (const sub of port.subDevices) {
        const tag = sub.sid === 0 ? 'vf' : 'tap';
        const ss = sub.readStats();
        out[`${tag}_opackets`] = ss.opackets;
        out[`${tag}_ipackets`] = ss.ipackets;
        out[`${tag}_state`] = sub.state;
      }
    }
    const netvsc = this.netvsc;
    if (netvsc !== null) {
      for (const [k, v] of Object.entries(netvsc.ethtoolStats())) out[`netvsc_${k}`] = v;
    }
    out['host_from_guest'] = this.host.stats.fromGuestFrames;
    out['host_to_guest'] = this.host.stats.toGuestFrames;
    out['host_to_vf'] = this.host.stats.toVfFrames;
    out['host_switch_requests'] = this.host.stats.switchRequests;
    return out;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTakeover();
    const port = this.port;
    if (port !== null && port.state !== 'unused') {
      if (port.started) port.stop();
      port.close();
    }
    this.port = null;
    this.vdev?.remove();
    this.vdev = null;
    this.removeVf(false);
    // Close whatever port is left (the TAP, a VF port the fail-safe had not taken yet).
    for (const p of this.ethdevs.ports()) {
      if (p.state === 'unused') continue;
      if (p.started) p.stop();
      p.close();
    }
    this.netvsc?.remove();
    this.netvsc = null;
  }

  private startDpdk(dpdkLog: (level: string, m: string) => void): void {
    const vdev = new VdevNetvsc({
      registry: this.ethdevs,
      sysfs: this.sysfs,
      scheduler: this.ctx.guestClock,
      pipes: this.pipes,
      log: dpdkLog,
    });
    try {
      // vdev_netvsc's probe does not fail (it logs); no fail-safe port means it went wrong
      const { error } = vdev.probe(VDEV_NETVSC_DRIVER_NAME, `iface=${this.ctx.nic}`);
      const c = vdev.contexts[0];
      if (c === undefined) throw error ?? new Error('vdev_netvsc created no fail-safe port');
      const port = c.port as FailsafePort;
      port.configure(1, 1);
      port.start();
      this.vdev = vdev;
      this.port = port;
      joinDpdkGroups(port, this.ctx);
      this.ctx.event('failsafe', `${c.devname} = ${c.devargs},hotplug_poll=${this.hotplugPollMs}`);
    } catch (err) {
      vdev.remove();
      this.ctx.event('failsafe-failed', (err as Error).message);
    }
  }

  /** netvsc takes the kernel half of the VF over and switches the data path (see the class comment). */
  private kernelTakeover(vf: VfDevice): void {
    const netvsc = this.netvsc;
    if (vf !== this.vf || !vf.present || netvsc === null) return;
    // The kernel driver has the function's queues enabled (the PMD shares them: bifurcated).
    if (!vf.running) vf.startPmd();
    this.kernelVf = true;
    netvsc.datapath.reconcile(true, `${this.ctx.nic}vf`);
  }

  /**
   * Before the fail-safe started the VF PMD, frames the host sent to the VF are the kernel's:
   * netvsc_vf_handle_frame hands them to netvsc, where the TAP's redirect takes them.
   */
  private kernelVfPath(): void {
    const vf = this.vf;
    const netvsc = this.netvsc;
    if (vf === null || netvsc === null || !this.kernelVf || this.vfPmdStarted()) return;
    const out = this.out;
    for (let n; (n = vf.rxBurst(0, out, 0, BURST)) > 0;) {
      this.counters.kernelVfRx += n;
      netvsc.receive(out, 0, n);
    }
  }

  /**
   * True when the fail-safe polls the PMD of the VF plugged now. A sub-device still holding the
   * port of a removed VF (intr_rmv seen, detached at the next upkeep, up to `hotplug_poll` later)
   * does not count: it polls nothing, and the new VF's frames are the kernel's until the
   * fail-safe started its own port (failsafe_rxtx.c fs_rx_unsafe skips a sub-device with
   * `remove` set).
   */
  private vfPmdStarted(): boolean {
    const sub = this.port?.subDevices[0];
    const p = sub?.port;
    return (
      sub !== undefined && !sub.remove && p instanceof VfPmdPort && p.vf === this.vf && p.started
    );
  }

  private cancelTakeover(): void {
    if (this.takeover !== null) this.ctx.guestClock.cancel(this.takeover);
    this.takeover = null;
  }
}
