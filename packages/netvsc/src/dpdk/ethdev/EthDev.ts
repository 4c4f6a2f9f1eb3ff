import { BypassError, MacAddress, isBypassError } from '@bypass/core';
import { EventEmitter } from 'eventemitter3';
import type { EthDevRegistry } from './EthDevRegistry.js';
import {
  ETHDEV_DEFAULT_MTU,
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  emptyEthStats,
  type EthConf,
  type EthDevEvents,
  type EthDevInfo,
  type EthDevState,
  type EthLink,
  type EthStats,
} from './EthTypes.js';
import { EthQueueStats, basicXstatNames, basicXstatValues, type EthXstat } from './EthXstats.js';

/**
 * What every port constructor receives: the registry that allocates its port id, its unique
 * name (`net_tap_vsc0`, `0002:00:02.0`...) and the devargs it was probed with.
 *
 * @example
 * ```ts
 * const init: EthDevInit = { registry, name: 'net_tap0', devargs: 'remote=eth1' };
 * ```
 */
export interface EthDevInit {
  registry: EthDevRegistry;
  name: string;
  /** The argument part of the devargs string (after the name); default empty. */
  devargs?: string;
}

const MAX_VLAN_ID = 4095;
/** `RTE_ETH_64_POOLS`: the VMDq pools a MAC address can be added to. */
const MAC_POOLS = 64;
/** `RTE_ETHER_MTU`: the MTU a configure gives a port unless told otherwise. */
const RTE_ETHER_MTU = 1500;
/** `RTE_ETHER_MIN_LEN`: the shortest Ethernet frame, CRC included. */
const RTE_ETHER_MIN_LEN = 64;
/** Ethernet header and CRC: the overhead of an MTU when the PMD states none of its own. */
const ETHER_HDR_CRC_LEN = 14 + 4;
/** `RTE_ETH_DEV_FALLBACK_RX_NBQUEUES` / `_TX_`: what `configure(0, 0)` gets. */
const FALLBACK_NB_QUEUES = 1;
/** `UINT16_MAX`: ethdev's `max_mtu` when the PMD leaves it alone. */
const UNSTATED_MAX_MTU = ETHDEV_DEFAULT_MTU.max;

/** The `dev_conf` of a port never configured: every field at its default. */
const NO_CONF: Readonly<Required<EthConf>> = Object.freeze({
  rxOffloads: 0,
  txOffloads: 0,
  lsc: false,
  rmv: false,
  mtu: RTE_ETHER_MTU,
});

/**
 * A DPDK ethdev port (`struct rte_eth_dev` plus the generic checks of `lib/ethdev/rte_ethdev.c`):
 * the application-facing API is public and final; a PMD subclasses it and implements the
 * protected `dev*` hooks (the `eth_dev_ops`) and the two burst functions.
 *
 * Control plane: `configure` (port stopped; queue counts and the {@link EthConf}), `start`, `stop`, `close` (port stopped; releases
 * the port id), link, promiscuous / all-multicast, default and extra MAC addresses, multicast
 * list, MTU, VLAN filter, stats, device info, and the typed events `intr_lsc` / `intr_rmv`
 * (eventemitter3), raised only on a port configured with `lsc` / `rmv` (`intr_conf`), as a PMD
 * raises them. The base class keeps what `rte_eth_dev_data` keeps (so fail-safe can replay
 * it) and calls the hook only after validating; a hook refuses by throwing a `BypassError`,
 * and the recorded value then stays unchanged.
 *
 * Data plane (DPDK ownership): {@link EthDev.rxBurst} fills `out[start..]` with up to `max`
 * frame handles the caller then owns; {@link EthDev.txBurst} returns how many of
 * `pkts[start .. start+count)` the PMD took: the caller keeps the rest (to retry or free). Both
 * return 0 on a port that is not started or for a queue that was not configured, and never
 * read or write outside the arrays. No allocation, closure or event per packet.
 *
 * Writing a PMD: subclass, call `super(init)` (which allocates the port id in the registry),
 * implement `devInfoGet`, `devConfigure` (it gets the checked {@link EthConf}), `devStart`, `devStop`, `devClose`, `devStatsGet`,
 * `devStatsReset`, `rxBurstImpl`, `txBurstImpl`; override the optional hooks you support
 * (`devSetLink`, `devPromiscuous`, `devAllmulticast`, `devMtuSet`, `devMacAddrSet`,
 * `devMacAddrAdd`, `devMacAddrRemove`, `devMcAddrListSet`, `devVlanFilter`, `devLinkUpdate`;
 * `hasMacAddrAdd` / `hasMacAddrRemove` returning false for a PMD without a `mac_addr_add` /
 * `mac_addr_remove` op);
 * report link changes with {@link EthDev.updateLink} and removal with {@link EthDev.markRemoved}
 * (each records the change whatever the conf, and raises the event only when the conf asks for
 * it), or with {@link EthDev.recordLink} for a driver that never raises the link event.
 *
 * Read against lib/ethdev/rte_ethdev.c and ethdev_driver.c of DPDK 26.11-rc0. Deliberate
 * differences:
 * - Error codes say what went wrong, not the errno: a full MAC table is `ERR_BUSY` (-ENOSPC), a
 *   default MAC already among the extra ones `ERR_INVALID_ARGUMENT` (-EEXIST), removing the
 *   default MAC `ERR_BUSY` (-EADDRINUSE), an MTU out of range `ERR_MTU_RANGE` (-EINVAL), start or
 *   MTU set before configure and close while started `ERR_STATE` (-EINVAL), an owner clash
 *   `ERR_BUSY` (-EPERM).
 * - An op the PMD does not override is accepted (DPDK: -ENOTSUP for a missing op), except
 *   `dev_set_link_up/down` (refused) and `mac_addr_add` / `mac_addr_remove` (`hasMacAddrAdd`,
 *   `hasMacAddrRemove`). No PMD here has `get_restore_flags` or `RTE_ETH_DEV_NOLIVE_MAC_ADDR`, so
 *   start always restores everything after `dev_start`. No PMD states preferred queue counts
 *   (`default_rxportconf`), and `RTE_MAX_QUEUES_PER_PORT` is not applied.
 * - One VMDq pool per extra MAC address: adding an address already in the table (the default one
 *   too) with another pool changes nothing, where DPDK adds the pool and calls `mac_addr_add`
 *   again; the restore replays the last pool only.
 * - The multicast list is kept here (DPDK's ethdev keeps none; fail-safe keeps its own) and its
 *   addresses must be multicast (DPDK's ethdev checks nothing, mlx4/mlx5/TAP neither).
 * - Owners are names: the current owner may claim its port again and another's `unsetOwner` is
 *   ignored (DPDK: -EPERM for both).
 * - A released port: `close`, `stop`, `statsGet`, `statsReset` and `linkGet` do nothing (or
 *   return zeros, the last link) and the owner calls still work, where DPDK returns -ENODEV; the
 *   other calls throw `ERR_NO_DEVICE`.
 *   `markRemoved` sets the `removed` state itself (DPDK: `rte_eth_dev_is_removed` does, asking
 *   the PMD's `is_removed`). `linkGet` is both `rte_eth_link_get` and `_nowait` (no PMD here
 *   waits for the link).
 *
 * @example
 * ```ts
 * class NullPort extends EthDev {
 *   protected devInfoGet() { return { ...defaultEthDevInfo('net_null') }; }
 *   protected devConfigure() {}
 *   protected devStart() { this.updateLink(true, 10_000); }
 *   protected devStop() { this.updateLink(false, 0); }
 *   protected devClose() {}
 *   protected devStatsGet(out: EthStats) { out.opackets = this.sent; }
 *   protected devStatsReset() { this.sent = 0; }
 *   protected rxBurstImpl() { return 0; }
 *   protected txBurstImpl(_q: number, pkts: Int32Array, start: number, count: number) {
 *     this.pool.freeBurst(pkts, start, count); this.sent += count; return count;
 *   }
 *   sent = 0;
 *   constructor(init: EthDevInit, readonly pool: PacketPool) { super(init); }
 * }
 * const port = new NullPort({ registry, name: 'net_null0' }, pool);
 * port.configure(1, 1);
 * port.start();
 * port.txBurst(0, pkts, 0, 32); // 32: the PMD took them all
 * ```
 */
export abstract class EthDev extends EventEmitter<EthDevEvents<EthDev>> {
  /** Port id (`rte_eth_dev.data->port_id`), lowest free at allocation. */
  readonly portId: number;
  /** Unique port name. */
  readonly name: string;
  /** The argument part of the devargs the port was probed with. */
  readonly devargs: string;
  /** The registry that allocated the port. */
  readonly registry: EthDevRegistry;

  #stateValue: EthDevState = 'attached';
  #configuredValue = false;
  #startedValue = false;
  /** The burst functions are the PMD's (`rte_eth_fp_ops` set up), not the dummy ones. */
  #burstsLive = false;
  #nbRx = 0;
  #nbTx = 0;
  #promisc = false;
  #allmulti = false;
  #mtuValue = 1500;
  readonly #macs: (MacAddress | null)[] = [MacAddress.ZERO];
  readonly #macPools: number[] = [0];
  #mcList: MacAddress[] = [];
  readonly #vlans = new Set<number>();
  // ethdev_driver.c rte_eth_dev_allocate zeroes data: down, no speed, half duplex, fixed
  readonly #link: EthLink = { status: false, speed: 0, fullDuplex: false, autoneg: false };
  #ownerName: string | null = null;
  #conf: Readonly<Required<EthConf>> = NO_CONF;
  #infoCache: EthDevInfo | null = null;

  /**
   * @throws `BypassError` `ERR_ALREADY_REGISTERED` when a port with that name exists,
   * `ERR_BUSY` when every port id is taken.
   */
  constructor(init: EthDevInit) {
    super();
    this.name = init.name;
    this.devargs = init.devargs ?? '';
    this.registry = init.registry;
    this.portId = init.registry.allocate(this);
  }

  // ---------------------------------------------------------------- state

  /** `'attached'`, `'removed'` (device vanished) or `'unused'` (closed and released). */
  get state(): EthDevState {
    return this.#stateValue;
  }

  /**
   * True once {@link EthDev.configure} succeeded (`dev_configured`); false again after a
   * configure that failed (lib/ethdev/rte_ethdev.c rte_eth_dev_configure clears it first).
   */
  get configured(): boolean {
    return this.#configuredValue;
  }

  /** True between {@link EthDev.start} and {@link EthDev.stop} (`dev_started`). */
  get started(): boolean {
    return this.#startedValue;
  }

  /** Configured RX queues. */
  get nbRxQueues(): number {
    return this.#nbRx;
  }

  /** Configured TX queues. */
  get nbTxQueues(): number {
    return this.#nbTx;
  }

  /** Promiscuous mode as last set (`data->promiscuous`). */
  get promiscuous(): boolean {
    return this.#promisc;
  }

  /** All-multicast mode as last set (`data->all_multicast`). */
  get allmulticast(): boolean {
    return this.#allmulti;
  }

  /** Current MTU (`data->mtu`). */
  get mtu(): number {
    return this.#mtuValue;
  }

  /** Default MAC address (`data->mac_addrs[0]`). */
  get macAddr(): MacAddress {
    return this.#macs[0] as MacAddress;
  }

  /** The MAC table by index (`data->mac_addrs`); null marks a free slot. Index 0 is the default. */
  get macAddrs(): readonly (MacAddress | null)[] {
    return this.#macs;
  }

  /** Extra (secondary) MAC addresses in index order. */
  get extraMacAddrs(): MacAddress[] {
    return this.#macs.slice(1).filter((m): m is MacAddress => m !== null);
  }

  /** The multicast address list as last set. */
  get mcAddrs(): readonly MacAddress[] {
    return this.#mcList;
  }

  /** VLAN ids accepted by the VLAN filter, ascending. */
  get vlanIds(): number[] {
    return [...this.#vlans].sort((a, b) => a - b);
  }

  /** The owner (`rte_eth_dev_owner`) name, or null. */
  get owner(): string | null {
    return this.#ownerName;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The `dev_conf` of the last successful {@link EthDev.configure}, defaults filled in (all
   * zero / false before the first). While the PMD's `devConfigure` runs it is already the
   * requested one, and a failed configure puts the previous one back (lib/ethdev/rte_ethdev.c
   * rte_eth_dev_configure: `data->dev_conf` is written before `dev_configure`, restored on
   * failure). Frozen: read it, do not keep it across a configure.
   *
   * @example
   * ```ts
   * port.configure(1, 1, { lsc: true });
   * port.devConf; // { rxOffloads: 0, txOffloads: 0, lsc: true, rmv: false }
   * ```
   */
  get devConf(): Readonly<Required<EthConf>> {
    return this.#conf;
  }

  /**
   * Sets the number of RX and TX queues and the {@link EthConf} (`rte_eth_dev_configure` + queue
   * setup). `configure(0, 0)` gets one queue each way (DPDK's fallback when the driver states no
   * preferred counts; one direction alone at 0 is kept). `conf` replaces the previous one as a
   * whole (a field left out is back to its default) and lasts until the next successful
   * configure. The checks run in DPDK's order: queue counts, `lsc` / `rmv`, MTU, offloads. A
   * failed configure keeps the previous conf and leaves the port unconfigured (`start` is refused
   * until a configure succeeds); refused by one of these checks it keeps its queue counts,
   * refused by the PMD it has none (0 and 0, as DPDK's `reset_queues`).
   *
   * @throws `BypassError` `ERR_BUSY` when started ("Port N must be stopped to allow
   * configuration"), `ERR_INVALID_ARGUMENT` for counts above the device's limits, `lsc` / `rmv`
   * on a port whose `devFlags` lack `INTR_LSC` / `INTR_RMV`, or offloads outside its
   * capabilities; `ERR_MTU_RANGE` for an `mtu` the device refuses; `ERR_NO_DEVICE` after
   * release, or the PMD's refusal.
   */
  configure(nbRxq: number, nbTxq: number, conf: EthConf = {}): void {
    this.#requireAlive('configure');
    if (this.#startedValue) {
      throw new BypassError(
        'ERR_BUSY',
        `Port ${this.portId} must be stopped to allow configuration`,
      );
    }
    // lib/ethdev/rte_ethdev.c rte_eth_dev_configure: not configured until this one succeeds
    this.#configuredValue = false;
    const next = this.#normalizeConf(conf);
    const info = this.devInfo();
    // lib/ethdev/rte_ethdev.c rte_eth_dev_configure: 0 and 0 asks for the driver's preferred
    // counts, which no PMD modelled here states, so RTE_ETH_DEV_FALLBACK_RX/TX_NBQUEUES (1, 1)
    if (nbRxq === 0 && nbTxq === 0) {
      nbRxq = FALLBACK_NB_QUEUES;
      nbTxq = FALLBACK_NB_QUEUES;
    }
    this.#checkQueues('rx', nbRxq, info.maxRxQueues);
    this.#checkQueues('tx', nbTxq, info.maxTxQueues);
    // lib/ethdev/rte_ethdev.c rte_eth_dev_configure: the interrupts asked for must be in dev_flags
    this.#checkIntr('lsc', next.lsc, ETH_DEV_FLAG.INTR_LSC, info);
    this.#checkIntr('rmv', next.rmv, ETH_DEV_FLAG.INTR_RMV, info);
    // ... then rxmode.mtu (default RTE_ETHER_MTU, or max_mtu when smaller), recorded as data->mtu
    // before the PMD's dev_configure and put back if anything fails
    const filled: Readonly<Required<EthConf>> =
      next.mtu === 0 ? { ...next, mtu: Math.min(info.maxMtu, RTE_ETHER_MTU) } : next;
    this.#validateMtu(filled.mtu, info);
    // ... then the offloads within the capabilities
    this.#checkOffloads('Rx', next.rxOffloads, info.rxOffloadCapa);
    this.#checkOffloads('Tx', next.txOffloads, info.txOffloadCapa);
    const previous = this.#conf;
    const previousMtu = this.#mtuValue;
    this.#conf = Object.freeze(filled);
    this.#mtuValue = filled.mtu;
    // lib/ethdev/rte_ethdev.c rte_eth_dev_configure: the queue arrays are sized before
    // dev_configure, and emptied again (reset_queues) when it fails
    this.#nbRx = nbRxq;
    this.#nbTx = nbTxq;
    try {
      this.devConfigure(nbRxq, nbTxq, this.#conf);
    } catch (err) {
      this.#conf = previous;
      this.#mtuValue = previousMtu;
      this.#nbRx = 0;
      this.#nbTx = 0;
      throw err;
    }
    this.#configuredValue = true;
  }

  /**
   * Starts the port (`rte_eth_dev_start`); a started port stays as it is. Once the PMD's start
   * succeeded, the recorded configuration is replayed through the PMD's hooks, as
   * `eth_dev_config_restore` does for a PMD without `get_restore_flags` (every PMD modelled
   * here): the default MAC (`devMacAddrSet`) and the extra ones (`devMacAddrAdd`), errors
   * ignored, then `devPromiscuous(promiscuous)` and `devAllmulticast(allmulticast)`, whichever
   * way they are set. A refusal of either (other than `ERR_NOT_SUPPORTED`) stops the port again
   * and is rethrown. Unless the port was configured with `lsc`, the PMD's link update runs last
   * (with `lsc` the link is the PMD's interrupt's business).
   *
   * @throws `BypassError` `ERR_STATE` when not configured, `ERR_NO_DEVICE` when the device
   * is gone, or the PMD's refusal.
   */
  start(): void {
    this.#requireAlive('start');
    if (this.#startedValue) return;
    if (!this.#configuredValue) {
      throw new BypassError(
        'ERR_STATE',
        `Port ${this.portId} (${this.name}) is not configured: call configure() first`,
      );
    }
    this.devStart();
    this.#startedValue = true;
    try {
      this.#restoreConfig();
    } catch (err) {
      // rte_ethdev.c rte_eth_dev_start: a failed restore stops the port (a failure of that stop
      // is only logged) and fails the start
      try {
        this.stop();
      } catch {
        // the restore's error is the one reported
      }
      throw err;
    }
    // lib/ethdev/rte_ethdev.c rte_eth_dev_start: link_update after dev_start only without lsc
    if (!this.#conf.lsc) this.devLinkUpdate();
    // ... and the PMD's burst functions exposed last (eth_dev_fp_ops_setup)
    this.#burstsLive = true;
  }

  /**
   * Stops the port (`rte_eth_dev_stop`); a stopped port stays as it is. The bursts return 0 from
   * here on; when the PMD's stop fails the port is still started (configure and close are still
   * refused, `stop` can be tried again) unless the PMD cleared it itself
   * ({@link EthDev.markStopped}, netvsc), and the failure is rethrown.
   *
   * @throws the PMD's `dev_stop` failure.
   */
  stop(): void {
    if (!this.#startedValue) return;
    // lib/ethdev/rte_ethdev.c rte_eth_dev_stop: the dummy burst functions first
    // (eth_dev_fp_ops_reset), and dev_started cleared only when dev_stop succeeded
    this.#burstsLive = false;
    this.devStop();
    this.#startedValue = false;
  }

  /**
   * Closes the port and releases its id (`rte_eth_dev_close`). The port must be stopped. The port
   * is released even when the PMD's `dev_close` fails; that failure is then rethrown. A port
   * already released stays as it is (DPDK: -ENODEV for its port id).
   *
   * @throws `BypassError` `ERR_STATE` when started ("Cannot close started device (port N)",
   * -EINVAL in DPDK), or the PMD's `dev_close` failure (after the release).
   */
  close(): void {
    if (this.#stateValue === 'unused') return;
    if (this.#startedValue) {
      // lib/ethdev/rte_ethdev.c rte_eth_dev_close: -EINVAL for a started port (primary process)
      throw new BypassError(
        'ERR_STATE',
        `Cannot close started device (port ${this.portId}): stop it first`,
      );
    }
    try {
      this.devClose();
    } finally {
      // lib/ethdev/rte_ethdev.c rte_eth_dev_close: the port is released whatever dev_close returned
      this.#configuredValue = false;
      this.#stateValue = 'unused';
      this.registry.release(this);
    }
  }

  // ---------------------------------------------------------------- data plane

  /**
   * `rte_eth_rx_burst`: receives up to `max` frames on `queue` into `out[start..]` (never past
   * its end); the caller owns them. 0 when the port is not started or the queue not configured.
   */
  rxBurst(queue: number, out: Int32Array, start: number, max: number): number {
    if (!this.#rxQueueReady(queue)) return 0;
    if (start >>> 0 !== start || !(max > 0)) return 0;
    const room = out.length - start;
    if (room <= 0) return 0;
    return this.rxBurstImpl(queue, out, start, max < room ? max | 0 : room);
  }

  /**
   * `rte_eth_tx_burst`: offers `pkts[start .. start+count)` (clipped to the array) on `queue`;
   * returns how many the PMD took. The caller keeps the rest. 0 when not started or the queue
   * was not configured.
   */
  txBurst(queue: number, pkts: Int32Array, start: number, count: number): number {
    if (!this.#txQueueReady(queue)) return 0;
    if (start >>> 0 !== start || !(count > 0)) return 0;
    const room = pkts.length - start;
    if (room <= 0) return 0;
    return this.txBurstImpl(queue, pkts, start, count < room ? count | 0 : room);
  }

  /**
   * The PMD's own receive function (`dev->rx_pkt_burst`), for a port that drives this one as a
   * sub-device and has already checked its own arguments: fail-safe calls its sub-devices' burst
   * functions directly, not through `rte_eth_rx_burst` (failsafe_rxtx.c). `max` must fit in `out`
   * from `start`. Only the port's own state is checked (started, queue configured), so a
   * sub-device out of step with its parent returns 0 instead of reading an unconfigured queue.
   *
   * @example
   * ```ts
   * const got = sub.subDeviceRxBurst(0, out, 0, out.length); // inside a parent's rxBurstImpl
   * ```
   */
  subDeviceRxBurst(queue: number, out: Int32Array, start: number, max: number): number {
    if (!this.#rxQueueReady(queue)) return 0;
    return this.rxBurstImpl(queue, out, start, max);
  }

  /**
   * The PMD's own `link_update` op, for a port that drives this one as a sub-device:
   * failsafe_ops.c fs_link_update calls its sub-devices' op directly, so the link is refreshed
   * even on a started port configured with `lsc` (where {@link EthDev.linkGet} returns the
   * recorded link). Nothing on a released port.
   *
   * @example
   * ```ts
   * sub.subDeviceLinkUpdate(); // inside a parent's devLinkUpdate
   * const link = sub.storedLink;
   * ```
   */
  subDeviceLinkUpdate(): void {
    if (this.#stateValue !== 'unused') this.devLinkUpdate();
  }

  /**
   * The PMD's own transmit function (`dev->tx_pkt_burst`), for a port that drives this one as a
   * sub-device and has already checked its own arguments (failsafe_rxtx.c: fail-safe calls its
   * sub-devices' burst functions directly). `count` must fit in `pkts` from `start`. Only the
   * port's own state is checked, as for {@link EthDev.subDeviceRxBurst}.
   *
   * @example
   * ```ts
   * const took = sub.subDeviceTxBurst(0, pkts, 0, n); // inside a parent's txBurstImpl
   * ```
   */
  subDeviceTxBurst(queue: number, pkts: Int32Array, start: number, count: number): number {
    if (!this.#txQueueReady(queue)) return 0;
    return this.txBurstImpl(queue, pkts, start, count);
  }

  /**
   * The PMD's own `stats_get` op, for a port that drives this one as a sub-device: hn_vf.c
   * hn_vf_stats_get calls the VF's op directly, because `rte_eth_stats_get` has no room for the
   * per-queue counters it forwards. Writes the 8 basic counters into `out` and, when `queues` is
   * not null, the per-queue ones into `queues` (both zeroed by the caller); nothing on a released
   * port.
   *
   * @example
   * ```ts
   * vf.subDeviceStatsGet(scratch, queues); // inside a parent's devStatsGet
   * ```
   */
  subDeviceStatsGet(out: EthStats, queues: EthQueueStats | null): void {
    if (this.#stateValue !== 'unused') this.devStatsGet(out, queues);
  }

  /** Started (burst functions exposed), and `queue` is one of the configured RX queues. */
  #rxQueueReady(queue: number): boolean {
    return this.#burstsLive && queue >>> 0 === queue && queue < this.#nbRx;
  }

  /** Started (burst functions exposed), and `queue` is one of the configured TX queues. */
  #txQueueReady(queue: number): boolean {
    return this.#burstsLive && queue >>> 0 === queue && queue < this.#nbTx;
  }

  // ---------------------------------------------------------------- link

  /**
   * `rte_eth_link_get`: refreshes (PMD `link_update`) and returns a copy of the link. On a started
   * port configured with `lsc` the recorded link is returned as it is, the PMD is not asked.
   *
   * @example
   * ```ts
   * if (!port.linkGet().status) console.log(`port ${port.portId} is down`);
   * ```
   */
  linkGet(): EthLink {
    // lib/ethdev/rte_ethdev.c rte_eth_link_get: with intr_conf.lsc on a started port the
    // recorded link is the answer; otherwise the PMD's link_update refreshes it first
    const trustRecorded = this.#conf.lsc && this.#startedValue;
    if (this.#stateValue !== 'unused' && !trustRecorded) this.devLinkUpdate();
    return { ...this.#link };
  }

  /**
   * The link as last recorded (`data->dev_link`), without asking the PMD to refresh it: what
   * a parent PMD such as fail-safe reads from its sub-device. Read-only view, no copy.
   */
  get storedLink(): Readonly<EthLink> {
    return this.#link;
  }

  /**
   * `rte_eth_dev_set_link_up` / `_down`.
   *
   * @throws `BypassError` `ERR_NOT_SUPPORTED` when the PMD cannot do it.
   */
  setLink(up: boolean): void {
    this.#requireAlive('set the link of');
    this.devSetLink(up);
  }

  // ---------------------------------------------------------------- RX modes, MTU, addresses

  /** `rte_eth_promiscuous_enable` / `_disable`. */
  setPromiscuous(on: boolean): void {
    this.#requireAlive('set promiscuous mode on');
    if (this.#promisc === on) return;
    this.devPromiscuous(on);
    this.#promisc = on;
  }

  /** `rte_eth_allmulticast_enable` / `_disable`. */
  setAllmulticast(on: boolean): void {
    this.#requireAlive('set all-multicast mode on');
    if (this.#allmulti === on) return;
    this.devAllmulticast(on);
    this.#allmulti = on;
  }

  /**
   * `rte_eth_dev_set_mtu`: the MTU is checked against the device's limits, the port must be
   * configured, and the PMD's `mtu_set` is called whatever the current MTU (a PMD that refuses
   * while started refuses the same value too); the recorded MTU changes only when it accepts.
   *
   * @throws `BypassError` `ERR_MTU_RANGE` outside the device's `[minMtu, maxMtu]` or for a frame
   * longer than its `maxRxPktLen`, `ERR_STATE` before the first successful configure ("Port N
   * must be configured before MTU set"), or the PMD's refusal.
   */
  setMtu(mtu: number): void {
    this.#requireAlive('set the MTU of');
    this.#validateMtu(mtu, this.devInfo());
    // lib/ethdev/rte_ethdev.c rte_eth_dev_set_mtu: -EINVAL on a port never configured
    if (!this.#configuredValue) {
      throw new BypassError(
        'ERR_STATE',
        `Port ${this.portId} must be configured before MTU set: call configure() first`,
      );
    }
    this.devMtuSet(mtu);
    this.#mtuValue = mtu;
  }

  /** lib/ethdev/rte_ethdev.c eth_dev_validate_mtu: the range, then the frame it makes. */
  #validateMtu(mtu: number, info: EthDevInfo): void {
    const refuse = (why: string): never => {
      throw new BypassError('ERR_MTU_RANGE', `Port ${this.portId}: ${why}`);
    };
    if (!Number.isInteger(mtu)) refuse(`MTU ${String(mtu)} is not an integer`);
    if (mtu < info.minMtu) refuse(`MTU (${mtu}) < device min MTU (${info.minMtu})`);
    if (mtu > info.maxMtu) refuse(`MTU (${mtu}) > device max MTU (${info.maxMtu})`);
    const overhead =
      info.maxMtu !== UNSTATED_MAX_MTU && info.maxRxPktLen > info.maxMtu
        ? info.maxRxPktLen - info.maxMtu
        : ETHER_HDR_CRC_LEN;
    const frame = mtu + overhead;
    if (frame < RTE_ETHER_MIN_LEN) {
      refuse(`Frame size (${frame}) < min frame size (${RTE_ETHER_MIN_LEN})`);
    }
    if (frame > info.maxRxPktLen) {
      refuse(`Frame size (${frame}) > device max frame size (${info.maxRxPktLen})`);
    }
  }

  /**
   * `rte_eth_dev_default_mac_addr_set`. Like DPDK since 23.03, an address already in the extra
   * list is refused (one address, one entry: otherwise the port's table could not be rebuilt on
   * another device, as the fail-safe replay does).
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a multicast or zero address, or one already
   * in the address list.
   */
  setDefaultMacAddr(mac: MacAddress): void {
    this.#requireAlive('set the MAC address of');
    if (!mac.isValidUnicast) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Port ${this.portId}: ${mac.toString()} is not a valid unicast address`,
      );
    }
    if (this.#macs.some((m, i) => i > 0 && m !== null && m.equals(mac))) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `New default address for port ${this.portId} was already in the address list. Please remove it first.`,
      );
    }
    this.devMacAddrSet(mac);
    this.#macs[0] = mac;
  }

  /**
   * `rte_eth_dev_mac_addr_add`: adds an extra MAC address in the first free slot (an address
   * already present is not added twice).
   *
   * @throws `BypassError` `ERR_NOT_SUPPORTED` first of all when the PMD has no `mac_addr_add`
   * op (netvsc), `ERR_INVALID_ARGUMENT` for a zero address or a pool outside 0..63, `ERR_BUSY`
   * when the MAC table is full ("MAC address array full").
   */
  macAddrAdd(mac: MacAddress, pool = 0): void {
    this.#requireAlive('add a MAC address to');
    // lib/ethdev/rte_ethdev.c rte_eth_dev_mac_addr_add: -ENOTSUP for a PMD without the op,
    // before the address is looked at
    if (!this.hasMacAddrAdd) {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `Port ${this.portId} (${this.name}): driver ${this.devInfo().driverName} cannot add MAC ` +
          'addresses (no mac_addr_add op): use its one address, or setPromiscuous(true) to ' +
          'receive frames for others',
      );
    }
    if (mac.isZero) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Port ${this.portId}: Cannot add NULL MAC address`,
      );
    }
    // lib/ethdev/rte_ethdev.c rte_eth_dev_mac_addr_add: RTE_ETH_64_POOLS pools at most
    if (!Number.isInteger(pool) || pool < 0 || pool >= MAC_POOLS) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Port ${this.portId}: pool ${String(pool)} is not a VMDq pool: pick one of 0..${MAC_POOLS - 1}`,
      );
    }
    if (this.#macs.some((m) => m !== null && m.equals(mac))) return;
    const max = this.devInfo().maxMacAddrs;
    let index = this.#macs.indexOf(null, 1);
    if (index < 0) index = this.#macs.length;
    if (index >= max) {
      throw new BypassError('ERR_BUSY', `Port ${this.portId}: MAC address array full`);
    }
    this.devMacAddrAdd(mac, index, pool);
    this.#macs[index] = mac;
    this.#macPools[index] = pool;
  }

  /**
   * `rte_eth_dev_mac_addr_remove`; an address not in the table is ignored.
   *
   * @throws `BypassError` `ERR_NOT_SUPPORTED` first of all when the PMD has no `mac_addr_remove`
   * op (netvsc), `ERR_BUSY` for the default address ("Cannot remove default MAC address").
   */
  macAddrRemove(mac: MacAddress): void {
    this.#requireAlive('remove a MAC address from');
    // lib/ethdev/rte_ethdev.c rte_eth_dev_mac_addr_remove: -ENOTSUP for a PMD without the op,
    // before the address is looked up
    if (!this.hasMacAddrRemove) {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `Port ${this.portId} (${this.name}): driver ${this.devInfo().driverName} cannot remove ` +
          'MAC addresses (no mac_addr_remove op): its table holds only its default address',
      );
    }
    const index = this.#macs.findIndex((m) => m !== null && m.equals(mac));
    if (index < 0) return;
    if (index === 0) {
      throw new BypassError('ERR_BUSY', `Port ${this.portId}: Cannot remove default MAC address`);
    }
    this.devMacAddrRemove(mac, index);
    this.#macs[index] = null;
    while (this.#macs.length > 1 && this.#macs[this.#macs.length - 1] === null) this.#macs.pop();
  }

  /**
   * `rte_eth_dev_set_mc_addr_list`: replaces the multicast list.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a non-multicast address.
   */
  setMcAddrList(list: readonly MacAddress[]): void {
    this.#requireAlive('set the multicast list of');
    for (const m of list) {
      if (!m.isMulticast) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `Port ${this.portId}: ${m.toString()} is not a multicast address`,
        );
      }
    }
    this.devMcAddrListSet(list);
    this.#mcList = [...list];
  }

  /**
   * `rte_eth_dev_vlan_filter`: accepts (`on`) or stops accepting VLAN id `vid`. The port must have
   * been configured with `ETH_OFFLOAD.VLAN_FILTER` in its `rxOffloads` (the capability alone is
   * not enough); the PMD is called every time, even for an id already in that state.
   *
   * @throws `BypassError` `ERR_NOT_SUPPORTED` first when the configured RX offloads lack
   * VLAN_FILTER ("VLAN-filtering disabled", -ENOSYS in DPDK), then `ERR_INVALID_ARGUMENT` outside
   * 0..4095, or the PMD's refusal.
   */
  vlanFilter(vid: number, on: boolean): void {
    this.#requireAlive('set a VLAN filter on');
    // lib/ethdev/rte_ethdev.c rte_eth_dev_vlan_filter: the offload of dev_conf, checked first
    if ((this.#conf.rxOffloads & ETH_OFFLOAD.VLAN_FILTER) === 0) {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `Port ${this.portId}: VLAN-filtering disabled: configure the port with ` +
          'rxOffloads including ETH_OFFLOAD.VLAN_FILTER first',
      );
    }
    if (!Number.isInteger(vid) || vid < 0 || vid > MAX_VLAN_ID) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Port ${this.portId}: invalid vlan_id=${String(vid)}: use 0..4095`,
      );
    }
    // ... and no shortcut for an id already in that state: the op is called again
    this.devVlanFilter(vid, on);
    if (on) this.#vlans.add(vid);
    else this.#vlans.delete(vid);
  }

  // ---------------------------------------------------------------- stats, info, owner

  /** `rte_eth_stats_get`: a fresh copy of the 8 basic counters. */
  statsGet(): EthStats {
    const out = emptyEthStats();
    if (this.#stateValue !== 'unused') this.devStatsGet(out, null);
    return out;
  }

  /** `rte_eth_stats_reset`. */
  statsReset(): void {
    if (this.#stateValue !== 'unused') this.devStatsReset();
  }

  /**
   * `rte_eth_xstats_get_names`: the names of the port's extended statistics, the index of each
   * being its id. ethdev's own come first (lib/ethdev/rte_ethdev.c eth_basic_stats_get_names):
   * the 8 basic counters (`rx_good_packets`, `tx_good_packets`, `rx_good_bytes`, `tx_good_bytes`,
   * `rx_missed_errors`, `rx_errors`, `tx_errors`, `rx_mbuf_allocation_errors`), then, for a port
   * with `ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS`, `rx_q<i>_packets` / `_bytes` / `_errors` per RX
   * queue and `tx_q<i>_packets` / `_bytes` per TX queue (at most 16 each way); the PMD's own
   * follow. The list changes with the queue counts and, for netvsc and fail-safe, with the
   * sub-devices present.
   *
   * @throws `BypassError` `ERR_NO_DEVICE` when the port was closed and released.
   */
  xstatsGetNames(): string[] {
    this.#requireAlive('read the xstats of');
    const names = basicXstatNames(this.#nbRx, this.#nbTx, this.#autofillQueueXstats());
    for (const n of this.devXstatsNames()) names.push(n);
    return names;
  }

  /**
   * `rte_eth_xstats_get`: every extended statistic now, in the order of
   * {@link EthDev.xstatsGetNames} (`id` is the index there). The basic and per-queue counters
   * are read from the PMD's `stats_get` as {@link EthDev.statsGet} reads them.
   *
   * @example
   * ```ts
   * const names = port.xstatsGetNames();
   * for (const { id, value } of port.xstatsGet()) if (value > 0) console.log(names[id], value);
   * ```
   *
   * @throws `BypassError` `ERR_NO_DEVICE` when the port was closed and released.
   */
  xstatsGet(): EthXstat[] {
    this.#requireAlive('read the xstats of');
    const stats = emptyEthStats();
    const queues = this.#autofillQueueXstats() ? new EthQueueStats() : null;
    this.devStatsGet(stats, queues);
    const values = basicXstatValues(stats, queues, this.#nbRx, this.#nbTx);
    for (const v of this.devXstatsGet()) values.push(v);
    return values.map((value, id) => ({ id, value }));
  }

  /**
   * `rte_eth_xstats_get_id_by_name`: the id of the extended statistic called `name`.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` (-EINVAL) when the port has no such statistic
   * now (see {@link EthDev.xstatsGetNames}); `ERR_NO_DEVICE` when the port was released.
   */
  xstatsGetIdByName(name: string): number {
    const id = this.xstatsGetNames().indexOf(name);
    if (id < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Port ${this.portId} (${this.name}) has no xstat named ${JSON.stringify(name)}: ` +
          'pick one of xstatsGetNames()',
      );
    }
    return id;
  }

  /**
   * `rte_eth_xstats_get_by_id`: the values of the extended statistics `ids`, in that order.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` (-EINVAL) when an id is not one of the port's
   * now; `ERR_NO_DEVICE` when the port was released.
   */
  xstatsGetById(ids: readonly number[]): number[] {
    const all = this.xstatsGet();
    return ids.map((id) => {
      const x = Number.isInteger(id) ? all[id] : undefined;
      if (x === undefined) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `Port ${this.portId} (${this.name}): no xstat with id ${String(id)} ` +
            `(ids are 0..${all.length - 1}; see xstatsGetNames())`,
        );
      }
      return x.value;
    });
  }

  /**
   * `rte_eth_xstats_reset`: the PMD's `xstats_reset` where it has one (netvsc, fail-safe), else
   * `rte_eth_stats_reset` ({@link EthDev.statsReset}).
   *
   * @throws `BypassError` `ERR_NO_DEVICE` when the port was released; whatever the PMD's reset
   * throws (netvsc without a VF: `ERR_INVALID_ARGUMENT`, after resetting its own counters).
   */
  xstatsReset(): void {
    this.#requireAlive('reset the xstats of');
    this.devXstatsReset();
  }

  /** `rte_eth_dev_info_get`: limits and capabilities (a copy). */
  devInfo(): EthDevInfo {
    return { ...(this.#infoCache ?? this.devInfoGet()) };
  }

  /**
   * `rte_eth_dev_owner_set`: claims the port for `owner` (fail-safe owns its sub-devices, the
   * netvsc PMD its VF) so that others leave it alone.
   *
   * @throws `BypassError` `ERR_BUSY` when another owner holds it.
   */
  setOwner(owner: string): void {
    if (this.#ownerName !== null && this.#ownerName !== owner) {
      throw new BypassError(
        'ERR_BUSY',
        `Port ${this.portId} (${this.name}) is owned by ${this.#ownerName}`,
      );
    }
    this.#ownerName = owner;
  }

  /** `rte_eth_dev_owner_unset`: releases the claim of `owner` (others are ignored). */
  unsetOwner(owner: string): void {
    if (this.#ownerName === owner) this.#ownerName = null;
  }

  // ---------------------------------------------------------------- for PMDs

  /**
   * Records the link as the PMD's `link_update` computed it and raises no event, as
   * `rte_eth_linkstatus_set` does (it stores the whole `rte_eth_link`; the LSC event is the
   * driver's own business). Everything is recorded as given: a PMD that reports its speed with the
   * link down (netvsc, TAP) passes it, one that reports none (a VF without carrier) passes 0.
   * Returns true when the status changed.
   */
  protected recordLink(status: boolean, speed: number, fullDuplex = true, autoneg = true): boolean {
    const link = this.#link;
    const changed = link.status !== status;
    link.status = status;
    link.speed = speed;
    link.fullDuplex = fullDuplex;
    link.autoneg = autoneg;
    return changed;
  }

  /**
   * Records the link as {@link EthDev.recordLink} does, as a PMD's link interrupt handler does,
   * and emits `intr_lsc` when the status changed and the port is configured with `lsc`
   * ({@link EthDev.devConf}): a PMD raises RTE_ETH_EVENT_INTR_LSC only for an application that
   * asked for it in `intr_conf.lsc`. Without `lsc` the link is recorded all the same. Returns true
   * when the status changed.
   */
  protected updateLink(status: boolean, speed: number, fullDuplex = true, autoneg = true): boolean {
    const changed = this.recordLink(status, speed, fullDuplex, autoneg);
    // mlx5_ethdev_os.c mlx5_dev_interrupt_nl_cb (mlx4_intr.c alike): LSC only with intr_conf.lsc
    if (changed && this.#conf.lsc) this.emit('intr_lsc', this);
    return changed;
  }

  /**
   * Marks the device as removed (`RTE_ETH_DEV_REMOVED`) and, the first time, emits `intr_rmv` when
   * the port is configured with `rmv` ({@link EthDev.devConf}): a PMD raises
   * RTE_ETH_EVENT_INTR_RMV only for an application that asked for it in `intr_conf.rmv`. Without
   * `rmv` the port is marked removed all the same, silently.
   */
  protected markRemoved(): void {
    if (this.#stateValue !== 'attached') return;
    this.#stateValue = 'removed';
    // mlx5_ethdev_os.c mlx5_dev_interrupt_device_fatal (mlx4_intr.c alike): RMV only with .rmv
    if (this.#conf.rmv) this.emit('intr_rmv', this);
  }

  /**
   * For a PMD whose `dev_stop` clears `data->dev_started` itself, first thing (hn_ethdev.c
   * hn_dev_stop, mlx5_trigger.c mlx5_dev_stop): {@link EthDev.started} is false from here on,
   * while the rest of its stop runs and even if that fails. Only inside `devStop`.
   *
   * @example
   * ```ts
   * protected devStop(): void {
   *   this.markStopped(); // what the PMD's own code sees as it stops its queues
   *   this.stopQueues();
   * }
   * ```
   */
  protected markStopped(): void {
    this.#startedValue = false;
  }

  /** Freezes {@link EthDev.devInfo} to `info` (for PMDs whose limits never change). */
  protected cacheDevInfo(info: EthDevInfo): void {
    this.#infoCache = info;
  }

  protected abstract devInfoGet(): EthDevInfo;
  /**
   * PMD `dev_configure`: set up `nbRxq` / `nbTxq` queues for `conf`, already checked against the
   * device's limits, flags and capabilities (and already {@link EthDev.devConf}).
   */
  protected abstract devConfigure(
    nbRxq: number,
    nbTxq: number,
    conf: Readonly<Required<EthConf>>,
  ): void;
  protected abstract devStart(): void;
  protected abstract devStop(): void;
  protected abstract devClose(): void;
  /**
   * PMD `stats_get`: writes the port's counters into `out` and, when `queues` is not null (the
   * extended statistics of a port with `AUTOFILL_QUEUE_XSTATS`), its per-queue counters into
   * `queues`; both zeroed by the caller.
   */
  protected abstract devStatsGet(out: EthStats, queues: EthQueueStats | null): void;
  protected abstract devStatsReset(): void;
  /** RX burst on a valid, configured queue of a started port, `max` already clipped. */
  protected abstract rxBurstImpl(
    queue: number,
    out: Int32Array,
    start: number,
    max: number,
  ): number;
  /** TX burst on a valid, configured queue of a started port, `count` already clipped. */
  protected abstract txBurstImpl(
    queue: number,
    pkts: Int32Array,
    start: number,
    count: number,
  ): number;

  /**
   * Refreshes the link (PMD `link_update`); call {@link EthDev.recordLink} or
   * {@link EthDev.updateLink}. Called by `linkGet` (not on a started `lsc` port) and after
   * `devStart` (not with `lsc`). Default: nothing.
   */
  protected devLinkUpdate(): void {}

  /** PMD `xstats_get_names`: the PMD's own extended statistics, after ethdev's. Default: none. */
  protected devXstatsNames(): string[] {
    return [];
  }

  /** PMD `xstats_get`: the values of {@link EthDev.devXstatsNames}, in its order. */
  protected devXstatsGet(): number[] {
    return [];
  }

  /** PMD `xstats_reset`. Default (no such op): `rte_eth_stats_reset`. */
  protected devXstatsReset(): void {
    this.statsReset();
  }

  /** PMD `dev_set_link_up/down`. Default: not supported. */
  protected devSetLink(_up: boolean): void {
    throw new BypassError('ERR_NOT_SUPPORTED', `Port ${this.portId} cannot set its link`);
  }

  /** PMD promiscuous enable/disable. Default: accepted. */
  protected devPromiscuous(_on: boolean): void {}
  /** PMD all-multicast enable/disable. Default: accepted. */
  protected devAllmulticast(_on: boolean): void {}
  /** PMD `mtu_set`. Default: accepted. */
  protected devMtuSet(_mtu: number): void {}
  /** PMD `mac_addr_set`. Default: accepted. */
  protected devMacAddrSet(_mac: MacAddress): void {}
  /** PMD `mac_addr_add` at table index `index`. Default: accepted. */
  protected devMacAddrAdd(_mac: MacAddress, _index: number, _pool: number): void {}
  /**
   * False for a PMD without a `mac_addr_add` op: {@link EthDev.macAddrAdd} then refuses with
   * `ERR_NOT_SUPPORTED` and the start-time restore adds no extra address. Default: true.
   */
  protected get hasMacAddrAdd(): boolean {
    return true;
  }
  /**
   * False for a PMD without a `mac_addr_remove` op: {@link EthDev.macAddrRemove} then refuses
   * with `ERR_NOT_SUPPORTED`. Default: true.
   */
  protected get hasMacAddrRemove(): boolean {
    return true;
  }
  /** PMD `mac_addr_remove`. Default: accepted. */
  protected devMacAddrRemove(_mac: MacAddress, _index: number): void {}
  /** PMD `set_mc_addr_list`. Default: accepted. */
  protected devMcAddrListSet(_list: readonly MacAddress[]): void {}
  /** PMD `vlan_filter_set`. Default: accepted. */
  protected devVlanFilter(_vid: number, _on: boolean): void {}

  /** The pool index an extra MAC address was added with (for replay). */
  protected macPoolOf(index: number): number {
    return this.#macPools[index] ?? 0;
  }

  /** Sets the recorded default MAC without calling the PMD (probe-time initialisation). */
  protected initMacAddr(mac: MacAddress): void {
    this.#macs[0] = mac;
  }

  /** Sets the recorded MTU without calling the PMD (probe-time initialisation). */
  protected initMtu(mtu: number): void {
    this.#mtuValue = mtu;
  }

  /**
   * rte_ethdev.c eth_dev_config_restore (RTE_ETH_RESTORE_ALL, no RTE_ETH_DEV_NOLIVE_MAC_ADDR):
   * the hooks are called directly, even when the mode is already as recorded.
   */
  #restoreConfig(): void {
    // rte_ethdev.c eth_dev_mac_restore: default then extra addresses; the PMD's answer is ignored
    const macs = this.#macs;
    try {
      this.devMacAddrSet(macs[0] as MacAddress);
    } catch {
      // ignored, as DPDK ignores mac_addr_set's return value here
    }
    // ... and the extra ones only through a mac_addr_add op
    for (let i = 1; this.hasMacAddrAdd && i < macs.length; i++) {
      const mac = macs[i];
      if (mac === null || mac === undefined) continue;
      try {
        this.devMacAddrAdd(mac, i, this.macPoolOf(i));
      } catch {
        // ignored, as DPDK ignores mac_addr_add's return value here
      }
    }
    // rte_ethdev.c eth_dev_promiscuous_restore then eth_dev_allmulticast_restore: -ENOTSUP is fine
    try {
      this.devPromiscuous(this.#promisc);
    } catch (err) {
      if (!isBypassError(err, 'ERR_NOT_SUPPORTED')) throw err;
    }
    try {
      this.devAllmulticast(this.#allmulti);
    } catch (err) {
      if (!isBypassError(err, 'ERR_NOT_SUPPORTED')) throw err;
    }
  }

  /** The PMD asked ethdev to list its per-queue counters (`RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS`). */
  #autofillQueueXstats(): boolean {
    return (this.devInfo().devFlags & ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS) !== 0;
  }

  #requireAlive(what: string): void {
    if (this.#stateValue === 'unused') {
      throw new BypassError(
        'ERR_NO_DEVICE',
        `cannot ${what} port ${this.portId} (${this.name}): it was closed and released`,
      );
    }
  }

  /** Fills in the defaults; the offloads must be 32-bit masks, `lsc` / `rmv` booleans. */
  #normalizeConf(conf: EthConf): Readonly<Required<EthConf>> {
    if (typeof conf !== 'object' || conf === null) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Cannot configure ethdev port ${this.portId} from ${String(conf)}: ` +
          'pass an EthConf object such as { rxOffloads: ETH_OFFLOAD.VLAN_STRIP }',
      );
    }
    const next = {
      rxOffloads: conf.rxOffloads ?? 0,
      txOffloads: conf.txOffloads ?? 0,
      lsc: conf.lsc ?? false,
      rmv: conf.rmv ?? false,
      // rxmode.mtu 0: the default, filled in by configure
      mtu: conf.mtu ?? 0,
    };
    for (const key of ['rxOffloads', 'txOffloads'] as const) {
      const v = next[key];
      if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `Port ${this.portId}: ${key} must be a mask of ETH_OFFLOAD bits, got ${String(v)}`,
        );
      }
    }
    for (const key of ['lsc', 'rmv'] as const) {
      if (typeof next[key] !== 'boolean') {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `Port ${this.portId}: ${key} must be true or false, got ${String(next[key])}`,
        );
      }
    }
    return Object.freeze(next);
  }

  #checkIntr(what: 'lsc' | 'rmv', asked: boolean, flag: number, info: EthDevInfo): void {
    if (!asked || (info.devFlags & flag) !== 0) return;
    const name = what === 'lsc' ? 'RTE_ETH_DEV_INTR_LSC' : 'RTE_ETH_DEV_INTR_RMV';
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `Driver ${info.driverName} does not support ${what} (port ${this.portId} has no ${name}): ` +
        `configure it without ${what}`,
    );
  }

  #checkOffloads(dir: 'Rx' | 'Tx', asked: number, capa: number): void {
    const missing = (asked & ~capa) >>> 0;
    if (missing === 0) return;
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `Ethdev port_id=${this.portId} does not support ${dir} offloads 0x${missing.toString(16)}: ` +
        `ask only for ${dir === 'Rx' ? 'rxOffloadCapa' : 'txOffloadCapa'} 0x${(capa >>> 0).toString(16)}`,
    );
  }

  #checkQueues(dir: 'rx' | 'tx', n: number, max: number): void {
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Ethdev port_id=${this.portId} nb_${dir}_queues=${n} > ${max}`,
      );
    }
  }
}

/**
 * Limits of a port that does not say otherwise: 16 queues each way, 1 MAC address, MTU
 * 68..1500 (frames up to 1518 bytes), no offloads, no interrupts. A starting point for a PMD's
 * `devInfoGet`, not ethdev's own defaults: a DPDK PMD that states no MTU range gets
 * {@link ETHDEV_DEFAULT_MTU} (46..65535) from `rte_eth_dev_info_get`.
 *
 * @example
 * ```ts
 * protected devInfoGet() { return { ...defaultEthDevInfo('net_null'), maxMtu: 9000 }; }
 * ```
 */
export function defaultEthDevInfo(driverName: string): EthDevInfo {
  return {
    driverName,
    maxRxQueues: 16,
    maxTxQueues: 16,
    maxMacAddrs: 1,
    minMtu: 68,
    maxMtu: 1500,
    maxRxPktLen: 1500 + ETHER_HDR_CRC_LEN,
    rxOffloadCapa: 0,
    txOffloadCapa: 0,
    devFlags: 0,
  };
}
