import { BypassError, type DeviceBus, type MacAddress, type VfDevice } from '@bypass/core';
import type { Subscription } from 'rxjs';
import { EthDev, type EthDevInit } from './EthDev.js';
import type { EthDevRegistry, EthDriver } from './EthDevRegistry.js';
import {
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  emptyEthStats,
  type EthDevInfo,
  type EthStats,
} from './EthTypes.js';

/** Link speed a VF reports, Mbps. */
const VF_SPEED = 40_000;

/**
 * Options of a {@link VfPmdPort}.
 *
 * @example
 * ```ts
 * const o: VfPmdPortOptions = { vf, bus };
 * ```
 */
export interface VfPmdPortOptions {
  /** The VF, not registered as a kernel netdev (a PMD owns it). */
  vf: VfDevice;
  /** The bus whose `remove` of the VF's PCI function removes the port (`intr_rmv` with `rmv`). */
  bus?: DeviceBus;
}

/**
 * The "any PMD" of the vdev_netvsc diagram: a DPDK port on a core {@link VfDevice} through its
 * PMD access (`startPmd`, `stopPmd`, `rxBurst`, `txBurst`). Named by the VF's PCI address.
 *
 * - Link: the VF's carrier, read at `linkGet` and at every burst; a change emits `intr_lsc` when
 *   the port is configured with `lsc` (mlx5_ethdev_os.c mlx5_dev_interrupt_nl_cb), and is only
 *   recorded without it.
 * - Removal: a `remove` of the VF's PCI function on the bus hot-unplugs the VF (its rings are
 *   flushed as `vf-ring-flushed`) and marks the port removed, emitting `intr_rmv` when the port is
 *   configured with `rmv` (mlx5_ethdev_os.c mlx5_dev_interrupt_device_fatal); bursts then return
 *   0. Unconfigured, or configured without `rmv`, the port goes silently: whoever drives it (the
 *   fail-safe, the netvsc PMD) configures it with `rmv` to hear of it.
 * - As mlx4 (mlx4_intr.c) rather than mlx5: before its first configure the port raises nothing
 *   (mlx5 raises a link change then), and a configured port that is stopped still raises
 *   `intr_rmv` (mlx5 only while started).
 * - Stats: `ipackets/ibytes` and `opackets/obytes` from the VF's counters, `imissed` = RX ring
 *   overflows (`rxFifoErrors`), `ierrors` = `rxErrors`, `oerrors` = `txErrors`, relative to the
 *   last `statsReset`.
 * - MTU, MAC, promiscuous, all-multicast, VLAN ids and the multicast list go to the VF netdev.
 *
 * @example
 * ```ts
 * const port = new VfPmdPort({ registry, name: '0002:00:02.0' }, { vf, bus });
 * port.configure(4, 4, { lsc: true, rmv: true }); // intr_lsc and intr_rmv wanted
 * port.on('intr_rmv', () => console.log('the VF is going away'));
 * port.start();
 * const n = port.rxBurst(0, out, 0, 32);
 * ```
 */
export class VfPmdPort extends EthDev {
  /** The VF behind the port. */
  readonly vf: VfDevice;
  private readonly base = emptyEthStats();
  private busSub: Subscription | null = null;

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
    this.initMacAddr(vf.devAddr);
    this.initMtu(vf.mtu);
    this.cacheDevInfo({
      driverName: vf.driver,
      maxRxQueues: vf.numRxQueues,
      maxTxQueues: vf.numTxQueues,
      maxMacAddrs: 128,
      minMtu: vf.minMtu,
      maxMtu: vf.maxMtu,
      rxOffloadCapa: ETH_OFFLOAD.VLAN_FILTER | ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.RSS_HASH,
      txOffloadCapa: ETH_OFFLOAD.VLAN_INSERT | ETH_OFFLOAD.MULTI_SEGS,
      devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.INTR_RMV,
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

  protected devConfigure(_nbRxq: number, _nbTxq: number): void {}

  protected devStart(): void {
    this.vf.startPmd();
    this.syncLink();
  }

  protected devStop(): void {
    this.vf.stopPmd();
  }

  protected devClose(): void {
    this.busSub?.unsubscribe();
    this.busSub = null;
  }

  protected override devLinkUpdate(): void {
    this.syncLink();
  }

  protected override devPromiscuous(on: boolean): void {
    this.vf.setPromiscuity(on ? 1 : -1);
  }

  protected override devAllmulticast(on: boolean): void {
    this.vf.setAllmulti(on ? 1 : -1);
  }

  protected override devMtuSet(mtu: number): void {
    this.vf.setMtu(mtu);
  }

  protected override devMacAddrSet(mac: MacAddress): void {
    this.vf.setMacAddress(mac);
  }

  protected override devMacAddrAdd(mac: MacAddress): void {
    this.vf.addUnicastAddress(mac);
  }

  protected override devMacAddrRemove(mac: MacAddress): void {
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

  protected devStatsGet(out: EthStats): void {
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
  }

  protected rxBurstImpl(queue: number, out: Int32Array, start: number, max: number): number {
    const vf = this.vf;
    if (vf.carrier !== this.linkStatus) this.syncLink();
    if (queue >= vf.numRxQueues) return 0;
    return vf.rxBurst(queue, out, start, max);
  }

  protected txBurstImpl(queue: number, pkts: Int32Array, start: number, count: number): number {
    const vf = this.vf;
    if (vf.carrier !== this.linkStatus) this.syncLink();
    if (queue >= vf.numTxQueues) return 0;
    return vf.txBurst(queue, pkts, start, count);
  }

  private linkStatus = false;

  private syncLink(): void {
    const up = this.vf.carrier && this.vf.present;
    this.linkStatus = up;
    // mlx4_ethdev.c mlx4_link_update: no speed without carrier (ethtool's SPEED_UNKNOWN -> NONE)
    this.updateLink(up, up ? VF_SPEED : 0);
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
 * registry.registerDriver(vfPmdDriver({ resolve: (addr) => vfsByAddress.get(addr), bus }));
 * const port = registry.probe('0002:00:02.0');
 * ```
 */
export function vfPmdDriver(options: {
  /** The VF at that PCI address, or undefined when there is none. */
  resolve: (pciAddress: string) => VfDevice | undefined;
  bus?: DeviceBus;
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
      return new VfPmdPort(init, options.bus === undefined ? { vf } : { vf, bus: options.bus });
    },
  };
}

/** A PCI address as DPDK prints it (domain optional on input). */
const PCI_ADDR = /^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$/;
