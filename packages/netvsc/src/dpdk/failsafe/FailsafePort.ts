import {
  MacAddress,
  NS_PER_MS,
  isBypassError,
  type PacketPool,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import { EthDev, type EthDevInit } from '../ethdev/EthDev.js';
import { silentLogger, type DpdkLogger } from '../ethdev/DpdkLog.js';
import {
  addEthStats,
  emptyEthStats,
  type EthConf,
  type EthDevInfo,
  type EthStats,
} from '../ethdev/EthTypes.js';
import type { EthQueueStats } from '../ethdev/EthXstats.js';
import { parseFailsafeArgs, type FailsafeArgs } from './FailsafeArgs.js';
import {
  FailsafeSubDevice,
  SubDevState,
  failsafeSubDeviceConf,
  type SubDevStateValue,
} from './FailsafeSubDevice.js';
import { replayConfiguration } from './replayConfiguration.js';
import { failsafeDevInfo, selectTxSubDevice } from './selectTxSubDevice.js';
import {
  activeSubDevices,
  applyToActive,
  fsErrIgnored,
  setMcListWithRollback,
  setModeWithRollback,
} from './subDeviceOps.js';
import type { CommandRunner, FdReader } from './SubDeviceSources.js';

/**
 * Options of a {@link FailsafePort}.
 *
 * @example
 * ```ts
 * const o: FailsafePortOptions = { pool, scheduler, fds: pipes, log: (l, m) => console.log(l, m) };
 * ```
 */
export interface FailsafePortOptions {
  /** The pool received frames live in (their `port` is rewritten). */
  pool: PacketPool;
  /** Clock of the upkeep round (`hotplug_poll`). */
  scheduler: Scheduler;
  /** Where `fd(<n>)` sub-devices read their definition. */
  fds?: FdReader;
  /** Runs the commands of `exec(<cmd>)` sub-devices. */
  commands?: CommandRunner;
  log?: DpdkLogger;
}

const OWNER = 'net_failsafe';
/** Speed of the link a new fail-safe port reports (failsafe.c eth_link: 10G), Mbps. */
const INITIAL_LINK_SPEED = 10_000;

/**
 * DPDK's fail-safe PMD (drivers/net/failsafe): one port over up to two sub-devices, the first
 * declared preferred, with hot-plug handled behind the application's back.
 *
 * - Devargs: see {@link parseFailsafeArgs}. Sub-devices are parsed (`dev()` at once, `exec()`
 *   and `fd()` when their source has a line) and probed through the registry at creation; the
 *   port's MAC is `mac=` (applied to every probed sub-device) or the first probed sub-device's.
 * - States (UNDEFINED < PARSED < PROBED < ACTIVE < STARTED): configure makes the port and its
 *   probed sub-devices ACTIVE, start STARTED, stop ACTIVE again (failsafe_ops.c). Each
 *   sub-device is configured with the port's conf adapted to it ({@link failsafeSubDeviceConf}).
 *   The port advertises `INTR_LSC` only, so `rmv` is refused (failsafe.c). A sub-device
 *   configure failure fails the port's configure unless the sub-device is being removed or gone
 *   (`ERR_NO_DEVICE`, DPDK's -EIO: failsafe_private.h fs_err), which is skipped: it stays as it
 *   was, without callbacks, and the upkeep removes it when its replay fails. A sub-device start
 *   failure likewise fails the port's start unless being removed or gone, which is skipped: it
 *   stays ACTIVE, unflagged, and the next upkeep round, finding it behind the port, starts it
 *   again (failsafe.c fs_hotplug_alarm -> failsafe_eth_dev_state_sync -> fs_dev_start).
 * - Configuration changes (MTU, MACs, VLAN filter, link, RX modes, multicast list) go to every
 *   ACTIVE sub-device, one flagged for removal included; a failure of one being removed or gone
 *   is skipped without flagging it (fs_err; not for the multicast list), any other ends the
 *   change. MTU, MACs, VLAN filter and link then fail, the sub-devices before keeping the change.
 *   Promiscuous and all-multicast first set every ACTIVE sub-device back, then report what the
 *   last of those undos returned, as DPDK's reused return code does: success, so the fail-safe
 *   port records the mode as set, unless that undo failed. The multicast list puts every ACTIVE
 *   sub-device back on the previous list and fails (failsafe_ops.c; see `subDeviceOps`). Only a
 *   removal event flags a sub-device.
 * - TX (failsafe_private.h fs_switch_dev): the preferred sub-device as soon as its state has
 *   caught up with the port's, else the first sub-device not being removed whose state is at
 *   least the port's; none: `txBurst` returns 0 and the application keeps its frames. A switch
 *   leaves the link alone.
 * - Link (failsafe_ops.c fs_link_update): the TX sub-device's recorded link, taken after the
 *   upkeep configured new sub-devices, and by `linkGet` and `start` (`EthDev`, as rte_ethdev.c:
 *   both skip it on a port configured with `lsc`, `linkGet` only while started). Configured
 *   with `lsc` (`intr_conf.lsc`), the port also listens to the `intr_lsc` of its sub-devices
 *   that have `INTR_LSC` (failsafe_ops.c fs_dev_configure registers the callback only then) and
 *   takes the link at each; to `intr_rmv` it listens on sub-devices that have `INTR_RMV`. A
 *   sub-device raises only what its conf asks for (`EthDev`): `rmv` where it has `INTR_RMV`, so
 *   a VF's removal is always heard, `lsc` only when the port has it (a TAP never raises it).
 * - RX (failsafe_rxtx.c failsafe_rx_burst): per queue, round-robin over STARTED sub-devices not
 *   being removed, one call returns one sub-device's frames; their `pool.port` is rewritten to
 *   this port's id.
 * - Removal (failsafe_ether.c failsafe_eth_rmv_event_callback): `intr_rmv` of a sub-device
 *   moves TX away at once and flags it; the next upkeep round, if no burst is inside it, saves
 *   its stats and stops, closes and detaches it (UNDEFINED). Simulator guarantee: a port whose
 *   device left before the removal callback was registered on it (unconfigured, it raised no
 *   `intr_rmv`) is handled as if the event came at the registration, so a sub-device that is gone
 *   is never kept ACTIVE forever with each of its failures skipped.
 * - Upkeep (failsafe.c fs_hotplug_alarm) every `hotplug_poll` ms on the injected scheduler:
 *   when a sub-device lags behind the port, parse, probe, configure it (PROBED ones only, with
 *   their callbacks), replay the configuration ({@link replayConfiguration}) and start it; then
 *   complete pending removals.
 * - Stats: accumulator of removed sub-devices + live ones (failsafe_ops.c fs_stats_get).
 * - Device info ({@link failsafeDevInfo}): MIN of limits over probed sub-devices; offloads are
 *   fail-safe's fixed set ANDed with theirs.
 *
 * Fixed DPDK bugs (each has a test in test/dpdk/failsafe):
 * - LSC forwarding (with `lsc`): DPDK forwards a sub-device's link event only when the fail-safe
 *   link did NOT change (`link_update` returns 0 on change; the callback tests `if (ret)`). Here
 *   the event is forwarded exactly when the fail-safe port's link changed.
 * - `hotplug_poll` and "MAC from devargs" are globals in DPDK, so the last instance parsed
 *   decides for every instance. Here both are per port.
 * - The last extra MAC address is not replayed (see {@link replayConfiguration}).
 * - A sub-device whose replay fails is kept while the port is stopped: DPDK makes it ACTIVE at
 *   its configure, before the replay, and failsafe_eth_dev_state_sync's error path flags only
 *   sub-devices whose state differs from the port's, so it stays half configured and starts with
 *   the port. Here it becomes ACTIVE once its replay succeeded, and is removed otherwise.
 * - A stale PCI address can be re-read from the pipe after an unplug: DPDK reads an `fd()`
 *   source only while the sub-device is UNDEFINED, so lines written before the unplug are read
 *   after it and the sub-device stays PARSED on a dead address, never reading the pipe again.
 *   Here a completed removal drains the source, and an `fd()`/`exec()` sub-device whose probe
 *   fails goes back to UNDEFINED so the next round reads a fresh line.
 *
 * @example
 * ```ts
 * registry.registerDriver(failsafeDriver({ scheduler, fds: pipes }));
 * const fs = registry.probe('net_failsafe_vsc0,fd(3),dev(net_tap_vsc0,remote=eth1)');
 * fs.configure(1, 1, { lsc: true }); // intr_lsc when the link of the TX sub-device changes
 * fs.start();
 * fs.txBurst(0, pkts, 0, n); // on the VF when it is there, else on the TAP
 * ```
 */
export class FailsafePort extends EthDev {
  /** Upkeep period, ms (`hotplug_poll`, per port). */
  readonly hotplugPollMs: number;
  /** True when the MAC came from `mac=` (per port). */
  readonly macFromArgs: boolean;
  private readonly subs: FailsafeSubDevice[];
  private fsState: SubDevStateValue = SubDevState.UNDEFINED;
  private txSub = -1;
  private rxCursor = new Int32Array(1);
  private readonly accumulator = emptyEthStats();
  private readonly scheduler: Scheduler;
  private readonly pool: PacketPool;
  private readonly fds: FdReader | null;
  private readonly commands: CommandRunner | null;
  private readonly log: DpdkLogger;
  private timer: TimerId | null = null;

  /**
   * @throws `BypassError` for bad devargs (see {@link parseFailsafeArgs}), a `dev()` that
   * names no device, or a `mac=` a sub-device refuses.
   */
  constructor(init: EthDevInit, options: FailsafePortOptions) {
    const args: FailsafeArgs = parseFailsafeArgs(init.devargs ?? '');
    super(init);
    this.scheduler = options.scheduler;
    this.pool = options.pool;
    this.fds = options.fds ?? null;
    this.commands = options.commands ?? null;
    this.log = options.log ?? silentLogger;
    this.hotplugPollMs = args.hotplugPollMs;
    this.macFromArgs = args.mac !== null;
    this.subs = args.subs.map((s, i) => new FailsafeSubDevice(i, s));
    try {
      for (const sub of this.subs) this.parseSub(sub);
      this.fsState = SubDevState.PARSED;
      for (const sub of this.subs) this.probeSub(sub);
      this.fsState = SubDevState.PROBED;
      // failsafe.c fs_eth_dev_create: MAC from devargs, else the first probed sub-device's
      const probed = this.subs.filter((s) => s.port !== null);
      if (args.mac !== null) {
        for (const sub of probed) sub.port?.setDefaultMacAddr(args.mac);
        this.initMacAddr(args.mac);
      } else if (probed[0]?.port) {
        this.initMacAddr(probed[0].port.macAddr);
      } else {
        this.initMacAddr(MacAddress.fromNumber(0x02_66_73_00_00_00 + (this.portId & 0xff)));
      }
      const mtu = probed[0]?.port?.mtu;
      if (mtu !== undefined) this.initMtu(mtu);
    } catch (err) {
      for (const sub of this.subs) this.detachSub(sub);
      this.registry.release(this);
      throw err;
    }
    // failsafe_eal.c failsafe_eal_init: TX to a probed sub-device (the link is left alone)
    this.switchTx(null);
    // failsafe.c eth_link: a new port reports UP at 10G until the next link_update
    this.recordLink(true, INITIAL_LINK_SPEED);
    this.armUpkeep();
  }

  /** The sub-device slots, in declaration order (read-only use). */
  get subDevices(): readonly FailsafeSubDevice[] {
    return this.subs;
  }

  /** The fail-safe port's own state. */
  get fsStateValue(): SubDevStateValue {
    return this.fsState;
  }

  /** The sub-device TX currently goes to, or null. */
  get txSubDevice(): FailsafeSubDevice | null {
    return this.subs[this.txSub] ?? null;
  }

  /**
   * Runs one upkeep round now (what the `hotplug_poll` timer runs): synchronises lagging
   * sub-devices, then completes pending removals.
   */
  upkeep(): void {
    if (this.state === 'unused') return;
    if (this.subs.some((s) => s.state !== this.fsState)) {
      try {
        this.stateSync();
      } catch (err) {
        this.log('error', `net_failsafe: Unable to synchronize sub_device state: ${errText(err)}`);
      }
    }
    this.completeRemovals();
  }

  // ---------------------------------------------------------------- ethdev ops

  protected devInfoGet(): EthDevInfo {
    return failsafeDevInfo(this.subs);
  }

  /**
   * failsafe_ops.c fs_dev_configure, as the application calls it: the PROBED and ACTIVE
   * sub-devices are configured with the port's queue counts and conf
   * ({@link failsafeSubDeviceConf}), get the callbacks their conf asks for and become ACTIVE. A
   * sub-device being removed or gone is skipped (see `configureSub`); any other refusal fails the
   * configure.
   */
  protected devConfigure(nbRxq: number, nbTxq: number, conf: Readonly<Required<EthConf>>): void {
    this.rxCursor = new Int32Array(Math.max(1, nbRxq));
    for (const sub of this.subs) {
      // fs_dev_configure: PROBED, and ACTIVE too when not called from the hot-plug alarm
      if (sub.state !== SubDevState.PROBED && sub.state !== SubDevState.ACTIVE) continue;
      if (this.configureSub(sub, nbRxq, nbTxq, conf)) sub.state = SubDevState.ACTIVE;
    }
    if (this.fsState < SubDevState.ACTIVE) this.fsState = SubDevState.ACTIVE;
  }

  /**
   * One sub-device's part of failsafe_ops.c fs_dev_configure: its configure, then its removal and
   * LSC callbacks (`listen`), before anything else is applied to it. Returns
   * false when the configure failed because the sub-device is being removed or is gone
   * (`ERR_NO_DEVICE`, DPDK's -EIO): it is skipped, its state and flags left as they were, and the
   * removal path deals with it. The state change is the caller's.
   *
   * @throws the sub-device's refusal for any other failure.
   */
  private configureSub(
    sub: FailsafeSubDevice,
    nbRxq: number,
    nbTxq: number,
    conf: Readonly<Required<EthConf>>,
  ): boolean {
    const port = sub.port;
    if (port === null) return false;
    try {
      port.configure(nbRxq, nbTxq, failsafeSubDeviceConf(conf, port));
    } catch (err) {
      // failsafe_ops.c fs_dev_configure + failsafe_private.h fs_err: a removal is no error
      if (fsErrIgnored(sub, err)) return false;
      this.log('error', `net_failsafe: Could not configure sub_device ${sub.sid}: ${errText(err)}`);
      throw err;
    }
    this.listen(sub);
    return true;
  }

  /** failsafe_ops.c fs_dev_start (`EthDev.start` then takes the link, unless `lsc`). */
  protected devStart(): void {
    this.fsDevStart();
  }

  /**
   * failsafe_ops.c fs_dev_start: starts the ACTIVE sub-devices (one flagged for removal too) and
   * re-selects TX, no link. A start failure of one being removed or gone is skipped (fs_err): it
   * stays ACTIVE and unflagged, and the upkeep starts it again; any other fails the start.
   */
  private fsDevStart(): void {
    for (const sub of this.subs) {
      if (sub.state !== SubDevState.ACTIVE || sub.port === null) continue;
      try {
        sub.port.start();
      } catch (err) {
        if (fsErrIgnored(sub, err)) continue;
        this.log('error', `net_failsafe: sub_device ${sub.sid} start failed: ${errText(err)}`);
        throw err;
      }
      sub.state = SubDevState.STARTED;
    }
    this.fsState = SubDevState.STARTED;
    this.switchTx(null);
  }

  // failsafe_ops.c fs_dev_stop: stops the sub-devices; neither the TX choice nor the link change
  protected devStop(): void {
    this.fsState = SubDevState.ACTIVE;
    for (const sub of this.subs) {
      if (sub.state !== SubDevState.STARTED || sub.port === null) continue;
      sub.port.stop();
      sub.state = SubDevState.ACTIVE;
    }
  }

  protected devClose(): void {
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    this.timer = null;
    for (const sub of this.subs) {
      if (sub.port !== null) addEthStats(this.accumulator, sub.readStats());
      this.detachSub(sub);
    }
    this.fsState = SubDevState.UNDEFINED;
    this.txSub = -1;
  }

  protected override devLinkUpdate(): void {
    this.fsLinkUpdate();
  }

  /**
   * failsafe_ops.c fs_link_update, called directly (`dev_ops->link_update`). It writes
   * `dev_link` and raises no event; only the LSC callback (`raise`) passes the change on.
   */
  private fsLinkUpdate(raise = false): void {
    // refresh every active sub-device, then copy the TX sub-device's recorded link whatever the
    // port's state; with none, the link stays as it was
    // failsafe_ops.c fs_link_update: the sub-device's link_update op itself, lsc or not
    for (const { port } of activeSubDevices(this.subs)) port.subDeviceLinkUpdate();
    const tx = this.txSubDevice;
    if (tx === null || tx.port === null || tx.state < SubDevState.PROBED) return;
    // fs_link_update copies the TX sub-device's whole dev_link
    const link = tx.port.storedLink;
    if (raise) this.updateLink(link.status, link.speed, link.fullDuplex, link.autoneg);
    else this.recordLink(link.status, link.speed, link.fullDuplex, link.autoneg);
  }

  // failsafe_ops.c fs_dev_set_link_up / _down
  protected override devSetLink(up: boolean): void {
    const what = up ? 'rte_eth_dev_set_link_up' : 'rte_eth_dev_set_link_down';
    applyToActive(this.subs, this.log, what, (p) => p.setLink(up));
  }

  protected override devPromiscuous(on: boolean): void {
    // failsafe_ops.c fs_promiscuous_enable / _disable
    setModeWithRollback(this.subs, this.log, 'Promiscuous mode', on, (p, v) => p.setPromiscuous(v));
  }

  protected override devAllmulticast(on: boolean): void {
    // failsafe_ops.c fs_allmulticast_enable / _disable
    setModeWithRollback(this.subs, this.log, 'All-multicast mode', on, (p, v) =>
      p.setAllmulticast(v),
    );
  }

  // failsafe_ops.c fs_mtu_set
  protected override devMtuSet(mtu: number): void {
    applyToActive(this.subs, this.log, 'rte_eth_dev_set_mtu', (p) => p.setMtu(mtu));
  }

  // failsafe_ops.c fs_mac_addr_set
  protected override devMacAddrSet(mac: MacAddress): void {
    applyToActive(this.subs, this.log, 'rte_eth_dev_mac_addr_set', (p) => p.setDefaultMacAddr(mac));
  }

  // failsafe_ops.c fs_mac_addr_add
  protected override devMacAddrAdd(mac: MacAddress, _index: number, pool: number): void {
    applyToActive(this.subs, this.log, 'rte_eth_dev_mac_addr_add', (p) => p.macAddrAdd(mac, pool));
  }

  // failsafe_ops.c fs_mac_addr_remove: a void op, so every sub-device's answer is ignored
  protected override devMacAddrRemove(mac: MacAddress): void {
    for (const { port } of activeSubDevices(this.subs)) {
      try {
        port.macAddrRemove(mac);
      } catch {
        // ignored, as fs_mac_addr_remove ignores it
      }
    }
  }

  // failsafe_ops.c fs_set_mc_addr_list: this.mcAddrs is still the list before the call
  protected override devMcAddrListSet(list: readonly MacAddress[]): void {
    setMcListWithRollback(this.subs, this.log, list, this.mcAddrs);
  }

  // failsafe_ops.c fs_vlan_filter_set
  protected override devVlanFilter(vid: number, on: boolean): void {
    applyToActive(this.subs, this.log, 'rte_eth_dev_vlan_filter', (p) => p.vlanFilter(vid, on));
  }

  // failsafe_ops.c fs_stats_get: the per-queue counters are not filled (ethdev shows zeros)
  protected devStatsGet(out: EthStats, _queues: EthQueueStats | null): void {
    addEthStats(out, this.accumulator);
    for (const { sub } of activeSubDevices(this.subs)) addEthStats(out, sub.readStats());
  }

  protected devStatsReset(): void {
    Object.assign(this.accumulator, emptyEthStats());
    for (const sub of this.subs) {
      sub.snapshot = emptyEthStats();
      if (sub.state >= SubDevState.ACTIVE && sub.port !== null) sub.port.statsReset();
    }
  }

  /**
   * failsafe_ops.c fs_xstats_get_names: the extended statistics of each active sub-device in
   * turn, renamed for their slot: `rx_good_packets` of sub-device 0 becomes
   * `rx_sub0_good_packets`, a name not starting with `rx_` / `tx_` gets `sub0_` in front.
   */
  protected override devXstatsNames(): string[] {
    const names: string[] = [];
    for (const { sub, port } of activeSubDevices(this.subs))
      for (const n of port.xstatsGetNames()) names.push(subDeviceXstatName(sub.sid, n));
    return names;
  }

  /** failsafe_ops.c fs_xstats_get: the active sub-devices' values, as the names go. */
  protected override devXstatsGet(): number[] {
    const values: number[] = [];
    for (const { port } of activeSubDevices(this.subs))
      for (const x of port.xstatsGet()) values.push(x.value);
    return values;
  }

  /**
   * failsafe_ops.c fs_xstats_reset: `rte_eth_xstats_reset` on each active sub-device, stopping
   * at the first that fails (its error is thrown). The fail-safe's own accumulator of departed
   * sub-devices is left as it is (only `statsReset` clears it).
   */
  protected override devXstatsReset(): void {
    for (const { port } of activeSubDevices(this.subs)) port.xstatsReset();
  }

  protected rxBurstImpl(queue: number, out: Int32Array, start: number, max: number): number {
    const subs = this.subs;
    const n = subs.length;
    let sid = this.rxCursor[queue] ?? 0;
    for (let tries = 0; tries < n; tries++) {
      const sub = subs[sid] as FailsafeSubDevice;
      sid = sid + 1 === n ? 0 : sid + 1;
      const port = sub.port;
      if (sub.state !== SubDevState.STARTED || sub.remove || port === null) continue;
      sub.rxInflight++;
      let got = 0;
      try {
        // failsafe_rxtx.c: the sub-device's own burst function; rxBurst checked the arguments
        got = port.subDeviceRxBurst(queue, out, start, max);
      } finally {
        sub.rxInflight--;
      }
      if (got > 0) {
        this.rxCursor[queue] = sid;
        // failsafe_rxtx.c failsafe_rx_set_port
        const portOf = this.pool.port;
        const id = this.portId;
        for (let i = start, end = start + got; i < end; i++) portOf[out[i] as number] = id;
        return got;
      }
    }
    this.rxCursor[queue] = sid;
    return 0;
  }

  protected txBurstImpl(queue: number, pkts: Int32Array, start: number, count: number): number {
    const sub = this.subs[this.txSub];
    const port = sub?.port ?? null;
    if (sub === undefined || port === null || sub.state !== SubDevState.STARTED) return 0;
    sub.txInflight++;
    try {
      // failsafe_rxtx.c: the sub-device's own burst function; txBurst checked the arguments
      return port.subDeviceTxBurst(queue, pkts, start, count);
    } finally {
      sub.txInflight--;
    }
  }

  // ---------------------------------------------------------------- hot-plug machinery

  private parseSub(sub: FailsafeSubDevice): void {
    sub.parse(this.fds, this.commands);
  }

  private probeSub(sub: FailsafeSubDevice): void {
    sub.probe(this.registry, `${OWNER}:${this.name}`, (m) =>
      this.log('error', `net_failsafe: ${m}`),
    );
  }

  /**
   * failsafe_ops.c fs_dev_configure: after a sub-device's configure, the removal callback when
   * its conf has `rmv` and the LSC callback when it has `lsc` ({@link failsafeSubDeviceConf}),
   * each registered once and kept until the sub-device is removed.
   */
  private listen(sub: FailsafeSubDevice): void {
    const port = sub.port;
    if (port === null) return;
    const handlers = (sub.handlers ??= {
      lsc: () => this.onSubLsc(),
      rmv: () => this.onSubRmv(sub),
    });
    const conf = port.devConf;
    if (conf.rmv && !sub.rmvCallback) {
      port.on('intr_rmv', handlers.rmv);
      sub.rmvCallback = true;
      // Simulator guarantee (not DPDK's): a device that left before this callback existed raised
      // its intr_rmv to nobody; handled now, so the sub-device is removed, not kept forever
      if (port.state === 'removed') handlers.rmv();
    }
    if (conf.lsc && !sub.lscCallback) {
      port.on('intr_lsc', handlers.lsc);
      sub.lscCallback = true;
    }
  }

  // failsafe_ether.c failsafe_eth_rmv_event_callback
  private onSubRmv(sub: FailsafeSubDevice): void {
    this.log(
      'info',
      `net_failsafe: sub_device ${sub.sid} (${sub.port?.name ?? '?'}) removal event`,
    );
    sub.remove = true;
    this.switchTx(sub);
  }

  // failsafe_ether.c failsafe_eth_lsc_event_callback, with the inverted test fixed:
  // fsLinkUpdate -> updateLink emits intr_lsc exactly when the fail-safe link changed.
  private onSubLsc(): void {
    if (this.state !== 'unused') this.fsLinkUpdate(true);
  }

  /**
   * Re-selects the TX sub-device ({@link selectTxSubDevice}). failsafe_private.h fs_switch_dev
   * only moves `subs_tx`: the link stays until the next link update.
   */
  private switchTx(banned: FailsafeSubDevice | null): void {
    const before = this.txSub;
    this.txSub = selectTxSubDevice(this.subs, this.txSub, this.fsState, banned);
    if (this.txSub === before) return;
    const to = this.subs[this.txSub];
    this.log(
      'debug',
      to === undefined
        ? 'net_failsafe: No device ready, deactivating tx_dev'
        : `net_failsafe: Switching tx_dev to sub_device ${to.sid}`,
    );
  }

  private armUpkeep(): void {
    if (this.timer !== null || this.state === 'unused') return;
    this.timer = this.scheduler.runAfter(this.hotplugPollMs * NS_PER_MS, () => {
      this.timer = null;
      this.upkeep();
      this.armUpkeep();
    });
  }

  /** failsafe_ether.c failsafe_eth_dev_state_sync. */
  private stateSync(): void {
    const fsState = this.fsState;
    if (fsState < SubDevState.PARSED) return;
    const fresh: FailsafeSubDevice[] = [];
    try {
      for (const sub of this.subs) this.parseSub(sub);
      if (fsState < SubDevState.PROBED) return;
      for (const sub of this.subs) this.probeSub(sub);
      // failsafe_eal.c failsafe_eal_init ends with fs_switch_dev: a newly probed sub-device can
      // take TX at once on a port not yet configured
      this.switchTx(null);
      if (fsState < SubDevState.ACTIVE) return;
      for (const sub of this.subs) {
        if (sub.state === SubDevState.PROBED && sub.port !== null && !sub.remove) fresh.push(sub);
      }
      // failsafe_eth_dev_state_sync: dev_configure from the alarm configures the PROBED ones only
      // and registers their callbacks, then fs_eth_dev_conf_apply replays the rest to each (a
      // sub-device skipped as gone fails its queue setup there)
      for (const sub of fresh)
        this.configureSub(sub, this.nbRxQueues, this.nbTxQueues, this.devConf);
      for (const sub of fresh) {
        const port = sub.port as EthDev;
        const steps = replayConfiguration(
          { port: this, linkUp: this.storedLink.status, macPool: (i) => this.macPoolOf(i) },
          port,
        );
        sub.state = SubDevState.ACTIVE;
        this.log('debug', `net_failsafe: sub_device ${sub.sid} configured: ${steps.join(', ')}`);
      }
      // failsafe_eth_dev_state_sync: "check if the link state has changed" after new devices
      if (fresh.length > 0) this.fsLinkUpdate();
      if (fsState < SubDevState.STARTED) return;
      // dev_ops->dev_start, not rte_eth_dev_start: no link update after it
      this.fsDevStart();
    } catch (err) {
      for (const sub of this.subs) {
        if (sub.state >= SubDevState.PROBED && sub.state !== this.fsState) sub.remove = true;
      }
      throw err;
    }
  }

  /** failsafe_ether.c failsafe_dev_remove: flagged sub-devices with no burst in flight. */
  private completeRemovals(): void {
    let removed = false;
    for (const sub of this.subs) {
      if (!sub.remove || sub.state < SubDevState.PROBED) continue;
      if (sub.rxInflight > 0 || sub.txInflight > 0) continue;
      addEthStats(this.accumulator, sub.readStats());
      sub.snapshot = emptyEthStats();
      this.detachSub(sub);
      // Stale-line fix: what the source holds was written before the removal completed.
      sub.drainSource(this.fds);
      removed = true;
    }
    if (removed) this.switchTx(null);
  }

  private detachSub(sub: FailsafeSubDevice): void {
    sub.detach(this.registry, `${OWNER}:${this.name}`, (m) =>
      this.log('error', `net_failsafe: ${m}`),
    );
  }
}

function errText(err: unknown): string {
  return isBypassError(err) ? err.message : String(err);
}

/** failsafe_ops.c __fs_xstats_get_names: `rx_`/`tx_` + `sub<i>_` + the rest, else `sub<i>_` + name. */
function subDeviceXstatName(sid: number, name: string): string {
  return /^[rt]x_/.test(name)
    ? `${name.slice(0, 3)}sub${sid}_${name.slice(3)}`
    : `sub${sid}_${name}`;
}
