import { Subject } from 'rxjs';
import type { AddressRecord, LinkRecord, LinkSource, LinkUpdate } from '../../src/index.js';

/** A LinkSource driven by hand: `push` updates, `dump` a full sync, set what reads return. */
export class FakeSource implements LinkSource {
  readonly subject = new Subject<LinkUpdate>();
  readonly updates$ = this.subject.asObservable();
  links: LinkRecord[] = [];
  addresses: AddressRecord[] = [];
  started = 0;
  closed = false;
  reads = 0;

  /** Links dumped (in a microtask) when start() is called; null = dump by hand. */
  initial: LinkRecord[] | null = null;

  start(): void {
    this.started++;
    const initial = this.initial;
    if (initial !== null) queueMicrotask(() => this.dump(initial));
  }

  /** Emits a full dump of `links` (sync-start, new..., synced). */
  dump(links: LinkRecord[]): void {
    this.subject.next({ op: 'sync-start', dump: true });
    for (const link of links) this.subject.next({ op: 'new', link, dump: true });
    this.subject.next({ op: 'synced', dump: true });
  }

  push(link: LinkRecord): void {
    this.subject.next({ op: 'new', link, dump: false });
  }

  del(link: LinkRecord): void {
    this.subject.next({ op: 'del', link, dump: false });
  }

  readLinks(): Promise<LinkRecord[]> {
    this.reads++;
    return Promise.resolve(this.links);
  }

  readAddresses(): Promise<AddressRecord[]> {
    return Promise.resolve(this.addresses);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
  }
}
