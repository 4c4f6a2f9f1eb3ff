import test from 'ava';
import { Subject, config, type Observable, type Subscription } from 'rxjs';
import { EventChannel } from '../../src/events/EventChannel.js';

/** What a publisher needs: both an rxjs Subject and an EventChannel provide it. */
interface Publisher {
  readonly events$: Observable<number>;
  next(v: number): void;
  complete(): void;
  readonly observed: boolean;
}

function subjectPublisher(): Publisher {
  const s = new Subject<number>();
  return {
    events$: s.asObservable(),
    next: (v) => s.next(v),
    complete: () => s.complete(),
    get observed() {
      return s.observed;
    },
  };
}

function channelPublisher(): Publisher {
  const c = new EventChannel<number>();
  return {
    events$: c.observable,
    next: (v) => c.next(v),
    complete: () => c.complete(),
    get observed() {
      return c.observed;
    },
  };
}

/**
 * A script exercising the corners of synchronous multicast: re-entrant publishing, subscribing
 * and unsubscribing while an event is delivered, completion, late subscribers. Returns the log.
 */
function script(pub: Publisher): string[] {
  const log: string[] = [];
  const subs: Subscription[] = [];
  const observedBefore = pub.observed;
  subs.push(
    pub.events$.subscribe({
      next: (v) => {
        log.push(`a${v}`);
        if (v === 1) pub.next(10); // re-entrant: delivered to everyone before 1 finishes
        if (v === 2) subs.push(pub.events$.subscribe((w) => log.push(`late${w}`)));
        if (v === 3) subs[1]?.unsubscribe(); // b stops getting events, even this one
      },
      complete: () => log.push('a-complete'),
    }),
  );
  subs.push(
    pub.events$.subscribe({
      next: (v) => log.push(`b${v}`),
      complete: () => log.push('b-complete'),
    }),
  );
  log.push(`observed ${observedBefore} ${pub.observed}`);
  for (const v of [1, 2, 3, 4]) pub.next(v);
  subs[0]?.unsubscribe();
  pub.next(5);
  pub.complete();
  pub.next(6); // ignored after complete
  pub.events$.subscribe({
    next: (v) => log.push(`after${v}`),
    complete: () => log.push('after-complete'),
  });
  log.push(`observed at end ${pub.observed}`);
  return log;
}

test('an EventChannel delivers exactly what an rxjs Subject delivers, in the same order', (t) => {
  const expected = script(subjectPublisher());
  t.true(expected.length > 10);
  t.deepEqual(script(channelPublisher()), expected);
});

test('publishing walks the subscribers present when the event was published', (t) => {
  const c = new EventChannel<string>();
  const seen: string[] = [];
  c.observable.subscribe((e) => {
    seen.push(`first ${e}`);
    if (e === 'x') c.observable.subscribe((f) => seen.push(`second ${f}`));
  });
  c.next('x');
  c.next('y');
  t.deepEqual(seen, ['first x', 'first y', 'second y']);
});

test.serial(
  'a subscriber that throws does not stop the others; rxjs reports the error',
  async (t) => {
    const reported: unknown[] = [];
    const saved = config.onUnhandledError;
    // rxjs hands unhandled errors over asynchronously (a timeout) and reads the hook then
    config.onUnhandledError = (err) => reported.push(err);
    try {
      const c = new EventChannel<number>();
      const got: number[] = [];
      c.observable.subscribe(() => {
        throw new Error('listener bug');
      });
      c.observable.subscribe((v) => got.push(v));
      c.next(7);
      t.deepEqual(got, [7]);
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
      t.is(reported.length, 1);
      t.regex(String(reported[0]), /listener bug/);
    } finally {
      config.onUnhandledError = saved;
    }
  },
);

test('completed, observed and subscriberCount report the channel state', (t) => {
  const c = new EventChannel<number>();
  t.false(c.observed);
  t.false(c.completed);
  const s = c.observable.subscribe(() => undefined);
  const s2 = c.observable.subscribe(() => undefined);
  t.true(c.observed);
  t.is(c.subscriberCount, 2);
  s.unsubscribe();
  s.unsubscribe();
  t.is(c.subscriberCount, 1);
  s2.unsubscribe();
  t.false(c.observed);
  c.complete();
  c.complete();
  t.true(c.completed);
});
