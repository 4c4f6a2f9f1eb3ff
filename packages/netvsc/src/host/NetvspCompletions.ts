import type { VmbusEndpoint } from '../vmbus/VmbusEndpoint.js';

/**
 * Send completions (NVSP SEND_RNDIS_PKT_COMPLETE, status success) the host owes the guest on one
 * channel but could not write because the guest's inbound ring was full: kept in order and
 * written when the guest has read (Hyper-V does not lose a completion; a guest that never got one
 * would keep the packet outstanding for good: `netvsc.c` queue_sends, DPDK's TX descriptors). A
 * preallocated ring of transaction ids; should it ever overflow, the oldest stays and the newest
 * is counted in `lost`.
 *
 * @example
 * ```ts
 * const owed = new NetvspCompletions(4096);
 * if (ep.send(VM_PKT.COMP, 0, tid, msg, 0, len) !== 'ok') owed.push(tid);
 * owed.flush(ep, (tid) => ep.send(VM_PKT.COMP, 0, tid, msg, 0, len) === 'ok');
 * ```
 */
export class NetvspCompletions {
  /** Completions that could not be kept (the ring of owed ids was full). */
  lost = 0;
  private readonly ids: Float64Array;
  private head = 0;
  private len = 0;

  constructor(capacity: number) {
    this.ids = new Float64Array(Math.max(1, capacity));
  }

  /** Completions waiting. */
  get pending(): number {
    return this.len;
  }

  /** Keeps `transId` for later. */
  push(transId: number): void {
    if (this.len === this.ids.length) {
      this.lost++;
      return;
    }
    this.ids[(this.head + this.len) % this.ids.length] = transId;
    this.len++;
  }

  /**
   * Writes the owed completions in order through `send` (true: written) until one does not fit;
   * returns how many were written. `_ep` names the channel for the reader.
   */
  flush(_ep: VmbusEndpoint, send: (transId: number) => boolean): number {
    let n = 0;
    while (this.len > 0 && send(this.ids[this.head] as number)) {
      this.head = (this.head + 1) % this.ids.length;
      this.len--;
      n++;
    }
    return n;
  }
}
