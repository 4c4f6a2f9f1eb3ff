import {
  DropReason,
  type BusDevice,
  type NetDevice,
  type PacketSink,
  type VfDevice,
} from '@bypass/core';
import { NetvscDevice } from '@bypass/netvsc';
import type { DatapathInUse } from '../report/Report.js';
import { announceHyperV } from './GuestAnnounce.js';
import { joinKernelGroups } from './GuestGroups.js';
import type { NicModel, NicModelContext } from './NicModel.js';
import { NetvspHostSide } from './netvsc/NetvspHostSide.js';
import { visitRingFrames } from './netvsc/visitRingFrames.js';
import { vfNetdevName } from './netvsc/vfNetdevName.js';

/** Channels the guest asks for: the world's flows use queue 0 (each channel is a 1 MiB ring). */
const CHANNELS = 1;
/** NAPI budget per service call on each VF RX queue. */
const NAPI_BUDGET = 256;

/**
 * Hyper-V NetVSC under Linux (`netvsc`): the `hv_netvsc` driver ({@link NetvscDevice}, the
 * 2-netdev model: netvsc is itself the master of its VF) on a VMBus channel whose host end is the
 * NetVSP peer ({@link NetvspHostSide}).
 *
 * - Probe: NVSP/RNDIS bring-up over VMBus, asynchronous on `ctx.scheduler` (about 0.5 ms of
 *   virtual time with 20 us signals); until it completes `send` drops (`no-device`), host RX drops
 *   (`dev-down`: no packet filter set) and `datapath()` is `none`; a VF plugged meanwhile is
 *   associated when it completes (`acceptsVf` is always true: Hyper-V offers it any time). The netdev
 *   is registered in `ctx.ns` as `ctx.nic` and opened; the application's sink is bound on it.
 * - VF (`vfSteering: 'host'`): {@link NetvscNicModel.plugVf} = the host sends the VF association
 *   for the PCI function's slot serial, the VF driver brings the link up and registers the netdev
 *   (`enP<domain>s<serial>`); netvsc enslaves it, takes it over 100 ms later (`VF_TAKEOVER_INT`)
 *   and opens it, then SWITCH_DATA_PATH: TX on the VF once the host completed (one VMBus round
 *   trip), and host RX to `ctx.toGuestVf` from then on.
 * - Orderly removal: {@link NetvscNicModel.prepareVfRemoval} = the host moves its RX back to
 *   VMBus and withdraws the association. Linux only records the withdrawal (`netvsc.c`
 *   netvsc_send_vf): guest TX stays on the VF, which still works, until the eject unregisters it
 *   (NETDEV_GOING_DOWN: synthetic first, `netvsc_drv.c` netvsc_vf_changed).
 * - Announce: the host indicates RNDIS MEDIA_CONNECT; netvsc, its link up, answers with a
 *   gratuitous ARP through the synthetic path (`netvsc_drv.c` netvsc_link_change).
 * - `device('master')` and `device('backup')` are both the netvsc netdev (there is no third one).
 *
 * @example
 * ```ts
 * const m = new NetvscNicModel(ctx);
 * ctx.scheduler.advanceBy(1_000_000);  // the VMBus bring-up completes
 * m.plugVf(vf, fn);                    // association + VF netdev; TX on the VF ~100 ms later
 * ```
 */
export class NetvscNicModel implements NicModel {
  readonly model = 'netvsc' as const;
  readonly vfSteering = 'host' as const;
  /** The host side: VMBus channel and NetVSP peer. */
  readonly side: NetvspHostSide;
  /** The netvsc netdev once the probe completed, else null. */
  dev: NetvscDevice | null = null;
  /** The probe's error, when the host refused the bring-up. */
  probeError: Error | null = null;
  private vf: VfDevice | null = null;
  private fn: BusDevice | null = null;
  /** A VF plugged before the probe completed: its association is sent once the guest can read it. */
  private pendingSerial = -1;
  private disposed = false;
  private readonly sink: PacketSink;

  constructor(private readonly ctx: NicModelContext) {
    this.side = new NetvspHostSide(ctx, { maxChannels: CHANNELS });
    this.sink = (_dev, pkts, start, count) => ctx.deliver(pkts, start, count);
    NetvscDevice.probe(
      {
        channel: this.side.channel,
        pool: ctx.pool,
        scheduler: ctx.guestClock,
        registry: ctx.registry,
        ns: ctx.ns,
        name: ctx.nic,
        channels: CHANNELS,
        ipv4Addresses: [ctx.ipv4],
        random: ctx.random.fork(`netvsc-${ctx.vm}-${ctx.nic}`),
      },
      (err, dev) => this.probed(err, dev),
    );
  }

  private probed(err: Error | null, dev: NetvscDevice | null): void {
    if (this.disposed) {
      if (dev !== null) dev.remove();
      return;
    }
    if (err !== null || dev === null) {
      this.probeError = err ?? new Error('netvsc probe returned no device');
      this.ctx.event('probe-failed', this.probeError.message);
      return;
    }
    this.dev = dev;
    dev.events.on('log', (line) => this.ctx.event('driver-log', line, dev.name));
    dev.events.on('rescind', () => this.ctx.event('vmbus-rescind', undefined, dev.name));
    // An MTU change detaches netvsc from its channel and attaches it again (netvsc_change_mtu).
    dev.events.on('reattach', (state, mtu) =>
      this.ctx.event('netvsc-reattach', `${state}, MTU ${mtu}`, dev.name),
    );
    dev.bindSink(this.sink);
    dev.open();
    joinKernelGroups(dev, this.ctx);
    this.ctx.event(
      'features-negotiated',
      `NVSP 0x${dev.nvspVersion.toString(16)}, ${dev.channels} channel(s), MTU ${dev.mtu}`,
      dev.name,
    );
    if (this.pendingSerial >= 0) {
      this.side.associate(this.pendingSerial);
      this.pendingSerial = -1;
    }
  }

  /**
   * Hyper-V offers a VF at any time: one plugged before the bring-up completed is associated
   * once the guest can read the association (a NetVSP host sends it after the NVSP init).
   */
  get acceptsVf(): boolean {
    return !this.disposed;
  }

  /**
   * Visits the frames waiting in the VMBus rings (both directions; bytes in shared memory, not
   * pool slots), each copied into a temporary slot for the duration of `visit`; returns how many.
   * For end-of-run accounting of frames in flight.
   */
  ringFrames(visit: (h: number) => void): number {
    return this.disposed ? 0 : visitRingFrames(this.side.channel, this.ctx.pool, visit);
  }

  fromHostParavirt(pkts: Int32Array, start: number, count: number): void {
    this.side.deliver(pkts, start, count);
  }

  send(pkts: Int32Array, start: number, count: number): void {
    if (count <= 0) return;
    const dev = this.dev;
    if (dev === null || this.disposed) this.ctx.pool.drop(pkts, start, count, DropReason.NO_DEVICE);
    else dev.xmit(pkts, start, count);
  }

  /** NAPI on the VF; VMBus work runs on the scheduler (signals). */
  service(_now?: number): void {
    const vf = this.vf;
    if (vf !== null && vf.registered) vf.pollAll(NAPI_BUDGET);
  }

  plugVf(vf: VfDevice, fn: BusDevice): void {
    if (this.disposed || this.vf !== null) return;
    this.vf = vf;
    this.fn = fn;
    const serial = fn.pci?.serial ?? 0;
    // Hyper-V: the association (NVSP 128) comes with the PCI device (vmbus_pci).
    if (this.dev !== null) this.side.associate(serial);
    else this.pendingSerial = serial;
    vf.setLink(true);
    // The VF driver registers its netdev; netvsc enslaves it (registry) and takes it over.
    this.ctx.ns.register(vf, vfNetdevName(this.ctx.ns, fn, serial, this.ctx.nic));
  }

  prepareVfRemoval(): void {
    this.pendingSerial = -1;
    this.side.withdraw();
  }

  drainVfRx(): void {
    const vf = this.vf;
    if (vf !== null && vf.registered) vf.pollAll(1 << 20);
  }

  removeVf(surprise: boolean): void {
    const vf = this.vf;
    if (vf === null) return;
    this.vf = null;
    // The host took the VF: its RX is back on VMBus at once, whatever the guest does.
    this.side.switchHostToSynthetic();
    vf.hotUnplug({ surprise });
    if (this.fn !== null && this.ctx.bus.get(this.fn.id) === this.fn)
      this.ctx.bus.remove(this.fn, { surprise });
    this.fn = null;
    this.pendingSerial = -1;
    this.side.withdraw();
  }

  announce(): void {
    announceHyperV(
      () => this.side.indicateLink(true),
      this.ctx,
      'netvsc, its link up, notifies its peers (netvsc_link_change)',
    );
  }

  setLink(role: string, up: boolean): boolean {
    if (role === 'vf') {
      if (this.vf === null) return false;
      this.vf.setLink(up);
      return true;
    }
    if (role === 'master' || role === 'backup' || role === this.ctx.nic)
      return this.side.indicateLink(up);
    return false;
  }

  datapath(): DatapathInUse {
    const dev = this.dev;
    if (dev === null || this.disposed || !dev.client.open) return 'none';
    // Detached for an MTU change: TX waits in netvsc's stopped queues, VF traffic included.
    if (dev.nvdevState !== 'attached') return 'none';
    // netvsc itself down or without carrier: the stack does not transmit on it at all (its
    // qdisc is deactivated), VF or not.
    if (!dev.running || !dev.carrier) return 'none';
    return dev.txOnVf ? 'active' : 'backup';
  }

  device(role: string): NetDevice | null {
    if (role === 'master' || role === 'backup') return this.dev;
    if (role === 'vf') return this.vf;
    return this.ctx.ns.getByName(role) ?? null;
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    const dev = this.dev;
    if (dev !== null) {
      const s = dev.getStats64();
      out['rx_packets'] = s.rxPackets;
      out['tx_packets'] = s.txPackets;
      out['rx_dropped'] = s.rxDropped;
      out['tx_dropped'] = s.txDropped;
      Object.assign(out, dev.ethtoolStats());
      out['datapath_switches'] = dev.datapath.switches;
      out['datapath_switch_failures'] = dev.datapath.failures;
      out['garp_frames'] = dev.garpFrames;
    }
    this.side.statsInto(out);
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.removeVf(false);
    this.disposed = true;
    const dev = this.dev;
    this.dev = null;
    if (dev !== null) dev.remove();
    this.side.close();
  }
}
