import {
  dropReasonName,
  Ethernet,
  MacAddress,
  type DropReasonCode,
  type PacketPool,
} from '@bypass/core';
import type { BurstSink } from '../guest/NicModel.js';
import type { Scenario } from '../scenario/Scenario.js';
import type { EventLog, LoggedEvent } from '../sim/EventLog.js';
import { FlowFrameReader } from '../traffic/FlowFrameReader.js';
import type { FlowFrameWriter } from '../traffic/FlowFrameWriter.js';
import { FLOODED_ELSEWHERE, FLOW_MARK_BASE, FlowState } from '../traffic/FlowState.js';
import { arrivalTimes, type WireClock } from './DelayLink.js';
import { COPY_MARK } from './VirtualSwitch.js';

/** Where a flow's frames come from and go to, resolved by the world. */
export interface FlowWiring {
  /** Endpoint id of the destination (its receiver counts the flow's frames). */
  readonly target: number;
  /** MAC of the destination. */
  readonly targetMac: number;
  /** Endpoint id of the source: the ARP frames its receiver takes readdress the flow. */
  readonly source: number;
  /**
   * The MAC the source's stack sends from now (a VM NIC's master device; a bond's changes with
   * `fail_over_mac=active`), read once per tick; null for a peer, whose MAC never changes.
   */
  readonly sourceMac: (() => number) | null;
  /** Transmits `pkts[0..n)` at the source (a peer's wire, a guest application's send). */
  readonly send: (pkts: Int32Array, n: number) => void;
  /** True while the source cannot send (its VM is paused or down); null for a peer. */
  readonly stopped: (() => boolean) | null;
}

/**
 * The flow frame's tag: `pool.mark`, or, for a frame whose tags were lost on the way, the flow
 * read back from its own header (`flow index + 1`, with {@link COPY_MARK} for a flooded copy);
 * 0 for a frame that is not a flow frame.
 *
 * @example
 * ```ts
 * const m = flowMark(pool, h);
 * if (m !== 0 && (m & COPY_MARK) === 0) console.log('original of flow', m - FLOW_MARK_BASE);
 * ```
 */
export function flowMark(pool: PacketPool, h: number): number {
  const m = pool.mark[h] as number;
  if (m !== 0) return m;
  const p = FlowFrameReader.headerOffset(pool, h);
  if (p < 0) return 0;
  const f = FlowFrameReader.flowAt(pool.bytes, p) + FLOW_MARK_BASE;
  return FlowFrameReader.isCopyAt(pool.bytes, p) ? f | COPY_MARK : f;
}

/**
 * What a sender learned from an ARP frame: endpoint `ep` now sends the flows to `ipv4` to
 * `mac`, which was `old`.
 */
export type NeighbourUpdate = (ep: number, ipv4: number, mac: number, old: number) => void;

/**
 * The books of every flow of a run: generation each tick, the receivers at the endpoints, the
 * attribution of every drop to its flow (or to `otherDrops`), one `drop` event per episode, and
 * the count of frames still in flight at the end.
 *
 * Each endpoint's receiver is also its neighbour table for the flows it sends: an ARP request
 * or reply it takes whose sender is a unicast flow's destination IP readdresses that flow's
 * frames to the sender's MAC (the existing entry updated, as `net/ipv4/arp.c` `arp_process`
 * does for a gratuitous ARP), and a VM NIC's flows send from its master's current MAC.
 *
 * @example
 * ```ts
 * const book = new FlowBook(pool, log, () => scheduler.now(), wire, () => origin, bucketNs, buckets);
 * pool.onDrop = (_p, pkts, s, n, reason) => book.onDrop(pkts, s, n, reason);
 * ```
 */
export class FlowBook {
  readonly flows: FlowState[] = [];
  /** Drops of frames that belong to no flow (announcements, flooded copies), by reason. */
  readonly otherDrops: number[] = [];
  private readonly wiring: FlowWiring[] = [];
  private readonly writers: FlowFrameWriter[] = [];
  /** Called when an ARP frame readdressed a sender's flows; none by default. */
  onNeighbour: NeighbourUpdate | null = null;
  private readonly out = new Int32Array(4096);
  private readonly episodes = new Map<
    number,
    { last: number; event: LoggedEvent | null; count: number }
  >();

  constructor(
    private readonly pool: PacketPool,
    private readonly log: EventLog,
    /** Scheduler time (for drop episodes). */
    private readonly clock: () => number,
    /** The wire clock: arrival times (scheduler time) of the frames being handed over now. */
    private readonly wire: WireClock,
    /** Scheduler time of the scenario's time 0 (wire times minus it are scenario times). */
    private readonly origin: () => number,
    private readonly bucketNs: number,
    private readonly buckets: number,
  ) {}

  /** Adds a flow; returns its state. */
  add(spec: Scenario['flows'][number], writer: FlowFrameWriter, wiring: FlowWiring): FlowState {
    const flow = new FlowState(
      this.flows.length,
      spec,
      writer,
      this.pool,
      this.bucketNs,
      this.buckets,
    );
    this.flows.push(flow);
    this.wiring.push(wiring);
    this.writers.push(writer);
    return flow;
  }

  /** MAC of flow `index`'s destination. */
  targetMac(index: number): number | undefined {
    return this.wiring[index]?.targetMac;
  }

  /** Every flow sends what is due in `[now - tickNs, now)` (several bursts when it is fast). */
  generate(now: number, tickNs: number): void {
    const out = this.out;
    for (let i = 0; i < this.flows.length; i++) {
      const flow = this.flows[i] as FlowState;
      const w = this.wiring[i] as FlowWiring;
      flow.sourceStopped = w.stopped !== null && w.stopped();
      if (w.sourceMac !== null) {
        const mac = w.sourceMac();
        const writer = this.writers[i] as FlowFrameWriter;
        if (mac !== writer.srcMac) writer.setSrcMac(mac);
      }
      for (
        let n = flow.generate(out, now - tickNs, tickNs);
        n > 0;
        n = flow.moreDue ? flow.generate(out, now - tickNs, 0) : 0
      ) {
        w.send(out, n);
      }
    }
  }

  /** Scenario time of the frames being handed over now (the latest of a burst). */
  private wireTime(): number {
    return this.wire.now - this.origin();
  }

  /**
   * The receive side of endpoint `ep`: counts each flow frame at its destination, frees what
   * is not a flow frame, drops a flow's original that ended elsewhere (`flooded-elsewhere`).
   * A frame handed over by a wire counts at its own arrival time (the wire clock's per-frame
   * times); a burst a guest polled from its receive ring, at the poll's time.
   */
  receiver(ep: number): BurstSink {
    return (pkts, start, count) => {
      const pool = this.pool;
      const marks = pool.mark;
      const wire = this.wire;
      const origin = this.origin();
      const now = wire.now - origin;
      const times = arrivalTimes(wire, pkts);
      const end = start + count;
      for (let i = start; i < end; i++) {
        const h = pkts[i] as number;
        const m = flowMark(pool, h);
        // A frame of no flow (0; COPY_MARK alone for a flooded copy of one) may be an ARP.
        const fi = (m & ~COPY_MARK) - FLOW_MARK_BASE;
        const flow = fi >= 0 ? this.flows[fi] : undefined;
        if (flow === undefined) this.learnNeighbour(ep, h);
        else if (this.wiring[fi]?.target === ep) {
          if ((m & COPY_MARK) !== 0) flow.copiesAtTarget++;
          else {
            // The run of frames that follow with the same tag (originals of this flow, mostly
            // the whole burst) is counted in one call, then freed in order: the counting does
            // not touch the pool's free list, so the frees end the same.
            let j = i + 1;
            while (j < end && marks[pkts[j] as number] === m) j++;
            flow.receiveRun(pkts, i, j, now, times, origin);
            pool.freeBurst(pkts, i, j - i);
            i = j - 1;
            continue;
          }
        } else if ((m & COPY_MARK) === 0) {
          pool.drop(pkts, i, 1, FLOODED_ELSEWHERE);
          continue;
        }
        pool.free(h);
      }
    };
  }

  /**
   * Endpoint `ep` took frame `h`, which is not a flow frame: when it is an ARP request or reply
   * from the destination IP of unicast flows `ep` sends, those flows go to its sender MAC from
   * now on. An entry is only updated, never created (`arp_accept` off, Linux's default): every
   * flow's destination was resolved before the run. A gratuitous ARP always overrides the entry
   * (`net/ipv4/arp.c` `arp_process`, `is_garp`); the simulated stations send no other ARP, so
   * the `locktime` that holds back other updates is left out.
   */
  private learnNeighbour(ep: number, h: number): void {
    const pool = this.pool;
    const ip = Ethernet.arpSenderIpv4(pool, h);
    if (ip < 0) return;
    const mac = Ethernet.arpSenderMac(pool, h);
    // A group or all-zero sender MAC is no station to send a unicast flow to: ignored here.
    if (!MacAddress.fromNumber(mac).isValidUnicast) return;
    let old = -1;
    for (let i = 0; i < this.writers.length; i++) {
      const writer = this.writers[i] as FlowFrameWriter;
      if ((this.wiring[i] as FlowWiring).source !== ep) continue;
      if (writer.cast !== 'unicast' || writer.dstIp !== ip || writer.dstMac === mac) continue;
      old = writer.dstMac;
      writer.setDstMac(mac);
    }
    if (old >= 0) this.onNeighbour?.(ep, ip, mac, old);
  }

  /** The pool's drop observer: each dropped frame goes to its flow's counter of `reason`. */
  onDrop(pkts: Int32Array, start: number, count: number, reason: DropReasonCode): void {
    const pool = this.pool;
    let attributed = 0;
    for (let i = start; i < start + count; i++) {
      const m = flowMark(pool, pkts[i] as number);
      const f = m === 0 || (m & COPY_MARK) !== 0 ? undefined : this.flows[m - FLOW_MARK_BASE];
      if (f === undefined) this.otherDrops[reason] = (this.otherDrops[reason] ?? 0) + 1;
      else {
        f.countDrop(reason, 1);
        attributed++;
      }
    }
    if (attributed > 0) this.noteEpisode(reason, attributed);
  }

  /**
   * The pool's foreign-drop observer: a frame dropped while still in a device's memory (no pool
   * slot to copy it into) goes to its flow's counter, read from its own bytes.
   */
  onForeignDrop(bytes: Uint8Array, offset: number, length: number, reason: DropReasonCode): void {
    const p = FlowFrameReader.headerOffsetIn(bytes, offset, length);
    const fi = p < 0 || FlowFrameReader.isCopyAt(bytes, p) ? -1 : FlowFrameReader.flowAt(bytes, p);
    const f = fi < 0 ? undefined : this.flows[fi];
    if (f === undefined) this.otherDrops[reason] = (this.otherDrops[reason] ?? 0) + 1;
    else {
      f.countDrop(reason, 1);
      this.noteEpisode(reason, 1);
    }
  }

  /**
   * The pool's import observer: a frame a device rebuilt from a VMBus ring gets its flow tags
   * back from its own bytes (mark, send time).
   */
  onImport(pool: PacketPool, h: number): void {
    const p = FlowFrameReader.headerOffset(pool, h);
    if (p < 0) return;
    const f = FlowFrameReader.flowAt(pool.bytes, p) + FLOW_MARK_BASE;
    pool.mark[h] = FlowFrameReader.isCopyAt(pool.bytes, p) ? f | COPY_MARK : f;
    pool.timestamp[h] = FlowFrameReader.sendTimeNs(
      FlowFrameReader.sendTimeUsAt(pool.bytes, p),
      this.wireTime(),
    );
  }

  /**
   * The pool's clone observer: a copy of a frame (a flooded copy, a TAP's mirror copy) is marked
   * as such in its tag and in its own flow header ({@link FlowFrameReader.markCopy}), so its
   * fate is never counted against its flow; the original carries the flow.
   */
  onClone(pool: PacketPool, copy: number): void {
    pool.mark[copy] = (pool.mark[copy] as number) | COPY_MARK;
    FlowFrameReader.markCopy(pool, copy);
  }

  /**
   * Per flow index, the flow's originals still allocated (in flight when the run ended), plus
   * those `visitForeign` reports from memory that is not the pool (VMBus rings).
   */
  inFlight(visitForeign: (visit: (h: number) => void) => void): number[] {
    const out = new Array<number>(this.flows.length).fill(0);
    const pool = this.pool;
    const count = (m: number): void => {
      if (m === 0 || (m & COPY_MARK) !== 0) return;
      const f = m - FLOW_MARK_BASE;
      if (f >= 0 && f < out.length) out[f] = (out[f] as number) + 1;
    };
    for (let h = 0; h < pool.capacity; h++) {
      if (pool.inUseMap[h] !== 0) count(pool.mark[h] as number);
    }
    visitForeign((h) => count(flowMark(pool, h)));
    return out;
  }

  /** One `drop` event per episode of drops with the same reason (gaps under 1 ms join). */
  private noteEpisode(reason: number, count: number): void {
    const now = this.clock();
    let ep = this.episodes.get(reason);
    if (ep === undefined || now - ep.last > 1_000_000) {
      ep = { last: now, event: this.log.add('drop', { detail: dropReasonName(reason) }), count: 0 };
      this.episodes.set(reason, ep);
    }
    ep.last = now;
    ep.count += count;
    if (ep.event !== null) ep.event.detail = `${dropReasonName(reason)}: ${ep.count} frames`;
  }
}
