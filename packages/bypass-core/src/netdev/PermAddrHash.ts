import { macIndexKey } from './macIndexKey.js';
import type { NetDevice } from './NetDevice.js';

/** Buckets of an empty table (a power of two). */
const MIN_BUCKETS = 16;

/** Orders devices the way their namespace listed them. */
const byListOrder = (a: NetDevice, b: NetDevice): number => a.listOrder - b.listOrder;

/**
 * A namespace's index of its devices by permanent address: a power-of-two array of chain heads,
 * the chains threaded through the devices themselves ({@link NetDevice.permHashNext}, hashed by
 * {@link NetDevice.permKey}), as `net/core/dev.c` threads its name and ifindex hashes through
 * `struct net_device`. Adding and removing a device allocate nothing and touch one bucket and the
 * devices chained before it; the table doubles when it holds more devices than buckets and
 * shrinks to a quarter when it holds fewer than a sixteenth.
 *
 * @example
 * ```ts
 * const hash = new PermAddrHash();
 * hash.add(nic);
 * hash.find(nic.permAddr.value); // [nic]
 * hash.remove(nic);              // true
 * ```
 */
export class PermAddrHash {
  private heads: (NetDevice | null)[] = emptyHeads(MIN_BUCKETS);
  /** 32 - log2(buckets): the bucket is the top bits of a multiplicative hash. */
  private shift = 32 - Math.log2(MIN_BUCKETS);
  private count = 0;

  /** Devices in the table. */
  get size(): number {
    return this.count;
  }

  /** Buckets of the table (a power of two). */
  get buckets(): number {
    return this.heads.length;
  }

  /** Adds `dev`, which must not be in any table. */
  add(dev: NetDevice): void {
    if (this.count >= this.heads.length) this.resize(this.heads.length * 2);
    const b = this.bucket(dev.permKey);
    dev.permHashNext = this.heads[b] as NetDevice | null;
    this.heads[b] = dev;
    this.count++;
  }

  /** Removes `dev`; false when it is not in this table. */
  remove(dev: NetDevice): boolean {
    const b = this.bucket(dev.permKey);
    let prev: NetDevice | null = null;
    for (let d = this.heads[b] as NetDevice | null; d !== null; d = d.permHashNext) {
      if (d === dev) {
        if (prev === null) this.heads[b] = d.permHashNext;
        else prev.permHashNext = d.permHashNext;
        dev.permHashNext = null;
        this.count--;
        // A quarter of the buckets once they hold fewer than a sixteenth: a table being emptied
        // rehashes its devices a few times, not once per halving (each rehash reads them all).
        const n = this.heads.length;
        if (n > MIN_BUCKETS && this.count < n >> 4) this.resize(Math.max(MIN_BUCKETS, n >> 2));
        return true;
      }
      prev = d;
    }
    return false;
  }

  /** The devices whose permanent address is `value` (a 48-bit MAC), in listing order: a new array. */
  find(value: number): NetDevice[] {
    const key = macIndexKey(value);
    const first = this.heads[this.bucket(key)] as NetDevice | null;
    // Counted first, so the list is exactly as long as it needs to be (a push onto an empty
    // array reserves 17 slots).
    let n = 0;
    for (let d = first; d !== null; d = d.permHashNext) {
      if (d.permKey === key && d.permAddr.value === value) n++;
    }
    const out = new Array<NetDevice>(n);
    let k = 0;
    for (let d = first; d !== null && k < n; d = d.permHashNext) {
      if (d.permKey === key && d.permAddr.value === value) out[k++] = d;
    }
    // Chains hold the newest device first.
    return n > 1 ? out.sort(byListOrder) : out;
  }

  private bucket(key: number): number {
    // Fibonacci hashing: the top bits of key * 2^32/phi.
    return Math.imul(key, 0x9e37_79b1) >>> this.shift;
  }

  private resize(buckets: number): void {
    const old = this.heads;
    this.heads = emptyHeads(buckets);
    this.shift = 32 - Math.log2(buckets);
    for (let i = 0; i < old.length; i++) {
      let d = old[i] as NetDevice | null;
      while (d !== null) {
        const next = d.permHashNext;
        const b = this.bucket(d.permKey);
        d.permHashNext = this.heads[b] as NetDevice | null;
        this.heads[b] = d;
        d = next;
      }
    }
  }
}

function emptyHeads(n: number): (NetDevice | null)[] {
  return new Array<NetDevice | null>(n).fill(null);
}
