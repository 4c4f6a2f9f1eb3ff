import fc from 'fast-check';
import { DEEP, modelTest } from '../../../../test/support/modelTest.js';
import { BypassMaster } from '../../src/bypass/BypassMaster.js';
import { BypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import type { NetDevice } from '../../src/netdev/NetDevice.js';
import { PRIV_FLAG } from '../../src/netdev/NetDeviceFlags.js';
import { STATS64_FIELDS } from '../../src/netdev/NetDeviceStats.js';
import { type ToyNic, world } from './fixtures.js';

/**
 * Model-based test of the bypass framework: random sequences of netdev events on a master, its
 * backup, candidate VFs and unrelated devices, checked after every step against a reference
 * model of the slots and against the invariants of linux-failover.md section 2.
 */

const MAX_STEPS = DEEP ? 200 : 60;

type Target = 'master' | 'backup' | 'vf0' | 'vf1' | 'vf2' | 'other';
const TARGETS: Target[] = ['master', 'backup', 'vf0', 'vf1', 'vf2', 'other'];
const DEVICES: Exclude<Target, 'master'>[] = ['backup', 'vf0', 'vf1', 'vf2', 'other'];

type Cmd =
  | { op: 'register' | 'unregister' | 'resetStats'; dev: Exclude<Target, 'master'> }
  | { op: 'open' | 'close'; dev: Target }
  | { op: 'carrierOn' | 'carrierOff'; dev: Exclude<Target, 'master'> }
  | { op: 'rename'; dev: Target; suffix: number }
  | { op: 'mtu'; dev: Target; mtu: number }
  | { op: 'xmit'; count: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    op: fc.constantFrom('register' as const, 'unregister' as const, 'resetStats' as const),
    dev: fc.constantFrom(...DEVICES),
  }),
  fc.record({
    op: fc.constantFrom('open' as const, 'close' as const),
    dev: fc.constantFrom(...TARGETS),
  }),
  // Carrier belongs to the driver of each device; the master's is the framework's own.
  fc.record({
    op: fc.constantFrom('carrierOn' as const, 'carrierOff' as const),
    dev: fc.constantFrom(...DEVICES),
  }),
  fc.record({
    op: fc.constant('rename' as const),
    dev: fc.constantFrom(...TARGETS),
    suffix: fc.nat(3),
  }),
  fc.record({
    op: fc.constant('mtu' as const),
    dev: fc.constantFrom(...TARGETS),
    mtu: fc.constantFrom(1280, 1500, 4000, 9000),
  }),
  fc.record({ op: fc.constant('xmit' as const), count: fc.integer({ min: 1, max: 8 }) }),
);

function run(cmds: Cmd[]): void {
  const w = world();
  const backup = w.virtio({ name: 'sby' });
  const master = BypassMaster.create({ registry: w.registry, backup, ns: w.ns, name: 'bypass0' });
  const devs: Record<Exclude<Target, 'master'>, ToyNic> = {
    backup,
    vf0: w.vf({ name: 'vf0' }),
    vf1: w.vf({ name: 'vf1' }),
    vf2: w.vf({ name: 'vf2' }),
    other: w.vf({ name: 'other', permAddr: MacAddress.parse('02:00:00:00:00:77') }),
  };
  const dev = (t: Target): NetDevice => (t === 'master' ? master : devs[t]);
  // Reference model: which device holds each slot.
  let modelActive: NetDevice | null = null;
  let modelBackup: NetDevice | null = null;
  let lastStats = master.getStats64().clone();

  const check = (step: string): void => {
    const where = `after ${step}`;
    if (master.active !== modelActive)
      throw new Error(
        `${where}: active is ${master.active?.name}, model says ${modelActive?.name}`,
      );
    if (master.backup !== modelBackup)
      throw new Error(
        `${where}: backup is ${master.backup?.name}, model says ${modelBackup?.name}`,
      );
    if (master.lowers.length > 2) throw new Error(`${where}: ${master.lowers.length} slaves`);
    for (const d of Object.values(devs)) {
      const enslaved = d === modelActive || d === modelBackup;
      if ((d.master === master) !== enslaved)
        throw new Error(`${where}: ${d.name} link disagrees with the model`);
      if (((d.privFlags & PRIV_FLAG.FAILOVER_SLAVE) !== 0) !== enslaved)
        throw new Error(`${where}: ${d.name} flags disagree`);
    }
    const ready = (d: NetDevice | null) => d !== null && d.isReady;
    const carrier = master.running && (ready(modelActive) || ready(modelBackup));
    if (master.carrier !== carrier)
      throw new Error(`${where}: master carrier ${master.carrier}, expected ${carrier}`);
    const now = master.getStats64();
    for (const f of STATS64_FIELDS) {
      if (now[f] < lastStats[f])
        throw new Error(`${where}: folded ${f} decreased ${lastStats[f]} -> ${now[f]}`);
    }
    lastStats = now.clone();
    if (w.pool.inUse !== 0) throw new Error(`${where}: ${w.pool.inUse} frames leaked`);
  };

  for (const [i, c] of cmds.entries()) {
    const label = `#${i} ${JSON.stringify(c)}`;
    try {
      switch (c.op) {
        case 'register': {
          const d = devs[c.dev];
          if (d.registered) break;
          w.ns.register(d);
          if (c.dev === 'backup') modelBackup ??= d;
          else if (c.dev !== 'other' && modelActive === null) modelActive = d;
          break;
        }
        case 'unregister': {
          const d = devs[c.dev];
          if (!d.registered) break;
          w.ns.unregister(d);
          if (modelActive === d) modelActive = null;
          if (modelBackup === d) modelBackup = null;
          break;
        }
        case 'resetStats':
          devs[c.dev].stats.reset();
          break;
        case 'open':
          if (dev(c.dev).registered) dev(c.dev).open();
          break;
        case 'close':
          dev(c.dev).close();
          break;
        case 'carrierOn':
          dev(c.dev).carrierOn();
          break;
        case 'carrierOff':
          dev(c.dev).carrierOff();
          break;
        case 'rename':
          if (dev(c.dev).registered) dev(c.dev).rename(`${c.dev}-${c.suffix}`);
          break;
        case 'mtu':
          dev(c.dev).setMtu(c.mtu);
          break;
        case 'xmit': {
          const expect = modelActive?.isReady
            ? modelActive
            : modelBackup?.isReady
              ? modelBackup
              : null;
          const before = Object.values(devs).map((d) => d.sentMarks.length);
          const droppedBefore = master.stats.txDropped;
          const sent = master.xmit(w.frames(c.count), 0, c.count);
          const grew = Object.values(devs).filter((d, k) => d.sentMarks.length !== before[k]);
          if (!master.running || expect === null) {
            if (sent !== 0 || grew.length !== 0)
              throw new Error(`${label}: sent with no ready path`);
            if (master.running && master.stats.txDropped !== droppedBefore + c.count)
              throw new Error(`${label}: drop not counted`);
          } else if (grew.length !== 1 || grew[0] !== expect || sent !== c.count) {
            throw new Error(
              `${label}: TX went to ${grew.map((d) => d.name).join(',')} instead of ${expect.name}`,
            );
          }
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof BypassError)) throw err;
      // A refused operation (busy rename, name clash...) must leave the model's view intact.
    }
    check(label);
  }

  // Full teardown: nothing stays linked, flagged, subscribed or allocated.
  master.destroy();
  for (const d of Object.values(devs)) if (d.registered) w.ns.unregister(d);
  for (const d of [master, ...Object.values(devs)]) {
    if (d.master !== null || d.lowers.length > 0 || d.rxHandler !== null)
      throw new Error(`teardown: ${d.name} still linked`);
    if ((d.privFlags & (PRIV_FLAG.FAILOVER | PRIV_FLAG.FAILOVER_SLAVE)) !== 0)
      throw new Error(`teardown: ${d.name} still flagged`);
  }
  if (w.ns.leakedLinks !== 0) throw new Error(`teardown: ${w.ns.leakedLinks} links had to be cut`);
  if (w.registry.instances().length !== 0 || w.registry.followedNamespaces !== 0)
    throw new Error('teardown: registry not empty');
  if (w.ns.size !== 0) throw new Error('teardown: devices left in the namespace');
  if (w.ns.observed) throw new Error('teardown: something is still subscribed to the namespace');
  if (w.pool.inUse !== 0) throw new Error('teardown: frames leaked');
}

modelTest(
  'random netdev event sequences keep the bypass master consistent with the reference model',
  () => ({
    property: fc.property(fc.array(cmdArb, { maxLength: MAX_STEPS }), (cmds) => {
      run(cmds);
    }),
  }),
  { runs: 300, seed: 42, deepRuns: 100_000, deepChunks: 10 },
);
