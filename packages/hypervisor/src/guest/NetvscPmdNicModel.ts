import { Subject } from 'rxjs';
import {
  DropReason,
  Ethernet,
  NS_PER_US,
  isBypassError,
  type BusDevice,
  type NetDevice,
  type VfDevice,
} from '@bypass/core';
import {
  ETH_OFFLOAD,
  EthDevRegistry,
  NetvscPmdPort,
  SimulatedSysfs,
  vfPmdDriver,
} from '@bypass/netvsc';
import type { DatapathInUse } from '../report/Report.js';
import { announceHyperV } from './GuestAnnounce.js';
import { joinDpdkGroups } from './GuestGroups.js';
import type { NicModel, NicModelContext } from './NicModel.js';
import { NetvspHostSide } from './netvsc/NetvspHostSide.js';
import { visitRingFrames } from './netvsc/visitRingFrames.js';
import { TxBacklog } from './netvsc/TxBacklog.js';
import { vfNetdevName } from './netvsc/vfNetdevName.js';

/** The application's burst size (rte_eth_rx_burst / tx_burst). */
const BURST = 32;
/** Bursts per poll at most (a poll loop that always finds something still returns). */
const MAX_BURSTS = 4096;
/** Frames the application holds for a retry when the port took fewer than offered. */
const TX_BACKLOG = 1024;

/**
 * Hyper-V NetVSC driven by DPDK's netvsc PMD (`netvsc-pmd`): the application is a DPDK program
 * polling one {@link NetvscPmdPort} (`drivers/net/netvsc`), which handles the VF itself (no
 * vdev_netvsc, no fail-safe); the host end is the same NetVSP peer as for `netvsc`
 * ({@link NetvspHostSide}, `vfSteering: 'host'`).
 *
 * - Probe: devargs `latency=<options.latency in us>,tx_copybreak=<options.tx_copybreak>`, the
 *   NVSP/RNDIS bring-up on `ctx.scheduler` (about 0.25 ms), then `configure(1, 1)` with the RX
 *   VLAN_STRIP offload (tags in the frame's metadata, as the guest stack takes them) and `start`.
 *   Before that `send` drops (`no-device`), host RX drops (`dev-down`), `datapath()` is `none`.
 *   `acceptsVf` is always true (Hyper-V offers a VF any time; see below for an early one).
 * - Application: {@link NetvscPmdNicModel.service} is its poll loop, `rxBurst` until empty ->
 *   `ctx.deliver` (the PMD reads its VMBus ring there: frames, link changes, the VF
 *   association). {@link NetvscPmdNicModel.send} is `txBurst`; frames the port does not take wait
 *   in the application's retry buffer (offered again first, at the next send or poll) and are
 *   dropped as `ring-full` only when that is full too.
 * - VF: {@link NetvscPmdNicModel.plugVf} = the host sends the association and the VF (bound to the
 *   PMD, never a kernel netdev; its kernel interface is only visible in sysfs, as with mlx5's
 *   bifurcated driver) appears on the PCI bus. The PMD's hot-add callback (`hn_ethdev.c`
 *   netvsc_hotadd_callback) probes it after `NETVSC_HOTADD_RETRY_INTERVAL` (1 s), attaches it as
 *   its sub-port, starts it and switches the datapath (NVSP 129, not awaited): TX and RX on the VF
 *   about 1 s after the plug. A VF plugged before the port started is probed at start instead
 *   (EAL's PCI scan), then switched when the association is read.
 * - Orderly removal: {@link NetvscPmdNicModel.prepareVfRemoval} = the host moves its RX back to
 *   VMBus and withdraws the association; the PMD switches to synthetic at its next poll
 *   (`hn_vf.c` hn_vf_remove_unlocked). It then reads the VF only while switched (`hn_rxtx.c`
 *   hn_recv_pkts), so {@link NetvscPmdNicModel.drainVfRx} is the application's poll.
 * - Removal: the PCI function goes; the VF port raises `intr_rmv` (the PMD configured it with
 *   `rmv`, hn_vf.c hn_vf_configure) and the PMD switches to synthetic and closes it 1 us later
 *   (`hn_remove_delayed`); frames the VF port refuses meanwhile wait in the retry buffer.
 * - VF carrier loss: the data path stays on the VF (hn_vf.c has no link handling) and the VF's
 *   PMD still takes TX, which the VF loses as `no-carrier` until the link returns.
 * - Announce: the host indicates RNDIS MEDIA_CONNECT, which the PMD only records; DPDK has no
 *   announce, so the application sends one gratuitous ARP on the port.
 * - Groups: after `start` the application sets its groups as the port's multicast list, which
 *   the PMD gives the VF only (`hn_dev_mc_addr_list`), and enables all-multicast with the
 *   `allmulticast` option (`joinDpdkGroups`). Group frames come over VMBus, so a multicast flow
 *   reaches the application only with `allmulticast` (else `mac-filter-miss` at the host).
 * - {@link NetvscPmdNicModel.device} returns null for every role: a DPDK port is no netdev
 *   (link steps go through {@link NetvscPmdNicModel.setLink}).
 *
 * @example
 * ```ts
 * const m = new NetvscPmdNicModel(ctx);
 * ctx.scheduler.advanceBy(1_000_000); // the bring-up completes; the port is started
 * m.send(pkts, 0, n);                 // txBurst
 * m.service(ctx.scheduler.now());     // rxBurst until empty -> ctx.deliver
 * ```
 */
export class NetvscPmdNicModel implements NicModel {
  readonly model = 'netvsc-pmd' as const;
  readonly vfSteering = 'host' as const;
  /** The host side: VMBus channel and NetVSP peer. */
  readonly side: NetvspHostSide;
  /** The DPDK process's ports (the netvsc port, and the VF port once probed). */
  readonly registry = new EthDevRegistry();
  /** The netvsc port once probed and started, else null. */
  port: NetvscPmdPort | null = null;
  /** The probe's error, when the host refused the bring-up. */
  probeError: Error | null = null;
  private readonly sysfs: SimulatedSysfs;
  private readonly vfs = new Map<string, VfDevice>();
  /** The VFs' link interrupts, heard by their PMD ports (see {@link NetvscPmdNicModel.setLink}). */
  private readonly vfLinks = new Subject<VfDevice>();
  private vf: VfDevice | null = null;
  private fn: BusDevice | null = null;
  /** A VF plugged before the port started: probed and associated at start. */
  private early = false;
  private disposed = false;
  private readonly backlog: TxBacklog;
  private readonly rx = new Int32Array(BURST);
  private readonly tx = (p: Int32Array, s: number, c: number): number =>
    this.port === null ? 0 : this.port.txBurst(0, p, s, c);

  constructor(private readonly ctx: NicModelContext) {
    this.side = new NetvspHostSide(ctx, { maxChannels: 1 });
    this.backlog = new TxBacklog(ctx.pool, TX_BACKLOG, DropReason.RING_FULL);
    this.sysfs = new SimulatedSysfs({ ns: ctx.ns, bus: ctx.bus });
    this.registry.registerDriver(
      vfPmdDriver({
        resolve: (address) => this.vfs.get(address),
        bus: ctx.bus,
        linkEvents$: this.vfLinks,
      }),
    );
    const latencyUs = Math.round(ctx.options.latency / NS_PER_US);
    NetvscPmdPort.probe(
      {
        registry: this.registry,
        channel: this.side.channel,
        pool: ctx.pool,
        scheduler: ctx.guestClock,
        devargs: `latency=${latencyUs},tx_copybreak=${ctx.options.tx_copybreak}`,
        maxQueues: 1,
        hotplug: { bus: ctx.bus, sysfs: this.sysfs },
        log: (level, m) => {
          if (level !== 'debug') ctx.event('driver-log', `${level}: ${m}`);
        },
        random: ctx.random.fork(`netvsc-pmd-${ctx.vm}-${ctx.nic}`),
      },
      (err, port) => this.probed(err, port),
    );
  }

  private probed(err: Error | null, port: NetvscPmdPort | null): void {
    if (this.disposed) {
      if (port !== null) port.close();
      return;
    }
    if (err !== null || port === null) {
      this.probeError = err ?? new Error('netvsc PMD probe returned no port');
      this.ctx.event('probe-failed', this.probeError.message);
      return;
    }
    // The application asks for VLAN_STRIP: without it the PMD puts the tag back in the frame.
    port.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_STRIP });
    port.start();
    this.port = port;
    joinDpdkGroups(port, this.ctx);
    this.ctx.event(
      'features-negotiated',
      `NVSP 0x${port.nvspVersion.toString(16)}, port ${port.portId} (${port.name}), ` +
        `devargs ${port.devargs}`,
    );
    if (this.early && this.vf !== null && this.fn !== null) {
      this.early = false;
      this.probeVfPort(this.fn);
      this.side.associate(this.fn.pci?.serial ?? 0);
    }
  }

  /**
   * Hyper-V offers a VF at any time: one plugged before the port started is probed at start and
   * associated then.
   */
  get acceptsVf(): boolean {
    return !this.disposed;
  }

  /**
   * Visits the frames waiting in the VMBus rings (both directions; bytes in shared memory, not
   * pool slots: RX stays there until the application polls), each copied into a temporary slot
   * for the duration of `visit`; returns how many. For end-of-run accounting of frames in flight.
   */
  ringFrames(visit: (h: number) => void): number {
    return this.disposed ? 0 : visitRingFrames(this.side.channel, this.ctx.pool, visit);
  }

  fromHostParavirt(pkts: Int32Array, start: number, count: number): void {
    this.side.deliver(pkts, start, count);
  }

  send(pkts: Int32Array, start: number, count: number): void {
    if (count <= 0) return;
    if (this.port === null || this.disposed) {
      this.ctx.pool.drop(pkts, start, count, DropReason.NO_DEVICE);
      return;
    }
    this.backlog.send(pkts, start, count, this.tx);
  }

  /** The application's poll loop: held TX offered again, then rxBurst until empty. */
  service(_now?: number): void {
    const port = this.port;
    if (port === null) return;
    this.backlog.flush(this.tx);
    const rx = this.rx;
    for (let i = 0; i < MAX_BURSTS; i++) {
      const n = port.rxBurst(0, rx, 0, BURST);
      if (n === 0) break;
      this.ctx.deliver(rx, 0, n);
    }
  }

  plugVf(vf: VfDevice, fn: BusDevice): void {
    if (this.disposed || this.vf !== null) return;
    const address = fn.pci?.address ?? fn.id;
    this.vf = vf;
    this.fn = fn;
    this.vfs.set(address, vf);
    this.setVfLink(vf, true);
    // The VF keeps its kernel interface in sysfs (bifurcated driver): the hot-add checks its MAC.
    this.sysfs.addUnregistered(
      vf,
      vfNetdevName(this.ctx.ns, fn, fn.pci?.serial ?? 0, this.ctx.nic),
    );
    if (this.port === null) {
      this.early = true;
      return;
    }
    this.side.associate(fn.pci?.serial ?? 0);
  }

  prepareVfRemoval(): void {
    this.side.withdraw();
  }

  drainVfRx(): void {
    this.service();
  }

  removeVf(surprise: boolean): void {
    const vf = this.vf;
    if (vf === null) return;
    const fn = this.fn;
    this.vf = null;
    this.fn = null;
    this.early = false;
    this.side.switchHostToSynthetic();
    // The VF port sees the PCI removal (intr_rmv) and hot-unplugs the VF; without a port, do it.
    if (fn !== null && this.ctx.bus.get(fn.id) === fn) this.ctx.bus.remove(fn, { surprise });
    vf.hotUnplug({ surprise });
    this.sysfs.removeUnregistered(vf);
    for (const [a, d] of this.vfs) if (d === vf) this.vfs.delete(a);
    this.side.withdraw();
  }

  announce(): void {
    const port = this.port;
    const pool = this.ctx.pool;
    const h = port === null ? -1 : pool.alloc();
    // hn_rndis.c: the PMD only records a link status indication; announcing is the application's
    const what =
      h < 0
        ? 'the PMD only records the link; the DPDK port cannot send now'
        : 'the PMD only records the link; the application sends a gratuitous ARP';
    announceHyperV(() => this.side.indicateLink(true), this.ctx, what);
    if (h < 0) return;
    // Sent as built (60 bytes): hn_rxtx.c hn_xmit_pkts takes a frame of any length.
    Ethernet.writeGratuitousArp(pool, h, this.ctx.mac.value, this.ctx.ipv4);
    const one = new Int32Array([h]);
    this.send(one, 0, 1);
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
    if (role === 'vf') {
      if (this.vf === null) return false;
      this.setVfLink(this.vf, up);
      return true;
    }
    if (role === 'master' || role === 'backup' || role === this.ctx.nic)
      return this.side.indicateLink(up);
    return false;
  }

  datapath(): DatapathInUse {
    const port = this.port;
    if (port === null || this.disposed || port.state !== 'attached' || !port.started) return 'none';
    const vfPort = port.vfPort;
    if (port.vfSwitched && vfPort !== null && vfPort.started && vfPort.state === 'attached')
      return 'active';
    return port.linkGet().status ? 'backup' : 'none';
  }

  device(_role: string): NetDevice | null {
    return null;
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    const port = this.port;
    if (port !== null) {
      const s = port.statsGet();
      out['rx_packets'] = s.ipackets;
      out['tx_packets'] = s.opackets;
      out['rx_bytes'] = s.ibytes;
      out['tx_bytes'] = s.obytes;
      out['rx_missed'] = s.imissed;
      out['rx_errors'] = s.ierrors;
      out['tx_errors'] = s.oerrors;
      out['rx_nombuf'] = s.rx_nombuf;
      const p = port.pmdStats;
      for (const [k, v] of Object.entries(p)) out[`pmd_${snake(k)}`] = v;
      // The names users check on the kernel driver, from the PMD's VF counters.
      out['vf_tx_packets'] = p.txVf;
      out['vf_rx_packets'] = p.rxVf;
    }
    out['app_tx_backlog'] = this.backlog.count;
    this.side.statsInto(out);
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.removeVf(false);
    this.disposed = true;
    const port = this.port;
    this.port = null;
    this.backlog.dropAll(DropReason.NO_DEVICE);
    if (port !== null) {
      port.stop();
      port.close();
    }
    this.side.close();
  }

  /** EAL's PCI scan at start: the VF's PCI address becomes a port (the PMD attaches it by MAC). */
  private probeVfPort(fn: BusDevice): void {
    const address = fn.pci?.address ?? fn.id;
    try {
      this.registry.probe(address);
    } catch (err) {
      if (!isBypassError(err, 'ERR_ALREADY_REGISTERED'))
        this.ctx.event('driver-log', `error: probing VF ${address}: ${(err as Error).message}`);
    }
  }
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
