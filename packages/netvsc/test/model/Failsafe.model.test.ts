import test from 'ava';
import fc from 'fast-check';
import { DEEP, modelTest } from '../../../../test/support/modelTest.js';
import { BypassError, MacAddress } from '@bypass/core';
import { SubDevState, type FailsafePort, type FailsafeSubDevice } from '../../src/dpdk/exports.js';
import type { FakePort } from '../dpdk/helpers/FakePort.js';
import { fakeDriver } from '../dpdk/helpers/FakePort.js';
import { World, mac } from '../dpdk/helpers/world.js';

/**
 * Model-based test of the fail-safe PMD: sub-device 0 comes and goes through an fd() source (the
 * pipe vdev_netvsc writes the VF's name into), sub-device 1 is declared with dev() (the TAP's
 * place). Random sequences of plugs, RMV (also from inside a burst), time across hotplug_poll,
 * configuration changes, start/stop and traffic, checked after every step against a tiny model
 * of the TX choice and against the invariants of issue 7: TX only on a present sub-device that is
 * started at the fail-safe's state; every configured sub-device carries the fail-safe's
 * configuration (replayed after a re-plug); sub-devices are owned by the fail-safe; stats
 * monotonic; after stop + close no timer, no port and no frame left.
 */

const MAX_STEPS = DEEP ? 120 : 40;
const FS_MAC = mac(0x01);
const MCAST = [0, 1, 2].map((i) => MacAddress.fromNumber(0x01005e000000 + i));

type Sub = 'A' | 'B';
type Cmd =
  | { op: 'plug'; sub: Sub }
  | { op: 'rmv'; sub: Sub; inBurst: boolean }
  | { op: 'staleLine' }
  | { op: 'advance'; ms: number }
  | { op: 'start' | 'stop' | 'statsReset' }
  | { op: 'mtu'; mtu: number }
  | { op: 'promisc' | 'allmulti'; on: boolean }
  | { op: 'macAdd' | 'macDel'; n: number }
  | { op: 'defaultMac'; n: number }
  | { op: 'mcList'; n: number }
  | { op: 'vlan'; vid: number; on: boolean }
  | { op: 'tx'; n: number }
  | { op: 'rx'; sub: Sub; n: number };

const sub = fc.constantFrom<Sub>('A', 'A', 'B');
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('plug' as const), sub }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('rmv' as const), sub, inBurst: fc.boolean() }),
    weight: 2,
  },
  fc.record({ op: fc.constant('staleLine' as const) }),
  {
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 3500 }), fc.constant(2000)),
    }),
    weight: 4,
  },
  fc.record({ op: fc.constantFrom('start' as const, 'stop' as const, 'statsReset' as const) }),
  fc.record({
    op: fc.constant('mtu' as const),
    mtu: fc.constantFrom(1280, 1500, 4000, 9000, 9500),
  }),
  fc.record({ op: fc.constantFrom('promisc' as const, 'allmulti' as const), on: fc.boolean() }),
  fc.record({
    op: fc.constantFrom('macAdd' as const, 'macDel' as const),
    n: fc.integer({ min: 2, max: 11 }),
  }),
  fc.record({ op: fc.constant('defaultMac' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('mcList' as const), n: fc.nat(3) }),
  fc.record({
    op: fc.constant('vlan' as const),
    vid: fc.constantFrom(1, 10, 20, 4095),
    on: fc.boolean(),
  }),
  {
    arbitrary: fc.record({ op: fc.constant('tx' as const), n: fc.integer({ min: 1, max: 32 }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('rx' as const),
      sub,
      n: fc.integer({ min: 1, max: 16 }),
    }),
    weight: 2,
  },
);

const macs = (l: readonly (MacAddress | null)[]): string =>
  l
    .filter((m): m is MacAddress => m !== null)
    .map((m) => m.toString())
    .sort()
    .join(' ');

/** The configuration a configured sub-device must carry: the fail-safe's own. */
function configOf(p: FakePort | FailsafePort): string {
  return JSON.stringify({
    mtu: p.mtu,
    promisc: p.promiscuous,
    allmulti: p.allmulticast,
    mac: p.macAddr.toString(),
    extra: macs(p.extraMacAddrs),
    mc: macs(p.mcAddrs),
    vlan: [...p.vlanIds].sort((a, b) => a - b),
  });
}

const STAT_FIELDS = [
  'ipackets',
  'opackets',
  'ibytes',
  'obytes',
  'imissed',
  'ierrors',
  'oerrors',
] as const;

function run(cmds: Cmd[]): void {
  const w = new World();
  const live = new Set<string>(['net_fakeB']);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const { fd, pipe } = w.pipes.open();
  const fs = w.registry.probe(
    `net_failsafe0,fd(${fd}),dev(net_fakeB),mac=${FS_MAC.toString()}`,
  ) as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  const owner = `net_failsafe:${fs.name}`;
  const name = (s: Sub) => (s === 'A' ? 'net_fakeA' : 'net_fakeB');
  const portOf = (s: Sub) => w.registry.getByName(name(s)) as FakePort | undefined;
  const out = new Int32Array(64);
  let last = fs.statsGet();

  /** The model's TX choice: the first sub-device that is started, not leaving, not removed. */
  const modelTx = (): FailsafeSubDevice | null => {
    if (fs.fsStateValue !== SubDevState.STARTED) return null;
    for (const s of fs.subDevices) {
      if (s.state === SubDevState.STARTED && !s.remove && s.port !== null) return s;
    }
    return null;
  };

  const check = (where: string): void => {
    if (fs.fsStateValue === SubDevState.STARTED) {
      const tx = fs.txSubDevice;
      const m = modelTx();
      if (tx !== m) throw new Error(`${where}: TX on ${tx?.sid ?? '-'}, model ${m?.sid ?? '-'}`);
    }
    const fsConfig = configOf(fs);
    for (const s of fs.subDevices) {
      const p = s.port;
      if (p === null) continue;
      if (p.owner !== owner) throw new Error(`${where}: sub ${s.sid} owned by ${p.owner}`);
      if (s.state >= SubDevState.ACTIVE && !s.remove && p.state === 'attached') {
        const c = configOf(p as FakePort);
        if (c !== fsConfig)
          throw new Error(`${where}: sub ${s.sid} carries ${c}, fail-safe ${fsConfig}`);
      }
    }
    const now = fs.statsGet();
    for (const f of STAT_FIELDS) {
      if (now[f] < last[f]) throw new Error(`${where}: ${f} went back ${last[f]} -> ${now[f]}`);
    }
    last = now;
  };

  for (const [i, c] of cmds.entries()) {
    const where = `#${i} ${JSON.stringify(c)}`;
    try {
      switch (c.op) {
        case 'plug':
          live.add(name(c.sub));
          if (c.sub === 'A') pipe.write('net_fakeA\n'); // vdev_netvsc announces the VF
          break;
        case 'staleLine':
          pipe.write('net_fakeA\n'); // may name a VF that is gone
          break;
        case 'rmv': {
          const p = portOf(c.sub);
          live.delete(name(c.sub));
          if (p === undefined) break;
          if (c.inBurst) p.duringBurst = () => p.unplug();
          else p.unplug();
          break;
        }
        case 'advance':
          w.advanceMs(c.ms);
          break;
        case 'start':
          fs.start();
          break;
        case 'stop':
          fs.stop();
          break;
        case 'statsReset':
          fs.statsReset();
          last = fs.statsGet();
          break;
        case 'mtu':
          fs.setMtu(c.mtu);
          break;
        case 'promisc':
          fs.setPromiscuous(c.on);
          break;
        case 'allmulti':
          fs.setAllmulticast(c.on);
          break;
        case 'macAdd':
          fs.macAddrAdd(mac(c.n));
          break;
        case 'macDel':
          fs.macAddrRemove(mac(c.n));
          break;
        case 'defaultMac':
          fs.setDefaultMacAddr(mac(c.n));
          break;
        case 'mcList':
          fs.setMcAddrList(MCAST.slice(0, c.n));
          break;
        case 'vlan':
          fs.vlanFilter(c.vid, c.on);
          break;
        case 'tx': {
          const expected = fs.fsStateValue === SubDevState.STARTED ? modelTx() : null;
          const ports = (['A', 'B'] as const).map(portOf);
          const before = ports.map((p) => p?.sent.length ?? 0);
          const presentBefore = ports.map((p) => p !== undefined && p.state === 'attached');
          const pkts = w.frames(c.n, mac(0x99));
          const n = fs.txBurst(0, pkts, 0, c.n);
          w.pool.freeBurst(pkts, n, c.n - n); // the application keeps what was not taken
          ports.forEach((p, k) => {
            const grew = (p?.sent.length ?? 0) - (before[k] as number);
            if (grew === 0) return;
            if (p === undefined || p !== expected?.port)
              throw new Error(`${where}: TX on ${p?.name}, expected ${expected?.port?.name}`);
            if (!presentBefore[k]) throw new Error(`${where}: TX on a removed port`);
          });
          if (expected === null && n !== 0) throw new Error(`${where}: TX with no sub-device`);
          break;
        }
        case 'rx': {
          const s = fs.subDevices[c.sub === 'A' ? 0 : 1];
          const p = s?.port as FakePort | null | undefined;
          // Frames reach a sub-device's ring only while it is configured and polled.
          if (
            p === null ||
            p === undefined ||
            s === undefined ||
            fs.fsStateValue !== SubDevState.STARTED ||
            s.state !== SubDevState.STARTED ||
            s.remove
          )
            break;
          p.inject(0, w.frames(c.n, FS_MAC));
          let got = 0;
          for (let k; (k = fs.rxBurst(0, out, 0, out.length)) > 0;) {
            for (let j = 0; j < k; j++) {
              if (w.pool.port[out[j] as number] !== fs.portId)
                throw new Error(`${where}: RX port id not rewritten`);
            }
            w.pool.freeBurst(out, 0, k);
            got += k;
          }
          if (got !== c.n) throw new Error(`${where}: ${got} of ${c.n} frames received`);
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof BypassError)) throw err;
    }
    check(where);
  }

  // Teardown: the application stops and closes the port.
  fs.stop();
  fs.close();
  if (w.scheduler.pending !== 0) throw new Error(`teardown: ${w.scheduler.pending} timers`);
  if (w.registry.ports().length !== 0)
    throw new Error(
      `teardown: ports left ${w.registry
        .ports()
        .map((p) => p.name)
        .join(',')}`,
    );
  if (w.pool.inUse !== 0) throw new Error(`teardown: ${w.pool.inUse} frames leaked`);
  if (w.pool.doubleFrees !== 0 || w.pool.invalidFrees !== 0) throw new Error('teardown: bad frees');
}

const TITLE =
  'random plug, RMV, time, configuration and traffic sequences keep fail-safe consistent with the model';
const prop = fc.property(fc.array(cmdArb, { maxLength: MAX_STEPS, size: 'medium' }), (cmds) => {
  run(cmds);
});

modelTest(TITLE, () => ({ property: prop, log: () => `up to ${MAX_STEPS} steps` }), {
  runs: 150,
  seed: 11,
  deepRuns: 15_000,
  deepChunks: 60,
});

test('counterexample kept (fixed): a default MAC already in the extra list is refused, so a re-plugged VF gets the same table', (t) => {
  // Found by this model: the fail-safe took 02 as default while 02 was also an extra address;
  // replayed to the VF, the extra entry folded into the default and the tables differed.
  const cmds: Cmd[] = [
    { op: 'macAdd', n: 2 },
    { op: 'plug', sub: 'A' },
    { op: 'defaultMac', n: 2 },
    { op: 'advance', ms: 2000 },
  ];
  t.notThrows(() => run(cmds));
  const w = new World();
  w.registry.registerDriver(fakeDriver(w.pool, new Set(['net_fakeB'])));
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeB)') as FailsafePort;
  fs.macAddrAdd(mac(2));
  t.throws(() => fs.setDefaultMacAddr(mac(2)), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /already in the address list/,
  });
  t.not(fs.macAddr.toString(), mac(2).toString());
});
