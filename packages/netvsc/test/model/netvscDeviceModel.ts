import fc from 'fast-check';
import {
  BusDevice,
  BypassError,
  DropReason,
  Ethernet,
  ETH_P,
  IFF,
  MacAddress,
  NetNamespace,
  STATS64_FIELDS,
  VfDevice,
  type NetDevice,
  type NetDeviceStats,
} from '@bypass/core';
import type { Subscription } from 'rxjs';
import { RNDIS_STATUS } from '../../src/kernel/exports.js';
import { MAC, World } from '../kernel/world.js';

/**
 * Model-based test of the kernel-style NetvscDevice (Linux netvsc with transparent VF): random
 * sequences of VF plug/unplug, VF associations in any order, host refusals and pauses, host and
 * VF link events, up/down, renames, MTU changes, namespace moves, time, TX and RX bursts, checked
 * after every step against a small reference model of which VF is enslaved and against the
 * invariants of linux-failover.md section 4; then a full teardown check.
 *
 * Live migrations and their cancellation need @bypass/hypervisor (not built yet): left out.
 */

const OTHER_MAC = MacAddress.parse('00:15:5d:00:00:77');
/**
 * Slot 0 and 1: same MAC as netvsc (serials 1, 2); slot 2: another MAC (serial 3); slot 3: same
 * MAC, a PCI function without a slot (never netvsc's VF: get_netvsc_byslot).
 */
const SLOTS = [0, 1, 2, 3] as const;
type Slot = (typeof SLOTS)[number];
type Where = 'vm' | 'other';

export type KCmd =
  | { op: 'plug'; slot: Slot; where: Where }
  | { op: 'unplug'; slot: Slot; surprise: boolean }
  | { op: 'assoc'; allocated: boolean; serial: 1 | 2 | 3 }
  | { op: 'policy'; refuse: boolean }
  | { op: 'pause' | 'resume' }
  | { op: 'hostLink'; status: 'connect' | 'disconnect' | 'change' }
  | { op: 'vfLink'; slot: Slot; up: boolean }
  | { op: 'up' | 'down' }
  | { op: 'vfUp' | 'vfDown'; slot: Slot }
  | { op: 'rename'; target: Slot | 'netvsc'; suffix: number }
  | { op: 'mtu'; target: Slot | 'netvsc'; mtu: number }
  | { op: 'move'; slot: Slot; to: Where }
  | { op: 'advance'; ms: number }
  | { op: 'tx'; count: number; queue: number }
  | { op: 'rx'; count: number };

const slot = fc.constantFrom(...SLOTS);
const where = fc.constantFrom<Where>('vm', 'other');
export const kcmdArb: fc.Arbitrary<KCmd> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('plug' as const), slot, where }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('unplug' as const), slot, surprise: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('assoc' as const),
      allocated: fc.boolean(),
      serial: fc.constantFrom(1 as const, 2 as const, 3 as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('policy' as const), refuse: fc.boolean() }), weight: 2 },
  fc.record({ op: fc.constantFrom('pause' as const, 'resume' as const) }),
  fc.record({
    op: fc.constant('hostLink' as const),
    status: fc.constantFrom('connect' as const, 'disconnect' as const, 'change' as const),
  }),
  fc.record({ op: fc.constant('vfLink' as const), slot, up: fc.boolean() }),
  fc.record({ op: fc.constantFrom('up' as const, 'down' as const) }),
  fc.record({ op: fc.constantFrom('vfUp' as const, 'vfDown' as const), slot }),
  fc.record({
    op: fc.constant('rename' as const),
    target: fc.constantFrom<Slot | 'netvsc'>('netvsc', ...SLOTS),
    suffix: fc.nat(2),
  }),
  fc.record({
    op: fc.constant('mtu' as const),
    target: fc.constantFrom<Slot | 'netvsc'>('netvsc', ...SLOTS),
    mtu: fc.constantFrom(1280, 1500, 4000, 9000),
  }),
  fc.record({ op: fc.constant('move' as const), slot, to: where }),
  {
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(0.05, 1, 20, 100, 2000),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('tx' as const),
      count: fc.integer({ min: 1, max: 16 }),
      queue: fc.nat(3),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ op: fc.constant('rx' as const), count: fc.integer({ min: 1, max: 8 }) }),
    weight: 2,
  },
);

interface Plugged {
  vf: VfDevice;
  fn: BusDevice;
  serial: number | undefined;
  mac: MacAddress;
}

/** What a run exercised (summed over runs and logged, to see that the model reaches the VF path). */
export interface KernelCoverage {
  txOnVf: number;
  txSynthetic: number;
  txDropped: number;
  rxOnVf: number;
  /** Steps that ended with TX on the VF. */
  onVfSteps: number;
  /** Runs that reached TX on the VF at least once. */
  runsOnVf: number;
  /** VFs moved back by the namespace watch. */
  watcherMoves: number;
  switchFailures: number;
}

export function emptyKernelCoverage(): KernelCoverage {
  return {
    txOnVf: 0,
    txSynthetic: 0,
    txDropped: 0,
    rxOnVf: 0,
    onVfSteps: 0,
    runsOnVf: 0,
    watcherMoves: 0,
    switchFailures: 0,
  };
}

/** How a run begins: no VF, or VF 1 associated, plugged and taken over (TX on the VF). */
export type KernelStart = 'none' | 'accelerated';
export const kernelStartArb = fc.constantFrom<KernelStart>('none', 'accelerated', 'accelerated');

/** Runs one sequence; throws on the first broken invariant. */
export function runNetvscDevice(
  cmds: readonly KCmd[],
  watch: boolean,
  start: KernelStart = 'accelerated',
  cov: KernelCoverage = emptyKernelCoverage(),
): void {
  const w = new World();
  const other = new NetNamespace('init');
  const dev = w.probe(watch ? { vfNamespaces: [other] } : {});
  const slots: (Plugged | null)[] = SLOTS.map(() => null);
  let everOnVf = false;
  const subs: Subscription[] = [];

  // ------------------------------------------------------------ reference model
  let modelVf: NetDevice | null = null;
  let assoc = { allocated: false, serial: 0 };
  let hostAssocSerial = 0;
  // get_netvsc_byslot with one netvsc: a PCI function with a slot and netvsc's MAC, whatever
  // the association says (a differing serial falls back to the MAC).
  const eligible = (d: NetDevice): boolean => {
    const pci = d.parent?.isPci === true ? d.parent.pci : null;
    return pci !== null && pci.serial !== undefined && d.permAddr.equals(MAC) && d.present;
  };
  /** Devices netvsc_prepare_bonding flagged IFF_SLAVE at post-init (netvsc_unregister_vf never clears it). */
  const flagged = new Set<NetDevice>();
  subs.push(
    w.ns.events$.subscribe((e) => {
      if (e.ns !== w.ns) return;
      // Even while a VF is present: Linux flags a second one and then does not join it.
      if (e.type === 'post-init' && eligible(e.dev)) flagged.add(e.dev);
      // A device refused is never offered again (no re-pairing when an association arrives).
      // Joining sets IFF_SLAVE too (a VF moved in had its post-init elsewhere; Linux's global
      // notifier would have flagged it there), and nothing clears it.
      if (e.type === 'register' && modelVf === null && eligible(e.dev)) {
        modelVf = e.dev;
        flagged.add(e.dev);
      }
      if (e.type === 'unregister' && e.dev === modelVf) modelVf = null;
    }),
  );
  const h = dev.client.handlers;
  const origAssoc = h.onVfAssociation;
  h.onVfAssociation = (allocated, serial) => {
    assoc = { allocated, serial };
    origAssoc?.(allocated, serial);
  };
  // Host RX while the guest uses the VF goes to the VF the host allocated, if it is plugged.
  w.host.vfSink = (pkts, s, n) => {
    const p = slots.find((x) => x !== null && x.serial === hostAssocSerial);
    if (p === undefined || p === null) w.pool.drop(pkts, s, n, DropReason.NO_DEVICE);
    else {
      p.vf.injectRx(0, pkts, s, n);
      p.vf.pollAll();
    }
  };

  let paused = false;
  let last: NetDeviceStats = dev.getStats64().clone();
  let seq = 0;
  const burst = new Int32Array(16);
  const out = new Int32Array(256);

  const held = (): number => {
    let n = dev.txQueues.totalBacklog; // frames waiting in netvsc's stopped TX queues
    for (const p of slots) {
      if (p === null) continue;
      for (let q = 0; q < p.vf.numTxQueues; q++) n += p.vf.txPending(q);
      for (let q = 0; q < p.vf.numRxQueues; q++) n += p.vf.rxPending(q);
    }
    return n;
  };
  const drainWire = (): void => {
    for (const p of slots) {
      if (p === null) continue;
      for (let q = 0; q < p.vf.numTxQueues; q++)
        for (let n; (n = p.vf.drainTx(q, out, 0, out.length)) > 0;) w.pool.freeBurst(out, 0, n);
    }
  };

  const check = (where: string, quiet: boolean): void => {
    const lowers = dev.lowers;
    if (lowers.length > 1) throw new Error(`${where}: ${lowers.length} VFs enslaved`);
    const vf = dev.vf;
    if (vf !== modelVf)
      throw new Error(
        `${where}: VF is ${vf?.name ?? 'none'}, model says ${modelVf?.name ?? 'none'}`,
      );
    if (vf !== null) {
      if (lowers[0] !== vf || vf.master !== dev) throw new Error(`${where}: VF link broken`);
      if (!eligible(vf) || vf.ns !== w.ns)
        throw new Error(`${where}: ${vf.name} should not be the VF`);
    }
    for (const p of slots) {
      if (p === null || p.vf === vf) continue;
      if (p.vf.master !== null) throw new Error(`${where}: ${p.vf.name} is linked but not the VF`);
      if (((p.vf.flags & IFF.SLAVE) !== 0) !== flagged.has(p.vf))
        throw new Error(`${where}: ${p.vf.name} IFF_SLAVE is not what post-init left`);
    }
    const dp = dev.datapath;
    if (dp.dataPathIsVf && (vf === null || !vf.running || !dp.hostPathIsVf))
      throw new Error(`${where}: data_path_is_vf without a running, switched VF`);
    if (quiet && !paused && dp.failures === 0) {
      // Liveness: with a cooperative host, the datapath settles where the VF's state says.
      const want = vf !== null && vf.running && assoc.allocated;
      if (want && !dp.dataPathIsVf && !dp.inFlight)
        throw new Error(`${where}: VF up and associated, not switched`);
      if ((vf === null || !vf.running) && !dp.inFlight) {
        if (dp.hostPathIsVf || w.host.dataPath !== 'synthetic')
          throw new Error(`${where}: no usable VF but the host still sends to it`);
      }
      if (!dp.inFlight && w.host.dataPath !== (dp.hostPathIsVf ? 'vf' : 'synthetic'))
        throw new Error(`${where}: host datapath ${w.host.dataPath} disagrees with the guest`);
      if (dev.link.pending === 0 && dev.link.linkDown !== !w.host.linkUp)
        throw new Error(
          `${where}: link state ${!dev.link.linkDown} but host says ${w.host.linkUp}`,
        );
    }
    if (
      dev.running &&
      dev.nvdevState === 'attached' &&
      dev.link.pending === 0 &&
      dev.carrier === dev.link.linkDown
    )
      throw new Error(`${where}: carrier ${dev.carrier} with host link down=${dev.link.linkDown}`);
    const now = dev.getStats64();
    for (const f of STATS64_FIELDS)
      if (now[f] < last[f])
        throw new Error(`${where}: folded ${f} decreased ${last[f]} -> ${now[f]}`);
    last = now.clone();
    if (w.pool.inUse !== held())
      throw new Error(`${where}: ${w.pool.inUse} frames in use, the VF rings hold ${held()}`);
  };

  const plug = (s: Slot, at: Where): void => {
    if (slots[s] !== null) return;
    const n = s + 1;
    const serial = s === 3 ? undefined : n;
    const mac = s === 2 ? OTHER_MAC : MAC;
    const address = `0001:00:0${n}.0`;
    const fn = new BusDevice({
      id: address,
      bus: 'pci',
      pci: serial === undefined ? { address, virtfn: true } : { address, virtfn: true, serial },
    });
    w.bus.add(fn);
    const vf = new VfDevice({
      pool: w.pool,
      permAddr: mac,
      parent: fn,
      driver: 'mlx5_core',
      ringSize: 256,
    });
    vf.setLink(true);
    slots[s] = { vf, fn, serial, mac };
    (at === 'vm' ? w.ns : other).register(vf, `enP1s${n}`);
  };
  const unplug = (s: Slot, surprise: boolean): void => {
    const p = slots[s];
    if (p === null || p === undefined) return;
    p.vf.hotUnplug({ surprise });
    w.bus.remove(p.fn, { surprise });
    slots[s] = null;
  };
  const target = (t: Slot | 'netvsc'): NetDevice | null =>
    t === 'netvsc' ? dev : (slots[t]?.vf ?? null);

  const tx = (count: number, queue: number): void => {
    const got = w.pool.allocBurst(burst, 0, count);
    for (let i = 0; i < got; i++) {
      const hd = burst[i] as number;
      Ethernet.buildFrame(w.pool, hd, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
      w.pool.mark[hd] = ++seq;
    }
    const vf = dev.vf;
    const onVf = vf !== null && vf.present && vf.running && vf.carrier && dev.datapath.dataPathIsVf;
    const synthReady = dev.running && dev.carrier && dev.present;
    const txq = dev.txQueues;
    const q = queue % dev.realNumTxQueues;
    // A stopped queue (TX disabled, netvsc detached for an MTU change) holds what it is given.
    const stopped = txq.isStopped(q);
    const heldBefore = txq.totalBacklog;
    const qdiscBefore = txq.stats.dropped;
    const e = dev.ethtool;
    // Synthetic frames count as sent at their completion: what was written is the client's.
    const b = {
      vf: e.vfTxPackets,
      vfDrop: e.vfTxDropped,
      syn: dev.client.stats.txFrames,
      drop: dev.stats.txDropped,
      noSpace: e.txNoSpace,
    };
    const dropsBefore = new Map(w.drops);
    dev.xmit(burst, 0, got, queue);
    const dVf = e.vfTxPackets - b.vf;
    const dSyn = dev.client.stats.txFrames - b.syn;
    const dDrop = dev.stats.txDropped - b.drop;
    cov.txOnVf += dVf;
    cov.txSynthetic += dSyn;
    cov.txDropped += dDrop;
    if (e.vfTxDropped !== b.vfDrop) throw new Error('a frame was dropped because of the VF');
    const dHeld = txq.totalBacklog - heldBefore;
    const dQdisc = txq.stats.dropped - qdiscBefore;
    if (!synthReady) {
      if (dVf + dSyn !== 0 || dDrop !== got) throw new Error('netvsc not ready: drops not counted');
    } else if (stopped) {
      if (dVf + dSyn + dDrop !== 0 || dHeld + dQdisc !== got)
        throw new Error(`stopped queue: held=${dHeld} qdisc drops=${dQdisc} of ${got}`);
    } else if (onVf) {
      if (dVf !== got || dSyn !== 0 || dDrop !== 0)
        throw new Error(`TX on the VF expected: vf=${dVf} synthetic=${dSyn} dropped=${dDrop}`);
    } else {
      // Written, dropped (-ENOSPC, or the channel gone), or held behind the queue the send
      // stopped (LOWATER, -EAGAIN).
      if (dVf !== 0) throw new Error(`TX on a VF that is not ready (${dVf} frames)`);
      const noSpace = e.txNoSpace - b.noSpace;
      if (dSyn + dDrop + dHeld + dQdisc !== got || (dev.client.open && dDrop !== noSpace))
        throw new Error(
          `synthetic TX: sent=${dSyn} dropped=${dDrop} held=${dHeld} of ${got}, no space ${noSpace}`,
        );
    }
    // Every drop is named, and none of them is the VF's fault.
    let named = 0;
    for (const [k, v] of w.drops) {
      const d = v - (dropsBefore.get(k) ?? 0);
      if (d === 0) continue;
      if (!['dev-down', 'no-carrier', 'ring-full', 'qdisc-drop', 'no-device'].includes(k))
        throw new Error(`TX drop for ${k}`);
      named += d;
    }
    if (named !== dDrop + dQdisc)
      throw new Error(`${dDrop + dQdisc} drops counted, ${named} named`);
    drainWire();
  };

  const rx = (count: number): void => {
    const before = w.host.stats.toVfFrames;
    const dp = dev.datapath;
    // The guest asked: switched, asking, or a timed-out request the host may have applied late.
    const guestAsked = dp.hostPathIsVf || dp.inFlight || dp.hostPathUnknown;
    w.fromWire(count);
    cov.rxOnVf += w.host.stats.toVfFrames - before;
    if (w.host.stats.toVfFrames !== before && !guestAsked)
      throw new Error('host RX reached the VF before the guest switched');
    for (const p of slots) p?.vf.pollAll();
  };

  if (start === 'accelerated') {
    hostAssocSerial = 1;
    w.host.sendVfAssociation(true, 1);
    plug(0, 'vm');
    w.run(101);
    check('accelerated start', true);
    if (!dev.txOnVf) throw new Error('accelerated start: TX is not on the VF');
  }

  for (const [i, c] of cmds.entries()) {
    const label = `#${i} ${JSON.stringify(c)}`;
    let quiet = false;
    try {
      switch (c.op) {
        case 'plug':
          plug(c.slot, c.where);
          break;
        case 'unplug':
          unplug(c.slot, c.surprise);
          break;
        case 'assoc':
          hostAssocSerial = c.allocated ? c.serial : 0;
          w.host.sendVfAssociation(c.allocated, c.serial);
          break;
        case 'policy':
          w.host.switchPolicy = c.refuse ? 'refuse' : 'accept';
          break;
        case 'pause':
          w.host.pause();
          paused = true;
          break;
        case 'resume':
          w.host.resume();
          paused = false;
          break;
        case 'hostLink':
          w.host.indicateStatus(
            c.status === 'connect'
              ? RNDIS_STATUS.MEDIA_CONNECT
              : c.status === 'disconnect'
                ? RNDIS_STATUS.MEDIA_DISCONNECT
                : RNDIS_STATUS.NETWORK_CHANGE,
          );
          break;
        case 'vfLink':
          slots[c.slot]?.vf.setLink(c.up);
          break;
        case 'up':
          dev.open();
          break;
        case 'down':
          dev.close();
          break;
        case 'vfUp': {
          const v = slots[c.slot]?.vf;
          if (v?.registered === true) v.open();
          break;
        }
        case 'vfDown':
          slots[c.slot]?.vf.close();
          break;
        case 'rename': {
          const d = target(c.target);
          if (d?.registered === true)
            d.rename(`${c.target === 'netvsc' ? 'eth' : 'vf'}${c.suffix}x`);
          break;
        }
        case 'mtu':
          target(c.target)?.setMtu(c.mtu);
          break;
        case 'move': {
          const v = slots[c.slot]?.vf;
          const to = c.to === 'vm' ? w.ns : other;
          if (v?.ns != null && v.ns !== to) v.ns.moveDevice(v, to, 'eth%d');
          break;
        }
        case 'advance':
          w.run(c.ms);
          quiet = c.ms >= 100;
          break;
        case 'tx':
          tx(c.count, c.queue);
          break;
        case 'rx':
          rx(c.count);
          break;
      }
    } catch (err) {
      if (!(err instanceof BypassError))
        throw new Error(`${label}: ${String(err)}`, { cause: err });
    }
    if (dev.txOnVf) {
      cov.onVfSteps++;
      if (!everOnVf) cov.runsOnVf++;
      everOnVf = true;
    }
    check(label, quiet);
  }
  cov.switchFailures += dev.datapath.failures;
  cov.watcherMoves += w.log.filter((l) => l.includes('VF moved to namespace')).length;

  // ------------------------------------------------------------ teardown
  for (const s of SLOTS) unplug(s, true);
  dev.remove();
  w.run(100);
  for (const sub of subs) sub.unsubscribe();
  if (dev.master !== null || dev.lowers.length !== 0 || dev.rxHandler !== null || dev.registered)
    throw new Error('teardown: netvsc still linked or registered');
  if (w.ns.size !== 0 || other.size !== 0) throw new Error('teardown: devices left');
  if (w.ns.leakedLinks !== 0) throw new Error('teardown: links had to be cut');
  if (w.registry.instances().length !== 0 || w.registry.followedNamespaces !== 0)
    throw new Error('teardown: registry not empty');
  if (w.scheduler.pending !== 0) throw new Error(`teardown: ${w.scheduler.pending} timers pending`);
  for (const ns of [w.ns, other])
    if (ns.observed) throw new Error(`teardown: namespace ${ns.name} still has subscribers`);
  if (w.pool.inUse !== 0) throw new Error(`teardown: ${w.pool.inUse} frames leaked`);
}
