import type { PacketPool } from '../packet/PacketPool.js';

/**
 * The counter names of Linux's `struct rtnl_link_stats64`, in its field order, camel-cased.
 *
 * @example
 * ```ts
 * for (const f of STATS64_FIELDS) console.log(f, dev.getStats64()[f]);
 * ```
 */
export const STATS64_FIELDS = [
  'rxPackets',
  'txPackets',
  'rxBytes',
  'txBytes',
  'rxErrors',
  'txErrors',
  'rxDropped',
  'txDropped',
  'multicast',
  'collisions',
  'rxLengthErrors',
  'rxOverErrors',
  'rxCrcErrors',
  'rxFrameErrors',
  'rxFifoErrors',
  'rxMissedErrors',
  'txAbortedErrors',
  'txCarrierErrors',
  'txFifoErrors',
  'txHeartbeatErrors',
  'txWindowErrors',
  'rxCompressed',
  'txCompressed',
  'rxNohandler',
] as const;

/**
 * One counter name of {@link STATS64_FIELDS}.
 *
 * @example
 * ```ts
 * const f: Stats64Field = 'txDropped';
 * ```
 */
export type Stats64Field = (typeof STATS64_FIELDS)[number];

/**
 * A device's stats64-style counters (Linux `include/uapi/linux/if_link.h` rtnl_link_stats64).
 * Plain numeric fields so the data plane increments them without allocation. Counters are
 * 64-bit in meaning; a driver that emulates 32-bit hardware counters may wrap them at 2^32 and
 * the bypass stats folding copes (see {@link foldStats64}).
 *
 * @example
 * ```ts
 * const s = new NetDeviceStats();
 * s.txPackets += 32;
 * s.txBytes += 32 * 64;
 * const copy = s.clone();
 * ```
 */
export class NetDeviceStats {
  rxPackets = 0;
  txPackets = 0;
  rxBytes = 0;
  txBytes = 0;
  rxErrors = 0;
  txErrors = 0;
  rxDropped = 0;
  txDropped = 0;
  multicast = 0;
  collisions = 0;
  rxLengthErrors = 0;
  rxOverErrors = 0;
  rxCrcErrors = 0;
  rxFrameErrors = 0;
  rxFifoErrors = 0;
  rxMissedErrors = 0;
  txAbortedErrors = 0;
  txCarrierErrors = 0;
  txFifoErrors = 0;
  txHeartbeatErrors = 0;
  txWindowErrors = 0;
  rxCompressed = 0;
  txCompressed = 0;
  rxNohandler = 0;

  /** Copies every counter of `other` into this object; returns `this`. */
  copyFrom(other: NetDeviceStats): this {
    // Field by field (here and in add/foldStats64): a loop over STATS64_FIELDS is a keyed access
    // per counter, several times slower, and it was a hot spot of the control-plane profile.
    this.rxPackets = other.rxPackets;
    this.txPackets = other.txPackets;
    this.rxBytes = other.rxBytes;
    this.txBytes = other.txBytes;
    this.rxErrors = other.rxErrors;
    this.txErrors = other.txErrors;
    this.rxDropped = other.rxDropped;
    this.txDropped = other.txDropped;
    this.multicast = other.multicast;
    this.collisions = other.collisions;
    this.rxLengthErrors = other.rxLengthErrors;
    this.rxOverErrors = other.rxOverErrors;
    this.rxCrcErrors = other.rxCrcErrors;
    this.rxFrameErrors = other.rxFrameErrors;
    this.rxFifoErrors = other.rxFifoErrors;
    this.rxMissedErrors = other.rxMissedErrors;
    this.txAbortedErrors = other.txAbortedErrors;
    this.txCarrierErrors = other.txCarrierErrors;
    this.txFifoErrors = other.txFifoErrors;
    this.txHeartbeatErrors = other.txHeartbeatErrors;
    this.txWindowErrors = other.txWindowErrors;
    this.rxCompressed = other.rxCompressed;
    this.txCompressed = other.txCompressed;
    this.rxNohandler = other.rxNohandler;
    return this;
  }

  /** Adds every counter of `other` to this object; returns `this`. */
  add(other: NetDeviceStats): this {
    this.rxPackets += other.rxPackets;
    this.txPackets += other.txPackets;
    this.rxBytes += other.rxBytes;
    this.txBytes += other.txBytes;
    this.rxErrors += other.rxErrors;
    this.txErrors += other.txErrors;
    this.rxDropped += other.rxDropped;
    this.txDropped += other.txDropped;
    this.multicast += other.multicast;
    this.collisions += other.collisions;
    this.rxLengthErrors += other.rxLengthErrors;
    this.rxOverErrors += other.rxOverErrors;
    this.rxCrcErrors += other.rxCrcErrors;
    this.rxFrameErrors += other.rxFrameErrors;
    this.rxFifoErrors += other.rxFifoErrors;
    this.rxMissedErrors += other.rxMissedErrors;
    this.txAbortedErrors += other.txAbortedErrors;
    this.txCarrierErrors += other.txCarrierErrors;
    this.txFifoErrors += other.txFifoErrors;
    this.txHeartbeatErrors += other.txHeartbeatErrors;
    this.txWindowErrors += other.txWindowErrors;
    this.rxCompressed += other.rxCompressed;
    this.txCompressed += other.txCompressed;
    this.rxNohandler += other.rxNohandler;
    return this;
  }

  /**
   * Counts a received burst as drivers do in their RX path: `rxPackets`, `rxBytes`, and
   * `multicast` for group-addressed destinations (the first destination octet's I/G bit; frames
   * are at least a header long once a driver delivers them). Returns the bytes counted, for
   * per-queue counters. One pass over the handles, no allocation.
   */
  countRx(pool: PacketPool, pkts: Int32Array, start: number, count: number): number {
    const length = pool.length;
    const first = pool.start;
    const bytes = pool.bytes;
    let nbytes = 0;
    let mcast = 0;
    for (let i = start, end = start + count; i < end; i++) {
      const h = pkts[i] as number;
      nbytes += length[h] as number;
      mcast += (bytes[first[h] as number] as number) & 1;
    }
    this.rxPackets += count;
    this.rxBytes += nbytes;
    this.multicast += mcast;
    return nbytes;
  }

  /** Counts a transmitted burst: `txPackets` and `txBytes`. Returns the bytes counted. */
  countTx(pool: PacketPool, pkts: Int32Array, start: number, count: number): number {
    const length = pool.length;
    let nbytes = 0;
    for (let i = start, end = start + count; i < end; i++)
      nbytes += length[pkts[i] as number] as number;
    this.txPackets += count;
    this.txBytes += nbytes;
    return nbytes;
  }

  /**
   * True when every counter is zero (a device that has not counted anything yet).
   *
   * @example
   * ```ts
   * new NetDeviceStats().isZero(); // true
   * ```
   */
  isZero(): boolean {
    // Field by field, like copyFrom.
    return (
      this.rxPackets === 0 &&
      this.txPackets === 0 &&
      this.rxBytes === 0 &&
      this.txBytes === 0 &&
      this.rxErrors === 0 &&
      this.txErrors === 0 &&
      this.rxDropped === 0 &&
      this.txDropped === 0 &&
      this.multicast === 0 &&
      this.collisions === 0 &&
      this.rxLengthErrors === 0 &&
      this.rxOverErrors === 0 &&
      this.rxCrcErrors === 0 &&
      this.rxFrameErrors === 0 &&
      this.rxFifoErrors === 0 &&
      this.rxMissedErrors === 0 &&
      this.txAbortedErrors === 0 &&
      this.txCarrierErrors === 0 &&
      this.txFifoErrors === 0 &&
      this.txHeartbeatErrors === 0 &&
      this.txWindowErrors === 0 &&
      this.rxCompressed === 0 &&
      this.txCompressed === 0 &&
      this.rxNohandler === 0
    );
  }

  /** Sets every counter to zero (what some drivers do on down/up). */
  reset(): void {
    for (const f of STATS64_FIELDS) this[f] = 0;
  }

  /** A new object with the same counters. */
  clone(): NetDeviceStats {
    return new NetDeviceStats().copyFrom(this);
  }

  /** A plain object of the counters, for reports and JSON. */
  toJSON(): Record<Stats64Field, number> {
    const out = {} as Record<Stats64Field, number>;
    for (const f of STATS64_FIELDS) out[f] = this[f];
    return out;
  }
}

const TWO_32 = 0x1_0000_0000;

/**
 * Folds the growth of a slave's counters into an accumulator, the way Linux's
 * `drivers/net/net_failover.c` folds slave stats: for each counter, `delta = now - before`;
 * when both values fit in 32 bits the delta is taken modulo 2^32 (a 32-bit hardware counter that
 * wrapped); a negative delta (a driver that reset its counters on down/up) is ignored. Only
 * positive growth is added, so the accumulator never decreases.
 *
 * @param acc - accumulator (the master's folded stats), updated in place
 * @param now - the slave's counters now
 * @param before - the slave's counters at the previous fold; overwritten with `now`
 *
 * @example
 * ```ts
 * const acc = new NetDeviceStats();
 * const snap = vf.getStats64().clone();
 * // ... traffic ...
 * foldStats64(acc, vf.getStats64(), snap); // acc grew by what vf did since snap
 * ```
 */
export function foldStats64(
  acc: NetDeviceStats,
  now: NetDeviceStats,
  before: NetDeviceStats,
): void {
  acc.rxPackets += growth(now.rxPackets, before.rxPackets);
  acc.txPackets += growth(now.txPackets, before.txPackets);
  acc.rxBytes += growth(now.rxBytes, before.rxBytes);
  acc.txBytes += growth(now.txBytes, before.txBytes);
  acc.rxErrors += growth(now.rxErrors, before.rxErrors);
  acc.txErrors += growth(now.txErrors, before.txErrors);
  acc.rxDropped += growth(now.rxDropped, before.rxDropped);
  acc.txDropped += growth(now.txDropped, before.txDropped);
  acc.multicast += growth(now.multicast, before.multicast);
  acc.collisions += growth(now.collisions, before.collisions);
  acc.rxLengthErrors += growth(now.rxLengthErrors, before.rxLengthErrors);
  acc.rxOverErrors += growth(now.rxOverErrors, before.rxOverErrors);
  acc.rxCrcErrors += growth(now.rxCrcErrors, before.rxCrcErrors);
  acc.rxFrameErrors += growth(now.rxFrameErrors, before.rxFrameErrors);
  acc.rxFifoErrors += growth(now.rxFifoErrors, before.rxFifoErrors);
  acc.rxMissedErrors += growth(now.rxMissedErrors, before.rxMissedErrors);
  acc.txAbortedErrors += growth(now.txAbortedErrors, before.txAbortedErrors);
  acc.txCarrierErrors += growth(now.txCarrierErrors, before.txCarrierErrors);
  acc.txFifoErrors += growth(now.txFifoErrors, before.txFifoErrors);
  acc.txHeartbeatErrors += growth(now.txHeartbeatErrors, before.txHeartbeatErrors);
  acc.txWindowErrors += growth(now.txWindowErrors, before.txWindowErrors);
  acc.rxCompressed += growth(now.rxCompressed, before.rxCompressed);
  acc.txCompressed += growth(now.txCompressed, before.txCompressed);
  acc.rxNohandler += growth(now.rxNohandler, before.rxNohandler);
  before.copyFrom(now);
}

/** The growth of one counter from `ov` to `nv`, as {@link foldStats64} defines it (never negative). */
function growth(nv: number, ov: number): number {
  let delta = nv - ov;
  if (nv < TWO_32 && ov < TWO_32) delta = (nv - ov) | 0;
  return delta > 0 ? delta : 0;
}
