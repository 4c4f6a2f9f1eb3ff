import {
  BypassError,
  Ethernet,
  defineDropReason,
  type PacketPool,
  type Scheduler,
} from '@bypass/core';
import type { FrameCapture } from '../capture/FrameCapture.js';
import { arrivalTimes, type LinkSink, type WireClock } from './DelayLink.js';
import { DEFAULT_FDB_AGEING_NS, FdbSweep, LearnedEntry } from './FdbAgeing.js';

const TWO_32 = 0x1_0000_0000;

/** Frames whose learned port is the one they came in on (a stale entry: the MAC moved). */
export const STALE_FDB = defineDropReason('stale-fdb');
/** Frames flooded to no port at all. */
export const NO_PORT = defineDropReason('no-port');
/**
 * Frames whose source MAC is a group address or all zeros: a Linux bridge drops them on
 * ingress (`net/bridge/br_input.c` `br_handle_frame`: `!is_valid_ether_addr(h_source)`).
 */
export const INVALID_SRC_MAC = defineDropReason('invalid-src-mac');

/** What a switch port leads to (for flooding rules and reports). */
export type SwitchPortKind = 'peer' | 'paravirt' | 'vf' | 'uplink';

/**
 * One port of a {@link VirtualSwitch}.
 *
 * @example
 * ```ts
 * const p: SwitchPort = sw.port(sw.addPort('peer', 'client', sink));
 * ```
 */
export interface SwitchPort {
  readonly id: number;
  readonly kind: SwitchPortKind;
  readonly name: string;
  /** Egress: where frames leaving by this port go. */
  sink: LinkSink;
  /** False once removed. */
  enabled: boolean;
  /** Capture point id, or -1. */
  capturePoint: number;
}

/**
 * Picks the port a flooded frame's original should take (the others get copies), or -1.
 *
 * @example
 * ```ts
 * const preferred: FloodPreference = (h) => (pool.mark[h] === 0 ? -1 : targetPort(h));
 * ```
 */
export type FloodPreference = (h: number) => number;

/**
 * How a {@link VirtualSwitch} ages what it learns.
 *
 * @example
 * ```ts
 * const options: VirtualSwitchOptions = { ageing: 30 * NS_PER_S, scheduler: world.scheduler };
 * ```
 */
export interface VirtualSwitchOptions {
  /**
   * Ageing time of learned entries, ns (default {@link DEFAULT_FDB_AGEING_NS}); 0: nothing is
   * learned at all, every unicast without a static entry or a VF filter is flooded.
   */
  readonly ageing?: number;
  /**
   * The simulation's scheduler: the runner of the ageing sweep, and the one clock of ageing (its
   * absolute time, the world's boot included, stamps each entry's last frame: a frame entering
   * during a tick counts at the tick's time). Without one, learned entries never age.
   */
  readonly scheduler?: Scheduler;
  /**
   * Where the NIC's eswitch sends a VF's unicast for a station of the host's bridge (a peer, a
   * VM's paravirtual port): `pf` (default) to the PF, whose bridge delivers it, because the
   * host put the bridge's MACs on the PF's unicast list (`bridge fdb add MAC dev PF self`);
   * `wire` to the uplink, as with a bridge left as it comes (its PF in promiscuous mode still gets
   * from the eswitch only what matches the PF's own list), where the network does not send it
   * back. Unknown unicast from a VF then goes to the uplink only, too.
   */
  readonly vfToBridge?: 'pf' | 'wire';
}

/**
 * Bit set in `pool.mark` of a copy (made by flooding, or by a device such as a TAP's mirror):
 * its fate is not its flow's. The world's pool sets it on every clone (`FlowBook.onClone`).
 */
export const COPY_MARK = 0x8000_0000;

/**
 * A learning Ethernet switch (a hypervisor's vswitch, or the physical network between hosts).
 * A host's switch stands for two switches: the host bridge (`peer` and `paravirt` ports) and
 * the SR-IOV NIC's embedded switch (`uplink` and `vf` ports).
 *
 * - Frames with a group or all-zero source are dropped (`invalid-src-mac`), as
 *   `net/bridge/br_input.c` `br_handle_frame` does.
 * - Source MACs are learned on ingress, and an entry (static ones included) moves to the port
 *   the MAC was last seen on (`net/bridge/br_fdb.c` `br_fdb_update` moves any entry that is not
 *   local or sticky).
 * - Learned entries age (`net/bridge/br_fdb.c`): each frame from a MAC refreshes its entry, and
 *   an {@link FdbSweep} on the scheduler forgets the entries silent for the ageing time. Static
 *   entries never age. With an ageing time of 0 nothing is learned (`br_fdb_update` returns at
 *   once): frames are forwarded by static entries and VF filters only, or flooded.
 * - Unicast entering from the uplink or a VF port goes to the VF whose MAC filter matches (the
 *   NIC's embedded switch sees only the wire, the PF and the VFs; a filter is the MAC the host
 *   set on the VF, which Intel PF drivers program at `ndo_set_vf_mac` whether or not a driver
 *   has the VF open); frames between bridge ports never reach the NIC. Then the static entry
 *   (the port the hypervisor configured for a VM NIC), else the learned port. A bridge port's
 *   unicast that these send to the NIC side leaves through the PF, and the eswitch hands it to
 *   the VF whose filter matches instead of the wire (PF-to-VF local switching). A VF port is
 *   reached by its filter only: an entry pointing at it for another MAC leads to the wire (from
 *   the wire: dropped as `stale-fdb`, the bridge would get it back through the PF).
 * - A VF's unicast for a bridge port reaches it through the PF (`vfToBridge: 'pf'`, the default)
 *   or goes to the uplink instead (`'wire'`: the PF does not list the bridge's stations), and
 *   unknown unicast from a VF is then flooded to the uplink only.
 * - Group addresses and unknown unicast are flooded; a VF port gets group frames only while a
 *   driver listens on it ({@link VirtualSwitch.setVfListening}) and never unknown unicast (the
 *   eswitch replicates group frames to the vports on their MC list and sends unmatched unicast
 *   to the uplink or the PF only).
 * - A frame is never sent back where it came from: an entry pointing at the ingress port is
 *   stale (the MAC moved and has not announced itself yet) and the frame is dropped as
 *   `stale-fdb`.
 *
 * While a VM NIC has a VF with its MAC filter, its paravirtual port gets no flooded copies
 * (one datapath at a time, as the seed's RFC asks of the hypervisor).
 *
 * @example
 * ```ts
 * const sw = new VirtualSwitch('src', pool);
 * const peer = sw.addPort('peer', 'client', (p, s, n) => link.push(p, s, n, now()));
 * sw.ingress(peer, pkts, 0, n);
 * ```
 */
export class VirtualSwitch {
  /** Frames forwarded (copies included). */
  forwarded = 0;
  /** Frames flooded (originals). */
  flooded = 0;
  /** Frames dropped as stale. */
  stale = 0;
  /** Learned entries forgotten by the ageing sweep. */
  aged = 0;
  /** Called after the ageing sweep forgot the entry of `mac` (it pointed at `port`). */
  onAged: ((mac: number, port: SwitchPort) => void) | null = null;
  /** Ageing time of learned entries, ns; 0: the switch does not learn. */
  readonly ageing: number;
  private readonly ports: SwitchPort[] = [];
  private readonly learned = new Map<number, LearnedEntry>();
  private readonly statics = new Map<number, number>();
  private readonly filters = new Map<number, number>();
  /** Per paravirtual port: the VF port that shadows it, or -1. */
  private readonly shadow: number[] = [];
  /** Per port: the other port of the same VM NIC (paravirtual <-> VF), or -1. */
  private readonly sibling: number[] = [];
  /** Per port: a VF port with a guest driver on its VF (gets flooded group frames). */
  private readonly listening: boolean[] = [];
  /** Per port: sources of frames entering here are learned (`bridge link ... learning`). */
  private readonly learning: boolean[] = [];
  private readonly one = new Int32Array(1);
  /** Changes with every change of `learned`, `statics` or `filters` (see `ingress`). */
  private version = 0;
  /** Per input port: the last source handled and the table version after it (-1: none). */
  private readonly srcHi: number[] = [];
  private readonly srcLo: number[] = [];
  private readonly srcVersion: number[] = [];
  /** Per input port: the learned entry of that source (null: a static one), refreshed in place. */
  private readonly srcEntry: (LearnedEntry | null)[] = [];
  /** Per input port: the last destination looked up, its port and the version then. */
  private readonly dstHi: number[] = [];
  private readonly dstLo: number[] = [];
  private readonly dstOut: number[] = [];
  private readonly dstVersion: number[] = [];
  capture: FrameCapture | null = null;
  /** Now, for capture timestamps. */
  clock: () => number = () => 0;
  /**
   * The wire clock of the world (per-frame arrival times of the burst being forwarded), so that
   * a flooded frame, sent on alone, keeps its own arrival time; null when there is none.
   */
  wire: WireClock | null = null;
  floodPreference: FloodPreference | null = null;

  /** The scheduler whose time refreshes learned entries; null: they never age. */
  private readonly scheduler: Scheduler | null;
  /** A VF's unicast for a bridge station goes to the wire ({@link VirtualSwitchOptions.vfToBridge}). */
  private readonly vfViaWire: boolean;
  /** The first uplink port, or -1. */
  private uplink = -1;
  /** The ageing sweep (null without a scheduler, or with ageing 0). */
  readonly sweep: FdbSweep | null = null;

  constructor(
    readonly name: string,
    private readonly pool: PacketPool,
    options: VirtualSwitchOptions = {},
  ) {
    const ageing = options.ageing ?? DEFAULT_FDB_AGEING_NS;
    if (!Number.isSafeInteger(ageing) || ageing < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `switch ${name}: the ageing time must be a non-negative integer number of ns, got ${ageing}`,
      );
    }
    this.ageing = ageing;
    this.scheduler = options.scheduler ?? null;
    this.vfViaWire = options.vfToBridge === 'wire';
    // With ageing 0 nothing is ever learned, so the sweep would never find an entry: not run.
    if (this.scheduler !== null && ageing > 0) {
      this.sweep = new FdbSweep(this.learned, ageing, this.scheduler, (mac, entry) =>
        this.forget(mac, entry),
      );
    }
  }

  /** Adds a port; returns its id. */
  addPort(kind: SwitchPortKind, name: string, sink: LinkSink): number {
    const id = this.ports.length;
    if (kind === 'uplink' && this.uplink < 0) this.uplink = id;
    const capturePoint = this.capture === null ? -1 : this.capture.point(`${this.name}-${name}`);
    this.ports.push({ id, kind, name, sink, enabled: true, capturePoint });
    this.shadow.push(-1);
    this.sibling.push(-1);
    this.listening.push(false);
    this.learning.push(true);
    this.srcHi.push(-1);
    this.srcLo.push(0);
    this.srcVersion.push(-1);
    this.srcEntry.push(null);
    this.dstHi.push(-1);
    this.dstLo.push(0);
    this.dstOut.push(-1);
    this.dstVersion.push(-1);
    return id;
  }

  /** Ports `a` and `b` belong to the same VM NIC: a frame flooded from one never goes to the other. */
  pairPorts(a: number, b: number): void {
    this.sibling[a] = b;
    this.sibling[b] = a;
  }

  /**
   * A driver is (`on`) or is no longer bound to the VF behind `vfPort`: flooded group frames go
   * to it only meanwhile (an unassigned or unbound VF has no MC list in the NIC's eswitch).
   */
  setVfListening(vfPort: number, on: boolean): void {
    if (vfPort >= 0 && vfPort < this.listening.length) this.listening[vfPort] = on;
  }

  /** Whether the sources of frames entering by `port` are learned (default: yes). */
  setLearning(port: number, on: boolean): void {
    if (port >= 0 && port < this.learning.length) this.learning[port] = on;
  }

  /** The port `id`. */
  port(id: number): SwitchPort {
    const p = this.ports[id];
    if (p === undefined)
      throw new BypassError('ERR_NOT_FOUND', `switch ${this.name} has no port ${id}`);
    return p;
  }

  /** Disables a port and forgets every entry pointing at it. */
  removePort(id: number): void {
    const p = this.port(id);
    p.enabled = false;
    this.listening[id] = false;
    this.version++;
    for (const map of [this.statics, this.filters]) {
      for (const [mac, port] of map) if (port === id) map.delete(mac);
    }
    for (const [mac, entry] of this.learned) if (entry.port === id) this.learned.delete(mac);
    for (let i = 0; i < this.shadow.length; i++) if (this.shadow[i] === id) this.shadow[i] = -1;
  }

  /**
   * The hypervisor configures `mac` as living behind `port` (a VM NIC's paravirtual port, or
   * `bridge fdb add MAC dev TAP master`, a static entry): never aged, but moved by learning like
   * any entry that is not sticky (`br_fdb_update`).
   */
  setStatic(mac: number, port: number): void {
    this.statics.set(mac, port);
    this.learned.delete(mac);
    this.version++;
  }

  /** Forgets the static entry of `mac`. */
  removeStatic(mac: number): void {
    this.statics.delete(mac);
    this.version++;
  }

  /**
   * Programs the NIC's MAC filter: frames for `mac` go to `vfPort`; `paravirtPort` (the same
   * NIC's paravirtual port, or -1) stops getting flooded copies meanwhile.
   */
  setVfFilter(mac: number, vfPort: number, paravirtPort: number): void {
    this.filters.set(mac, vfPort);
    this.version++;
    if (paravirtPort >= 0) this.shadow[paravirtPort] = vfPort;
  }

  /** Resets the MAC filter of `mac`. */
  clearVfFilter(mac: number): void {
    const vfPort = this.filters.get(mac);
    if (vfPort === undefined) return;
    this.filters.delete(mac);
    this.version++;
    for (let i = 0; i < this.shadow.length; i++) if (this.shadow[i] === vfPort) this.shadow[i] = -1;
  }

  /**
   * Keeps the MAC filter of `mac` but gives the paravirtual port it shadowed its flooded copies
   * back (the VF has no driver bound; the NIC still replicates group frames to the PF side).
   */
  unshadowVfFilter(mac: number): void {
    const vfPort = this.filters.get(mac);
    if (vfPort === undefined) return;
    for (let i = 0; i < this.shadow.length; i++) if (this.shadow[i] === vfPort) this.shadow[i] = -1;
  }

  /** True when `mac` has a VF filter here. */
  hasVfFilter(mac: number): boolean {
    return this.filters.has(mac);
  }

  /** Where unicast to `mac` entering from the uplink would go now: a port id, or -1 (flooded). */
  lookup(mac: number): number {
    return this.filters.get(mac) ?? this.statics.get(mac) ?? this.learned.get(mac)?.port ?? -1;
  }

  /** Learned entries (for tests and reports). */
  get learnedCount(): number {
    return this.learned.size;
  }

  /** The VF MAC filters: MAC -> VF port (for tests and reports; read only). */
  get vfFilters(): ReadonlyMap<number, number> {
    return this.filters;
  }

  /** The ageing sweep forgot `entry` of `mac`: cached decisions that used it are void. */
  private forget(mac: number, entry: LearnedEntry): void {
    this.version++;
    this.aged++;
    this.onAged?.(mac, this.ports[entry.port] as SwitchPort);
  }

  /**
   * Frames entering by port `inPort`: learns their sources and forwards them; ownership moves
   * to the switch (every frame is delivered, copied or dropped with a counter).
   */
  ingress(inPort: number, pkts: Int32Array, start: number, count: number): void {
    if (count <= 0) return;
    const pool = this.pool;
    // Multi-byte fields through the pool's DataView: one load per field where byte reads take
    // two or four (TurboFan inlines DataView accesses; big-endian is their default).
    const view = pool.view;
    const st = pool.start;
    const inp = this.ports[inPort];
    if (inp !== undefined && inp.capturePoint >= 0 && this.capture !== null) {
      this.capture.record(inp.capturePoint, pool, pkts, start, count, this.clock());
    }
    // Frames from the wire or a VF meet the NIC's MAC filters first; a bridge port's frames only
    // once the bridge sends them to the NIC side (below): bridge-to-bridge stays in software.
    const filters =
      inp !== undefined && (inp.kind === 'uplink' || inp.kind === 'vf') ? this.filters : null;
    // A VF's unicast for a bridge station the PF does not list goes to the wire (vfToBridge).
    const toWire = this.vfViaWire && inp !== undefined && inp.kind === 'vf';
    // Decisions are cached per input port across calls (a wire hands a switch a few bursts per
    // tick, each from the same source to the same destination): `version` changes with every
    // change of the three tables, and a cached decision is used only while it is unchanged,
    // so every frame is forwarded and learned exactly as the lookups would.
    const version = this.version;
    // The last source seen, as its two halves (16 and 32 bits: small integers, compared
    // without building the 48-bit number); -1 before the first frame. A source already known
    // at this version (static or learned on this very port) needs no lookup.
    let lastSrcHi = -1;
    let lastSrcLo = 0;
    let srcBad = false;
    const knownSrcHi = this.srcHi[inPort] ?? -1;
    const knownSrcLo = this.srcLo[inPort] ?? 0;
    const srcKnown = this.srcVersion[inPort] === version;
    // br_fdb_update: nothing is learned (nor moved) with an ageing time of 0 (br_fdb.c).
    const learn = this.learning[inPort] === true && this.ageing !== 0;
    // The known source's learned entry (null: static) and the time its refresh writes, read
    // once per call: every frame of the call entered at this instant.
    const knownEntry = srcKnown ? (this.srcEntry[inPort] ?? null) : null;
    const now = learn && this.scheduler !== null ? this.scheduler.now() : 0;
    // The port of the last unicast destination looked up (-1: none yet) and the table version
    // it was looked up at. A burst mostly goes to one destination: the three map lookups of a
    // 48-bit key (a heap number) are then done once per run of versions instead of per frame.
    let lastDstHi = -1;
    let lastDstLo = 0;
    let lastOut = -1;
    let lastVersion = -1;
    if (this.dstVersion[inPort] === version) {
      lastDstHi = this.dstHi[inPort] as number;
      lastDstLo = this.dstLo[inPort] as number;
      lastOut = this.dstOut[inPort] as number;
      lastVersion = version;
    }
    let runStart = start;
    let runPort = -2;
    const end = start + count;
    for (let i = start; i < end; i++) {
      const h = pkts[i] as number;
      const o = st[h] as number;
      const dstHi = view.getUint16(o);
      const srcHi = view.getUint16(o + 6);
      const srcLo = view.getInt32(o + 8);
      if (srcLo !== lastSrcLo || srcHi !== lastSrcHi) {
        lastSrcHi = srcHi;
        lastSrcLo = srcLo;
        // br_handle_frame: !is_valid_ether_addr(h_source) (group or all zeros) -> drop
        srcBad = (srcHi & 0x100) !== 0 || (srcHi === 0 && srcLo === 0);
        if (srcBad || !learn) {
          // dropped below (never learned), or a port that does not learn
        } else if (
          srcKnown &&
          srcLo === knownSrcLo &&
          srcHi === knownSrcHi &&
          this.version === version
        ) {
          // static or learned here at this version: only the learned entry's age changes
          // (br_fdb.c br_fdb_update refreshes `updated` on every frame, the port unchanged)
          if (knownEntry !== null) knownEntry.updated = now;
        } else {
          const src = srcHi * TWO_32 + (srcLo >>> 0);
          // br_fdb_update: an existing entry (static too, none is sticky here) moves to the
          // port the source was seen on; a MAC filter in the NIC does not stop the learning.
          let entry: LearnedEntry | null = null;
          const s = this.statics.get(src);
          if (s !== undefined) {
            if (s !== inPort) {
              this.statics.set(src, inPort);
              this.version++;
            }
          } else {
            entry = this.learned.get(src) ?? null;
            if (entry === null) {
              entry = new LearnedEntry(inPort, now);
              this.learned.set(src, entry);
              this.version++;
            } else {
              entry.updated = now;
              if (entry.port !== inPort) {
                entry.port = inPort;
                this.version++;
              }
            }
          }
          this.srcHi[inPort] = srcHi;
          this.srcLo[inPort] = srcLo;
          this.srcVersion[inPort] = this.version;
          this.srcEntry[inPort] = entry;
        }
      }
      let out: number;
      if (srcBad) out = -4;
      else if (dstHi & 0x100) out = -1;
      else {
        const dstLo = view.getInt32(o + 2);
        if (dstLo === lastDstLo && dstHi === lastDstHi && lastVersion === this.version)
          out = lastOut;
        else {
          const dst = dstHi * TWO_32 + (dstLo >>> 0);
          const f = filters === null ? undefined : filters.get(dst);
          out = f ?? this.statics.get(dst) ?? this.learned.get(dst)?.port ?? -1;
          let byFilter = f !== undefined;
          if (filters === null && out >= 0 && this.nicSide(out)) {
            // A bridge port's frame for the NIC side leaves through the PF, and the NIC's
            // eswitch hands it to the VF whose MAC matches instead of the wire (PF-to-VF local
            // switching).
            const g = this.filters.get(dst);
            if (g !== undefined) {
              out = g;
              byFilter = true;
            }
          } else if (toWire && out >= 0 && !this.nicSide(out)) out = this.uplink;
          // The eswitch hands a frame to a VF only by that VF's MAC filter: an entry pointing at
          // a VF port for another MAC (the bridge learned it behind the PF) sends the frame to
          // the wire; one that came from the wire would go back through the PF to the bridge,
          // which never forwards a frame out of the port it came in by (br_forward.c).
          if (!byFilter && out >= 0 && (this.ports[out] as SwitchPort).kind === 'vf')
            out = inp?.kind === 'uplink' || this.uplink < 0 ? -3 : this.uplink;
          if (out === inPort) out = -3;
          lastDstHi = dstHi;
          lastDstLo = dstLo;
          lastOut = out;
          lastVersion = this.version;
        }
      }
      if (out !== runPort) {
        this.emit(inPort, runPort, pkts, runStart, i - runStart);
        runStart = i;
        runPort = out;
      }
    }
    this.emit(inPort, runPort, pkts, runStart, end - runStart);
    this.dstHi[inPort] = lastDstHi;
    this.dstLo[inPort] = lastDstLo;
    this.dstOut[inPort] = lastOut;
    this.dstVersion[inPort] = lastVersion;
  }

  private emit(inPort: number, out: number, pkts: Int32Array, start: number, n: number): void {
    if (n <= 0) return;
    if (out >= 0) {
      const p = this.ports[out] as SwitchPort;
      if (!p.enabled) {
        this.pool.drop(pkts, start, n, STALE_FDB);
        this.stale += n;
        return;
      }
      this.send(p, pkts, start, n);
    } else if (out === -3) {
      this.stale += n;
      this.pool.drop(pkts, start, n, STALE_FDB);
    } else if (out === -4) {
      this.pool.drop(pkts, start, n, INVALID_SRC_MAC);
    } else {
      const wire = this.wire;
      const times = arrivalTimes(wire, pkts);
      if (wire === null || times === null) {
        for (let i = start; i < start + n; i++) this.flood(inPort, pkts[i] as number);
        return;
      }
      // Each flooded frame (and its copies) goes on alone, in an array of its own, so the next
      // hop reads the clock's `now`: set to the frame's own arrival time while it floods.
      const now = wire.now;
      try {
        for (let i = start; i < start + n; i++) {
          wire.now = times[i] as number;
          this.flood(inPort, pkts[i] as number);
        }
      } finally {
        wire.now = now;
      }
    }
  }

  private send(p: SwitchPort, pkts: Int32Array, start: number, n: number): void {
    this.forwarded += n;
    if (p.capturePoint >= 0 && this.capture !== null) {
      this.capture.record(p.capturePoint, this.pool, pkts, start, n, this.clock());
    }
    p.sink(pkts, start, n);
  }

  private flood(inPort: number, h: number): void {
    this.flooded++;
    let preferred = this.floodPreference === null ? -1 : this.floodPreference(h);
    let originalPort = -1;
    const ports = this.ports;
    const group = ((this.pool.bytes[this.pool.start[h] as number] as number) & 1) !== 0;
    // A preferred port that gets no copy (a VF port without a listening driver, or one whose
    // group frames the host keeps on the paravirtual path) hands the original to its sibling,
    // the same VM NIC's other port: the frame still reaches its destination through it.
    if (preferred >= 0 && !this.eligible(preferred, inPort, group)) {
      const other = this.sibling[preferred] as number;
      if (other >= 0) preferred = other;
    }
    for (let i = 0; i < ports.length; i++) {
      if (this.eligible(i, inPort, group)) {
        if (originalPort < 0 || i === preferred) originalPort = i;
      }
    }
    if (originalPort < 0) {
      this.one[0] = h;
      this.pool.drop(this.one, 0, 1, NO_PORT);
      return;
    }
    // The bridge floods unknown unicast to the PF too, and the NIC's eswitch hands that copy to
    // the VF whose MAC matches instead of the wire (PF-to-VF local switching).
    const pfTo = group ? -1 : this.pfLocalVf(inPort, h);
    for (let i = 0; i < ports.length; i++) {
      if (i === originalPort || !this.eligible(i, inPort, group)) continue;
      // the pool's clone observer marks the copy (the world's: FlowBook.onClone, COPY_MARK)
      const c = this.pool.clone(h);
      if (c < 0) continue; // pool exhausted: the copy is not made (the original still goes)
      this.one[0] = c;
      this.send(this.viaPf(i, pfTo), this.one, 0, 1);
    }
    this.one[0] = h;
    this.send(this.viaPf(originalPort, pfTo), this.one, 0, 1);
  }

  /** True for a port on the NIC's side of a host (the uplink, a VF): reached through the PF. */
  private nicSide(port: number): boolean {
    const kind = (this.ports[port] as SwitchPort).kind;
    return kind === 'uplink' || kind === 'vf';
  }

  /**
   * The VF port a flooded unicast frame from a bridge port reaches through the PF (the VF whose
   * filter matches its destination), or -1.
   */
  private pfLocalVf(inPort: number, h: number): number {
    if (this.filters.size === 0 || this.nicSide(inPort)) return -1;
    const vf = this.filters.get(Ethernet.dst(this.pool, h));
    return vf === undefined || !(this.ports[vf] as SwitchPort).enabled ? -1 : vf;
  }

  /** Where the copy flooded to port `i` goes: the uplink's copy to `pfTo` when there is one. */
  private viaPf(i: number, pfTo: number): SwitchPort {
    const p = this.ports[i] as SwitchPort;
    return pfTo >= 0 && p.kind === 'uplink' ? (this.ports[pfTo] as SwitchPort) : p;
  }

  private eligible(i: number, inPort: number, group: boolean): boolean {
    if (i === inPort || this.sibling[i] === inPort) return false;
    const p = this.ports[i] as SwitchPort;
    if (!p.enabled) return false;
    // Unknown unicast from a VF reaches the bridge only through a PF that lists it (vfToBridge).
    if (!group && this.vfViaWire && p.kind !== 'uplink' && this.ports[inPort]?.kind === 'vf')
      return false;
    if (p.kind === 'paravirt') return (this.shadow[i] as number) < 0;
    // The eswitch replicates group frames to the vports listening for them, and sends unknown
    // unicast to the uplink or the PF, never to a VF (mlx5 legacy eswitch: per-vport UC/MC
    // rules, the promiscuous rule only for the PF).
    if (p.kind === 'vf') return group && (this.listening[i] as boolean);
    return true;
  }
}
