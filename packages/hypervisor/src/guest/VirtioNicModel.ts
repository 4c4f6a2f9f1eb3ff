import { BusDevice, type NetDevice, type PacketSink, type VfDevice } from '@bypass/core';
import {
  VIRTIO_NET_DRIVER_FEATURES,
  VIRTIO_NET_F,
  type VirtioNetBackend,
  VirtioNetDevice,
  featureMask,
  featureNames,
  hasFeature,
} from '@bypass/virtio-backup';
import type { DatapathInUse } from '../report/Report.js';
import { VirtioAnnouncer } from './GuestAnnounce.js';
import { joinKernelGroups } from './GuestGroups.js';
import { guestVirtioBackend } from './guestVirtioBackend.js';
import type { NicModel, NicModelContext } from './NicModel.js';
import { removeVfFunction, setVirtioOrVfLink } from './VirtioHostLink.js';

/**
 * virtio-net under QEMU, with or without failover: `virtio-backup` offers VIRTIO_NET_F_BACKUP
 * (mainline STANDBY; QEMU `failover=on`) so the guest creates the 3-netdev bypass master and
 * the VF with the same MAC becomes its active slave; `virtio` is a plain virtio-net NIC that
 * never gets a VF.
 *
 * Host side (QEMU `hw/net/virtio-net.c` failover): the VF stays hidden until the guest
 * acknowledged BACKUP (`acceptsVf` false before, and for a guest that does not accept it); with
 * `offer_backup: false` (`failover=off`) the VF is a plain passthrough NIC next to virtio (no
 * master: the application sends on virtio and receives on both). After a migration QEMU sends
 * RARPs for the NIC and, with GUEST_ANNOUNCE, asks the guest to announce itself
 * (`net/announce.c`): a plain virtio NIC sends a gratuitous ARP, a failover standby nothing (its
 * addresses are the master's).
 *
 * @example
 * ```ts
 * const m = new VirtioNicModel('virtio-backup', ctx);
 * m.plugVf(vf, fn); // the VF becomes the master's active slave
 * ```
 */
export class VirtioNicModel implements NicModel {
  readonly vfSteering = 'filter' as const;
  readonly backend: VirtioNetBackend;
  private readonly announcer: VirtioAnnouncer;
  readonly virtio: VirtioNetDevice;
  private vf: VfDevice | null = null;
  private fn: BusDevice | null = null;
  private readonly app: NetDevice;
  private readonly sink: PacketSink;

  constructor(
    readonly model: 'virtio-backup' | 'virtio',
    private readonly ctx: NicModelContext,
  ) {
    const failover = model === 'virtio-backup' && ctx.options.offer_backup;
    this.backend = guestVirtioBackend(ctx, failover);
    const driverFeatures = ctx.options.guest_accepts_backup
      ? VIRTIO_NET_DRIVER_FEATURES
      : VIRTIO_NET_DRIVER_FEATURES & ~featureMask(VIRTIO_NET_F.BACKUP);
    this.virtio = VirtioNetDevice.probe({
      pool: ctx.pool,
      transport: this.backend,
      ns: ctx.ns,
      parent: new BusDevice({ id: `virtio-${ctx.nic}`, bus: 'virtio' }),
      registry: ctx.registry,
      name: ctx.nic,
      driverFeatures,
      multicastViaBackup: ctx.options.multicast_via === 'backup',
      random: ctx.random.fork(`virtio-${ctx.vm}-${ctx.nic}`),
      ipv4: ctx.ipv4,
      scheduler: ctx.guestClock,
    });
    this.announcer = new VirtioAnnouncer(this.backend, this.virtio, ctx);
    ctx.event('features-negotiated', featureNames(this.backend.negotiatedFeatures).join(' '));
    this.app = this.virtio.bypassMaster ?? this.virtio;
    this.sink = (_dev, pkts, start, count) => ctx.deliver(pkts, start, count);
    this.app.bindSink(this.sink);
    this.app.open();
    if (this.app !== this.virtio) this.virtio.open();
    joinKernelGroups(this.app, ctx);
  }

  get acceptsVf(): boolean {
    if (this.model === 'virtio') return false;
    if (!this.ctx.options.offer_backup) return true;
    // QEMU plugs the failover primary only once the guest acknowledged STANDBY.
    return hasFeature(this.backend.negotiatedFeatures, VIRTIO_NET_F.BACKUP);
  }

  fromHostParavirt(pkts: Int32Array, start: number, count: number): void {
    this.backend.receive(0, pkts, start, count);
  }

  send(pkts: Int32Array, start: number, count: number): void {
    this.app.xmit(pkts, start, count);
  }

  service(): void {
    this.vf?.pollAll(256);
  }

  plugVf(vf: VfDevice, fn: BusDevice): void {
    this.vf = vf;
    this.fn = fn;
    if (this.virtio.bypassMaster === null) vf.bindSink(this.sink);
    vf.setLink(true);
    this.ctx.ns.register(vf, `${this.ctx.nic}vf`);
    if (!vf.running) vf.open();
  }

  drainVfRx(): void {
    this.vf?.pollAll(1 << 20);
  }

  removeVf(surprise: boolean): void {
    const vf = this.vf;
    if (vf === null) return;
    this.vf = null;
    removeVfFunction(this.ctx, vf, this.fn, surprise);
    this.fn = null;
  }

  announce(): void {
    this.announcer.announce();
  }

  setLink(role: string, up: boolean): boolean {
    return setVirtioOrVfLink(this.backend, this.vf, role, up);
  }

  bootSettled(): boolean {
    // With failover off the VF is a NIC of its own: the application's path is virtio either way.
    if (this.virtio.bypassMaster === null) return this.datapath() !== 'none';
    return this.datapath() === (this.vf === null ? 'backup' : 'active');
  }

  datapath(): DatapathInUse {
    const m = this.virtio.bypassMaster;
    if (m !== null) return m.datapath;
    return this.virtio.running && this.virtio.carrier ? 'backup' : 'none';
  }

  device(role: string): NetDevice | null {
    if (role === 'master') return this.virtio.bypassMaster ?? this.virtio;
    if (role === 'backup') return this.virtio;
    if (role === 'vf') return this.vf;
    return this.ctx.ns.getByName(role) ?? null;
  }

  stats(): Record<string, number> {
    const s = this.app.getStats64();
    const out: Record<string, number> = {
      rx_packets: s.rxPackets,
      tx_packets: s.txPackets,
      rx_dropped: s.rxDropped,
      tx_dropped: s.txDropped,
    };
    if (this.app !== this.virtio) {
      // The master folds its slaves' counters (net_failover_get_stats): what is not virtio's
      // own went through a VF, the ones gone included.
      const v = this.virtio.getStats64();
      out['vf_rx_packets'] = s.rxPackets - v.rxPackets;
      out['vf_tx_packets'] = s.txPackets - v.txPackets;
      out['vf_rx_bytes'] = s.rxBytes - v.rxBytes;
      out['vf_tx_bytes'] = s.txBytes - v.txBytes;
    }
    for (const [k, v] of Object.entries(this.virtio.ethtoolStats())) out[`backup_${k}`] = v;
    const b = this.backend.stats;
    out['host_rx_no_buffer'] = b.rxNoBuffer;
    out['host_tx_packets'] = b.txPackets;
    out['host_rx_packets'] = b.rxPackets;
    out['announce_acks'] = this.backend.announceAcks;
    return out;
  }

  dispose(): void {
    this.announcer.cancel();
    this.removeVf(false);
    if (!this.virtio.removed) this.virtio.remove();
  }
}
