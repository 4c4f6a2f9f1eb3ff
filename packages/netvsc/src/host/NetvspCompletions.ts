import { PacketRing } from '@bypass/core';

/**
 * Send completions (NVSP SEND_RNDIS_PKT_COMPLETE, status success) the host owes the guest on one
 * channel but could not write because the guest's inbound ring was full: kept in order and
 * written when the guest has read (Hyper-V does not lose a completion; a guest that never got one
 * would keep the packet outstanding for good: `netvsc.c` queue_sends, DPDK's TX descriptors). The
 * transaction ids wait in a core {@link PacketRing}; should it ever be full, the newest is counted
 * in `lost`.
 *
 * @example
 * ```ts
 * const owed = new NetvspCompletions(4096);
 * if (ep.send(VM_PKT.COMP, 0, tid, msg, 0, len) !== 'ok') owed.push(tid);
 * owed.flush((tid) => ep.send(VM_PKT.COMP, 0, tid, msg, 0, len) === 'ok');
 * ```
 */
export class NetvspCompletions {
  /** Completions that could not be kept (the ring of owed ids was full). */
  lost = 0;
  private readonly ids: PacketRing;
  private readonly one = new Int32Array(1);

  /** @param capacity - ids kept at most (rounded up to a power of two) */
  constructor(capacity: number) {
    let size = 2;
    while (size < capacity && size < 1 << 24) size *= 2;
    this.ids = new PacketRing(size);
  }

  /** Completions waiting. */
  get pending(): number {
    return this.ids.count;
  }

  /** Keeps `transId` (a data packet's id, below 2^31) for later. */
  push(transId: number): void {
    this.one[0] = transId;
    if (this.ids.enqueueBurst(this.one, 0, 1) === 0) this.lost++;
  }

  /**
   * Writes the owed completions in order through `send` (true: written) until one does not fit;
   * returns how many were written.
   */
  flush(send: (transId: number) => boolean): number {
    let n = 0;
    while (!this.ids.isEmpty && send(this.ids.peek(0))) {
      this.ids.dequeueBurst(this.one, 0, 1);
      n++;
    }
    return n;
  }
}
