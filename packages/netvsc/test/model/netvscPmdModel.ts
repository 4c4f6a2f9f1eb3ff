import fc from 'fast-check';
import { BypassError, DropReason, MacAddress, type VfDevice } from '@bypass/core';
import type { EthStats } from '../../src/dpdk/exports.js';
import { RNDIS_STATUS } from '../../src/kernel/exports.js';
import { MAC, PmdWorld, VF_ADDR } from '../pmd/world.js';

/**
 * Model-based test of DPDK's netvsc PMD (NetvscPmdPort): random sequences of VF PCI hot-plug and
 * surprise removal, the application probing the VF port, VF associations before or after,
 * start/stop, link indications in the ring, VF link flaps, MTU, TX/RX bursts under DPDK ownership
 * (the caller frees what txBurst did not take), recovering/recovered/recovery-failed and time,
 * checked after every step against a small reference model (is the VF reported, attached,
 * switched) and the invariants (TX on the VF only when attached, started and switched; the host
 * follows the guest's datapath; basic stats never decrease; link events only with `lsc`, one per
 * link indication read unless an MTU change cancelled it), then a full teardown check.
 *
 * Live migrations and their cancellation need @bypass/hypervisor (not built yet): left out.
 */

/** A second PCI VF with another MAC: never the netvsc VF. */
const STRANGER_ADDR = '0002:00:03.0';
const STRANGER_MAC = MacAddress.parse('00:15:5d:00:00:77');
type Which = 'vf' | 'stranger';

/** How a run begins: no VF, a VF plugged only, or plugged, probed and associated at bring-up. */
export type PmdStart = 'none' | 'vf-plugged' | 'vf-before';
export const pmdStartArb = fc.constantFrom<PmdStart>(
  'none',
  'vf-plugged',
  'vf-before',
  'vf-before',
);

export type PCmd =
  | { op: 'plug' | 'unplug' | 'probeVf'; which: Which }
  | { op: 'assoc'; allocated: boolean }
  | { op: 'start' | 'stop' }
  | { op: 'policy'; refuse: boolean }
  | { op: 'hostLink'; status: 'connect' | 'disconnect' | 'speed' | 'short-speed' }
  | { op: 'vfLink'; up: boolean }
  | { op: 'mtu'; mtu: number }
  | { op: 'tx'; count: number; len: number }
  | { op: 'rx'; count: number }
  | { op: 'recovering' | 'recovered' | 'recoveryFailed' }
  | { op: 'advance'; ms: number };

const which = fc.constantFrom<Which>('vf', 'vf', 'vf', 'stranger');
export const pcmdArb: fc.Arbitrary<PCmd> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constantFrom('plug' as const, 'unplug' as const, 'probeVf' as const),
      which,
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ op: fc.constant('assoc' as const), allocated: fc.boolean() }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('start' as const) }), weight: 2 },
  fc.record({ op: fc.constant('stop' as const) }),
  fc.record({ op: fc.constant('policy' as const), refuse: fc.boolean() }),
  fc.record({
    op: fc.constant('hostLink' as const),
    status: fc.constantFrom(
      'connect' as const,
      'disconnect' as const,
      'speed' as const,
      'short-speed' as const,
    ),
  }),
  fc.record({ op: fc.constant('vfLink' as const), up: fc.boolean() }),
  fc.record({ op: fc.constant('mtu' as const), mtu: fc.constantFrom(1500, 4000, 9000) }),
  {
    arbitrary: fc.record({
      op: fc.constant('tx' as const),
      count: fc.integer({ min: 1, max: 16 }),
      len: fc.constantFrom(128, 128, 600, 40),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ op: fc.constant('rx' as const), count: fc.integer({ min: 1, max: 8 }) }),
    weight: 3,
  },
  fc.record({
    op: fc.constantFrom('recovering' as const, 'recovered' as const, 'recoveryFailed' as const),
  }),
  {
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(0.01, 1, 1000, 5000),
    }),
    weight: 3,
  },
);

const STAT_FIELDS = [
  'ipackets',
  'opackets',
  'ibytes',
  'obytes',
  'imissed',
  'ierrors',
  'oerrors',
  'rx_nombuf',
] as const satisfies readonly (keyof EthStats)[];

/** What a run exercised (summed over runs and logged, to see that the model reaches the VF path). */
export interface PmdCoverage {
  txOnVf: number;
  txSynthetic: number;
  txNotTaken: number;
  rxOnVf: number;
  /** Steps that ended with the datapath switched to the VF. */
  switched: number;
  /** Runs that switched to the VF at least once. */
  runsSwitched: number;
  removed: number;
}

export function emptyPmdCoverage(): PmdCoverage {
  return {
    txOnVf: 0,
    txSynthetic: 0,
    txNotTaken: 0,
    rxOnVf: 0,
    switched: 0,
    runsSwitched: 0,
    removed: 0,
  };
}

/**
 * Runs one sequence; throws on the first broken invariant. With `lsc` the port is configured
 * with `intr_conf.lsc`.
 */
export function runNetvscPmd(
  cmds: readonly PCmd[],
  start: PmdStart = 'vf-before',
  cov: PmdCoverage = emptyPmdCoverage(),
  lsc = false,
): void {
  const w = new PmdWorld();
  const busObserversBefore = w.bus.subscriberCount;
  const plugged = new Map<Which, VfDevice>();
  let reported = false;
  if (start !== 'none') {
    plugged.set('vf', w.plugVf());
    if (start === 'vf-before') {
      w.probeVf();
      // The host announces the VF while the guest brings the channel up (before the port exists).
      w.host.events.once('guest-ready', () => w.host.sendVfAssociation(true, 1));
      reported = true;
    }
  }
  const p = w.probe();
  p.configure(1, 1, { lsc });
  p.start();
  const addr = (x: Which): string => (x === 'vf' ? VF_ADDR : STRANGER_ADDR);
  // Host RX on the VF path goes to the plugged VF; with none the frame is lost at the host.
  w.host.vfSink = (pkts, s, n) => {
    const vf = plugged.get('vf');
    if (vf === undefined) w.pool.drop(pkts, s, n, DropReason.NO_DEVICE);
    else vf.injectRx(0, pkts, s, n);
  };

  // ------------------------------------------------------------ reference model
  let everRefused = false;
  let everSwitched = false;
  let last: EthStats = p.statsGet();
  const out = new Int32Array(64);
  // Link events: every indication this model sends is a link one, so each one the port reads
  // arms an alarm with lsc (statusEvents counts them); an MTU change cancels the pending ones.
  let fired = 0;
  let cancelled = 0;
  const onLsc = (): void => {
    fired++;
  };
  p.on('intr_lsc', onLsc);
  // With lsc, linkGet on the started port is the link recorded at start (rte_eth_link_get).
  let linkAtStart = p.storedLink.status;

  const hostBehind = (): boolean => w.host.stats.switchRequests !== p.pmdStats.datapathSwitches;

  const check = (where: string): void => {
    const vf = p.vfPort;
    if (vf !== null) {
      if (vf.name !== VF_ADDR || !vf.macAddr.equals(MAC))
        throw new Error(`${where}: ${vf.name} attached as the VF`);
      if (vf.owner !== p.name) throw new Error(`${where}: the VF port is not owned by netvsc`);
      if (vf.state === 'unused') throw new Error(`${where}: a released port is still the VF`);
    }
    const stranger = w.registry.getByName(STRANGER_ADDR);
    if (stranger !== undefined && stranger.owner !== null)
      throw new Error(`${where}: the stranger port got an owner`);
    if (p.vfSwitched && (vf === null || !p.started))
      throw new Error(`${where}: switched without an attached VF on a started port`);
    if (p.vfSwitched && !p.vfReported)
      throw new Error(`${where}: switched although the host withdrew the VF`);
    // The PMD does not await the host's completion (hn_nvs_set_datapath): once the host has read
    // every switch the guest sent, it must carry traffic where the guest says.
    if (!hostBehind() && !everRefused) {
      const want = p.vfSwitched ? 'vf' : 'synthetic';
      if (w.host.dataPath !== want)
        throw new Error(`${where}: host datapath ${w.host.dataPath}, guest ${want}`);
    }
    const now = p.statsGet();
    for (const f of STAT_FIELDS)
      if (now[f] < last[f]) throw new Error(`${where}: ${f} decreased ${last[f]} -> ${now[f]}`);
    last = now;
    if (!lsc && fired !== 0) throw new Error(`${where}: ${fired} link events without lsc`);
    if (fired + cancelled > p.pmdStats.statusEvents)
      throw new Error(`${where}: ${fired} link events for ${p.pmdStats.statusEvents} indications`);
    if (lsc && p.started && p.linkGet().status !== linkAtStart)
      throw new Error(`${where}: linkGet on a started lsc port refreshed the link`);
  };

  const tx = (count: number, len: number): void => {
    const before = { vf: p.pmdStats.txVf, syn: p.pmdStats.txCopied + p.pmdStats.txDirect };
    const bad = p.pmdStats.txBadSize;
    const pkts = w.frames(count, len);
    const took = p.txBurst(0, pkts, 0, count);
    // DPDK ownership: the application frees (or would retry) what the port did not take.
    w.pool.freeBurst(pkts, took, count - took);
    const dVf = p.pmdStats.txVf - before.vf;
    const dSyn = p.pmdStats.txCopied + p.pmdStats.txDirect - before.syn;
    const dBad = p.pmdStats.txBadSize - bad;
    cov.txOnVf += dVf;
    cov.txSynthetic += dSyn;
    cov.txNotTaken += count - took;
    if (took < 0 || took > count) throw new Error(`txBurst took ${took} of ${count}`);
    // State after the burst is the one its decision saw (the burst polls the ring first).
    const ready = p.vfSwitched && p.vfPort !== null && p.vfPort.started;
    if (!p.started && took !== 0) throw new Error('a stopped port took frames');
    if (dVf > 0 && !ready)
      throw new Error(`${dVf} frames on a VF that is not attached, started and switched`);
    if (ready && dSyn > 0) throw new Error(`${dSyn} synthetic frames while the VF is ready`);
    if (dVf + dSyn + dBad !== took)
      throw new Error(`took ${took}: vf ${dVf} + synthetic ${dSyn} + bad size ${dBad}`);
    if (p.started && p.vfReported !== reported)
      throw new Error(
        `the port read its ring but vfReported=${p.vfReported}, host sent ${reported}`,
      );
    w.vfWire();
  };

  const rx = (count: number): void => {
    const toVf = w.host.stats.toVfFrames;
    const guestOnVf = p.vfSwitched || hostBehind();
    w.deliver(count);
    cov.rxOnVf += w.host.stats.toVfFrames - toVf;
    if (w.host.stats.toVfFrames !== toVf && !guestOnVf)
      throw new Error(
        'host RX reached the VF although the guest switched away and the host read it',
      );
    for (let n; (n = p.rxBurst(0, out, 0, out.length)) > 0;) {
      for (let i = 0; i < n; i++)
        if (w.pool.port[out[i] as number] !== p.portId)
          throw new Error('RX frame with another port id');
      w.pool.freeBurst(out, 0, n);
    }
    // The port read its ring: the link it reports is the one the host indicated last.
    if (!lsc && p.started && p.linkGet().status !== w.host.linkUp)
      throw new Error(`link ${p.linkGet().status}, the host says ${w.host.linkUp}`);
  };

  for (const [i, c] of cmds.entries()) {
    const label = `#${i} ${JSON.stringify(c)}`;
    try {
      switch (c.op) {
        case 'plug':
          if (!plugged.has(c.which))
            plugged.set(
              c.which,
              c.which === 'vf' ? w.plugVf() : w.plugVf(STRANGER_ADDR, STRANGER_MAC),
            );
          break;
        case 'unplug':
          if (plugged.has(c.which)) {
            w.unplugVf(addr(c.which));
            plugged.delete(c.which);
          }
          break;
        case 'probeVf':
          if (plugged.has(c.which)) w.probeVf(addr(c.which));
          break;
        case 'assoc':
          w.host.sendVfAssociation(c.allocated, 1);
          reported = c.allocated;
          break;
        case 'start':
          if (!p.started) {
            p.start();
            linkAtStart = p.storedLink.status;
          }
          break;
        case 'stop':
          p.stop();
          break;
        case 'policy':
          w.host.switchPolicy = c.refuse ? 'refuse' : 'accept';
          everRefused ||= c.refuse;
          break;
        case 'hostLink': {
          const speed = new Uint8Array(4);
          new DataView(speed.buffer).setUint32(0, 250_000_000, true);
          if (c.status === 'connect') w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
          else if (c.status === 'disconnect') w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
          else if (c.status === 'speed')
            w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, speed);
          else w.host.indicateStatus(RNDIS_STATUS.LINK_SPEED_CHANGE, speed.subarray(0, 2));
          break;
        }
        case 'vfLink':
          plugged.get('vf')?.setLink(c.up);
          break;
        case 'mtu': {
          const pending = p.pmdStats.statusEvents - fired - cancelled;
          p.setMtu(c.mtu);
          // hn_dev_mtu_set -> hn_detach cancels the link alarms not yet run; ethdev calls it
          // for the current MTU too (rte_eth_dev_set_mtu has no shortcut)
          if (lsc) cancelled += pending;
          break;
        }
        case 'tx':
          tx(c.count, c.len);
          break;
        case 'rx':
          rx(c.count);
          break;
        case 'recovering':
          if (p.vfPort !== null) p.vfRecovering();
          break;
        case 'recovered':
          if (p.vfPort !== null) p.vfRecovered();
          break;
        case 'recoveryFailed':
          if (p.vfPort !== null) p.vfRecoveryFailed();
          break;
        case 'advance':
          w.advanceMs(c.ms);
          break;
      }
    } catch (err) {
      if (!(err instanceof BypassError))
        throw new Error(`${label}: ${String(err)}`, { cause: err });
    }
    if (p.vfSwitched) {
      if (!everSwitched) cov.runsSwitched++;
      everSwitched = true;
      cov.switched++;
    }
    if (p.vfState === 'removed') cov.removed++;
    check(label);
  }

  // ------------------------------------------------------------ teardown
  p.stop();
  w.advanceMs(0.01); // the alarms of the last indications read (stop drains the ring)
  if (lsc && fired + cancelled !== p.pmdStats.statusEvents)
    throw new Error(
      `teardown: ${fired} link events + ${cancelled} cancelled for ${p.pmdStats.statusEvents} indications`,
    );
  p.off('intr_lsc', onLsc);
  p.close();
  for (const x of ['vf', 'stranger'] as const) {
    const port = w.registry.getByName(addr(x));
    if (port !== undefined) w.registry.remove(port);
    if (plugged.has(x)) w.unplugVf(addr(x));
  }
  w.advanceMs(10);
  if (w.registry.ports().length !== 0) throw new Error('teardown: ports left');
  if (w.scheduler.pending !== 0) throw new Error(`teardown: ${w.scheduler.pending} timers pending`);
  if (w.bus.subscriberCount !== busObserversBefore)
    throw new Error('teardown: bus subscriptions left');
  if (p.listenerCount('intr_lsc') + p.listenerCount('intr_rmv') !== 0)
    throw new Error('teardown: listeners left on the port');
  if (w.pool.inUse !== 0) throw new Error(`teardown: ${w.pool.inUse} frames leaked`);
}
