import test from 'ava';
import { VirtualScheduler, isBypassError } from '@bypass/core';
import { GuestClock } from '../../src/world/GuestClock.js';

/** A guest clock over a fresh scheduler, with the guest's run state in `vm.stopped`. */
function rig(): { host: VirtualScheduler; clock: GuestClock; vm: { stopped: boolean } } {
  const host = new VirtualScheduler();
  const vm = { stopped: false };
  return { host, clock: new GuestClock(host, () => vm.stopped), vm };
}

test('a guest timer runs on the world time while the guest runs', (t) => {
  const { host, clock } = rig();
  const ran: number[] = [];
  clock.runAfter(100, () => ran.push(host.now()));
  clock.runAt(50, () => ran.push(host.now()));
  t.is(clock.pending, 2);
  host.advanceTo(1_000);
  t.deepEqual(ran, [50, 100]);
  t.is(clock.pending, 0);
  t.is(clock.now(), 1_000);
});

test('timers that fall due while the guest is stopped run at the resume, in the order they fell due', (t) => {
  const { host, clock, vm } = rig();
  const ran: string[] = [];
  clock.runAfter(300, () => ran.push(`b@${host.now()}`));
  clock.runAfter(200, () => ran.push(`a@${host.now()}`));
  clock.runAfter(900, () => ran.push(`c@${host.now()}`));
  host.runAfter(250, () => ran.push(`host@${host.now()}`)); // the host's own timers keep running
  vm.stopped = true;
  host.advanceTo(500);
  t.deepEqual(ran, ['host@250']);
  t.is(clock.heldCount, 2);
  t.is(clock.pending, 3);
  vm.stopped = false;
  host.runAt(600, () => clock.resume());
  host.advanceTo(1_000);
  t.deepEqual(ran, ['host@250', 'a@600', 'b@600', 'c@900']);
  t.is(clock.pending, 0);
});

test('a periodic guest job re-armed from its callback takes the phase of the resume', (t) => {
  const { host, clock, vm } = rig();
  const rounds: number[] = [];
  const round = (): void => {
    rounds.push(host.now());
    clock.runAfter(100, round);
  };
  clock.runAfter(100, round);
  host.advanceTo(250);
  vm.stopped = true;
  host.advanceTo(420); // the round due at 300 is held; none at 400
  vm.stopped = false;
  clock.resume();
  host.advanceTo(700);
  t.deepEqual(rounds, [100, 200, 420, 520, 620]);
});

test('a held timer can be cancelled; a resume while still stopped keeps holding', (t) => {
  const { host, clock, vm } = rig();
  const ran: string[] = [];
  const a = clock.runAfter(10, () => ran.push('a'));
  clock.runAfter(20, () => ran.push('b'));
  vm.stopped = true;
  host.advanceTo(100);
  t.true(clock.cancel(a));
  t.false(clock.cancel(a));
  t.is(clock.heldCount, 1);
  clock.resume(); // still stopped (guest-down during a pause): nothing runs
  host.advanceTo(200);
  t.deepEqual(ran, []);
  vm.stopped = false;
  clock.resume();
  host.advanceTo(200);
  t.deepEqual(ran, ['b']);
  t.is(clock.pending, 0);
  t.is(host.pending, 0);
});

test('cancelling a timer that is not held cancels its job on the host', (t) => {
  const { host, clock } = rig();
  const id = clock.runAfter(10, () => t.fail('cancelled'));
  t.is(host.pending, 1);
  t.true(clock.cancel(id));
  t.is(host.pending, 0);
  t.false(clock.cancel(12345));
  host.advanceTo(100);
  t.pass();
});

test('bad arguments are refused with a typed error', (t) => {
  const { clock } = rig();
  const notFn = (): void => clock.runAfter(1, 'x' as unknown as () => void) as unknown as void;
  const e = t.throws(notFn);
  t.true(isBypassError(e) && e.code === 'ERR_INVALID_ARGUMENT', String(e));
  const neg = t.throws(() => clock.runAfter(-1, () => undefined));
  t.true(isBypassError(neg) && neg.code === 'ERR_INVALID_ARGUMENT', String(neg));
  t.is(clock.pending, 0);
});
