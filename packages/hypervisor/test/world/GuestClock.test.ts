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
  for (const time of [-1, 1.5, Number.NaN]) {
    const bad = t.throws(() => clock.runAt(time, () => undefined));
    t.true(isBypassError(bad) && bad.code === 'ERR_INVALID_ARGUMENT', String(bad));
  }
  t.is(clock.pending, 0);
});

test('a frozen clock stands still and moves every pending timer later by the freeze', (t) => {
  const { host, clock, vm } = rig();
  const ran: string[] = [];
  clock.runAfter(150, () => ran.push(`due150@${host.now()}`)); // falls due during the freeze
  clock.runAfter(600, () => ran.push(`due600@${host.now()}`)); // after it
  host.advanceTo(100);
  clock.freeze();
  vm.stopped = true;
  host.advanceTo(300);
  t.true(clock.frozen);
  t.is(clock.now(), 100);
  t.is(clock.lag, 200);
  t.is(clock.heldCount, 1);
  vm.stopped = false;
  clock.resume(); // at 300: 200 ns frozen
  t.false(clock.frozen);
  t.is(clock.heldCount, 0);
  t.is(clock.now(), 100);
  t.is(clock.lag, 200);
  host.advanceTo(1_000);
  // due at guest time 150 and 600: world time 350 and 800
  t.deepEqual(ran, ['due150@350', 'due600@800']);
  t.is(clock.now(), 800);
});

test('a periodic guest job keeps its phase across a freeze, shifted by the freeze', (t) => {
  const { host, clock, vm } = rig();
  const rounds: number[] = [];
  const round = (): void => {
    rounds.push(clock.now());
    clock.runAfter(100, round);
  };
  clock.runAfter(100, round);
  host.advanceTo(250);
  clock.freeze();
  vm.stopped = true;
  host.advanceTo(420);
  vm.stopped = false;
  clock.resume();
  host.advanceTo(720);
  // on the guest's clock: every 100 ns, none lost, none early
  t.deepEqual(rounds, [100, 200, 300, 400, 500]);
  t.is(clock.lag, 170);
});

test('timers armed and the time asked for during a freeze count from the resume', (t) => {
  const { host, clock, vm } = rig();
  const ran: number[] = [];
  clock.freeze();
  vm.stopped = true;
  host.advanceTo(50);
  clock.runAfter(10, () => ran.push(host.now()));
  clock.runAt(clock.now() + 20, () => ran.push(host.now()));
  host.advanceTo(500);
  t.deepEqual(ran, []);
  vm.stopped = false;
  host.runAt(600, () => clock.resume());
  host.advanceTo(1_000);
  t.deepEqual(ran, [610, 620]);
});

test('a timer held by a pause before the freeze began still runs at the resume; a freeze ends only when the guest runs', (t) => {
  const { host, clock, vm } = rig();
  const ran: string[] = [];
  clock.runAfter(100, () => ran.push(`a@${host.now()}`));
  clock.runAfter(400, () => ran.push(`b@${host.now()}`));
  vm.stopped = true; // a migration's pause: the clock runs
  host.advanceTo(200); // a is held
  clock.freeze(); // guest-down frozen during the pause
  host.advanceTo(300);
  clock.resume(); // still stopped: the freeze goes on
  t.true(clock.frozen);
  host.advanceTo(500);
  vm.stopped = false;
  clock.resume(); // 300 ns frozen (200 .. 500)
  host.advanceTo(1_000);
  t.deepEqual(ran, ['a@500', 'b@700']);
  t.is(clock.lag, 300);
});

test('a cancelled timer stays cancelled across a freeze', (t) => {
  const { host, clock, vm } = rig();
  const id = clock.runAfter(100, () => t.fail('cancelled'));
  clock.freeze();
  vm.stopped = true;
  host.advanceTo(200);
  t.true(clock.cancel(id));
  vm.stopped = false;
  clock.resume();
  host.advanceTo(1_000);
  t.is(clock.pending, 0);
  t.is(host.pending, 0);
});
