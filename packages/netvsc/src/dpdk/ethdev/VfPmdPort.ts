import { BypassError, type DeviceBus, type MacAddress, type VfDevice } from '@bypass/core';
import type { Observable, Subscription } from 'rxjs';
import { EthDev, type EthDevInit } from './EthDev.js';
import type { EthDevRegistry, EthDriver } from './EthDevRegistry.js';
import {
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  emptyEthStats,
  type EthConf,
  type EthDevInfo,
  type EthStats,
} from './EthTypes.js';
import { ETHDEV_QUEUE_STAT_CNTRS, EthQueueStats } from './EthXstats.js';

/** Link speed a VF reports, Mbps. */
const VF_SPEED = 40_000;

/**
 * Options of a {@link VfPmdPort}.
 *
 * @example
 * ```ts
 * const o: VfPmdPortOptions = { vf, bus, linkEvents$: vfLinks.observable };
 * ```
 */
export interface VfPmdPortOptions {
  /** The VF, not registered as a kernel netdev (a PMD owns it). */
  vf: VfDevice;
  /** The bus whose `remove` of the VF's PCI function removes the port (`intr_rmv` with `rmv`). */
  bus?: DeviceBus;
  /**
   * The VF's link interrupts: whoever drives a VF's carrier (the host NIC, `VfDevice.setLink`)
   * emits the VF here when its carrier changed, as the device's event queue tells its PMD (mlx4:
   * IBV_EVENT_PORT_ACTIVE / PORT_ERR on the verbs async fd). Only the port's own VF is looked at.
   * Without it the port has no link interrupt and reads the carrier at each burst instead.
   */
  linkEvents$?: Observable<VfDevice>;
}

/**
 * The "any PMD" of the vdev_netvsc diagram: a DPDK port on a core {@link VfDevice} through its
 * PMD access (`startPmd`, `stopPmd`, `rxBurst`, `txBurst`). Named by the VF's PCI address.
 *
 * - Link: up when the VF is present, has carrier and its interface is administratively up, at
 *   40G, full duplex, autoneg; down with no speed (mlx4_ethdev.c mlx4_link_update: IFF_UP and
 *   IFF_RUNNING; ethtool has no speed without carrier). Read at `linkGet` (link_update).
 * - Link interrupt ({@link VfPmdPortOptions.linkEvents$}): configured with `lsc`, the port handles
 *   its VF's link events at once, started or not, with no traffic needed: link update, and
 *   `intr_lsc` when the status changed (mlx4_intr.c: the handler is installed by dev_configure
 *   when intr_conf asks for it and removed at close; its link check raises the event from the
 *   interrupt thread with no delay, the 100 ms retry alarm being only for a link reported up
 *   without speed or down with one, which this model never reports). Configured without `lsc`, or
 *   not configured, the port has no handler: the link changes at the next `linkGet`. A port given
 *   no `linkEvents$` reads the carrier at each burst instead (a change is then noticed at the next
 *   burst or `linkGet`).
 * - Set link (`setLink`, as mlx4_ethdev.c mlx4_dev_set_link; mlx5_set_link_up/down alike):
 *   brings the VF's interface administratively up or down (IFF_UP); down, the link reads down and
 *   the VF's function is stopped (mlx4.rst: forcing the interface down prevents reception; here
 *   TX is refused too and the rings are flushed as `vf-ring-flushed`); up again, it is restarted if
 *   the port is started. The state change is heard as a link interrupt (mlx5_ethdev_os.c
 *   mlx5_dev_interrupt_nl_cb reads the RTM_NEWLINK it causes). The interface starts up (mlx4.c
 *   mlx4_pci_probe forces it up); start does not bring it up again. On a removed VF:
 *   `ERR_NO_DEVICE` (rte_ethdev.c eth_err: -EIO for a removed device).
 * - Removal: a `remove` of the VF's PCI function on the bus hot-unplugs the VF (its rings are
 *   flushed as `vf-ring-flushed`) and marks the port removed, emitting `intr_rmv` when the port is
 *   configured with `rmv` (mlx5_ethdev_os.c mlx5_dev_interrupt_device_fatal); bursts then return
 *   0. Unconfigured, or configured without `rmv`, the port goes silently: whoever drives it (the
 *   fail-safe, the netvsc PMD) configures it with `rmv` to hear of it.
 * - As mlx4 (mlx4_intr.c) rather than mlx5: before its first configure the port raises nothing
 *   (mlx5 raises a link change then), and a configured port that is stopped still raises
 *   `intr_rmv` (mlx5 only while started).
 * - TX (`txBurst`): the VF's PMD entry point, bounded by its free TX descriptors and blind to
 *   the link, as mlx4_rxtx.c mlx4_tx_burst (mlx5 alike): without carrier the frames are still
 *   taken and counted in `opackets`, then lost by the VF (`no-carrier`), never sent.
 * - Stats: `ipackets/ibytes` and `opackets/obytes` from the VF's counters, `imissed` = RX ring
 *   overflows (`rxFifoErrors`), `ierrors` = `rxErrors`, `oerrors` = `txErrors`, relative to the
 *   last `statsReset`. Extended statistics (`xstatsGet`): ethdev's basic and per-queue
 *   counters (`rx_q<i>_packets`, `_bytes`, `_errors`, `tx_q<i>_packets`, `_bytes`: each queue's
 *   share of the VF's counters), and none of the PMD's own, as mlx4.
 * - MTU, MAC, promiscuous, all-multicast, VLAN ids and the multicast list go to the VF netdev.
 *
 * @example
 * ```ts
 * const port = new VfPmdPort({ registry, name: '0002:00:02.0' }, { vf, bus });
 * port.configure(4, 4, { lsc: true, rmv: true }); // intr_lsc and intr_rmv wanted
 * port.on('intr_rmv', () => console.log('the VF is going away'));
 * port.on('intr_lsc', () => console.log(`link ${port.linkGet().status}`)); // at the carrier change
 * port.start();
 * const n = port.rxBurst(0, out, 0, 32);
 * ```
 */
export class VfPmdPort extends EthDev {
  /** The VF behind the port. */
  readonly vf: VfDevice;
  private readonly base = emptyEthStats();
  /** Per-queue counters since the last `statsReset` (mlx4's `rxq->stats` / `txq->stats`). */
  private readonly queueCounters = new EthQueueStats();
  private busSub: Subscription | null = null;
  private readonly linkEvents$: Observable<VfDevice> | null;
  /** The link interrupt handler while installed (configured with `lsc`). */
  private linkSub: Subscription | null = null;
  /** The VF interface's IFF_UP, as `setLink` last set it. */
  private adminUp = true;
  /** No link interrupt source: the bursts read the carrier. */
  private readonly burstLinkCheck: boolean;
  /** The link status last recorded (what the burst check compares). */
  private linkStatus = false;
  /** The port holds one promiscuity / all-multicast reference on the VF netdev. */
  private promiscHeld = false;
  private allmultiHeld = false;
  /** Extra unicast addresses the port added to the VF netdev. */
  private readonly extraMacs = new Set<number>();

  /**
   * @throws `BypassError` `ERR_BUSY` when the VF is registered as a kernel netdev,
   * `ERR_NO_DEVICE` when it was unplugged.
   */
  constructor(init: EthDevInit, options: VfPmdPortOptions) {
    const vf = options.vf;
    if (vf.registered) {
      throw new BypassError(
        'ERR_BUSY',
        `${vf.name} is bound to its kernel driver; a PMD cannot probe it`,
      );
    }
    if (!vf.present) throw new BypassError('ERR_NO_DEVICE', `${init.name} was hot-unplugged`);
    super(init);
    this.vf = vf;
    this.linkEvents$ = options.linkEvents$ ?? null;
    this.burstLinkCheck = this.linkEvents$ === null;
    this.initMacAddr(vf.devAddr);
    this.initMtu(vf.mtu);
    this.cacheDevInfo({
      driverName: vf.driver,
      maxRxQueues: vf.numRxQueues,
      maxTxQueues: vf.numTxQueues,
      maxMacAddrs: 128,
      minMtu: vf.minMtu,
      maxMtu: vf.maxMtu,
      // the VF's limit stated as an MTU: the frame of its largest MTU, header and CRC
      maxRxPktLen: vf.maxMtu + 18,
      rxOffloadCapa: ETH_OFFLOAD.VLAN_FILTER | ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.RSS_HASH,
      txOffloadCapa: ETH_OFFLOAD.VLAN_INSERT | ETH_OFFLOAD.MULTI_SEGS,
      // mlx4.c mlx4_pci_probe: the per-queue counters are in the xstats (mlx4 has no others)
      devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.INTR_RMV | ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS,
    });
    const parent = vf.parent;
    if (options.bus !== undefined && parent !== null) {
      this.busSub = options.bus.events$.subscribe((e) => {
        if (e.kind === 'remove' && e.device === parent) this.onRemoved(e.surprise);
      });
    }
    this.syncLink();
  }

  protected devInfoGet(): EthDevInfo {
    return this.devInfo();
  }

  // mlx4_intr.c mlx4_intr_install (from mlx4_dev_configure): the handler per intr_conf
  protected devConfigure(_nbRxq: number, _nbTxq: number, conf: Readonly<Required<EthConf>>): void {
    if (!conf.lsc) {
      this.removeLinkHandler();
    } else if (this.linkSub === null && this.linkEvents$ !== null) {
      this.linkSub = this.linkEvents$.subscribe((vf) => {
        if (vf === this.vf) this.onLinkInterrupt();
      });
    }
  }

  protected devStart(): void {
    // mlx4_dev_start leaves IFF_UP alone: a port whose interface was set down stays without link
    if (this.adminUp) this.vf.startPmd();
    else if (!this.vf.present)
      throw new BypassError('ERR_NO_DEVICE', `${this.name} was hot-unplugged`);
    this.syncLink();
  }

  protected devStop(): void {
    this.vf.stopPmd();
  }

  // mlx4.c mlx4_dev_close -> mlx4_intr_uninstall
  protected devClose(): void {
    this.removeLinkHandler();
    this.busSub?.unsubscribe();
    this.busSub = null;
  }

  // mlx4_ethdev.c mlx4_dev_set_link: sets or clears IFF_UP of the VF's interface, no more
  protected override devSetLink(up: boolean): void {
    if (this.state === 'removed' || !this.vf.present) {
      throw new BypassError(
        'ERR_NO_DEVICE',
        `${this.name} was hot-unplugged: its link cannot be set ${up ? 'up' : 'down'}`,
      );
    }
    if (up === this.adminUp) return;
    this.adminUp = up;
    if (!up) this.vf.stopPmd();
    else if (this.started) this.vf.startPmd();
    // the interface's state change reaches the PMD as a link event (RTM_NEWLINK for mlx5)
    this.onLinkInterrupt();
  }

  protected override devLinkUpdate(): void {
    this.syncLink();
  }

  // mlx4_rxmode.c: a mode flag, not a count: ethdev's start-time restore sets it again
  protected override devPromiscuous(on: boolean): void {
    if (on === this.promiscHeld) return;
    this.vf.setPromiscuity(on ? 1 : -1);
    this.promiscHeld = on;
  }

  protected override devAllmulticast(on: boolean): void {
    if (on === this.allmultiHeld) return;
    this.vf.setAllmulti(on ? 1 : -1);
    this.allmultiHeld = on;
  }

  protected override devMtuSet(mtu: number): void {
    this.vf.setMtu(mtu);
  }

  protected override devMacAddrSet(mac: MacAddress): void {
    this.vf.setMacAddress(mac);
  }

  // mlx4_ethdev.c mlx4_mac_addr_add: a table slot, so adding it again (the restore) changes nothing
  protected override devMacAddrAdd(mac: MacAddress): void {
    if (this.extraMacs.has(mac.value)) return;
    this.vf.addUnicastAddress(mac);
    this.extraMacs.add(mac.value);
  }

  protected override devMacAddrRemove(mac: MacAddress): void {
    if (!this.extraMacs.delete(mac.value)) return;
    this.vf.removeUnicastAddress(mac);
  }

  protected override devMcAddrListSet(list: readonly MacAddress[]): void {
    for (const m of this.mcAddrs) this.vf.removeMulticastAddress(m);
    for (const m of list) this.vf.addMulticastAddress(m);
  }

  protected override devVlanFilter(vid: number, on: boolean): void {
    if (on) this.vf.vlanVidAdd(vid);
    else this.vf.vlanVidDel(vid);
  }

  protected devStatsGet(out: EthStats, queues: EthQueueStats | null): void {
    queues?.copyFrom(this.queueCounters);
    const s = this.vf.stats;
    const b = this.base;
    out.ipackets = s.rxPackets - b.ipackets;
    out.opackets = s.txPackets - b.opackets;
    out.ibytes = s.rxBytes - b.ibytes;
    out.obytes = s.txBytes - b.obytes;
    out.imissed = s.rxFifoErrors - b.imissed;
    out.ierrors = s.rxErrors - b.ierrors;
    out.oerrors = s.txErrors - b.oerrors;
  }

  protected devStatsReset(): void {
    const s = this.vf.stats;
    const b = this.base;
    b.ipackets = s.rxPackets;
    b.opackets = s.txPackets;
    b.ibytes = s.rxBytes;
    b.obytes = s.txBytes;
    b.imissed = s.rxFifoErrors;
    b.ierrors = s.rxErrors;
    b.oerrors = s.txErrors;
    this.queueCounters.reset();
  }

  protected rxBurstImpl(queue: number, out: Int32Array, start: number, max: number): number {
    const vf = this.vf;
    if (this.burstLinkCheck && this.hwLinkUp() !== this.linkStatus) this.syncLink();
    if (queue >= vf.numRxQueues) return 0;
    if (queue >= ETHDEV_QUEUE_STAT_CNTRS) return vf.rxBurst(queue, out, start, max);
    // mlx4_rxtx.c mlx4_rx_burst counts per queue; here the queue's share of the VF's counters
    const s = this.vf.stats;
    const p0 = s.rxPackets;
    const b0 = s.rxBytes;
    const e0 = s.rxErrors;
    const n = vf.rxBurst(queue, out, start, max);
    const q = this.queueCounters;
    q.ipackets[queue] = (q.ipackets[queue] as number) + (s.rxPackets - p0);
    q.ibytes[queue] = (q.ibytes[queue] as number) + (s.rxBytes - b0);
    q.errors[queue] = (q.errors[queue] as number) + (s.rxErrors - e0);
    return n;
  }

  protected txBurstImpl(queue: number, pkts: Int32Array, start: number, count: number): number {
    const vf = this.vf;
    if (this.burstLinkCheck && this.hwLinkUp() !== this.linkStatus) this.syncLink();
    if (queue >= vf.numTxQueues) return 0;
    if (queue >= ETHDEV_QUEUE_STAT_CNTRS) return vf.txBurst(queue, pkts, start, count);
    const s = this.vf.stats;
    const p0 = s.txPackets;
    const b0 = s.txBytes;
    const n = vf.txBurst(queue, pkts, start, count);
    const q = this.queueCounters;
    q.opackets[queue] = (q.opackets[queue] as number) + (s.txPackets - p0);
    q.obytes[queue] = (q.obytes[queue] as number) + (s.txBytes - b0);
    return n;
  }

  /** mlx4_ethdev.c mlx4_link_update: IFF_UP and IFF_RUNNING (carrier) of a present VF. */
  private hwLinkUp(): boolean {
    const vf = this.vf;
    return this.adminUp && vf.carrier && vf.present;
  }

  private syncLink(): void {
    const up = this.hwLinkUp();
    this.linkStatus = up;
    // mlx4_ethdev.c mlx4_link_update: no speed without carrier (ethtool's SPEED_UNKNOWN -> NONE)
    this.updateLink(up, up ? VF_SPEED : 0);
  }

  /**
   * mlx4_intr.c mlx4_interrupt_handler on a port event: with intr_conf.lsc, the link update, and
   * `intr_lsc` when the status changed (`updateLink`); without it, nothing.
   */
  private onLinkInterrupt(): void {
    if (this.devConf.lsc && this.state !== 'unused') this.syncLink();
  }

  private removeLinkHandler(): void {
    this.linkSub?.unsubscribe();
    this.linkSub = null;
  }

  private onRemoved(surprise: boolean): void {
    this.vf.hotUnplug({ surprise });
    this.syncLink();
    this.markRemoved();
  }
}

/**
 * The PCI "any PMD" driver: probes a PCI address (`dddd:bb:dd.f`) as a {@link VfPmdPort} on the
 * VF `resolve` returns for it.
 *
 * @example
 * ```ts
 * registry.registerDriver(
 *   vfPmdDriver({ resolve: (addr) => vfsByAddress.get(addr), bus, linkEvents$: vfLinks.observable }),
 * );
 * const port = registry.probe('0002:00:02.0');
 * ```
 */
export function vfPmdDriver(options: {
  /** The VF at that PCI address, or undefined when there is none. */
  resolve: (pciAddress: string) => VfDevice | undefined;
  bus?: DeviceBus;
  /** The link interrupts of every VF ({@link VfPmdPortOptions.linkEvents$}). */
  linkEvents$?: Observable<VfDevice>;
}): EthDriver {
  return {
    name: 'net_vf',
    matches: (devName) => PCI_ADDR.test(devName),
    probe(registry: EthDevRegistry, devName: string, args: string): EthDev {
      const vf = options.resolve(devName);
      if (vf === undefined || !vf.present) {
        throw new BypassError('ERR_NO_DEVICE', `Cannot find PCI device ${devName}`);
      }
      const init = { registry, name: devName, devargs: args };
      const portOptions: VfPmdPortOptions = { vf };
      if (options.bus !== undefined) portOptions.bus = options.bus;
      if (options.linkEvents$ !== undefined) portOptions.linkEvents$ = options.linkEvents$;
      return new VfPmdPort(init, portOptions);
    },
  };
}

/** A PCI address as DPDK prints it (domain optional on input). */
const PCI_ADDR = /^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$/;
