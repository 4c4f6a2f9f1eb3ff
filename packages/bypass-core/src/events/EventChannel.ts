import { Observable, type Subscriber } from 'rxjs';

const NONE: readonly Subscriber<never>[] = Object.freeze([]);

/**
 * A synchronous multicast event stream: what an rxjs `Subject` is to its subscribers (events
 * delivered at once, in order, to the subscribers present when the event was published; late
 * subscribers of a completed channel complete at once; an error thrown by one subscriber is
 * reported by rxjs and does not stop the others), without a `Subject`'s per-event cost. The
 * notifier chains of the core (a namespace's netdev events, a registry's, a bus's) publish
 * several events per device registration; rxjs's Node build walks the subscribers of a `Subject`
 * with an iterator that allocates on every event, which made event objects a third of the
 * control plane's garbage. Here the subscribers are a copy-on-write array walked by index:
 * subscribing and unsubscribing (rare) copy it, publishing (frequent) allocates nothing.
 *
 * @example
 * ```ts
 * const channel = new EventChannel<string>();
 * const events$: Observable<string> = channel.observable;
 * events$.subscribe((e) => console.log(e));
 * channel.next('register'); // logs "register" before next() returns
 * channel.complete();
 * ```
 */
export class EventChannel<T> {
  /** What subscribers see: subscribe to it; it cannot publish. */
  readonly observable: Observable<T>;
  private subscribers: readonly Subscriber<T>[] = NONE;
  private stopped = false;

  constructor() {
    this.observable = new Observable<T>((subscriber) => {
      if (this.stopped) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers = [...this.subscribers, subscriber];
      return () => {
        const i = this.subscribers.indexOf(subscriber);
        if (i >= 0) this.subscribers = this.subscribers.filter((_, k) => k !== i);
      };
    });
  }

  /** True while something is subscribed. */
  get observed(): boolean {
    return this.subscribers.length > 0;
  }

  /** How many subscriptions are open (teardown checks: a disposed component leaves none). */
  get subscriberCount(): number {
    return this.subscribers.length;
  }

  /** True once {@link EventChannel.complete} was called. */
  get completed(): boolean {
    return this.stopped;
  }

  /**
   * Delivers `event` to every current subscriber before returning. A subscriber added while it
   * is delivered gets the next event, not this one; one removed meanwhile gets nothing more.
   * Ignored after {@link EventChannel.complete}.
   */
  next(event: T): void {
    if (this.stopped) return;
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) (subs[i] as Subscriber<T>).next(event);
  }

  /** Ends the stream: every subscriber completes, later ones complete at once. Idempotent. */
  complete(): void {
    if (this.stopped) return;
    this.stopped = true;
    const subs = this.subscribers;
    this.subscribers = NONE;
    for (let i = 0; i < subs.length; i++) (subs[i] as Subscriber<T>).complete();
  }
}
