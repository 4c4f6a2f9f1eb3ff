import { BypassError } from '../errors/BypassError.js';
import type { MacAddress } from '../netdev/MacAddress.js';
import type { NetDevice } from '../netdev/NetDevice.js';
import type { PacketPool } from '../packet/PacketPool.js';
import { NS_PER_MS, type Scheduler } from '../time/Scheduler.js';

/**
 * The bonding `fail_over_mac` policy (Documentation/networking/bonding.rst) for active-backup:
 * - `none` (Linux default, `0`): every slave gets the bond's address at enslave and gets its own
 *   back at release; the bond's address never moves.
 * - `active` (`1`): slaves keep their own addresses and the bond takes the address of whichever
 *   slave is active, at every failover.
 * - `follow` (`2`): slaves keep their own addresses while backups; the bond's address never
 *   moves and is given to the active slave. At a failover the new active takes the old
 *   active's address and the old one the new one's (a swap); with no old active, the slave
 *   still holding the bond's address plays that part (bond_main.c bond_do_fail_over_mac,
 *   bond_get_old_active). Each slave gets its own address back at release.
 *
 * @example
 * ```ts
 * const fom: FailOverMac = 'active';
 * ```
 */
export type FailOverMac = 'none' | 'active' | 'follow';

/**
 * Per-slave link state of the bonding link monitor (`BOND_LINK_UP`, `BOND_LINK_FAIL`,
 * `BOND_LINK_DOWN`, `BOND_LINK_BACK` in include/net/bonding.h):
 * - `up`: usable;
 * - `fail`: the link went down and `downdelay` is running (still counted as up);
 * - `down`: unusable;
 * - `back`: the link came back and `updelay` is running (not usable yet).
 *
 * @example
 * ```ts
 * if (bond.slaveState(vf) === 'fail') console.log('vf is going down');
 * ```
 */
export type BondLinkState = 'up' | 'fail' | 'down' | 'back';

/**
 * Construction options of a {@link BondMaster} in mode active-backup. Times are in nanoseconds
 * of the injected {@link Scheduler} (Linux takes milliseconds).
 *
 * @example
 * ```ts
 * const o: BondMasterOptions = {
 *   pool,
 *   scheduler,
 *   name: 'bond0',
 *   miimon: 100 * NS_PER_MS,
 *   downdelay: 200 * NS_PER_MS,
 *   primary: 'enP2p3s0',
 * };
 * ```
 */
export interface BondMasterOptions {
  /** The packet pool of the frames the bond forwards. */
  pool: PacketPool;
  /** The clock the link monitor runs on (never the wall clock). */
  scheduler: Scheduler;
  /** Name or `%d` pattern; default `bond%d`. */
  name?: string;
  /**
   * The bond's own address. Without it the bond has no address until the first slave is
   * enslaved and then takes that slave's (Linux: a bond whose address is still random).
   */
  permAddr?: MacAddress;
  /**
   * Link monitor period (`miimon`), ns; 0 disables link monitoring, and is the default, as in
   * Linux for active-backup (bond_main.c bond_check_params forces 100 ms only for 802.3ad,
   * balance-tlb and balance-alb): without it the bond fails over only when a slave is released
   * or unregistered, never on carrier loss. Distributions' tools usually set 100 ms.
   */
  miimon?: number;
  /** Delay before a slave whose link came back is used (`updelay`), ns; a multiple of miimon. */
  updelay?: number;
  /** Delay before a slave whose link went down is disabled (`downdelay`), ns; a multiple of miimon. */
  downdelay?: number;
  /** Name of the preferred slave (`primary`), used whenever its link is up. */
  primary?: string;
  /** `fail_over_mac` policy; default `none`. */
  failOverMac?: FailOverMac;
  /**
   * Gratuitous ARPs / unsolicited NAs sent after a failover (`num_grat_arp`, alias
   * `num_unsol_na`), 0..255; default 1. The first goes out at the failover, each further one at
   * the following link-monitor ticks.
   */
  numGratArp?: number;
  /** Called for each peer notification (gratuitous ARP) with the active slave it goes out on. */
  onAnnounce?: (slave: NetDevice) => void;
}

/**
 * An active-slave change of a {@link BondMaster} (Linux raises `NETDEV_BONDING_FAILOVER`).
 *
 * @example
 * ```ts
 * bond.activeChanges$.subscribe(({ from, to, at }) =>
 *   console.log(`${at} ns: ${from?.name ?? '-'} -> ${to?.name ?? '-'}`),
 * );
 * ```
 */
export interface BondActiveChange {
  /** The previous active slave, or null. */
  readonly from: NetDevice | null;
  /** The new active slave, or null when the bond runs without one. */
  readonly to: NetDevice | null;
  /** Scheduler time of the change, ns. */
  readonly at: number;
}

/**
 * A change of a slave's {@link BondLinkState}, as the link monitor (or an enslave that had to
 * promote a slave early) committed it.
 *
 * @example
 * ```ts
 * bond.linkChanges$.subscribe((c) => console.log(c.slave.name, c.from, '->', c.to, c.at));
 * ```
 */
export interface BondLinkChange {
  /** The slave. */
  readonly slave: NetDevice;
  /** State before. */
  readonly from: BondLinkState;
  /** State after. */
  readonly to: BondLinkState;
  /** Scheduler time, ns. */
  readonly at: number;
}

/**
 * Validated bonding parameters: the delays are converted to link-monitor ticks, as Linux
 * stores them.
 *
 * @example
 * ```ts
 * const p: BondParams = resolveBondParams({ pool, scheduler, miimon: 100 * NS_PER_MS });
 * p.downdelayTicks; // 0
 * ```
 */
export interface BondParams {
  /** Link monitor period, ns (0 = no monitoring). */
  readonly miimon: number;
  /** `updelay` in ticks of `miimon`. */
  readonly updelayTicks: number;
  /** `downdelay` in ticks of `miimon`. */
  readonly downdelayTicks: number;
  /** Name of the primary slave, or null. */
  readonly primary: string | null;
  /** fail_over_mac policy. */
  readonly failOverMac: FailOverMac;
  /** Peer notifications per failover. */
  readonly numGratArp: number;
  /** What was adjusted, as Linux would log it with `netdev_warn`. */
  readonly warnings: readonly string[];
}

// bond_main.c: the miimon module parameter starts at 0 (no link monitoring)
const DEFAULT_MIIMON = 0;

/** Formats ns for messages: whole milliseconds when exact, else ns. */
function fmt(ns: number): string {
  return ns % NS_PER_MS === 0 ? `${ns / NS_PER_MS} ms` : `${ns} ns`;
}

function nonNegativeNs(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `bond ${what} must be a non-negative integer number of ns (e.g. 100 * NS_PER_MS), got ${value}`,
    );
  }
  return value;
}

/**
 * Validates bonding options and converts the delays to link-monitor ticks the way
 * drivers/net/bonding/bond_options.c does (bond_option_updelay_set / downdelay_set): a delay
 * that is not a multiple of `miimon` is rounded down to one, with a warning; without `miimon`
 * the delays have no effect (warning, as bond_main.c: bond_check_params says).
 *
 * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for a negative or non-integer time, an
 * unknown `failOverMac`, a `numGratArp` outside 0..255 or an empty `primary`.
 * @example
 * ```ts
 * const p = resolveBondParams({ pool, scheduler, miimon: 100 * NS_PER_MS, updelay: 250 * NS_PER_MS });
 * p.updelayTicks; // 2
 * p.warnings;     // ['updelay (250 ms) is not a multiple of miimon (100 ms); rounded down to 200 ms']
 * ```
 */
export function resolveBondParams(options: BondMasterOptions): BondParams {
  const warnings: string[] = [];
  const miimon = nonNegativeNs(options.miimon, DEFAULT_MIIMON, 'miimon');
  const up = nonNegativeNs(options.updelay, 0, 'updelay');
  const down = nonNegativeNs(options.downdelay, 0, 'downdelay');
  const ticks = (value: number, what: string): number => {
    if (value === 0) return 0;
    if (miimon === 0) {
      warnings.push(
        `${what} (${fmt(value)}) has no effect because miimon is 0 (link monitoring disabled); set miimon to use it`,
      );
      return 0;
    }
    const n = Math.floor(value / miimon);
    if (value % miimon !== 0) {
      warnings.push(
        `${what} (${fmt(value)}) is not a multiple of miimon (${fmt(miimon)}); rounded down to ${fmt(n * miimon)}`,
      );
    }
    return n;
  };
  const updelayTicks = ticks(up, 'updelay');
  const downdelayTicks = ticks(down, 'downdelay');
  const failOverMac = options.failOverMac ?? 'none';
  if (failOverMac !== 'none' && failOverMac !== 'active' && failOverMac !== 'follow') {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `bond failOverMac must be 'none', 'active' or 'follow', got ${JSON.stringify(failOverMac)}`,
    );
  }
  const numGratArp = options.numGratArp ?? 1;
  if (!Number.isInteger(numGratArp) || numGratArp < 0 || numGratArp > 255) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `bond numGratArp must be an integer in 0..255, got ${numGratArp}`,
    );
  }
  const primary = options.primary ?? null;
  if (primary !== null && (typeof primary !== 'string' || primary.length === 0)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      'bond primary must be a slave interface name; leave it out for no primary',
    );
  }
  return { miimon, updelayTicks, downdelayTicks, primary, failOverMac, numGratArp, warnings };
}
