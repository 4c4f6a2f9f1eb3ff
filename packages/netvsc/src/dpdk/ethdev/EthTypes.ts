/**
 * The 8 basic counters of a DPDK port (`struct rte_eth_stats` without the per-queue arrays).
 *
 * @example
 * ```ts
 * const s: EthStats = port.statsGet();
 * console.log(s.ipackets, s.opackets, s.imissed);
 * ```
 */
export interface EthStats {
  /** Packets received and handed to the application. */
  ipackets: number;
  /** Packets the PMD took for transmission. */
  opackets: number;
  /** Bytes received. */
  ibytes: number;
  /** Bytes taken for transmission. */
  obytes: number;
  /** Packets dropped by the hardware because no RX descriptor was free. */
  imissed: number;
  /** Erroneous received packets. */
  ierrors: number;
  /** Failed transmissions. */
  oerrors: number;
  /** RX mbuf allocation failures. */
  rx_nombuf: number;
}

/**
 * The names of the {@link EthStats} counters, in `struct rte_eth_stats` order.
 *
 * @example
 * ```ts
 * for (const f of ETH_STATS_FIELDS) console.log(f, port.statsGet()[f]);
 * ```
 */
export const ETH_STATS_FIELDS = [
  'ipackets',
  'opackets',
  'ibytes',
  'obytes',
  'imissed',
  'ierrors',
  'oerrors',
  'rx_nombuf',
] as const satisfies readonly (keyof EthStats)[];

/**
 * A zeroed {@link EthStats}.
 *
 * @example
 * ```ts
 * const acc = emptyEthStats();
 * addEthStats(acc, port.statsGet());
 * ```
 */
export function emptyEthStats(): EthStats {
  return {
    ipackets: 0,
    opackets: 0,
    ibytes: 0,
    obytes: 0,
    imissed: 0,
    ierrors: 0,
    oerrors: 0,
    rx_nombuf: 0,
  };
}

/**
 * Adds `from` into `to`, counter by counter (fail-safe's `failsafe_stats_increment`, without the
 * per-queue arrays); returns `to`.
 *
 * @example
 * ```ts
 * const total = addEthStats(emptyEthStats(), a.statsGet());
 * ```
 */
export function addEthStats(to: EthStats, from: Readonly<EthStats>): EthStats {
  for (const f of ETH_STATS_FIELDS) to[f] += from[f];
  return to;
}

/**
 * Link state of a port (`struct rte_eth_link`). Until its PMD records one, every field is
 * 0 / false (down, no speed, half duplex, fixed), as in the zeroed data of a new DPDK port.
 *
 * @example
 * ```ts
 * const l: EthLink = port.linkGet();
 * if (!l.status) console.log(`port ${port.portId} is down`);
 * ```
 */
export interface EthLink {
  /** Link up. */
  status: boolean;
  /**
   * Speed in Mbps, as the PMD reports it: 0 when it reports none (`RTE_ETH_SPEED_NUM_NONE`);
   * some PMDs keep reporting their speed with the link down (netvsc, TAP).
   */
  speed: number;
  /** Full duplex (`RTE_ETH_LINK_FULL_DUPLEX`); false is half duplex. */
  fullDuplex: boolean;
  /** Autonegotiated (`RTE_ETH_LINK_AUTONEG`); false is fixed. */
  autoneg: boolean;
}

/**
 * Port capability bits (`RTE_ETH_DEV_INTR_LSC`, `RTE_ETH_DEV_INTR_RMV` in `dev_flags`) and a few
 * offload bits (`RTE_ETH_RX_OFFLOAD_VLAN_FILTER`, `..._VLAN_STRIP`, `RTE_ETH_TX_OFFLOAD_VLAN_INSERT`,
 * `..._MULTI_SEGS`) used by {@link EthDevInfo}.
 *
 * @example
 * ```ts
 * const rmv = (port.devInfo().devFlags & ETH_DEV_FLAG.INTR_RMV) !== 0;
 * port.configure(1, 1, { rmv }); // intr_rmv wanted where the port can raise it
 * ```
 */
export const ETH_DEV_FLAG = {
  /** The port can be configured with `lsc` (link-state-change interrupts). */
  INTR_LSC: 0x1,
  /** The port can be configured with `rmv` (removal interrupts). */
  INTR_RMV: 0x2,
  /**
   * `RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS`: ethdev lists the port's per-queue counters
   * (`rx_q<i>_packets`...) in its extended statistics, after the 8 basic ones.
   */
  AUTOFILL_QUEUE_XSTATS: 0x4,
} as const;

/**
 * Offload capability bits reported in {@link EthDevInfo} (a subset of DPDK's).
 *
 * @example
 * ```ts
 * const canFilter = (port.devInfo().rxOffloadCapa & ETH_OFFLOAD.VLAN_FILTER) !== 0;
 * ```
 */
export const ETH_OFFLOAD = {
  VLAN_STRIP: 0x1,
  VLAN_FILTER: 0x2,
  VLAN_INSERT: 0x4,
  MULTI_SEGS: 0x8,
  RSS_HASH: 0x10,
} as const;

/**
 * The MTU range `rte_eth_dev_info_get` fills in before the PMD's `dev_infos_get` runs
 * (lib/ethdev/rte_ethdev.c): a PMD that sets neither `min_mtu` nor `max_mtu` (netvsc) reports
 * these, the shortest Ethernet frame's payload and `UINT16_MAX`.
 *
 * @example
 * ```ts
 * const info = { ...defaultEthDevInfo('net_x'), minMtu: ETHDEV_DEFAULT_MTU.min, maxMtu: ETHDEV_DEFAULT_MTU.max };
 * ```
 */
export const ETHDEV_DEFAULT_MTU = {
  /** `RTE_ETHER_MIN_LEN - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN`: 64 - 14 - 4. */
  min: 46,
  /** `UINT16_MAX`. */
  max: 0xffff,
} as const;

/**
 * Limits and capabilities of a port (`struct rte_eth_dev_info`, the fields this model uses).
 *
 * @example
 * ```ts
 * const info: EthDevInfo = port.devInfo();
 * port.configure(Math.min(4, info.maxRxQueues), Math.min(4, info.maxTxQueues));
 * ```
 */
export interface EthDevInfo {
  /** Driver name (`net_tap`, `net_failsafe`, `net_vf`...). */
  driverName: string;
  maxRxQueues: number;
  maxTxQueues: number;
  /** Size of the MAC address table (default address included). */
  maxMacAddrs: number;
  minMtu: number;
  /** Largest MTU; 65535 (`UINT16_MAX`) when the PMD does not say (ethdev's default). */
  maxMtu: number;
  /**
   * `max_rx_pktlen`: the longest frame the port receives, CRC included. An MTU whose frame (the
   * MTU plus the overhead: `maxRxPktLen - maxMtu` when the PMD states a `maxMtu` below it, else
   * 18 bytes of header and CRC) is longer is refused (lib/ethdev/rte_ethdev.c
   * eth_dev_validate_mtu).
   */
  maxRxPktLen: number;
  /** {@link ETH_OFFLOAD} bits the port can do on RX. */
  rxOffloadCapa: number;
  /** {@link ETH_OFFLOAD} bits the port can do on TX. */
  txOffloadCapa: number;
  /** {@link ETH_DEV_FLAG} bits. */
  devFlags: number;
}

/**
 * What {@link EthDev.configure} takes besides the queue counts: the parts of DPDK's
 * `struct rte_eth_conf` (`dev_conf`) this model acts on. Every field is optional; the port keeps
 * the conf of its last successful configure with the defaults filled in ({@link EthDev.devConf}).
 *
 * - `rxOffloads` / `txOffloads` (`rxmode.offloads`, `txmode.offloads`): {@link ETH_OFFLOAD} bits,
 *   each within the port's `rxOffloadCapa` / `txOffloadCapa`; default none.
 * - `lsc` (`intr_conf.lsc`): the application wants `intr_lsc` events (a port configured without
 *   it raises none); needs {@link ETH_DEV_FLAG}`.INTR_LSC` in `devFlags`. On a started port
 *   configured with it, `linkGet` returns the recorded link without asking the PMD, and `start`
 *   leaves the link to the PMD's interrupt. Default false.
 * - `rmv` (`intr_conf.rmv`): the application wants `intr_rmv` events (a port configured without
 *   it raises none); needs {@link ETH_DEV_FLAG}`.INTR_RMV`. Default false.
 * - `mtu` (`rxmode.mtu`): the port's MTU from this configure on, checked as
 *   {@link EthDev.setMtu} checks it; default the smaller of the port's `maxMtu` and 1500
 *   (`RTE_ETHER_MTU`). A configure sets the recorded MTU without calling the PMD's `mtu_set`:
 *   a PMD reads it when it starts, and an MTU set earlier does not survive a configure that
 *   leaves `mtu` out.
 *
 * @example
 * ```ts
 * const conf: EthConf = { rxOffloads: ETH_OFFLOAD.VLAN_STRIP, lsc: true };
 * port.configure(1, 1, conf);
 * port.devConf.lsc; // true until the next successful configure
 * ```
 */
export interface EthConf {
  /** `rxmode.offloads`: {@link ETH_OFFLOAD} bits within `rxOffloadCapa`; default 0. */
  rxOffloads?: number;
  /** `txmode.offloads`: {@link ETH_OFFLOAD} bits within `txOffloadCapa`; default 0. */
  txOffloads?: number;
  /** `intr_conf.lsc`: link-state-change events (needs `ETH_DEV_FLAG.INTR_LSC`); default false. */
  lsc?: boolean;
  /** `intr_conf.rmv`: removal events (needs `ETH_DEV_FLAG.INTR_RMV`); default false. */
  rmv?: boolean;
  /** `rxmode.mtu`: the MTU from this configure on; default min(`maxMtu`, 1500). */
  mtu?: number;
}

/**
 * The port state of `rte_eth_dev.state`: `'unused'` (released), `'attached'` (probed, usable),
 * `'removed'` (the device behind it vanished; the port is still allocated until closed).
 *
 * @example
 * ```ts
 * if (port.state === 'removed') port.close();
 * ```
 */
export type EthDevState = 'unused' | 'attached' | 'removed';

/**
 * The typed events of a port (DPDK `rte_eth_event_type`): `intr_lsc` (link state changed; read
 * it with `linkGet`) and `intr_rmv` (the device is being removed: stop using it). A port raises
 * each only when configured for it ({@link EthConf} `lsc` / `rmv`, `intr_conf`).
 *
 * @example
 * ```ts
 * port.configure(1, 1, { rmv: true }); // intr_conf.rmv: without it no intr_rmv
 * port.on('intr_rmv', (p) => console.log(`port ${p.portId} is going away`));
 * ```
 */
export interface EthDevEvents<P> {
  intr_lsc: [port: P];
  intr_rmv: [port: P];
}
