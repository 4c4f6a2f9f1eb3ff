import test from 'ava';
import { BypassError, NS_PER_MS, NS_PER_S, PacketPool, VirtualScheduler } from '@bypass/core';
import { FDB_FIRST_SWEEP_NS, FDB_SWEEP_MIN_GAP_NS } from '../../src/world/FdbAgeing.js';
import { VirtualSwitch } from '../../src/world/VirtualSwitch.js';
import { RIG_PEER, RIG_VM, switchRig, type SwitchRig } from '../support/switchRig.js';

// Learned entries age as in net/bridge/br_fdb.c: every frame from a MAC refreshes `updated`,
// the gc work (br_fdb_cleanup) forgets what is silent for ageing_time, runs again at the earliest
// remaining expiry and never sooner than 10 ms; static entries never age; ageing_time 0 learns
// nothing (br_fdb_update returns at once).

const VM = RIG_VM;
const PEER = RIG_PEER;
const FAR_A = 0x5254_0000_0003;
const FAR_B = 0x5254_0000_0004;
const AGEING = NS_PER_S;

interface Rig extends SwitchRig {
  readonly scheduler: VirtualScheduler;
  readonly aged: string[];
  /** Advances the scheduler to `ns` (absolute), running the sweeps due. */
  at(ns: number): void;
}

const rig = (ageing = AGEING): Rig => {
  const scheduler = new VirtualScheduler();
  const r = switchRig({ ageing, scheduler });
  const aged: string[] = [];
  r.sw.onAged = (mac, p) => aged.push(`${mac.toString(16)}@${p.name}@${scheduler.now()}`);
  return { ...r, scheduler, aged, at: (ns) => scheduler.advanceTo(ns) };
};

test('a silent source is forgotten by the first sweep at or after its last frame + ageing; sweeps run at least 10 ms apart', (t) => {
  const r = rig();
  t.is(r.sw.sweep?.nextRun, FDB_FIRST_SWEEP_NS, 'the first sweep 100 ms after the switch is up');
  r.at(200 * NS_PER_MS);
  t.is(r.sw.sweep?.nextRun, FDB_FIRST_SWEEP_NS + AGEING, 'an empty table: again after ageing');
  r.send(r.port.up, [FAR_A, PEER]);
  r.at(205 * NS_PER_MS);
  r.send(r.port.up, [FAR_B, PEER]);
  t.is(r.sw.learnedCount, 2);
  r.at(1100 * NS_PER_MS);
  t.is(r.sw.sweep?.nextRun, 1200 * NS_PER_MS, 'the run at 1.1 s waits for the earliest expiry');
  r.at(1200 * NS_PER_MS - 1);
  t.is(r.sw.learnedCount, 2, 'an entry forwards until the sweep deletes it');
  r.at(1200 * NS_PER_MS);
  t.is(r.sw.lookup(FAR_A), -1, 'A: updated 200 ms + 1 s <= now');
  t.is(r.sw.lookup(FAR_B), r.port.up, 'B is due 5 ms later');
  t.is(r.sw.sweep?.nextRun, 1200 * NS_PER_MS + FDB_SWEEP_MIN_GAP_NS, '5 ms away: 10 ms at least');
  r.at(1210 * NS_PER_MS - 1);
  t.is(r.sw.lookup(FAR_B), r.port.up, 'still there 5 ms after its expiry');
  r.at(1210 * NS_PER_MS);
  t.is(r.sw.lookup(FAR_B), -1);
  t.is(r.sw.aged, 2);
  t.deepEqual(r.aged, [
    `${FAR_A.toString(16)}@uplink@${1200 * NS_PER_MS}`,
    `${FAR_B.toString(16)}@uplink@${1210 * NS_PER_MS}`,
  ]);
  t.is(r.sw.sweep?.nextRun, 1210 * NS_PER_MS + AGEING, 'nothing left: again after ageing');
  t.is(r.pool.inUse, 0);
});

test('every frame refreshes its source, also one the per-port cache skips the lookup for', (t) => {
  const r = rig();
  r.at(200 * NS_PER_MS);
  r.send(r.port.up, [FAR_A, PEER], [FAR_B, PEER], [FAR_A, PEER]);
  r.at(1000 * NS_PER_MS);
  // B is looked up, A (the port's last source, the table unchanged) is the cached one.
  r.send(r.port.up, [FAR_B, PEER], [FAR_A, PEER]);
  r.at(1999 * NS_PER_MS);
  t.is(r.sw.learnedCount, 2, 'refreshed at 1 s: not aged at 1.2 s');
  t.is(r.sw.aged, 0);
  r.at(2000 * NS_PER_MS);
  t.is(r.sw.learnedCount, 0, 'aged 1 s after their last frame');
  // A source that keeps talking never ages.
  for (let ms = 2100; ms <= 6000; ms += 300) {
    r.at(ms * NS_PER_MS);
    r.send(r.port.up, [FAR_A, PEER]);
  }
  r.at(6900 * NS_PER_MS);
  t.is(r.sw.lookup(FAR_A), r.port.up);
  t.is(r.sw.aged, 2);
  t.is(r.got.get('peer'), 19);
});

test('after ageing, frames to the MAC are flooded again (no cached decision survives) and its next frame learns it again', (t) => {
  const r = rig();
  r.at(200 * NS_PER_MS);
  r.send(r.port.up, [FAR_A, PEER]);
  r.at(300 * NS_PER_MS);
  r.send(r.port.peer, [PEER, FAR_A]);
  t.is(r.got.get('up'), 1);
  t.is(r.sw.flooded, 0);
  r.at(1300 * NS_PER_MS);
  t.is(r.sw.aged, 1);
  // The peer port's cached destination (A -> uplink) is void: the frame is flooded.
  r.send(r.port.peer, [PEER, FAR_A]);
  t.is(r.sw.flooded, 1);
  t.is(r.got.get('up'), 2);
  t.is(r.got.get('pv'), 1, 'the flooded copy');
  // The uplink's cached source (A) is void too: A is learned again.
  r.send(r.port.up, [FAR_A, PEER]);
  t.is(r.sw.lookup(FAR_A), r.port.up);
  r.send(r.port.peer, [PEER, FAR_A]);
  t.is(r.sw.flooded, 1, 'known again: forwarded');
  t.is(r.got.get('up'), 3);
  t.is(r.pool.inUse, 0);
});

test('static entries never age, also after learning moved them', (t) => {
  const r = rig();
  r.at(200 * NS_PER_MS);
  // The guest's frame through its VF moves the VM's static entry to the VF port.
  r.send(r.port.vf, [VM, PEER]);
  r.at(10 * NS_PER_S);
  t.is(r.sw.lookup(VM), r.port.vf);
  t.is(r.sw.lookup(PEER), r.port.peer);
  t.is(r.sw.aged, 0);
  // The entry still forwards: through the PF to the eswitch, which hands the frame to the VF
  // that has the MAC's filter (as the host set it with the VF's MAC).
  r.sw.setVfFilter(VM, r.port.vf, -1);
  r.send(r.port.peer, [PEER, VM]);
  t.is(r.got.get('vf'), 1);
  t.is(r.sw.flooded, 0);
});

test('ageing 0: nothing is learned or moved, unicast without a static entry is flooded, static entries forward', (t) => {
  const r = rig(0);
  t.is(r.sw.sweep, null, 'no sweep: nothing could ever age');
  t.is(r.scheduler.pending, 0);
  r.send(r.port.up, [FAR_A, PEER]);
  t.is(r.got.get('peer'), 1, 'the static entry forwards');
  t.is(r.sw.learnedCount, 0);
  r.send(r.port.peer, [PEER, FAR_A], [PEER, FAR_A]);
  t.is(r.sw.flooded, 2);
  // br_fdb_update returns before it could move the static entry.
  r.send(r.port.vf, [VM, PEER]);
  t.is(r.sw.lookup(VM), r.port.pv);
  t.is(r.pool.inUse, 0);
});

test('without a scheduler learned entries never age; a negative or fractional ageing is refused', (t) => {
  const pool = new PacketPool({ slots: 8 });
  t.is(new VirtualSwitch('h', pool).sweep, null);
  for (const ageing of [-1, 0.5, Number.NaN]) {
    const err = t.throws(() => new VirtualSwitch('h', pool, { ageing }), {
      instanceOf: BypassError,
    });
    t.regex(err.message, /ageing time/);
  }
});
