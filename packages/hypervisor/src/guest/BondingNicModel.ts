import {
  BondMaster,
  BusDevice,
  Ethernet,
  NS_PER_MS,
  type NetDevice,
  type PacketSink,
  type TimerId,
  type VfDevice,
} from '@bypass/core';
import {
  VIRTIO_NET_DRIVER_FEATURES,
  VIRTIO_NET_F,
  type VirtioNetBackend,
  VirtioNetDevice,
  featureMask,
} from '@bypass/virtio-backup';
import type { DatapathInUse } from '../report/Report.js';
import { VirtioAnnouncer } from './GuestAnnounce.js';
import { joinKernelGroups } from './GuestGroups.js';
import { guestVirtioBackend } from './guestVirtioBackend.js';
import type { NicModel, NicModelContext } from './NicModel.js';
import { removeVfFunction, setVirtioOrVfLink } from './VirtioHostLink.js';

/**
 * Default delay between the VF's netdev registration and its enslavement to the bond (what a
 * udev rule, NetworkManager or an `ifenslave` hook takes in a real guest), ns: 1 s.
 *
 * @example
 * ```ts
 * new BondingNicModel(ctx, { enslaveDelay: DEFAULT_ENSLAVE_DELAY_NS / 2 });
 * ```
 */
export const DEFAULT_ENSLAVE_DELAY_NS = 1000 * NS_PER_MS;

/**
 * Options of a {@link BondingNicModel} not (yet) in the scenario's `NicOptions`.
 *
 * @example
 * ```ts
 * const o: BondingNicModelOptions = { enslaveDelay: 500_000_000 };
 * ```
 */
export interface BondingNicModelOptions {
  /** Delay from the VF's registration to its enslavement, ns; default {@link DEFAULT_ENSLAVE_DELAY_NS}. */
  readonly enslaveDelay?: number;
}

/**
 * The pre-bypass way: a Linux active-backup bond (core `BondMaster`, `drivers/net/bonding`)
 * over a plain virtio-net NIC (`<nic>v`, no VIRTIO_NET_F_BACKUP) and the VF (`<nic>vf`, the
 * bond's `primary`), with MII link monitoring every `miimon`; the application uses the bond,
 * named after the NIC.
 *
 * - Steering: `filter`. The host's MAC filter sends RX to the VF as soon as it is plugged;
 *   an active-backup bond passes up only what its active slave receives (bond_main.c
 *   bond_handle_frame -> bond_should_deliver_exact_match: RX_HANDLER_EXACT on an inactive
 *   slave, dropped as `rx-nohandler`), and a VF that is not yet enslaved is down (its RX is
 *   dropped as `dev-down`).
 * - Enslaving: the VF driver registers the netdev; nothing in the kernel enslaves it. A udev
 *   rule / NetworkManager / ifenslave does, `enslaveDelay` later (event `vf-enslave`); being
 *   the primary, it then becomes the active slave at once (bond_main.c bond_enslave ->
 *   bond_select_active_slave).
 * - Hot-unplug (either kind): the VF's unregistration releases it at once (bond_main.c
 *   bond_netdev_event NETDEV_UNREGISTER -> __bond_release_one): immediate failover to virtio,
 *   in two steps as in Linux: the bond first has no active slave (`bond-active eth0vf -> none`,
 *   no failover notification, no GARP), then selects virtio (`none -> eth0v`, one failover and
 *   its GARP). `bond_failovers` counts NETDEV_BONDING_FAILOVER: every change to a new active
 *   slave after virtio's own enslave.
 * - Carrier loss of the VF (`setLink('vf', false)`): nothing happens until the next miimon
 *   round (bond_main.c bond_mii_monitor); meanwhile TX still goes to the VF and is dropped
 *   there (`no-carrier`, counted in `vf_tx_dropped`): loss proportional to `miimon`.
 * - Failover: the bond sends `num_grat_arp` (1) gratuitous ARPs on the new active slave
 *   (bond_main.c bond_should_notify_peers), counted in `bond_garps`, from the bond's MAC.
 * - MACs (`fail_over_mac`, `vf_mac`, `vf_trust`): the VF's MAC is the one the host assigned
 *   (`vf_mac`, default the NIC's) and an untrusted VF keeps it (`VfDevice` option `adminMac`).
 *   With `none` the enslave sets the VF's MAC to the bond's (bond_main.c bond_enslave):
 *   refused when `vf_mac` differs, so the VF stays out of the bond (`vf-enslave-failed`) and
 *   traffic stays on virtio.
 *   With `active` the bond's MAC is the active slave's, so its GARP after a failover carries
 *   the new MAC; with `follow` the new active is given the old active's MAC and the old one the
 *   new one's (bond_main.c bond_do_fail_over_mac), which the VF refuses when `vf_mac` differs:
 *   the bond's complaint is the event `bond-warning` and the rest of the swap is skipped. A
 *   trusted VF (`vf_trust`) accepts both, and the host moves its MAC filter with the MAC.
 * - After a migration ({@link BondingNicModel.announce}): QEMU sends its RARPs
 *   (`net/announce.c`); the guest announce it asks for (GUEST_ANNOUNCE) notifies peers on the
 *   virtio slave (net/core/dev.c netdev_notify_peers: NETDEV_NOTIFY_PEERS and
 *   NETDEV_RESEND_IGMP). The slave holds no address, so the first sends nothing; the bond
 *   passes the second up, which resends IGMP/MLD reports from the bond, but the simulated guest
 *   is IPv4-only and joins no group, so nothing at all goes out here. A real guest with IPv6 on
 *   the bond would send its MLD reports (solicited-node groups) after it.
 *
 * @example
 * ```ts
 * const m = new BondingNicModel(ctx);         // bond eth0 over eth0v (virtio)
 * m.plugVf(vf, fn);                           // eth0vf registered, enslaved 1 s later
 * ctx.scheduler.advanceBy(DEFAULT_ENSLAVE_DELAY_NS);
 * m.datapath();                               // 'active'
 * ```
 */
export class BondingNicModel implements NicModel {
  readonly model = 'bonding' as const;
  readonly vfSteering = 'filter' as const;
  readonly acceptsVf = true;
  readonly backend: VirtioNetBackend;
  private readonly announcer: VirtioAnnouncer;
  readonly virtio: VirtioNetDevice;
  readonly bond: BondMaster;
  /** Delay from VF registration to enslavement, ns. */
  readonly enslaveDelay: number;
  private vf: VfDevice | null = null;
  private fn: BusDevice | null = null;
  private enslaveTimer: TimerId | null = null;
  private failovers = 0;
  private enslaves = 0;
  private garpFrames = 0;
  private readonly sink: PacketSink;
  private readonly vfName: string;
  private readonly one = new Int32Array(1);
  private warningsSeen = 0;
  /** The plugged VF's enslave was refused (it stays out of the bond until it is re-plugged). */
  private enslaveRefused = false;

  constructor(
    private readonly ctx: NicModelContext,
    options: BondingNicModelOptions = {},
  ) {
    this.enslaveDelay = options.enslaveDelay ?? DEFAULT_ENSLAVE_DELAY_NS;
    this.vfName = `${ctx.nic}vf`;
    this.backend = guestVirtioBackend(ctx, false);
    this.virtio = VirtioNetDevice.probe({
      pool: ctx.pool,
      transport: this.backend,
      ns: ctx.ns,
      parent: new BusDevice({ id: `virtio-${ctx.nic}`, bus: 'virtio' }),
      registry: ctx.registry,
      name: `${ctx.nic}v`,
      driverFeatures: VIRTIO_NET_DRIVER_FEATURES & ~featureMask(VIRTIO_NET_F.BACKUP),
      random: ctx.random.fork(`virtio-${ctx.vm}-${ctx.nic}`),
      // No ipv4: a bond slave holds no address (the guest's address is the bond's).
      scheduler: ctx.guestClock,
    });
    this.announcer = new VirtioAnnouncer(this.backend, this.virtio, ctx);
    this.bond = new BondMaster({
      pool: ctx.pool,
      scheduler: ctx.guestClock,
      name: ctx.nic,
      permAddr: ctx.mac,
      miimon: ctx.options.miimon,
      primary: this.vfName,
      failOverMac: ctx.options.fail_over_mac,
      onAnnounce: (slave) => this.garp(slave),
    });
    ctx.ns.register(this.bond);
    this.bond.enslave(this.virtio);
    this.bond.activeChanges$.subscribe(({ from, to }) => {
      // bond_main.c bond_change_active_slave: NETDEV_BONDING_FAILOVER for every new active
      // slave (counted from here: virtio's selection at its enslave above is not)
      if (to !== null) this.failovers++;
      ctx.event('bond-active', `${from?.name ?? 'none'} -> ${to?.name ?? 'none'}`);
      this.reportWarnings();
    });
    this.bond.linkChanges$.subscribe(({ slave, from, to }) =>
      ctx.event('bond-link', `${slave.name} ${from} -> ${to}`),
    );
    // what construction adjusted is the scenario's business, not an event of the run
    this.warningsSeen = this.bond.warnings.length;
    this.sink = (_dev, pkts, start, count) => ctx.deliver(pkts, start, count);
    this.bond.bindSink(this.sink);
    this.bond.open();
    joinKernelGroups(this.bond, ctx);
  }

  fromHostParavirt(pkts: Int32Array, start: number, count: number): void {
    this.backend.receive(0, pkts, start, count);
  }

  send(pkts: Int32Array, start: number, count: number): void {
    this.bond.xmit(pkts, start, count);
  }

  service(_now: number): void {
    this.vf?.pollAll(256);
  }

  plugVf(vf: VfDevice, fn: BusDevice): void {
    this.vf = vf;
    this.fn = fn;
    this.enslaveRefused = false;
    vf.setLink(true);
    // The VF driver registers its netdev (down); enslaving is left to user space.
    this.ctx.ns.register(vf, this.vfName);
    this.cancelEnslave();
    this.enslaveTimer = this.ctx.guestClock.runAfter(this.enslaveDelay, () => {
      this.enslaveTimer = null;
      this.enslaveVf(vf);
    });
    this.ctx.event(
      'vf-registered',
      `${vf.name}: enslaved to ${this.bond.name} in ${this.enslaveDelay / NS_PER_MS} ms`,
      vf.name,
    );
  }

  drainVfRx(): void {
    this.vf?.pollAll(1 << 20);
  }

  removeVf(surprise: boolean): void {
    const vf = this.vf;
    if (vf === null) return;
    this.vf = null;
    this.cancelEnslave();
    // Unregistration releases the slave at once (bond_netdev_event NETDEV_UNREGISTER).
    removeVfFunction(this.ctx, vf, this.fn, surprise);
    this.fn = null;
  }

  announce(): void {
    this.announcer.announce();
  }

  setLink(role: string, up: boolean): boolean {
    return setVirtioOrVfLink(this.backend, this.vf, role, up);
  }

  /**
   * Settled on a usable path that is the VF's when one is plugged, or virtio's once the VF's
   * enslave was refused (nothing in the guest retries it).
   */
  bootSettled(): boolean {
    const p = this.datapath();
    return p !== 'none' && (this.vf === null || p === 'active' || this.enslaveRefused);
  }

  datapath(): DatapathInUse {
    const a = this.bond.activeSlave;
    if (a !== null && a === this.vf) return 'active';
    if (a !== null && a === this.virtio) return 'backup';
    return 'none';
  }

  device(role: string): NetDevice | null {
    if (role === 'master') return this.bond;
    if (role === 'backup') return this.virtio;
    if (role === 'vf') return this.vf;
    return this.ctx.ns.getByName(role) ?? null;
  }

  stats(): Record<string, number> {
    const s = this.bond.getStats64();
    const out: Record<string, number> = {
      rx_packets: s.rxPackets,
      tx_packets: s.txPackets,
      rx_dropped: s.rxDropped,
      tx_dropped: s.txDropped,
      bond_failovers: this.failovers,
      bond_garps: this.bond.garpsSent,
      bond_garp_frames: this.garpFrames,
      bond_enslaves: this.enslaves,
      bond_backup_link_failures: this.bond.slaves.includes(this.virtio)
        ? this.bond.linkFailureCount(this.virtio)
        : 0,
    };
    for (const [k, v] of Object.entries(this.virtio.ethtoolStats())) out[`backup_${k}`] = v;
    const vf = this.vf;
    if (vf !== null) {
      const v = vf.getStats64();
      out['vf_rx_packets'] = v.rxPackets;
      out['vf_tx_packets'] = v.txPackets;
      out['vf_rx_dropped'] = v.rxDropped;
      out['vf_tx_dropped'] = v.txDropped;
      if (this.bond.slaves.includes(vf)) out['vf_link_failures'] = this.bond.linkFailureCount(vf);
    }
    const b = this.backend.stats;
    out['host_rx_no_buffer'] = b.rxNoBuffer;
    out['host_tx_packets'] = b.txPackets;
    out['host_rx_packets'] = b.rxPackets;
    return out;
  }

  dispose(): void {
    this.announcer.cancel();
    this.removeVf(false);
    this.bond.dispose();
    if (this.bond.registered) this.ctx.ns.unregister(this.bond);
    if (!this.virtio.removed) this.virtio.remove();
  }

  private enslaveVf(vf: VfDevice): void {
    if (vf !== this.vf || !vf.present || !vf.registered) return;
    try {
      // ifenslave takes the device down first; the bond opens it (bond_main.c bond_enslave).
      if (vf.running) vf.close();
      this.bond.enslave(vf);
      this.enslaves++;
      this.ctx.event('vf-enslave', `${vf.name} enslaved to ${this.bond.name}`, vf.name);
    } catch (err) {
      this.enslaveRefused = true;
      this.ctx.event('vf-enslave-failed', `${vf.name}: ${(err as Error).message}`, vf.name);
    }
  }

  /** The bond's new warnings (a slave that refused its MAC at failover) as events. */
  private reportWarnings(): void {
    const w = this.bond.warnings;
    for (; this.warningsSeen < w.length; this.warningsSeen++)
      this.ctx.event('bond-warning', `${this.bond.name}: ${w[this.warningsSeen]}`);
  }

  private cancelEnslave(): void {
    if (this.enslaveTimer !== null) this.ctx.guestClock.cancel(this.enslaveTimer);
    this.enslaveTimer = null;
  }

  /** One gratuitous ARP for the NIC's address on the new active slave (bond_main.c peer notify). */
  private garp(slave: NetDevice): void {
    const pool = this.ctx.pool;
    const h = pool.alloc();
    if (h < 0) return;
    Ethernet.writeGratuitousArp(pool, h, this.bond.devAddr.value, this.ctx.ipv4);
    this.one[0] = h;
    slave.xmit(this.one, 0, 1);
    this.garpFrames++;
  }
}
