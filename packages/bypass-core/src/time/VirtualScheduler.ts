import { BypassError } from '../errors/BypassError.js';
import type { Scheduler, TimerId } from './Scheduler.js';

/** One scheduled callback. `fn` is null once it ran or was cancelled. */
interface Entry {
  readonly time: number;
  readonly seq: number;
  fn: (() => void) | null;
}

/** Heap order: earlier time first, then scheduling order. */
function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** Below this many cancelled entries the heap is never compacted. */
const COMPACT_MIN = 64;

/**
 * Deterministic virtual time: nothing happens until the owner advances the clock, and then
 * callbacks run in (time, scheduling order) order, one at a time, with {@link VirtualScheduler.now}
 * set to each callback's due time while it runs. Same schedule = same run, on any machine.
 *
 * Pending callbacks live in a binary min-heap keyed by (time, sequence number). Cancelling is
 * lazy (the entry is marked and skipped when it reaches the top; the heap is compacted when more
 * than half of it is dead) while {@link VirtualScheduler.pending} stays exact.
 *
 * A callback that throws: the error propagates out of the method that ran it
 * ({@link VirtualScheduler.advanceTo}, {@link VirtualScheduler.runNext}...), `now` stays at that
 * callback's time, and every other callback is still pending.
 *
 * @example
 * ```ts
 * const s = new VirtualScheduler();
 * const seen: string[] = [];
 * s.runAfter(2 * NS_PER_MS, () => seen.push('b'));
 * s.runAfter(1 * NS_PER_MS, () => seen.push('a'));
 * s.advanceBy(5 * NS_PER_MS); // seen = ['a', 'b'], s.now() === 5_000_000
 * ```
 */
export class VirtualScheduler implements Scheduler {
  private current = 0;
  private seq = 0;
  private heap: Entry[] = [];
  private readonly live = new Map<TimerId, Entry>();
  private dead = 0;
  private running = false;

  /** Current virtual time, ns. Starts at 0. */
  now(): number {
    return this.current;
  }

  /** Callbacks scheduled and neither run nor cancelled yet. */
  get pending(): number {
    return this.live.size;
  }

  /**
   * Runs `fn` at absolute time `time` (ns); a time before `now` runs at `now`, after what is
   * already due at that instant.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `time` is not a non-negative safe
   * integer or `fn` is not a function.
   */
  runAt(time: number, fn: () => void): TimerId {
    if (!Number.isSafeInteger(time) || time < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `scheduler time must be a non-negative integer number of ns, got ${time}`,
      );
    }
    if (typeof fn !== 'function') {
      throw new BypassError('ERR_INVALID_ARGUMENT', 'scheduler callback must be a function');
    }
    const id = ++this.seq;
    const entry: Entry = { time: time < this.current ? this.current : time, seq: id, fn };
    this.live.set(id, entry);
    this.push(entry);
    return id;
  }

  /**
   * Runs `fn` after `delay` ns (0 = at the current instant, after what is already due).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `delay` is not a non-negative safe
   * integer.
   */
  runAfter(delay: number, fn: () => void): TimerId {
    if (!Number.isSafeInteger(delay) || delay < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `scheduler delay must be a non-negative integer number of ns, got ${delay}`,
      );
    }
    return this.runAt(this.current + delay, fn);
  }

  /** Cancels a pending callback; false when it already ran, was cancelled, or is unknown. */
  cancel(id: TimerId): boolean {
    const entry = this.live.get(id);
    if (entry === undefined) return false;
    this.live.delete(id);
    entry.fn = null;
    this.dead++;
    if (this.dead >= COMPACT_MIN && this.dead * 2 > this.heap.length) this.compact();
    return true;
  }

  /** Cancels every pending callback; returns how many there were. */
  cancelAll(): number {
    const n = this.live.size;
    for (const entry of this.live.values()) entry.fn = null;
    this.live.clear();
    this.heap = [];
    this.dead = 0;
    return n;
  }

  /** Due time of the next pending callback, or undefined when nothing is pending. */
  nextDueTime(): number | undefined {
    return this.top()?.time;
  }

  /**
   * Runs the next pending callback (setting `now` to its due time); false when none is pending.
   *
   * @throws {@link BypassError} `ERR_STATE` when called from inside a callback.
   */
  runNext(): boolean {
    this.enter('runNext');
    try {
      return this.step(Number.POSITIVE_INFINITY);
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs every callback due up to and including `time` (those that callbacks schedule inside
   * the window too), then sets `now` to `time`.
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `time` is not an integer or is before
   * `now`; `ERR_STATE` when called from inside a callback.
   */
  advanceTo(time: number): void {
    if (!Number.isSafeInteger(time) || time < this.current) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `advanceTo needs an integer time in ns not before now (${this.current}), got ${time}`,
      );
    }
    this.enter('advanceTo');
    try {
      while (this.step(time)) {
        /* run everything due */
      }
      this.current = time;
    } finally {
      this.running = false;
    }
  }

  /**
   * Advances the clock by `delta` ns, running what falls due (see {@link VirtualScheduler.advanceTo}).
   *
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` when `delta` is not a non-negative integer.
   */
  advanceBy(delta: number): void {
    if (!Number.isSafeInteger(delta) || delta < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `advanceBy needs a non-negative integer number of ns, got ${delta}`,
      );
    }
    this.advanceTo(this.current + delta);
  }

  /**
   * Runs callbacks until none is pending; returns how many ran. `now` ends at the last one's time.
   *
   * @param maxCallbacks - safety limit, so that a self-rescheduling timer cannot hang the caller
   * @throws {@link BypassError} `ERR_STATE` when callbacks are still pending after `maxCallbacks`
   * of them ran, or when called from inside a callback.
   */
  runUntilIdle(maxCallbacks = 10_000_000): number {
    if (!Number.isSafeInteger(maxCallbacks) || maxCallbacks < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `runUntilIdle maxCallbacks must be a non-negative integer, got ${maxCallbacks}`,
      );
    }
    this.enter('runUntilIdle');
    let ran = 0;
    try {
      while (ran < maxCallbacks && this.step(Number.POSITIVE_INFINITY)) ran++;
    } finally {
      this.running = false;
    }
    if (this.live.size > 0) {
      throw new BypassError(
        'ERR_STATE',
        `runUntilIdle ran ${ran} callbacks and ${this.live.size} are still pending (a periodic ` +
          `timer never goes idle): use advanceTo(time) for open-ended schedules or raise maxCallbacks`,
      );
    }
    return ran;
  }

  private enter(what: string): void {
    if (this.running) {
      throw new BypassError(
        'ERR_STATE',
        `${what} called from inside a scheduler callback: callbacks never run re-entrantly; ` +
          'schedule the work with runAfter(0, fn) instead',
      );
    }
    this.running = true;
  }

  /** Pops and runs the next live callback due at or before `limit`; false when there is none. */
  private step(limit: number): boolean {
    const entry = this.top();
    if (entry === undefined || entry.time > limit) return false;
    this.pop();
    const fn = entry.fn as () => void;
    entry.fn = null;
    this.live.delete(entry.seq);
    this.current = entry.time;
    fn();
    return true;
  }

  /** The next live entry (dead entries on top are discarded), or undefined. */
  private top(): Entry | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      const e = heap[0] as Entry;
      if (e.fn !== null) return e;
      this.pop();
      this.dead--;
    }
    return undefined;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Entry;
      if (!before(entry, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    this.siftDown(0, last);
  }

  private siftDown(start: number, entry: Entry): void {
    const heap = this.heap;
    const n = heap.length;
    let i = start;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && before(heap[r] as Entry, heap[c] as Entry)) c = r;
      const child = heap[c] as Entry;
      if (!before(child, entry)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = entry;
  }

  /** Drops cancelled entries and rebuilds the heap in O(n). */
  private compact(): void {
    const liveEntries = this.heap.filter((e) => e.fn !== null);
    this.heap = liveEntries;
    this.dead = 0;
    for (let i = (liveEntries.length >> 1) - 1; i >= 0; i--) {
      this.siftDown(i, liveEntries[i] as Entry);
    }
  }
}
