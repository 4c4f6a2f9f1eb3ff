import type { NetDevice } from '@bypass/core';
import {
  BypassError,
  CAST,
  DropReason,
  Ethernet,
  MacAddress,
  PacketRing,
  RX_HANDLER,
  type NetNamespace,
  type PacketPool,
  type RxHandlerResult,
} from '@bypass/core';
import type { Subscription } from 'rxjs';
import { EthDev, type EthDevInit } from '../ethdev/EthDev.js';
import {
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  emptyEthStats,
  type EthDevInfo,
  type EthStats,
} from '../ethdev/EthTypes.js';
import { ETHDEV_QUEUE_STAT_CNTRS, EthQueueStats } from '../ethdev/EthXstats.js';
import { TapNetdev } from './TapNetdev.js';
import { TapRemoteFlags } from './TapRemoteFlags.js';

/** `RTE_PMD_TAP_MAX_QUEUES`. */
const TAP_MAX_QUEUES = 16;
/** rte_eth_tap.c `TAP_MAX_MAC_ADDRS`: the MAC table the software filter matches unicast against. */
const TAP_MAX_MAC_ADDRS = 16;
/**
 * rte_eth_tap.c pmd_tx_burst: the longest frame TX takes is the MTU plus this (Ethernet header,
 * CRC and 4 more bytes for a VLAN tag).
 */
const TX_L2_OVERHEAD = 14 + 4 + 4;
/** Frames classified per chunk of an ingress burst on the remote. */
const CHUNK = 256;
/** Link speed a TAP reports (`RTE_ETH_SPEED_NUM_10G`). */
const TAP_SPEED = 10_000;
/** ff:ff:ff:ff:ff:ff as a 48-bit integer. */
const BROADCAST_MAC = 0xffff_ffff_ffff;
/** The top 16 bits of an IPv6 multicast MAC (33:33:*). */
const IPV6_MC_PREFIX = 0x3333;
/** What the remote's implicit tc rules do with a frame: none matches, redirect, or mirror. */
const RULE_NONE = 0;
const RULE_REDIRECT = 1;
const RULE_MIRROR = 2;

/**
 * Options of a {@link TapPort}.
 *
 * @example
 * ```ts
 * const o: TapPortOptions = { ns, pool, remote: 'eth1' };
 * ```
 */
export interface TapPortOptions {
  /** The simulated kernel namespace the TAP netdev is created in (and the remote lives in). */
  ns: NetNamespace;
  pool: PacketPool;
  /** Kernel name of the TAP netdev (`iface=`); default `dtap%d`. */
  iface?: string;
  /** The netdev whose traffic the TAP takes over (`remote=`). */
  remote?: string;
  /** Fixed MAC address (`mac=`); ignored with `remote` (the remote's is copied). */
  mac?: MacAddress;
  /** Slots per RX ring (power of two); default 512. */
  ringSize?: number;
}

/**
 * DPDK's TAP PMD (drivers/net/tap/rte_eth_tap.c) on a simulated kernel: a TAP netdev registered
 * in a {@link NetNamespace}, and, with `remote=<ifname>`, the takeover of that netdev's traffic
 * that gives a fail-safe port its path through the kernel netvsc:
 *
 * - At probe the TAP copies the remote's MAC and saves the remote's flags (rte_eth_tap.c
 *   `eth_dev_tap_create`: `remote_initial_flags`); close restores them (`tap_dev_close`).
 * - Ingress (the implicit tc rules of tap_flow.c `implicit_rte_flows`, checked local MAC first):
 *   unicast to the TAP's MAC is redirected to the TAP (the remote's kernel stack does not see
 *   it); broadcast, IPv6 multicast (33:33:*), with all-multicast every group frame and with
 *   promiscuous mode everything else are mirrored: the remote's stack gets the frame too (it
 *   still answers ARP). The TAP keeps the original handle and the remote's stack gets a clone
 *   (`pool.clone`, so a simulation that marks clones keeps the frame's flow with the
 *   application); with no free slot the remote's copy is not made, counted in
 *   {@link TapPort.mirrorDrops}. The multicast list adds no rule.
 *   Frames for the TAP go to its RX queues (queue = `pool.mark % nbRxQueues`, a stable flow
 *   hash). A full RX ring drops (`ring-full`); frames that arrive while the port is stopped are
 *   dropped (`dev-down`), as a down TAP drops what tc redirects to it. Neither is in an ethdev
 *   counter: rte_eth_tap.c tap_stats_get reports packets, bytes and errors each way, never
 *   `imissed` (the kernel's queue in front of the TAP is where those frames are lost).
 * - Software MAC filter (rte_eth_tap.c `tap_mac_filter_match`), applied to every frame put on an
 *   RX queue (from the remote or from the TAP netdev): without promiscuous mode, unicast must be
 *   for one of the port's addresses (the default and up to 15 added with `macAddrAdd`, a table of
 *   `TAP_MAX_MAC_ADDRS` whose additions the PMD only records; the remote's redirect rule stays on
 *   the default MAC), a group frame must be broadcast, listed in the multicast list, or pass
 *   all-multicast; the rest is dropped (`mac-filter-miss`, no ethdev counter, as in DPDK). So a
 *   mirrored 33:33 frame for an unlisted group reaches only the kernel.
 * - Egress: TX bursts go out through the remote's `xmit` (kernel ownership: every frame written
 *   is taken; the remote counts what it cannot send). A frame longer than MTU + 22 (header, CRC
 *   and a VLAN tag) ends the burst (rte_eth_tap.c pmd_tx_burst): `txBurst` returns how many came
 *   before it, the caller keeps that frame and the rest untouched, and each of them counts one
 *   `oerrors`. Without a remote, TX is received by the TAP netdev's stack and what the TAP
 *   netdev transmits arrives on RX queue 0.
 * - Link up (start, `setLink(true)`) brings the TAP netdev and the remote up; link down only the
 *   TAP netdev (`tap_link_set_up` / `_down`). Promiscuous, all-multicast and MTU apply to both
 *   (LOCAL_AND_REMOTE); the link is up when the port is started and the remote is up with
 *   carrier. Remote state changes are recorded as they happen; the remote's unregistration ends
 *   the takeover (link down).
 * - Events: none. The port advertises `INTR_LSC` and accepts `lsc`, but like DPDK's TAP PMD it
 *   never raises `intr_lsc` (rte_eth_tap.c tap_dev_intr_handler: the netlink listener that `lsc`
 *   enables only refreshes the recorded link, `tap_link_update`), so with `lsc` the link is read
 *   with `linkGet` (the recorded one on a started port). Model: the remote's changes are recorded
 *   whatever the conf, where DPDK listens only while started with `lsc` and otherwise refreshes
 *   at `linkGet`; through `linkGet` both read the same.
 *
 * @example
 * ```ts
 * const tap = new TapPort({ registry, name: 'net_tap_vsc0' }, { ns, pool, remote: 'eth1' });
 * tap.configure(1, 1);
 * tap.start();
 * tap.txBurst(0, pkts, 0, n); // out through eth1's xmit
 * tap.rxBurst(0, out, 0, 32); // what eth1 received for the TAP's MAC
 * ```
 */
export class TapPort extends EthDev {
  /** The TAP netdev in the simulated kernel. */
  readonly netdev: TapNetdev;
  readonly pool: PacketPool;
  readonly ns: NetNamespace;
  private remoteDev: NetDevice | null = null;
  /** True once a remote this port was taking over has gone: the port has no path any more. */
  private remoteLost = false;
  private readonly rings: PacketRing[] = [];
  private readonly ringSize: number;
  private readonly scratch = new Int32Array(CHUNK);
  /** Frames from the TAP netdev, copied here to be filtered without touching the caller's array. */
  private readonly netdevScratch = new Int32Array(CHUNK);
  private readonly counters = emptyEthStats();
  /** Per-queue packets and bytes (tap's `rxq->stats` / `txq->stats`). */
  private readonly queueCounters = new EthQueueStats();
  /**
   * `data->mac_addrs[]` as 48-bit integers, -1 for a free slot: the software filter; entry 0,
   * the default MAC, also for the LOCAL_MAC rule.
   */
  private readonly unicastMacs: number[] = new Array<number>(TAP_MAX_MAC_ADDRS).fill(-1);
  /** The multicast list as 48-bit integers (the software filter only). */
  private mcList: number[] = [];
  private mirrorFailures = 0;
  private nsSub: Subscription | null = null;
  private remoteFlags: TapRemoteFlags | null = null;
  /** The TAP netdev's IFF_PROMISC as the port set it. */
  private tapPromisc = false;
  private readonly handler = (
    dev: NetDevice,
    pkts: Int32Array,
    start: number,
    count: number,
  ): RxHandlerResult => this.ingress(dev, pkts, start, count);

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an invalid remote name ("TAP invalid
   * remote interface name"), `ERR_NOT_FOUND` when the remote does not exist ("failed to get X
   * if_index"), `ERR_BUSY` when the remote already has an rx handler, `ERR_NAME_EXISTS` /
   * `ERR_NAME_INVALID` for the TAP netdev's name.
   */
  constructor(init: EthDevInit, options: TapPortOptions) {
    const remoteName = options.remote;
    let remote: NetDevice | undefined;
    if (remoteName !== undefined) {
      // rte_eth_tap.c set_remote_iface / is_valid_iface
      if (!isValidIface(remoteName)) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `TAP invalid remote interface name (${remoteName})`,
        );
      }
      remote = options.ns.getByName(remoteName);
      if (remote === undefined) {
        throw new BypassError(
          'ERR_NOT_FOUND',
          `${init.name}: failed to get ${remoteName} if_index.`,
        );
      }
      if (remote.rxHandler !== null) {
        throw new BypassError(
          'ERR_BUSY',
          `${init.name}: ${remoteName} already has an rx handler (a bridge, bond or bypass port)`,
        );
      }
    }
    super(init);
    this.pool = options.pool;
    this.ns = options.ns;
    this.ringSize = options.ringSize ?? 512;
    const mac = remote?.devAddr ?? options.mac ?? tapDefaultMac(this.portId);
    this.netdev = new TapNetdev(
      { pool: options.pool, permAddr: mac, driver: 'tun', maxMtu: 65518 },
      (pkts, start, count) => this.fromTapNetdev(pkts, start, count),
    );
    try {
      options.ns.register(this.netdev, options.iface ?? 'dtap%d');
    } catch (err) {
      this.registry.release(this);
      throw err;
    }
    this.initMacAddr(mac);
    this.initMtu(remote?.mtu ?? 1500);
    // rte_eth_tap.c eth_dev_tap_create: dev_link = pmd_link (down, 10G, full duplex, fixed)
    this.recordLink(false, TAP_SPEED, true, false);
    this.netdev.carrierOn();
    if (remote !== undefined) {
      this.remoteDev = remote;
      this.remoteFlags = new TapRemoteFlags(remote);
      remote.registerRxHandler(this.handler, null);
      this.nsSub = options.ns.events$.subscribe((e) => {
        if (e.dev !== this.remoteDev) return;
        if (e.type === 'unregister') this.dropRemote();
        else if (e.type === 'up' || e.type === 'down' || e.type === 'change') this.refreshLink();
      });
    }
    this.rebuildFilter();
  }

  /**
   * Mirrored frames whose copy for the remote's stack could not be made because the pool had
   * no free slot: the TAP got the frame, the kernel did not (where tc's failed clone would
   * cost the TAP its copy instead; the pool is the simulation's, not the kernel's memory).
   *
   * @example
   * ```ts
   * if (tap.mirrorDrops > 0) console.log('the kernel missed mirrored frames: pool exhausted');
   * ```
   */
  get mirrorDrops(): number {
    return this.mirrorFailures;
  }

  /** The remote netdev while the takeover lasts, or null. */
  get remote(): NetDevice | null {
    return this.remoteDev;
  }

  protected devInfoGet(): EthDevInfo {
    return {
      driverName: 'net_tap',
      maxRxQueues: TAP_MAX_QUEUES,
      maxTxQueues: TAP_MAX_QUEUES,
      maxMacAddrs: TAP_MAX_MAC_ADDRS,
      minMtu: 68,
      maxMtu: this.remoteDev !== null ? Math.min(65518, this.remoteDev.maxMtu) : 65518,
      // rte_eth_tap.c tap_dev_info: RTE_ETHER_MAX_JUMBO_FRAME_LEN, so MTUs up to 16110
      maxRxPktLen: 0x3f00,
      // rte_eth_tap.c TAP_RX_OFFLOAD (scatter, IPv4/UDP/TCP checksum): none that ETH_OFFLOAD names
      rxOffloadCapa: 0,
      // rte_eth_tap.c TAP_TX_OFFLOAD: multi-segment (its checksum and TSO bits are not modelled)
      txOffloadCapa: ETH_OFFLOAD.MULTI_SEGS,
      // rte_eth_tap.c eth_dev_tap_create: the per-queue counters are in the xstats
      devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS,
    };
  }

  protected devConfigure(nbRxq: number, nbTxq: number): void {
    // rte_eth_tap.c tap_dev_configure: one TX queue per RX queue
    if (nbRxq !== nbTxq) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `${this.name}: number of rx queues ${nbRxq} must be equal to number of tx queues ${nbTxq}`,
      );
    }
    const old = this.rings.splice(0);
    for (const r of old) this.flushRing(r);
    for (let q = 0; q < Math.max(1, nbRxq); q++) this.rings.push(new PacketRing(this.ringSize));
  }

  protected devStart(): void {
    this.devSetLink(true);
  }

  protected devStop(): void {
    this.devSetLink(false);
  }

  protected devClose(): void {
    this.devSetLink(false);
    for (const r of this.rings) this.flushRing(r);
    const remote = this.remoteDev;
    if (remote !== null) {
      // rte_eth_tap.c tap_dev_close: restore the remote's initial flags
      this.remoteFlags?.restore();
      this.dropRemote();
    }
    this.nsSub?.unsubscribe();
    this.nsSub = null;
    if (this.netdev.registered) this.ns.unregister(this.netdev);
  }

  protected override devLinkUpdate(): void {
    this.refreshLink();
  }

  // rte_eth_tap.c tap_link_set_up (LOCAL and REMOTE) / tap_link_set_down (LOCAL only): the link
  // status is recorded UP / DOWN as asked; only tap_link_update reads the remote's flags
  protected override devSetLink(up: boolean): void {
    this.recordLink(up, TAP_SPEED, true, false);
    if (up) {
      if (this.netdev.registered) this.netdev.open();
      if (this.remoteDev !== null) this.remoteFlags?.up();
    } else {
      this.netdev.close();
    }
  }

  // rte_eth_tap.c tap_promisc_enable/disable: IFF_PROMISC set or cleared, so applying it twice
  // (ethdev's start-time restore) changes nothing
  protected override devPromiscuous(on: boolean): void {
    if (this.remoteDev !== null) this.remoteFlags?.promiscuous(on);
    if (on === this.tapPromisc) return;
    this.netdev.setPromiscuity(on ? 1 : -1);
    this.tapPromisc = on;
  }

  protected override devAllmulticast(on: boolean): void {
    if (this.remoteDev !== null) this.remoteFlags?.allmulticast(on);
  }

  protected override devMtuSet(mtu: number): void {
    const remote = this.remoteDev;
    const old = this.netdev.mtu;
    this.netdev.setMtu(mtu);
    try {
      remote?.setMtu(mtu);
    } catch (err) {
      this.netdev.setMtu(old);
      throw err;
    }
  }

  protected override devMacAddrSet(mac: MacAddress): void {
    this.netdev.setMacAddress(mac);
    const remote = this.remoteDev;
    if (remote !== null && !remote.devAddr.equals(mac)) remote.setMacAddress(mac);
    this.rebuildFilter(mac);
  }

  protected override devMcAddrListSet(list: readonly MacAddress[]): void {
    this.rebuildFilter(this.macAddr, list);
  }

  // rte_eth_tap.c tap_mac_addr_add / _remove: the ethdev layer keeps the table, the filter reads it
  protected override devMacAddrAdd(mac: MacAddress, index: number): void {
    this.unicastMacs[index] = mac.value;
  }

  protected override devMacAddrRemove(_mac: MacAddress, index: number): void {
    this.unicastMacs[index] = -1;
  }

  // rte_eth_tap.c tap_stats_get: packets, bytes and errors each way (imissed stays 0), per-queue
  // packets and bytes (no per-queue errors)
  protected devStatsGet(out: EthStats, queues: EthQueueStats | null): void {
    Object.assign(out, this.counters);
    queues?.copyFrom(this.queueCounters);
  }

  protected devStatsReset(): void {
    Object.assign(this.counters, emptyEthStats());
    this.queueCounters.reset();
  }

  protected rxBurstImpl(queue: number, out: Int32Array, start: number, max: number): number {
    const ring = this.rings[queue];
    if (ring === undefined) return 0;
    const n = ring.dequeueBurst(out, start, max);
    if (n > 0) {
      const length = this.pool.length;
      let bytes = 0;
      for (let i = start, end = start + n; i < end; i++)
        bytes += length[out[i] as number] as number;
      this.counters.ipackets += n;
      this.counters.ibytes += bytes;
      if (queue < ETHDEV_QUEUE_STAT_CNTRS) {
        const q = this.queueCounters;
        q.ipackets[queue] = (q.ipackets[queue] as number) + n;
        q.ibytes[queue] = (q.ibytes[queue] as number) + bytes;
      }
    }
    return n;
  }

  protected txBurstImpl(queue: number, pkts: Int32Array, start: number, count: number): number {
    const length = this.pool.length;
    const max = this.mtu + TX_L2_OVERHEAD;
    const end = start + count;
    let bytes = 0;
    let i = start;
    // rte_eth_tap.c pmd_tx_burst: the first frame that is too long ends the burst
    for (; i < end; i++) {
      const len = length[pkts[i] as number] as number;
      if (len > max) break;
      bytes += len;
    }
    const sent = i - start;
    this.send(pkts, start, sent, queue);
    this.counters.obytes += bytes;
    // ... and every frame left to the caller counts as a TX error
    this.counters.oerrors += count - sent;
    if (queue < ETHDEV_QUEUE_STAT_CNTRS) {
      const q = this.queueCounters;
      q.obytes[queue] = (q.obytes[queue] as number) + bytes;
    }
    return sent;
  }

  // ---------------------------------------------------------------- internals

  private send(pkts: Int32Array, start: number, count: number, queue: number): void {
    if (count <= 0) return;
    this.counters.opackets += count;
    if (queue < ETHDEV_QUEUE_STAT_CNTRS) {
      const q = this.queueCounters;
      q.opackets[queue] = (q.opackets[queue] as number) + count;
    }
    const remote = this.remoteDev;
    if (remote !== null) remote.xmit(pkts, start, count, queue);
    else this.netdev.receive(pkts, start, count);
  }

  private ingress(
    _dev: NetDevice,
    pkts: Int32Array,
    start: number,
    count: number,
  ): RxHandlerResult {
    const remote = this.remoteDev;
    if (remote === null) return RX_HANDLER.PASS;
    const scratch = this.scratch;
    const pool = this.pool;
    let keep = start;
    for (let base = start, end = start + count; base < end; base += CHUNK) {
      const stop = base + CHUNK < end ? base + CHUNK : end;
      let taken = 0;
      for (let i = base; i < stop; i++) {
        const h = pkts[i] as number;
        const rule = this.rule(pool, h);
        if (rule === RULE_REDIRECT) {
          scratch[taken++] = h;
          continue;
        }
        if (rule === RULE_MIRROR) {
          // tap_flow.c: TCA_EGRESS_MIRROR (TC_ACT_PIPE): the TAP gets a copy and the frame goes
          // on. Which of the two handles is the copy is the model's choice: the TAP (the
          // application) keeps the original and the kernel's stack gets the clone, so a pool
          // that marks clones as copies keeps the frame's flow with the application.
          scratch[taken++] = h;
          const c = pool.clone(h);
          if (c >= 0) pkts[keep++] = c;
          else this.mirrorFailures++; // no slot: the kernel's copy is not made (mirrorDrops)
          continue;
        }
        pkts[keep++] = h;
      }
      this.toRings(scratch, this.swFilter(scratch, taken));
    }
    if (keep > start) remote.deliver(pkts, start, keep - start, false);
    return RX_HANDLER.CONSUMED;
  }

  private fromTapNetdev(pkts: Int32Array, start: number, count: number): void {
    // What the kernel sends on the TAP netdev reaches the PMD (RX queue 0).
    const ring = this.rings[0];
    if (ring === undefined || !this.started) {
      this.pool.drop(pkts, start, count, DropReason.DEV_DOWN);
      return;
    }
    const scratch = this.netdevScratch;
    for (let base = start, end = start + count; base < end; base += CHUNK) {
      const len = base + CHUNK < end ? CHUNK : end - base;
      scratch.set(pkts.subarray(base, base + len));
      const kept = this.swFilter(scratch, len);
      const n = ring.enqueueBurst(scratch, 0, kept);
      if (n < kept) {
        this.pool.drop(scratch, n, kept - n, DropReason.RING_FULL);
      }
    }
  }

  private toRings(frames: Int32Array, n: number): void {
    if (n === 0) return;
    const rings = this.rings;
    if (!this.started || rings.length === 0) {
      this.pool.drop(frames, 0, n, DropReason.DEV_DOWN);
      return;
    }
    if (rings.length === 1) {
      const q = (rings[0] as PacketRing).enqueueBurst(frames, 0, n);
      if (q < n) {
        this.pool.drop(frames, q, n - q, DropReason.RING_FULL);
      }
      return;
    }
    const mark = this.pool.mark;
    for (let i = 0; i < n; i++) {
      const ring = rings[(mark[frames[i] as number] as number) % rings.length] as PacketRing;
      if (ring.enqueueBurst(frames, i, 1) === 0) {
        this.pool.drop(frames, i, 1, DropReason.RING_FULL);
      }
    }
  }

  // tap_flow.c implicit_rte_flows: LOCAL_MAC (highest tc priority) is TCA_EGRESS_REDIR;
  // BROADCAST, BROADCASTV6, ALLMULTI (with all-multicast) and PROMISC (with promiscuous) are
  // TCA_EGRESS_MIRROR; the multicast list is no tc rule
  private rule(pool: PacketPool, h: number): number {
    const cls = Ethernet.classify(pool, h);
    if (cls < 0) return RULE_NONE;
    if (cls === CAST.UNICAST && Ethernet.dst(pool, h) === this.unicastMacs[0]) return RULE_REDIRECT;
    if (this.promiscuous || cls === CAST.BROADCAST) return RULE_MIRROR;
    if (cls === CAST.MULTICAST) {
      if (this.allmulticast) return RULE_MIRROR;
      if (Math.floor(Ethernet.dst(pool, h) / 0x1_0000_0000) === IPV6_MC_PREFIX) return RULE_MIRROR;
    }
    return RULE_NONE;
  }

  /**
   * rte_eth_tap.c tap_mac_filter_match: keeps the accepted frames of `frames[0 .. n)` in order
   * at the front and drops the others (`mac-filter-miss`); returns how many were kept.
   */
  private swFilter(frames: Int32Array, n: number): number {
    if (this.promiscuous) return n;
    const pool = this.pool;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const h = frames[i] as number;
      if (this.accepts(pool, h)) frames[kept++] = h;
      else pool.drop(frames, i, 1, DropReason.MAC_FILTER_MISS);
    }
    return kept;
  }

  private accepts(pool: PacketPool, h: number): boolean {
    const dst = Ethernet.dst(pool, h);
    if (dst <= 0) return false; // zero address (or no header)
    if (Ethernet.classify(pool, h) === CAST.UNICAST) {
      const table = this.unicastMacs;
      for (let i = 0; i < table.length; i++) if (table[i] === dst) return true;
      return false;
    }
    if (this.allmulticast) return true;
    const mc = this.mcList;
    for (let i = 0; i < mc.length; i++) if (mc[i] === dst) return true;
    return dst === BROADCAST_MAC;
  }

  private rebuildFilter(
    mac: MacAddress = this.macAddr,
    mc: readonly MacAddress[] = this.mcAddrs,
  ): void {
    this.unicastMacs[0] = mac.value;
    this.mcList = mc.map((m) => m.value);
  }

  // rte_eth_tap.c tap_link_update (from tap_nl_msg_handler too): link_status only, no LSC event;
  // speed, duplex and autoneg stay pmd_link's (10G, full, fixed), down or up
  private refreshLink(): void {
    const remote = this.remoteDev;
    const localUp = this.netdev.isUp;
    const up =
      remote === null ? localUp && !this.remoteLost : localUp && remote.isUp && remote.carrier;
    this.recordLink(up, TAP_SPEED, true, false);
  }

  private dropRemote(): void {
    const remote = this.remoteDev;
    if (remote === null) return;
    if (remote.rxHandler === this.handler) remote.unregisterRxHandler();
    this.remoteDev = null;
    this.remoteLost = this.state !== 'unused';
    this.refreshLink();
  }

  private flushRing(ring: PacketRing): void {
    const scratch = this.scratch;
    for (;;) {
      const n = ring.dequeueBurst(scratch, 0, scratch.length);
      if (n === 0) break;
      this.pool.drop(scratch, 0, n, DropReason.DEV_DOWN);
    }
  }
}

// rte_eth_tap.c is_valid_iface: non-empty, shorter than IFNAMSIZ, no '/', ':' or blank
function isValidIface(name: string): boolean {
  return name.length > 0 && name.length < 16 && !/[/:\s]/.test(name);
}

/**
 * A locally administered MAC derived from the port id, `02:64:74:61:70:<id>` ("dtap"); DPDK
 * draws a random one unless `mac=fixed`.
 */
function tapDefaultMac(portId: number): MacAddress {
  return MacAddress.fromNumber(0x02_64_74_61_70_00 + (portId & 0xff));
}
