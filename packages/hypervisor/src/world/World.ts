import { BypassError, MacAddress, PacketPool, SeededRandom, VirtualScheduler } from '@bypass/core';
import type { FrameCapture } from '../capture/FrameCapture.js';
import { createNicModel } from '../guest/createNicModel.js';
import type { NicModelContext } from '../guest/NicModel.js';
import { NIC_MODELS, type NicModelName, type Scenario } from '../scenario/Scenario.js';
import type { NicModelFactory } from '../run/RunOptions.js';
import { EventLog, type LoggedEvent } from '../sim/EventLog.js';
import { FlowAddress } from '../traffic/FlowFrameAddress.js';
import { FlowFrameWriter } from '../traffic/FlowFrameWriter.js';
import { WireTimedCapture } from '../capture/WireTimedCapture.js';
import { DelayLink, ETHERNET_OVERHEAD_BYTES, type WireClock } from './DelayLink.js';
import { FlowBook, flowMark } from './FlowBook.js';
import { logNetdevEvent } from './NetdevEventLog.js';
import { FLOW_MARK_BASE, type FlowState } from '../traffic/FlowState.js';
import { Host } from './Host.js';
import { Peer } from './Peer.js';
import { Vm } from './Vm.js';
import { VmNic } from './VmNic.js';
import { COPY_MARK, VirtualSwitch } from './VirtualSwitch.js';
import { nextPow2 } from './nextPow2.js';

/** Options of a {@link World}. */
export interface WorldOptions {
  /** Every NIC runs this model instead of the file's (a built-in one or a key of `models`). */
  readonly model?: string;
  /** Custom mechanisms by name. */
  readonly models?: Readonly<Record<string, NicModelFactory>>;
  readonly capture?: FrameCapture;
}

/**
 * The simulated world of one scenario: hosts with their switches and VF pools, the physical
 * network between them, peers, VMs with their NICs, and the flows. {@link World.tick} advances
 * it by one simulation step: timers (control plane) first, then the host NICs take what the
 * guests queued on their VFs, the guests poll their receive rings, the wires deliver what has
 * arrived, and the flows send this step's frames. Between two ticks frames really sit in rings
 * and on wires, so a removal at any instant finds what a real one would.
 *
 * @example
 * ```ts
 * const world = new World(scenario);
 * while (world.now < scenario.duration) world.tick();
 * ```
 */
export class World {
  readonly scheduler = new VirtualScheduler();
  readonly pool: PacketPool;
  readonly random: SeededRandom;
  readonly log: EventLog;
  readonly wire: WireClock = { now: 0, times: null, timesFor: null };
  readonly hosts = new Map<string, Host>();
  readonly network: VirtualSwitch;
  readonly peers = new Map<string, Peer>();
  readonly vms = new Map<string, Vm>();
  readonly nics: VmNic[] = [];
  /** The flows' books: generation, receivers, drop attribution. */
  readonly book: FlowBook;

  /** The flows, in the scenario's order. */
  get flows(): readonly FlowState[] {
    return this.book.flows;
  }

  /** Drops of frames that belong to no flow (announcements, flooded copies), by reason code. */
  get otherDrops(): readonly (number | undefined)[] {
    return this.book.otherDrops;
  }
  readonly bucketNs: number;
  readonly buckets: number;
  private readonly links: DelayLink[] = [];
  private readonly endpointIds = new Map<string, number>();
  private readonly networkPorts = new Map<Host, number>();
  private readonly hostOfSwitch = new Map<VirtualSwitch, Host>();
  private timeNs = 0;
  /** Scheduler time of the scenario's time 0 (the end of the boot phase). */
  origin = 0;
  private booted = false;
  private readonly models: Readonly<Record<string, NicModelFactory>>;

  constructor(
    readonly scenario: Scenario,
    options: WorldOptions = {},
  ) {
    // Frame slots for 20 ms of every flow plus the drivers' own buffers, between 16 Ki and
    // 256 Ki slots (32 MiB .. 512 MiB of 2 KiB slots); beyond that, flows see `pool-exhausted`.
    const totalPps = scenario.flows.reduce((s, f) => s + f.pps, 0);
    const slots = Math.min(
      1 << 18,
      Math.max(1 << 14, nextPow2(Math.ceil(totalPps * 20e-3 + 8192))),
    );
    this.pool = new PacketPool({ slots });
    this.random = new SeededRandom(scenario.seed);
    this.log = new EventLog(() => this.scheduler.now());
    const raw = Math.ceil(scenario.duration / 400);
    this.bucketNs = Math.max(scenario.tick, Math.ceil(raw / scenario.tick) * scenario.tick);
    this.buckets = Math.ceil(scenario.duration / this.bucketNs);
    this.book = new FlowBook(
      this.pool,
      this.log,
      () => this.scheduler.now(),
      this.wire,
      () => this.origin,
      this.bucketNs,
      this.buckets,
    );
    this.pool.onDrop = (_p, pkts, start, count, reason) =>
      this.book.onDrop(pkts, start, count, reason);
    this.pool.onImport = (pool, h) => this.book.onImport(pool, h);
    this.pool.onClone = (pool, _h, copy) => this.book.onClone(pool, copy);
    this.pool.onForeignDrop = (b, o, n, reason) => this.book.onForeignDrop(b, o, n, reason);
    this.book.onNeighbour = (ep, ip, mac, old) => this.neighbourEvent(ep, ip, mac, old);
    this.network = new VirtualSwitch('network', this.pool, {
      ageing: scenario.network.fdb_ageing,
      scheduler: this.scheduler,
    });
    this.setupSwitch(this.network, options.capture, null);
    for (const h of scenario.hosts)
      this.addHost(new Host(h, this.pool, this.scheduler), options.capture);
    for (const p of scenario.peers) this.addPeer(p.name, p.host, p.mac.value);
    if (
      options.model !== undefined &&
      !isModel(options.model) &&
      options.models?.[options.model] === undefined
    ) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `unknown NIC model ${JSON.stringify(options.model)}: use one of ${NIC_MODELS.join(', ')} or a key of the run's models`,
      );
    }
    this.models = options.models ?? {};
    for (const v of scenario.vms) this.addVm(v, options.model);
    for (const f of scenario.flows) this.addFlow(f);
  }

  /** Simulated time reached, ns, counted from the scenario's time 0 (negative while booting). */
  get now(): number {
    return this.timeNs - this.origin;
  }

  /**
   * Boots the world before the scenario's time 0: guest drivers probe, boot-time VFs are
   * plugged and taken over (a bond enslaves its VF, a PMD hot-adds it, the fail-safe finds it),
   * with no traffic yet. Ends on the first tick where every NIC has settled on the path it will
   * use, or after `maxNs`; the scenario's clock starts there. Events of the boot get negative
   * times in the report.
   */
  boot(maxNs = BOOT_MAX_NS): void {
    while (this.timeNs < maxNs && !this.nics.every((n) => n.settled)) this.tick(false);
    const late = this.nics.filter((n) => !n.settled).map((n) => n.id);
    if (late.length > 0)
      this.event('boot-timeout', {
        detail: `not settled after ${maxNs / 1e6}ms: ${late.join(', ')}`,
      });
    this.origin = this.timeNs;
    this.booted = true;
    this.event('boot-complete', { detail: `guests booted in ${this.origin / 1e6}ms` });
  }

  /** Logs an event now. */
  event(kind: string, where: Omit<LoggedEvent, 'atNs' | 'kind'> = {}): void {
    this.log.add(kind, where);
  }

  /** Advances the world by one tick; `generate` false lets the wires drain without new traffic. */
  tick(generate = true): void {
    const tickNs = this.scenario.tick;
    const t = this.timeNs + tickNs;
    this.scheduler.advanceTo(t);
    this.wire.now = t;
    // Indexed loops (re-reading the length, as for-of does): this runs every tick, and an array
    // iterator the compiler does not elide is garbage per loop.
    const nics = this.nics;
    const links = this.links;
    for (let i = 0; i < nics.length; i++) {
      const nic = nics[i] as VmNic;
      if (!nic.vm.paused) nic.pumpVfTx(t);
    }
    for (let i = 0; i < nics.length; i++) {
      const nic = nics[i] as VmNic;
      if (nic.vm.paused || nic.vm.down) continue;
      this.wire.now = t;
      nic.model.service(t);
    }
    for (let again = true; again;) {
      again = false;
      for (let i = 0; i < links.length; i++) {
        const l = links[i] as DelayLink;
        if (l.nextDue() <= t) {
          l.pull(t);
          again = true;
        }
      }
    }
    this.wire.now = t;
    const rel = t - this.origin;
    // Only the scenario's time counts: not the boot, not the drain after `duration`.
    if (this.booted && generate) {
      this.book.generate(rel, tickNs);
      for (let i = 0; i < nics.length; i++) (nics[i] as VmNic).sample(rel, tickNs);
    }
    this.timeNs = t;
  }

  /** Frames on wires or in rings and pause queues right now (all of the pool in use). */
  get framesInFlight(): number {
    return this.pool.inUse;
  }

  /** Closes the books at the end: datapath segments, flow gaps. */
  finish(): void {
    const end = Math.min(this.now, this.scenario.duration);
    for (const nic of this.nics) nic.finish(end);
    for (const f of this.book.flows) f.finish(this.now);
  }

  /** Per flow index, frames of that flow still allocated or in VMBus rings when the run ended. */
  inFlightPerFlow(): number[] {
    return this.book.inFlight((visit) => {
      for (const nic of this.nics) nic.model.ringFrames?.(visit);
    });
  }

  /** The endpoint id of a peer name or `vm/nic`. */
  endpoint(id: string): number {
    return this.endpointIds.get(id) ?? -1;
  }

  /** The VM NIC `vm/nic`. */
  nic(id: string): VmNic | undefined {
    return this.nics.find((n) => n.id === id);
  }

  /** Registers a wire the world must pull every tick. */
  addLink(link: DelayLink): void {
    this.links.push(link);
  }

  /** A host by name (throws for an unknown one: names were validated). */
  host(name: string): Host {
    const h = this.hosts.get(name);
    if (h === undefined)
      throw new BypassError(
        'ERR_NOT_FOUND',
        `unknown host ${name}: the scenario names no such host`,
      );
    return h;
  }

  private setupSwitch(
    sw: VirtualSwitch,
    capture: FrameCapture | undefined,
    host: Host | null,
  ): void {
    // Capture timestamps on the scenario's clock (the boot's few frames at 0), each frame a wire
    // hands over at its own arrival time.
    if (capture !== undefined)
      sw.capture = new WireTimedCapture(capture, this.wire, () => this.origin);
    sw.clock = () => Math.max(0, this.wire.now - this.origin);
    sw.wire = this.wire;
    sw.floodPreference = (h) => this.towardTarget(sw, h);
    // Ageing is on the scheduler's time (absolute, across the boot), not on `clock`: the sweep
    // is a job of the world's scheduler, so the event is logged at the instant it forgot.
    sw.onAged = (mac, port) => {
      const what = `${MacAddress.fromNumber(mac).toString()} on port ${port.name}`;
      if (host === null) this.event('fdb-aged', { detail: `network switch: ${what}` });
      else this.event('fdb-aged', { host: host.name, detail: what });
    };
  }

  /**
   * Of a flooded flow frame's copies, the one that leaves `sw` toward the flow's destination
   * is the original (the others are marked copies, whose fate is not the flow's): the port of
   * the destination on its own host's switch, the destination host's port on the network, or
   * the uplink. Only bookkeeping: every port gets its copy either way.
   */
  private towardTarget(sw: VirtualSwitch, h: number): number {
    const m = flowMark(this.pool, h);
    if (m === 0 || (m & COPY_MARK) !== 0) return -1;
    const fi = m - FLOW_MARK_BASE;
    const spec = this.book.flows[fi]?.spec;
    if (spec === undefined) return -1;
    const to = spec.to;
    const peer = to.kind === 'peer' ? this.peers.get(to.peer) : undefined;
    const nic = to.kind === 'nic' ? this.nic(to.id) : undefined;
    const host = peer?.host ?? nic?.currentHost ?? null;
    if (host === null) return -1;
    if (sw === this.network) return this.networkPorts.get(host) ?? -1;
    if (sw !== host.switch)
      return (this.hostOfSwitch.get(sw) as Host | undefined)?.uplinkPort ?? -1;
    if (peer !== undefined) return peer.port;
    const own = nic?.floodPort ?? -1;
    return own >= 0 ? own : sw.lookup(this.book.targetMac(fi) ?? -1);
  }

  private addHost(host: Host, capture: FrameCapture | undefined): void {
    this.hosts.set(host.name, host);
    this.setupSwitch(host.switch, capture, host);
    const links = this.scenario.links;
    this.hostOfSwitch.set(host.switch, host);
    const netPort = this.network.addPort('uplink', host.name, (p, s, n) =>
      down.push(p, s, n, this.wire.now),
    );
    this.networkPorts.set(host, netPort);
    const up = new DelayLink(
      this.pool,
      links.network,
      (p, s, n) => this.network.ingress(netPort, p, s, n),
      1 << 14,
      this.wire,
      ETHERNET_OVERHEAD_BYTES,
    );
    const down = new DelayLink(
      this.pool,
      links.network,
      (p, s, n) => host.switch.ingress(host.uplinkPort, p, s, n),
      1 << 14,
      this.wire,
      ETHERNET_OVERHEAD_BYTES,
    );
    host.uplinkPort = host.switch.addPort('uplink', 'uplink', (p, s, n) =>
      up.push(p, s, n, this.wire.now),
    );
    this.addLink(up);
    this.addLink(down);
  }

  private addPeer(name: string, hostName: string, mac: number): void {
    const host = this.host(hostName);
    const ep = this.endpointIds.size;
    this.endpointIds.set(name, ep);
    const peer = new Peer(
      name,
      mac,
      host,
      this.pool,
      this.scenario.links.peer,
      this.wire,
      this.book.receiver(ep),
    );
    this.peers.set(name, peer);
    for (const l of peer.links) this.addLink(l);
  }

  private addVm(spec: Scenario['vms'][number], model: string | undefined): void {
    const vm = new Vm(spec, this.host(spec.host), this.scheduler);
    this.vms.set(vm.name, vm);
    // The guest kernel's notifier chain, as events of the report.
    vm.ns.events$.subscribe((e) => logNetdevEvent(this.log, vm, e));
    for (const nicSpec of spec.nics) {
      const chosen = model ?? nicSpec.model;
      const s =
        isModel(chosen) && chosen !== nicSpec.model ? { ...nicSpec, model: chosen } : nicSpec;
      const log = (kind: string, detail?: string, dev?: string): void =>
        this.event(kind, {
          host: vm.host.name,
          vm: vm.name,
          dev: dev ?? nicSpec.name,
          ...(detail === undefined ? {} : { detail }),
        });
      const nic = new VmNic(vm, s, this.pool, this.wire, this.scenario.links, log);
      const ep = this.endpointIds.size;
      this.endpointIds.set(nic.id, ep);
      const ctx: NicModelContext = {
        scheduler: this.scheduler,
        guestClock: vm.clock,
        guestStopped: () => vm.paused || vm.down,
        pool: this.pool,
        random: this.random.fork(nic.id),
        vm: vm.name,
        nic: nicSpec.name,
        mac: nicSpec.mac,
        ipv4: FlowAddress.endpointIpv4(ep),
        groups: groupsJoinedOn(this.scenario, nic.id),
        options: nicSpec.options,
        ns: vm.ns,
        bus: vm.bus,
        registry: vm.registry,
        toHostParavirt: (p, st, n) => nic.pvOut.push(p, st, n, this.wire.now),
        toGuestVf: (p, st, n) => nic.vfIn.push(p, st, n, this.wire.now),
        steerVf: (toVf) => nic.hostRxToVf(toVf),
        deliver: this.book.receiver(ep),
        event: log,
      };
      nic.attach(vm.host);
      const custom = this.models[chosen];
      nic.bindModel(
        custom !== undefined ? custom(ctx) : createNicModel(chosen as NicModelName, ctx),
      );
      vm.nics.push(nic);
      this.nics.push(nic);
      for (const l of nic.links) this.addLink(l);
      this.event('nic-model', {
        host: vm.host.name,
        vm: vm.name,
        dev: nicSpec.name,
        detail: chosen,
      });
      const wantsVf =
        chosen === nicSpec.model || !isModel(chosen) ? nicSpec.vf : chosen !== 'virtio';
      nic.hostdev = wantsVf;
      if (wantsVf) this.plugFreeVf(nic, vm.host, 0);
    }
  }

  /**
   * Plugs a free VF of `host` into `nic` after `delay` (default: the NIC's `vf_plug_delay`);
   * hidden when the guest cannot take it.
   */
  plugFreeVf(nic: VmNic, host: Host, delay = nic.spec.options.vf_plug_delay): void {
    if (nic.model.model === 'virtio') return;
    // The VF libvirt prepared for the incoming VM, if any; else the first free one.
    const slot = nic.takePrepared(host) ?? host.takeFreeVf(nic.id);
    if (slot === null) {
      this.event('vf-unavailable', {
        host: host.name,
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail: `no free VF on ${host.name}`,
      });
      return;
    }
    nic.assignSlot(slot);
    this.scheduler.runAfter(delay, () => this.plugSlot(nic));
  }

  /**
   * libvirt prepares `nic`'s hostdev on the destination `host` of a migration
   * ({@link VmNic.prepareIncoming}): false, and nothing taken, when `host` has no free VF.
   */
  prepareIncomingVf(nic: VmNic, host: Host): boolean {
    const slot = host.takeFreeVf(nic.id);
    if (slot === null) return false;
    nic.prepareIncoming(slot);
    this.event('vf-prepared', {
      host: host.name,
      vm: nic.vm.name,
      dev: nic.spec.name,
      detail: `libvirt prepared VF ${slot.address} for the incoming ${nic.id}: its MAC is set, no driver yet`,
    });
    return true;
  }

  /** Plugs the slot `nic` holds, if the guest can take a VF now (else the VF stays hidden). */
  plugSlot(nic: VmNic): void {
    const slot = nic.slot;
    // No hot-plug while a migration runs (QEMU refuses device_add then: system/qdev-monitor.c);
    // the migration re-plugs or releases the slot when it ends.
    if (
      slot === null ||
      nic.vf !== null ||
      nic.currentHost !== slot.host ||
      nic.vm.migration !== null
    )
      return;
    if (!nic.model.acceptsVf) {
      this.event('vf-hidden', {
        host: slot.host.name,
        vm: nic.vm.name,
        dev: nic.spec.name,
        detail: 'the guest did not acknowledge BACKUP: the VF stays hidden',
      });
      return;
    }
    nic.plugVf(slot);
  }

  private addFlow(spec: Scenario['flows'][number]): void {
    const index = this.book.flows.length;
    const from = this.endpoint(spec.from.id);
    const to = this.endpoint(spec.to.id);
    const dstMac = this.endpointMac(spec.to.id);
    const writer = new FlowFrameWriter({
      flow: index,
      size: spec.size,
      cast: spec.cast,
      srcMac: this.endpointMac(spec.from.id),
      dstMac,
      srcIp: FlowAddress.endpointIpv4(from),
      dstIp:
        spec.cast === 'unicast'
          ? FlowAddress.endpointIpv4(to)
          : FlowAddress.multicastGroupIpv4(index),
    });
    const peer = spec.from.kind === 'peer' ? this.peers.get(spec.from.peer) : undefined;
    const nic = spec.from.kind === 'nic' ? this.nic(spec.from.id) : undefined;
    if (peer === undefined && nic === undefined) {
      throw new BypassError(
        'ERR_NOT_FOUND',
        `unknown flow source ${spec.from.id}: name a peer or a vm/nic`,
      );
    }
    this.book.add(spec, writer, {
      target: to,
      targetMac: dstMac,
      source: from,
      sourceMac: nic === undefined ? null : () => nic.sendingMac(),
      send:
        peer !== undefined
          ? (pkts, n) => peer.send(pkts, n)
          : (pkts, n) => nic?.model.send(pkts, 0, n),
      stopped: nic === undefined ? null : () => nic.vm.paused || nic.vm.down,
    });
  }

  /** The `neigh-update` event of endpoint `ep`'s flows to `ip` now going to `mac`. */
  private neighbourEvent(ep: number, ip: number, mac: number, old: number): void {
    let id = '';
    for (const [name, e] of this.endpointIds) if (e === ep) id = name;
    const detail = `${id}: ${FlowAddress.formatIpv4(ip)} lladdr ${MacAddress.fromNumber(mac).toString()} (was ${MacAddress.fromNumber(old).toString()}), from an ARP`;
    const peer = this.peers.get(id);
    const nic = peer === undefined ? this.nic(id) : undefined;
    const host = peer?.host ?? nic?.currentHost ?? null;
    this.event('neigh-update', {
      ...(host === null ? {} : { host: host.name }),
      ...(nic === undefined ? {} : { vm: nic.vm.name, dev: nic.spec.name }),
      detail,
    });
  }

  private endpointMac(id: string): number {
    const peer = this.peers.get(id);
    if (peer !== undefined) return peer.mac;
    const nic = this.nic(id);
    if (nic === undefined)
      throw new BypassError('ERR_NOT_FOUND', `unknown endpoint ${id}: name a peer or a vm/nic`);
    return nic.mac;
  }
}

/**
 * The groups the application on NIC `id` joins: one per multicast flow to it (the receiving
 * application's IGMP join), which the NIC's model has joined once it can (see `NicModelContext`).
 */
function groupsJoinedOn(scenario: Scenario, id: string): MacAddress[] {
  const out: MacAddress[] = [];
  scenario.flows.forEach((f, i) => {
    if (f.cast !== 'multicast' || f.to.kind !== 'nic' || f.to.id !== id) return;
    out.push(MacAddress.fromNumber(FlowAddress.multicastMac(FlowAddress.multicastGroupIpv4(i))));
  });
  return out;
}

/** The longest boot before the scenario starts anyway (a NIC that never settles is logged). */
export const BOOT_MAX_NS = 5_000_000_000;

function isModel(name: string): name is NicModelName {
  return (NIC_MODELS as readonly string[]).includes(name);
}
