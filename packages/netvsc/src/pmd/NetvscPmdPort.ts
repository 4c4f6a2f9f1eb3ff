import {
  BypassError,
  BypassPolicy,
  DatapathPath,
  DropReason,
  MacAddress,
  type PacketPool,
  type Scheduler,
} from '@bypass/core';
import { silentLogger, type DpdkLogger } from '../dpdk/ethdev/DpdkLog.js';
import { EthDev, type EthDevInit } from '../dpdk/ethdev/EthDev.js';
import {
  ETHDEV_DEFAULT_MTU,
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  emptyEthStats,
  type EthConf,
  type EthDevInfo,
  type EthStats,
} from '../dpdk/ethdev/EthTypes.js';
import type { EthQueueStats } from '../dpdk/ethdev/EthXstats.js';
import { NETVSC_BUFFERS, NVSP_DATAPATH, NVSP_MSG } from '../nvsp/NvspConstants.js';
import { NvspClient } from '../nvsp/NvspClient.js';
import { hnNvsCapabilities, type NvspConnectResult } from '../nvsp/NvspHandshake.js';
import { NDIS_PACKET_TYPE } from '../rndis/RndisConstants.js';
import { HnControl } from './HnControl.js';
import { HnLink } from './HnLink.js';
import { HnQueues } from './HnQueues.js';
import { HnSendSections } from './HnTxQueue.js';
import { HnVf, type HnVfState } from './HnVf.js';
import { hostLatencyUnits, parseNetvscPmdArgs, type NetvscPmdArgs } from './NetvscPmdArgs.js';
import type { NetvscPmdOptions } from './NetvscPmdOptions.js';
import { emptyNetvscPmdStats, type NetvscPmdStats } from './NetvscPmdStats.js';

/** hn_var.h HN_MAX_CHANNELS. */
const MAX_CHANNELS = 64;
/** What NetvspHost's RNDIS INITIALIZE completion grants: 16 KiB, 8 packets, 2^3 alignment. */
const AGG_LIMITS = { size: 0x4000, packets: 8, align: 8 };

/**
 * DPDK's netvsc poll-mode driver (drivers/net/netvsc, seed 003): one ethdev port over the VMBus
 * channel of a Hyper-V synthetic NIC that handles its VF itself ("The VDEV_NETVSC and FAILSAFE
 * drivers are not used when using netvsc PMD").
 *
 * - Probe ({@link NetvscPmdPort.probe}): devargs ({@link parseNetvscPmdArgs}), NVSP/RNDIS
 *   bring-up, MAC from the host (one MAC only), then a VF the host already reported is attached.
 * - TX (`HnTxQueue`): on the VF's queue of the same index when the datapath was switched
 *   and the VF is started (the core's `BypassPolicy`, the synthetic path always ready), else
 *   synthetic with the tx_copybreak rule. No length check (DPDK has none): short frames (ARP,
 *   bare ACKs) and large ones go out; the returned count is how many frames the port took.
 * - RX (`HnRxQueue`): the synthetic ring first (multicast, new flows), then the VF; every
 *   frame's `port` is this port; a VLAN tag (always stripped by the host) is in `vlanTci` when
 *   the port was configured with `VLAN_STRIP`, else put back into the frame (hn_rxpkt).
 * - Configure ({@link EthDev.configure}, checked by `EthDev`): `rxOffloads` within `VLAN_STRIP |
 *   RSS_HASH` (fewer with a VF), `txOffloads` within `VLAN_INSERT | MULTI_SEGS`, `lsc` accepted
 *   (the port sets `RTE_ETH_DEV_INTR_LSC`), `rmv` refused (a VMBus port has no
 *   `RTE_ETH_DEV_INTR_RMV`). Without `VLAN_STRIP` a received VLAN tag is put back into the frame
 *   (hn_dev_configure). An attached VF is configured with the same conf, `lsc` off and `rmv` on
 *   (hn_vf_configure): it raises `intr_rmv` when it leaves, never `intr_lsc`.
 * - Link (`HnLink`): RNDIS MEDIA_CONNECT / MEDIA_DISCONNECT / LINK_SPEED_CHANGE, read from the
 *   ring when the application polls, record nothing. With `lsc` configured each one raises
 *   `intr_lsc` 10 us later (hn_rndis_link_alarm), without it nothing. The link is recorded at
 *   start and by `linkGet` (hn_dev_link_update), only when its status changed, with the host's
 *   speed whether up or down (full duplex, autoneg); on a port started with `lsc`, `linkGet`
 *   returns the recorded link without refreshing it (`EthDev`, as rte_eth_link_get).
 * - VF (`HnVf`): attach, datapath switch (NVSP 129) only while started, removal, recovery.
 * - Stats: the 8 basic counters are the synthetic queues' plus the VF's (kept after it leaves,
 *   where DPDK shows the attached VF's only). Each queue counts as `struct hn_stats`
 *   (`HnQueueStats`): TX packets and bytes at the host's send completion (not when `txBurst`
 *   took them), one `tx_errors` per failed request; RX before the ring, so a ring-full drop is in
 *   `ipackets` and `imissed`. `statsReset` leaves the attached VF's share alone.
 * - Extended statistics (`xstatsGet`, hn_dev_xstats_get): ethdev's basic and per-queue counters
 *   (the VF's per-queue ones added in), then `tx_q<i>_` and `rx_q<i>_` + good_packets,
 *   good_bytes, errors, `ring full`, `channel full`, multicast_packets, broadcast_packets and
 *   eight size bins for every queue, then the attached VF's list with `vf_` in front.
 *   `xstatsReset` resets the VF too, and without a VF resets the port's counters, then throws
 *   `ERR_INVALID_ARGUMENT` (-EINVAL) as DPDK does. {@link NetvscPmdPort.pmdStats} shows which
 *   copybreak path each frame took.
 *
 * @example
 * ```ts
 * NetvscPmdPort.probe({ registry, channel, pool, scheduler, devargs: 'rx_extmbuf_enable=1' }, (err, port) => {
 *   if (err) throw err;
 *   port!.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_STRIP, lsc: true });
 *   port!.on('intr_lsc', () => console.log('the host indicated a link change'));
 *   port!.start();
 * });
 * scheduler.runUntilIdle(); // the host answered the bring-up
 * ```
 */
export class NetvscPmdPort extends EthDev {
  /** The parsed devargs. */
  readonly args: NetvscPmdArgs;
  /** The host's TX polling latency written for `latency`, in 100 ns; -1 when the bus refused it. */
  readonly hostLatency: number;
  /** The guest NVSP endpoint (bring-up; then the PMD reads the rings itself). */
  readonly client: NvspClient;
  /** The negotiated NVSP version. */
  readonly nvspVersion: number;
  private readonly stats = emptyNetvscPmdStats();
  private readonly pool: PacketPool;
  private readonly log: DpdkLogger;
  private readonly vf: HnVf;
  private readonly ctl: HnControl;
  private readonly policy = new BypassPolicy();
  private readonly sections: HnSendSections;
  private readonly txDescriptors: number;
  private readonly queues: HnQueues;
  private readonly link: HnLink;

  /**
   * Probes the VMBus device: parses the devargs (a bad one throws at once, before any I/O), runs
   * the NVSP/RNDIS bring-up on the scheduler, then creates the port (its id is allocated then).
   * `done` gets the port, or `ERR_REFUSED` when the host refused the bring-up, or the
   * registry's error.
   *
   * @throws `BypassError` `ERR_PARSE` for bad devargs, `ERR_INVALID_ARGUMENT` for an
   * option out of range.
   */
  static probe(
    options: NetvscPmdOptions,
    done: (err: BypassError | null, port: NetvscPmdPort | null) => void,
  ): void {
    const log = options.log ?? silentLogger;
    const args = parseNetvscPmdArgs(options.devargs ?? '', log);
    checkRange('maxQueues', options.maxQueues ?? 8, 1, MAX_CHANNELS);
    checkRange('txDescriptors', options.txDescriptors ?? 512, 1, 4096);
    const { channel, pool, scheduler } = options;
    const client = new NvspClient(
      options.random === undefined
        ? { channel, pool, scheduler }
        : { channel, pool, scheduler, random: options.random },
    );
    // hn_nvs_execute: data arriving before the driver is up is discarded (counted)
    let early = 0;
    client.handlers.onFrames = (pkts, start, count) => {
      early += count;
      pool.drop(pkts, start, count, DropReason.DEV_DOWN);
    };
    // hn_nvs.c hn_nvs_conf_ndis: the PMD announces 802.1Q and SR-IOV only.
    const opts = { mtu: 1500, channels: options.maxQueues ?? 8, capabilities: hnNvsCapabilities };
    client.connect(opts, (r) => {
      if (r.error !== '') {
        log('info', 'device init failed');
        done(new BypassError('ERR_REFUSED', `netvsc: device init failed: ${r.error}`), null);
        return;
      }
      let port: NetvscPmdPort;
      try {
        port = new NetvscPmdPort(options, args, client, r, log);
      } catch (err) {
        done(err instanceof BypassError ? err : new BypassError('ERR_STATE', String(err)), null);
        return;
      }
      port.stats.rxStopped += early;
      done(null, port);
    });
  }

  private constructor(
    options: NetvscPmdOptions,
    args: NetvscPmdArgs,
    client: NvspClient,
    r: NvspConnectResult,
    log: DpdkLogger,
  ) {
    const init: EthDevInit = {
      registry: options.registry,
      name: options.name ?? options.channel.instanceId,
      devargs: options.devargs ?? '',
    };
    super(init);
    this.txDescriptors = options.txDescriptors ?? 512;
    this.args = args;
    this.client = client;
    this.pool = options.pool;
    this.log = log;
    this.nvspVersion = r.version;
    this.link = new HnLink(
      options.scheduler,
      r.linkUp,
      () => this.devConf.lsc,
      () => this.emit('intr_lsc', this),
    );
    this.hostLatency = hostLatencyUnits(args.latencyUs);
    if (this.hostLatency < 0) log('error', `invalid latency value ${args.latencyUs * 1000}`);
    this.initMacAddr(MacAddress.fromNumber(r.mac));
    this.sections = new HnSendSections(
      Math.floor(NETVSC_BUFFERS.SEND_BUFFER_DEFAULT / r.sendSectionSize),
      r.sendSectionSize,
    );
    this.queues = new HnQueues({
      pool: this.pool,
      sections: this.sections,
      stats: this.stats,
      sink: this,
      limits: AGG_LIMITS,
      txCopybreak: args.txCopybreak,
      rxCopybreak: args.rxCopybreak,
      rxExtbuf: args.rxExtmbufEnable,
      txDescriptors: this.txDescriptors,
      rxRingSize: options.rxRingSize ?? 512,
      rxSections:
        options.rxSections ??
        Math.floor(NETVSC_BUFFERS.RECV_BUFFER_DEFAULT / NETVSC_BUFFERS.RECV_SECTION_SIZE),
      portId: this.portId,
    });
    // No interrupts: from now on the rings are read when the application polls.
    for (const ep of client.endpoints) ep.onSignal = null;
    client.handlers.onRescind = () => this.onRescind();
    this.ctl = new HnControl(client);
    this.vf = new HnVf(
      {
        registry: options.registry,
        scheduler: options.scheduler as Scheduler,
        log,
        port: this,
        setDatapath: (vf: boolean): boolean => this.setDatapath(vf),
      },
      options.hotplug ?? null,
    );
    // What the bring-up's last ring read still finds after this point goes the PMD's way.
    const h = client.handlers;
    h.onFrames = (pkts, start, count) => {
      this.stats.rxStopped += count;
      this.pool.drop(pkts, start, count, DropReason.DEV_DOWN);
    };
    h.onStatus = (status, buffer) => this.onStatus(status, buffer);
    h.onVfAssociation = (allocated, serial) => this.onVfAssociation(allocated, serial);
    // eth_hn_dev_init: a VF the host reported during the bring-up is added now
    this.vf.vspReported = client.vfAllocated;
    if (client.vfAllocated) this.vf.add();
  }

  // ---------------------------------------------------------------- observability

  /** The copybreak, VF and error counters (live view; zeroed by `statsReset`). */
  get pmdStats(): Readonly<NetvscPmdStats> {
    return this.stats;
  }

  /** The attached VF port, or null. */
  get vfPort(): EthDev | null {
    return this.vf.vfPort;
  }

  /** True while the datapath is switched to the VF (NVSP 129 with 1 was sent). */
  get vfSwitched(): boolean {
    return this.vf.switched;
  }

  /** The VF state (hn_var.h vf_device_state). */
  get vfState(): HnVfState {
    return this.vf.state;
  }

  /** True when the host's last VF association said a VF is allocated. */
  get vfReported(): boolean {
    return this.vf.vspReported;
  }

  /** Channels the host granted (the most queues this port can configure). */
  get channels(): number {
    return this.client.endpoints.length;
  }

  /** Receive-buffer sections lent to the application as external buffers on `queue`. */
  rxSectionsLent(queue: number): number {
    return this.queues.rx[queue]?.outstanding ?? 0;
  }

  /** Send-buffer sections in use (aggregating, or sent and not completed). */
  get txSectionsBusy(): number {
    return this.sections.busy;
  }

  /** The VF port raised RTE_ETH_EVENT_ERR_RECOVERING: synthetic for now, the VF is kept. */
  vfRecovering(): void {
    this.vf.recovering();
  }

  /** The VF port raised RTE_ETH_EVENT_RECOVERY_SUCCESS: back to the VF. */
  vfRecovered(): void {
    this.vf.recovered();
  }

  /** The VF port raised RTE_ETH_EVENT_RECOVERY_FAILED: the VF is removed. */
  vfRecoveryFailed(): void {
    this.vf.recoveryFailed();
  }

  // ---------------------------------------------------------------- ethdev ops

  protected devInfoGet(): EthDevInfo {
    const info: EthDevInfo = {
      driverName: 'net_netvsc',
      maxRxQueues: this.channels,
      maxTxQueues: this.channels,
      maxMacAddrs: 1,
      // hn_ethdev.c hn_dev_info_get sets no MTU range: ethdev's defaults (rte_eth_dev_info_get),
      // so the frame limit below decides: MTUs up to 16110
      minMtu: ETHDEV_DEFAULT_MTU.min,
      maxMtu: ETHDEV_DEFAULT_MTU.max,
      // hn_ethdev.c hn_dev_info_get: HN_MAX_XFER_LEN (RTE_ETHER_MAX_JUMBO_FRAME_LEN)
      maxRxPktLen: 0x3f00,
      rxOffloadCapa: ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.RSS_HASH,
      txOffloadCapa: ETH_OFFLOAD.VLAN_INSERT | ETH_OFFLOAD.MULTI_SEGS,
      // hn_ethdev.c eth_hn_dev_init: LSC, and ethdev lists the per-queue counters in the xstats
      devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS,
    };
    // hn_vf_info_merge: fewest queues, common offloads, the longer frame limit
    const vf = this.vf.vfPort;
    if (vf !== null && vf.state === 'attached') {
      const v = vf.devInfo();
      info.maxRxQueues = Math.min(info.maxRxQueues, v.maxRxQueues);
      info.maxTxQueues = Math.min(info.maxTxQueues, v.maxTxQueues);
      info.maxRxPktLen = Math.max(info.maxRxPktLen, v.maxRxPktLen);
      info.rxOffloadCapa &= v.rxOffloadCapa;
      info.txOffloadCapa &= v.txOffloadCapa;
    }
    return info;
  }

  /**
   * hn_ethdev.c hn_dev_configure: the queues, the VF (hn_vf_configure), and `vlan_strip` from
   * `RTE_ETH_RX_OFFLOAD_VLAN_STRIP`. `EthDev` has checked `conf`; HnLink reads `lsc` from
   * {@link EthDev.devConf}.
   */
  protected devConfigure(nbRxq: number, nbTxq: number, conf: Readonly<Required<EthConf>>): void {
    this.queues.build(this.client.endpoints, Math.max(nbRxq, nbTxq, 1));
    this.vf.configure(nbRxq, nbTxq);
    this.queues.vlanStrip = (conf.rxOffloads & ETH_OFFLOAD.VLAN_STRIP) !== 0;
  }

  /**
   * hn_ethdev.c hn_dev_start: RNDIS filter, VF start (and switch), then its own link update,
   * with `lsc` too (`EthDev.start` adds the generic one after it, only without `lsc`).
   */
  protected devStart(): void {
    this.ctl.setRxFilter(
      NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.DIRECTED,
    );
    try {
      this.vf.start();
    } catch (err) {
      this.ctl.setRxFilter(0);
      throw err;
    }
    this.linkUpdate();
  }

  /** hn_ethdev.c hn_dev_stop: filter off, VF to synthetic then stopped, completions drained. */
  protected devStop(): void {
    // hn_dev_stop clears dev_started first: what the ring reads during the stop see a stopped port
    this.markStopped();
    this.ctl.setRxFilter(0);
    this.vf.stop();
    // hn_dev_stop: drain pending completions (received data is dropped: the port is stopped)
    this.queues.drain();
  }

  /**
   * hn_ethdev.c hn_dev_close: the VF port is closed, the queues emptied; the port is gone, so the
   * link alarms are cancelled too (hn_rndis_detach, from eth_hn_dev_uninit).
   */
  protected devClose(): void {
    this.link.cancelAlarms();
    this.vf.close();
    this.queues.clear();
  }

  protected override devLinkUpdate(): void {
    this.linkUpdate();
  }

  /**
   * hn_ethdev.c hn_dev_link_update: the host's media state and speed (the OID queries, answered
   * from the indications read so far) are recorded only when the status changed, a new speed
   * alone is not; recording raises no event (rte_eth_linkstatus_set). The speed is the host's
   * whether the link is up or down, full duplex, and `link_autoneg` is set to
   * RTE_ETH_LINK_SPEED_FIXED, whose value 1 reads as RTE_ETH_LINK_AUTONEG.
   */
  private linkUpdate(): void {
    const up = this.link.up;
    if (this.storedLink.status === up) return;
    this.recordLink(up, this.link.speed, true, true);
  }

  protected override devPromiscuous(on: boolean): void {
    this.ctl.promiscuous(on, this.allmulticast);
    this.vf.vfPort?.setPromiscuous(on);
  }

  protected override devAllmulticast(on: boolean): void {
    this.ctl.allmulticast(on);
    this.vf.vfPort?.setAllmulticast(on);
  }

  protected override devMcAddrListSet(list: readonly MacAddress[]): void {
    // No filtering on the synthetic path, but the VF can (hn_dev_mc_addr_list).
    this.vf.vfPort?.setMcAddrList(list);
  }

  // hn_ethdev.c hn_eth_dev_ops has no mac_addr_add: rte_eth_dev_mac_addr_add returns -ENOTSUP
  protected override get hasMacAddrAdd(): boolean {
    return false;
  }

  // ... nor mac_addr_remove: rte_eth_dev_mac_addr_remove returns -ENOTSUP
  protected override get hasMacAddrRemove(): boolean {
    return false;
  }

  protected override devMacAddrSet(_mac: MacAddress): void {
    throw new BypassError(
      'ERR_NOT_SUPPORTED',
      `Port ${this.portId}: the Hyper-V host does not support changing the synthetic NIC's MAC`,
    );
  }

  /**
   * hn_dev_mtu_set: only while stopped; the VF first, then the host (NDIS config). Deliberate
   * difference: DPDK changes the VF's MTU only while the datapath is switched, which it never is
   * while the port is stopped, so the VF kept its old MTU; here an attached VF always follows.
   */
  protected override devMtuSet(mtu: number): void {
    if (this.started) {
      throw new BypassError('ERR_BUSY', 'Device must be stopped before changing MTU');
    }
    const old = this.mtu;
    this.vf.setMtu(mtu);
    // hn_dev_mtu_set re-attaches to the host: hn_detach -> hn_rndis_detach cancels link alarms
    this.link.cancelAlarms();
    if (!this.ctl.setMtu(mtu)) {
      this.vf.setMtu(old);
      throw new BypassError(
        'ERR_NO_DEVICE',
        `Port ${this.portId}: the VMBus channel was rescinded`,
      );
    }
  }

  /**
   * hn_ethdev.c hn_dev_stats_get: the VF's counters (every VF the port had: see the class notes)
   * plus the synthetic queues'; with `queues`, the attached VF's per-queue counters (its
   * `stats_get` op, hn_vf_stats_get) plus each synthetic queue's packets and bytes.
   */
  protected devStatsGet(out: EthStats, queues: EthQueueStats | null): void {
    const vf = this.vf.vfPort;
    if (queues !== null && vf !== null) vf.subDeviceStatsGet(emptyEthStats(), queues);
    this.vf.folder.addTo(out);
    this.queues.statsInto(out, queues);
  }

  /**
   * hn_ethdev.c hn_dev_stats_reset: only the synthetic queues' counters (and those of VFs that
   * left, which DPDK would not report); the attached VF's counters still show in `statsGet`.
   */
  protected devStatsReset(): void {
    Object.assign(this.stats, emptyNetvscPmdStats());
    this.queues.resetStats();
    this.vf.folder.resetGone();
  }

  /**
   * hn_ethdev.c hn_dev_xstats_get_names: `tx_q<i>_` then `rx_q<i>_` + each of hn_stat_strings
   * (`HN_STAT_NAMES`) for every queue, then the attached VF's whole list with `vf_` in front
   * (hn_vf_xstats_get_names).
   */
  protected override devXstatsNames(): string[] {
    const names = this.queues.xstatNames();
    const vf = this.attachedVf();
    if (vf !== null) for (const n of vf.xstatsGetNames()) names.push(`vf_${n}`);
    return names;
  }

  /** hn_ethdev.c hn_dev_xstats_get: the values of {@link NetvscPmdPort.devXstatsNames}. */
  protected override devXstatsGet(): number[] {
    const values = this.queues.xstatValues();
    const vf = this.attachedVf();
    if (vf !== null) for (const x of vf.xstatsGet()) values.push(x.value);
    return values;
  }

  /**
   * hn_ethdev.c hn_dev_xstats_reset: the stats reset, then `rte_eth_xstats_reset` on the attached
   * VF port (hn_vf_xstats_reset), so every counter starts from zero.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` when no VF is attached (hn_vf_xstats_reset's
   * -EINVAL); the port's own counters are reset all the same.
   */
  protected override devXstatsReset(): void {
    this.statsReset();
    const vf = this.attachedVf();
    if (vf === null) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `Port ${this.portId}: no VF attached, so xstats_reset fails with -EINVAL after resetting ` +
          'the synthetic counters (hn_vf_xstats_reset); use statsReset() while there is no VF',
      );
    }
    vf.xstatsReset();
    this.vf.folder.reset();
  }

  /** hn_vf.c hn_get_vf_dev: the VF port while one is attached (not yet released), else null. */
  private attachedVf(): EthDev | null {
    const vf = this.vf.vfPort;
    return vf !== null && vf.state !== 'unused' ? vf : null;
  }

  // ---------------------------------------------------------------- data plane

  protected rxBurstImpl(queue: number, out: Int32Array, start: number, max: number): number {
    return this.queues.receive(queue, out, start, max, this.vf.ready ? this.vf.vfPort : null);
  }

  protected txBurstImpl(queue: number, pkts: Int32Array, start: number, count: number): number {
    // hn_xmit_pkts: the primary channel is always read (hot-plug notifications arrive there)
    this.queues.pollForTx(queue, count);
    // one decision per burst, by the core's policy: the synthetic path is always ready
    const onVf = this.policy.unicastPath(this.vf.ready, true) === DatapathPath.ACTIVE;
    return this.queues.transmit(queue, pkts, start, count, onVf ? this.vf.vfPort : null);
  }

  // ---------------------------------------------------------------- ring events (HnEventSink)

  /**
   * hn_rndis_link_status: an indication read from the ring when the application polls; it
   * records no link (see `HnLink`). A speed change too short to carry the speed is counted
   * `malformed`, NETWORK_CHANGE and TASK_OFFLOAD_CURRENT_CONFIG `ignored`, others `ignored` and
   * logged as DPDK does.
   */
  onStatus(status: number, buffer: Uint8Array): void {
    const kind = this.link.onStatus(status, buffer);
    if (kind === 'short-speed') this.stats.malformed++;
    else if (kind === 'ignored') this.stats.ignored++;
    else if (kind === 'unknown') {
      this.stats.ignored++;
      // hn_rndis.c hn_rndis_link_status: PMD_DRV_LOG(NOTICE, ...) for any other status
      this.log('info', `unknown RNDIS indication: 0x${(status >>> 0).toString(16)}`);
    }
  }

  /** NVSP 128 from the host (hn_nvs_handle_vfassoc). */
  onVfAssociation(allocated: boolean, serial: number): void {
    this.log(
      'debug',
      `VF serial ${serial} ${allocated ? 'add to' : 'remove from'} port ${this.portId}`,
    );
    this.vf.onAssociation(allocated);
  }

  /** hn_nvs_set_datapath: NVSP 129 on the primary channel, no completion awaited. */
  private setDatapath(vf: boolean): boolean {
    this.stats.datapathSwitches++;
    const datapath = vf ? NVSP_DATAPATH.VF : NVSP_DATAPATH.SYNTHETIC;
    return this.client.post({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath }) === 'ok';
  }

  /**
   * The VMBus channel was rescinded (host servicing). DPDK has no handling for it (the VMBus bus
   * code leaves rescind as a TODO); deliberately, the port is marked removed and its link recorded
   * down, which raises `intr_lsc` when the port is configured with `lsc` and nothing otherwise
   * (`EthDev`). No `intr_rmv`: a port without `RTE_ETH_DEV_INTR_RMV` cannot be configured for it.
   */
  private onRescind(): void {
    this.link.up = false;
    // as hn_dev_link_update would record it: down, at the host's last speed
    this.updateLink(false, this.link.speed, true, true);
    this.queues.releaseTx();
    this.markRemoved();
  }
}

function checkRange(what: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new BypassError('ERR_INVALID_ARGUMENT', `netvsc: ${what} must be ${lo}..${hi}, got ${v}`);
  }
}
