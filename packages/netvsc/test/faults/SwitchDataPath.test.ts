import test from 'ava';
import type { NetvspHost } from '../../src/kernel/exports.js';
import { World } from '../kernel/world.js';

/**
 * Faults of the datapath switch (issue 7): a host that never completes SWITCH_DATA_PATH. Found
 * by these tests: netvsc waited forever (no retry, no log) and, with the request never answered,
 * no later switch was ever attempted (the datapath stayed wedged even for a new VF on a healthy
 * host). Fixed: the completion is awaited 1 s, the request sent 3 times, then the switch fails
 * with `err: timeout` and netvsc stays synthetic; the next VF event tries again.
 */

/** The host handles SWITCH_DATA_PATH (and switches) but its completions are lost. */
function loseSwitchCompletions(host: NetvspHost): { lost: number; heal(): void } {
  const h = host as unknown as { completeSwitch(ep: unknown, id: number): void };
  const original = h.completeSwitch.bind(host);
  const state = {
    lost: 0,
    heal: (): void => {
      h.completeSwitch = original;
    },
  };
  h.completeSwitch = () => {
    state.lost++;
  };
  return state;
}

test('a host that never completes SWITCH_DATA_PATH: sent 3 times 1 s apart, then netvsc stays synthetic and logs err: timeout', (t) => {
  const w = new World();
  const dev = w.probe();
  const host = loseSwitchCompletions(w.host);
  w.host.sendVfAssociation(true, 1);
  w.plugVf();
  w.run(100); // takeover: VF up, switch requested
  t.true(dev.datapath.inFlight);
  w.send(4);
  w.run(1);
  t.is(w.synthetic, 4); // never a drop because of the VF
  t.false(dev.txOnVf);
  w.run(3000);
  t.is(w.host.stats.switchRequests, 3);
  t.is(host.lost, 3);
  t.is(dev.client.stats.switchTimeouts, 3);
  t.false(dev.datapath.inFlight);
  t.is(dev.datapath.failures, 1);
  t.true(w.log.includes('eth0: Data path failed to switch to VF: enP1s1, err: timeout'));
  t.false(dev.txOnVf);
  w.send(4);
  w.run(1);
  t.is(w.synthetic, 8);
  t.is(w.scheduler.pending, 0); // given up: nothing keeps retrying
  t.deepEqual(w.takeDrops(), {});
});

test('fixed: after a lost completion the next VF event switches again once the host is healthy', (t) => {
  // Counterexample kept: before the fix the first request stayed in flight for ever, so a new VF
  // on a healthy host was never switched to.
  const w = new World();
  const dev = w.probe();
  const host = loseSwitchCompletions(w.host);
  w.host.sendVfAssociation(true, 1);
  w.plugVf();
  w.run(100);
  w.run(3000);
  t.false(dev.txOnVf);
  host.heal();
  w.unplugVf();
  w.run(10);
  w.plugVf();
  w.run(100);
  w.scheduler.runUntilIdle();
  t.true(dev.txOnVf);
  t.true(w.log.includes('eth0: Data path switched to VF: enP1s1'));
  w.send(5);
  t.is(w.drainVf(), 5);
});

test('a completion that comes late (host busy for 1.5 s) only costs a second request; the switch then completes', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  w.plugVf();
  w.host.pause(); // the request fits in the ring but nobody reads it
  w.run(100);
  w.run(1500);
  t.is(dev.client.stats.switchTimeouts, 1);
  t.false(dev.txOnVf);
  w.host.resume(); // both requests are read; the first one's completion matches nothing any more
  w.scheduler.runUntilIdle();
  t.true(dev.txOnVf);
  t.is(dev.client.stats.unknownCompletions, 1);
  t.is(dev.datapath.failures, 0);
  t.is(w.scheduler.pending, 0);
});

test('netvsc removed while a switch waits for its completion leaves no timer and no callback behind', (t) => {
  const w = new World();
  const dev = w.probe();
  loseSwitchCompletions(w.host);
  w.host.sendVfAssociation(true, 1);
  w.plugVf();
  w.run(100);
  t.true(dev.datapath.inFlight);
  w.unplugVf();
  dev.remove();
  w.run(1); // VMBus signals in flight land
  t.is(w.scheduler.pending, 0);
  w.run(5000);
  t.false(w.log.some((l) => l.includes('err: timeout')));
});
