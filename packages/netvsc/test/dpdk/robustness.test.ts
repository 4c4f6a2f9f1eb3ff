import test from 'ava';
import fc from 'fast-check';
import { isBypassError } from '@bypass/core';
import {
  SubDevState,
  VdevNetvsc,
  parseFailsafeArgs,
  parseKvargs,
  type FailsafePort,
} from '../../src/dpdk/exports.js';
import { fakeDriver } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';

const DEEP = process.env['BYPASS_DEEP'] === '1';
const RUNS = DEEP ? 20_000 : 300;
const params = DEEP ? { numRuns: RUNS } : { numRuns: RUNS, seed: 7 };

/** Strings built from the tokens devargs are made of, so the parsers see near-misses. */
const devargsText = fc
  .array(
    fc.constantFrom(
      'dev(',
      'exec(',
      'fd(',
      '(',
      ')',
      ',',
      '=',
      'mac',
      'hotplug_poll',
      'iface',
      'force',
      'ignore',
      'net_fakeA',
      'net_tap0',
      'remote=eth1',
      '3',
      '0x1f',
      '-1',
      '00:15:5d:00:00:01',
      'zz',
      ' ',
      '\n',
      'x',
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

test('fail-safe devargs: any text gives a result or a BypassError, never another exception', (t) => {
  fc.assert(
    fc.property(devargsText, (text) => {
      try {
        const a = parseFailsafeArgs(text);
        return a.subs.length >= 1 && a.subs.length <= 2 && a.hotplugPollMs > 0;
      } catch (err) {
        return isBypassError(err);
      }
    }),
    params,
  );
  t.pass();
});

test('kvargs: any text gives pairs or null, never an exception', (t) => {
  fc.assert(
    fc.property(devargsText, (text) => {
      const r = parseKvargs(text, ['iface', 'mac', 'force', 'ignore']);
      return r === null || r.every((p) => p.key.length > 0);
    }),
    params,
  );
  t.pass();
});

test('probing fail-safe and vdev_netvsc with any devargs leaks no port on error; vdev_netvsc never throws', (t) => {
  fc.assert(
    fc.property(devargsText, devargsText, (fsArgs, vdevArgs) => {
      const w = new World();
      w.registry.registerDriver(fakeDriver(w.pool, new Set(['net_fakeA'])));
      w.netvsc('eth1', mac(1));
      try {
        w.registry.probe(`net_failsafe9,${fsArgs}`);
      } catch (err) {
        if (!isBypassError(err)) return false;
        if (w.registry.ports().length !== 0) return false;
      }
      const vdev = new VdevNetvsc({
        registry: w.registry,
        sysfs: w.sysfs,
        scheduler: w.scheduler,
        pipes: w.pipes,
      });
      // vdev_netvsc's probe never fails: errors come back in the result
      const r = vdev.probe('net_vdev_netvsc0', vdevArgs);
      if (r.error !== null && !isBypassError(r.error)) return false;
      w.advanceMs(5000);
      return true;
    }),
    { ...params, numRuns: DEEP ? 1000 : 150 },
  );
  t.pass();
});

type Step =
  | { op: 'plug' }
  | { op: 'unplug' }
  | { op: 'advance'; ms: number }
  | { op: 'send'; n: number }
  | { op: 'wire'; n: number }
  | { op: 'mtu'; mtu: number }
  | { op: 'flap' }
  | { op: 'restart' }
  | { op: 'promisc'; on: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ op: 'plug' }),
  fc.constant<Step>({ op: 'unplug' }),
  fc.integer({ min: 1, max: 3500 }).map((ms): Step => ({ op: 'advance', ms })),
  fc.integer({ min: 1, max: 64 }).map((n): Step => ({ op: 'send', n })),
  fc.integer({ min: 1, max: 16 }).map((n): Step => ({ op: 'wire', n })),
  fc.constantFrom(1500, 1600, 1900).map((mtu): Step => ({ op: 'mtu', mtu })),
  fc.constant<Step>({ op: 'flap' }),
  fc.constant<Step>({ op: 'restart' }),
  fc.boolean().map((on): Step => ({ op: 'promisc', on })),
);

test('random hot-plug sequences: TX only on a present VF, every frame accounted for, nothing leaks', (t) => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: DEEP ? 80 : 30 }), (steps) => {
      const w = new World();
      const eth1 = w.netvsc('eth1', mac(1));
      eth1.bindSink((_d, p, s, c) => w.pool.freeBurst(p, s, c));
      const vdev = new VdevNetvsc({
        registry: w.registry,
        sysfs: w.sysfs,
        scheduler: w.scheduler,
        pipes: w.pipes,
      });
      vdev.probe();
      const fs = w.registry.getByName('net_failsafe_vsc0') as FailsafePort;
      fs.configure(1, 1);
      fs.start();
      const addr = '0002:00:02.0';
      const out = new Int32Array(512);
      let sent = 0;
      let taken = 0;
      for (const s of steps) {
        const vf = w.vfs.get(addr);
        if (s.op === 'plug' && vf === undefined) w.plugVf(addr, mac(1));
        else if (s.op === 'unplug' && vf !== undefined) w.unplugVf(addr);
        else if (s.op === 'advance') w.advanceMs(s.ms);
        else if (s.op === 'mtu') fs.setMtu(s.mtu);
        else if (s.op === 'flap' && vf !== undefined) w.setVfLink(addr, !vf.carrier);
        else if (s.op === 'promisc') fs.setPromiscuous(s.on);
        else if (s.op === 'restart') {
          fs.stop();
          fs.start();
        } else if (s.op === 'send') {
          const pkts = w.frames(s.n, mac(0x99));
          const n = fs.txBurst(0, pkts, 0, s.n);
          sent += s.n;
          taken += n;
          w.pool.freeBurst(pkts, n, s.n - n);
        } else if (s.op === 'wire' && vf !== undefined) {
          const n = vf.drainTx(0, out, 0, out.length);
          w.pool.freeBurst(out, 0, n);
        }
        const tx = fs.txSubDevice?.port?.name;
        if (tx === addr && !w.vfs.has(addr) && !fs.txSubDevice?.remove) return false;
        // the VF port, once started, always carries the fail-safe's MTU and promiscuous mode
        const vfSub = fs.subDevices[0];
        if (vfSub?.state === SubDevState.STARTED && !vfSub.remove) {
          const p = vfSub.port;
          if (p === null || p.mtu !== fs.mtu || p.promiscuous !== fs.promiscuous) return false;
        }
        for (let n; (n = fs.rxBurst(0, out, 0, out.length)) > 0;) w.pool.freeBurst(out, 0, n);
      }
      if (taken > sent || fs.statsGet().opackets !== taken) return false;
      fs.stop();
      fs.close();
      vdev.remove();
      const vf = w.vfs.get(addr);
      if (vf !== undefined) {
        for (let n; (n = vf.drainTx(0, out, 0, out.length)) > 0;) w.pool.freeBurst(out, 0, n);
      }
      return w.pool.inUse === 0 && w.pool.doubleFrees === 0 && w.pool.invalidFrees === 0;
    }),
    { ...params, numRuns: DEEP ? 2000 : 200 },
  );
  t.pass();
});
