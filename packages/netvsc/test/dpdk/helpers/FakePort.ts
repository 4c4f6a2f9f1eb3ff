import { BypassError, MacAddress, PacketRing, type PacketPool } from '@bypass/core';
import {
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  EthDev,
  defaultEthDevInfo,
  emptyEthStats,
  type EthConf,
  type EthDevInit,
  type EthDevInfo,
  type EthDevRegistry,
  type EthDriver,
  type EthStats,
} from '../../../src/dpdk/exports.js';

/**
 * A test PMD: RX rings filled by `inject`, TX recorded (marks) and freed, every control op
 * recorded in `calls` (and the conf of each configure in `confs`, the port's `devConf` as the
 * PMD saw it in `devConfSeen`), link updates counted, optional refusals, a TX budget, and hooks
 * to run code inside a burst.
 */
export class FakePort extends EthDev {
  readonly calls: string[] = [];
  readonly sent: number[] = [];
  /** The conf each `devConfigure` got. */
  readonly confs: Readonly<Required<EthConf>>[] = [];
  /** `devConf` read inside each `devConfigure`. */
  readonly devConfSeen: Readonly<Required<EthConf>>[] = [];
  /** Calls of the PMD's `link_update` (`devLinkUpdate`). */
  linkUpdates = 0;
  readonly pool: PacketPool;
  readonly info: EthDevInfo;
  /** Frames the next TX bursts may take in total (Infinity = all). */
  txBudget = Infinity;
  /** Ops refused: by name (`promiscuous`) or with their argument (`promiscuous false`). */
  refuse = new Set<string>();
  /** The code refusals carry. */
  refuseWith: 'ERR_REFUSED' | 'ERR_NO_DEVICE' = 'ERR_REFUSED';
  /** The PMD's own extended statistics (name -> value), listed after ethdev's. */
  readonly ownXstats = new Map<string, number>();
  /** Runs inside the next RX/TX burst (then cleared). */
  duringBurst: (() => void) | null = null;
  private rings: PacketRing[] = [];
  private readonly counters = emptyEthStats();

  constructor(init: EthDevInit, pool: PacketPool, info: Partial<EthDevInfo> = {}) {
    super(init);
    this.pool = pool;
    this.initMacAddr(MacAddress.fromNumber(0x02_fa_ce_00_00_00 + this.portId));
    this.info = {
      ...defaultEthDevInfo('net_fake'),
      maxMacAddrs: 8,
      maxMtu: 9000,
      maxRxPktLen: 9018,
      rxOffloadCapa: ETH_OFFLOAD.VLAN_FILTER,
      devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.INTR_RMV,
      ...info,
    };
  }

  /** Puts frames into RX ring `q`. */
  inject(q: number, pkts: Int32Array): void {
    const ring = this.rings[q];
    if (ring === undefined) throw new Error(`queue ${q} not configured`);
    ring.enqueueBurst(pkts, 0, pkts.length);
  }

  /** Link change from the "hardware". */
  setHwLink(up: boolean): void {
    this.updateLink(up, 25_000);
  }

  /** Device removal from the "hardware". */
  unplug(): void {
    this.markRemoved();
  }

  private rec(op: string): void {
    this.calls.push(op);
    if (this.refuse.has(op.split(' ')[0] as string) || this.refuse.has(op))
      throw new BypassError(this.refuseWith, `${this.name} refuses ${op}`);
  }

  protected devInfoGet(): EthDevInfo {
    return this.info;
  }
  protected devConfigure(nbRxq: number, nbTxq: number, conf: Readonly<Required<EthConf>>): void {
    this.confs.push(conf);
    this.devConfSeen.push(this.devConf);
    this.rec(`configure ${nbRxq} ${nbTxq}`);
    this.rings = [];
    for (let q = 0; q < nbRxq; q++) this.rings.push(new PacketRing(256));
  }
  protected devStart(): void {
    this.rec('start');
    this.setHwLink(true);
  }
  protected devStop(): void {
    this.rec('stop');
  }
  protected devClose(): void {
    this.rec('close');
  }
  protected override devLinkUpdate(): void {
    this.linkUpdates++;
  }
  protected override devSetLink(up: boolean): void {
    this.rec(`link ${up}`);
    this.setHwLink(up);
  }
  protected override devPromiscuous(on: boolean): void {
    this.rec(`promiscuous ${on}`);
  }
  protected override devAllmulticast(on: boolean): void {
    this.rec(`allmulticast ${on}`);
  }
  protected override devMtuSet(mtu: number): void {
    this.rec(`mtu ${mtu}`);
  }
  protected override devMacAddrSet(m: MacAddress): void {
    this.rec(`mac ${m.toString()}`);
  }
  protected override devMacAddrAdd(m: MacAddress, index: number): void {
    this.rec(`mac+ ${m.toString()} ${index}`);
  }
  protected override devMacAddrRemove(m: MacAddress): void {
    this.rec(`mac- ${m.toString()}`);
  }
  protected override devMcAddrListSet(list: readonly MacAddress[]): void {
    this.rec(`mc ${list.map((m) => m.toString()).join(' ')}`);
  }
  protected override devVlanFilter(vid: number, on: boolean): void {
    this.rec(`vlan ${vid} ${on}`);
  }
  protected devStatsGet(out: EthStats): void {
    Object.assign(out, this.counters);
  }
  protected devStatsReset(): void {
    Object.assign(this.counters, emptyEthStats());
  }
  protected override devXstatsNames(): string[] {
    return [...this.ownXstats.keys()];
  }
  protected override devXstatsGet(): number[] {
    return [...this.ownXstats.values()];
  }
  /** Records `xstats_reset` (refusable), zeroes the own xstats, then the basic stats. */
  protected override devXstatsReset(): void {
    this.rec('xstats_reset');
    for (const k of this.ownXstats.keys()) this.ownXstats.set(k, 0);
    this.statsReset();
  }
  protected rxBurstImpl(q: number, out: Int32Array, start: number, max: number): number {
    this.runHook();
    const n = (this.rings[q] as PacketRing).dequeueBurst(out, start, max);
    this.counters.ipackets += n;
    return n;
  }
  protected txBurstImpl(_q: number, pkts: Int32Array, start: number, count: number): number {
    this.runHook();
    const n = Math.min(count, this.txBudget);
    this.txBudget -= n;
    for (let i = start; i < start + n; i++)
      this.sent.push(this.pool.mark[pkts[i] as number] as number);
    this.pool.freeBurst(pkts, start, n);
    this.counters.opackets += n;
    return n;
  }
  private runHook(): void {
    const h = this.duringBurst;
    this.duringBurst = null;
    h?.();
  }
}

/** Probes `net_fake*` names that are in `present` as FakePorts (others fail as absent). */
export function fakeDriver(
  pool: PacketPool,
  present: Set<string>,
  info: Partial<EthDevInfo> = {},
): EthDriver {
  return {
    name: 'net_fake',
    matches: (n) => n.startsWith('net_fake'),
    probe(registry: EthDevRegistry, name: string, args: string): EthDev {
      if (!present.has(name)) throw new BypassError('ERR_NO_DEVICE', `${name} is not there`);
      return new FakePort({ registry, name, devargs: args }, pool, info);
    },
  };
}
