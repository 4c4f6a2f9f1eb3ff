/**
 * A reference-counted list of hardware addresses (Linux `struct netdev_hw_addr_list`,
 * `net/core/dev_addr_lists.c`): a device's secondary unicast or multicast filter entries.
 * Addresses are 48-bit integers (see {@link MacAddress.value}).
 *
 * `syncTo` / `unsyncFrom` mirror one list into a lower device's list the way
 * `dev_uc_sync_multiple` / `dev_uc_unsync` do for bond, team and failover masters: each upper
 * list remembers what it pushed to which lower list, so a later sync adds what is new and
 * removes what is gone, and unsync removes exactly what it added.
 *
 * @example
 * ```ts
 * const upper = new AddressList();
 * const lower = new AddressList();
 * upper.add(MacAddress.parse('01:00:5e:00:00:01').value);
 * upper.syncTo(lower);   // lower now has the group address
 * upper.unsyncFrom(lower); // and no longer has it
 * ```
 */
export class AddressList {
  private readonly refs = new Map<number, number>();
  private synced: Map<AddressList, Set<number>> | null = null;

  /** Number of distinct addresses. */
  get size(): number {
    return this.refs.size;
  }

  /** Adds one reference; returns true when the address is new to the list. */
  add(addr: number): boolean {
    const n = this.refs.get(addr) ?? 0;
    this.refs.set(addr, n + 1);
    return n === 0;
  }

  /** Drops one reference; returns true when the address left the list. */
  remove(addr: number): boolean {
    const n = this.refs.get(addr);
    if (n === undefined) return false;
    if (n <= 1) {
      this.refs.delete(addr);
      return true;
    }
    this.refs.set(addr, n - 1);
    return false;
  }

  /** True when the address is in the list. */
  has(addr: number): boolean {
    return this.refs.has(addr);
  }

  /** The addresses, insertion order. */
  values(): number[] {
    return [...this.refs.keys()];
  }

  /** Makes `lower` contain every address of this list (adding and removing what changed); returns true if `lower` changed. */
  syncTo(lower: AddressList): boolean {
    this.synced ??= new Map();
    let pushed = this.synced.get(lower);
    if (pushed === undefined) {
      pushed = new Set();
      this.synced.set(lower, pushed);
    }
    let changed = false;
    for (const a of this.refs.keys()) {
      if (!pushed.has(a)) {
        pushed.add(a);
        if (lower.add(a)) changed = true;
      }
    }
    for (const a of [...pushed]) {
      if (!this.refs.has(a)) {
        pushed.delete(a);
        if (lower.remove(a)) changed = true;
      }
    }
    return changed;
  }

  /** Removes from `lower` everything this list pushed there; returns true if `lower` changed. */
  unsyncFrom(lower: AddressList): boolean {
    const pushed = this.synced?.get(lower);
    if (pushed === undefined) return false;
    let changed = false;
    for (const a of pushed) if (lower.remove(a)) changed = true;
    this.synced?.delete(lower);
    return changed;
  }

  /** The lower lists this list currently pushes addresses to. */
  syncedTargets(): number {
    return this.synced?.size ?? 0;
  }
}
