/**
 * First transaction id of a data packet sent with a completion requested; control requests count
 * up from 1 and never reach it. A data id is `NVSP_DATA_TID_BASE + queue * 2^18 + slot`.
 *
 * @example
 * ```ts
 * const isData = pkt.transId >= NVSP_DATA_TID_BASE;
 * ```
 */
export const NVSP_DATA_TID_BASE = 0x4000_0000;
const SLOT_BITS = 18;
const SLOT_MASK = (1 << SLOT_BITS) - 1;

/**
 * The data packets one channel has sent and the host has not completed yet (Linux
 * `netvsc_channel.queue_sends`, with what `netvsc_send_tx_complete` needs to count each one: its
 * bytes). A preallocated table of slots indexed by the transaction id; a free-slot stack, so
 * sending and completing allocate nothing.
 *
 * @example
 * ```ts
 * const slots = new NvspTxSlots(0, 4096);
 * const tid = slots.take(86);          // -1 when every slot is taken
 * slots.complete(tid);                 // 86 (bytes), or -1 for an id that is not outstanding
 * ```
 */
export class NvspTxSlots {
  readonly queue: number;
  private readonly bytes: Float64Array;
  private readonly inUse: Uint8Array;
  private readonly free: Int32Array;
  private top: number;

  /**
   * @param queue - the channel's index (0 primary, 1.. subchannels), part of each id
   * @param capacity - slots: at least as many packets as the ring can hold, 2^18 at most
   */
  constructor(queue: number, capacity: number) {
    const n = Math.max(1, Math.min(capacity, SLOT_MASK + 1));
    this.queue = queue;
    this.bytes = new Float64Array(n);
    this.inUse = new Uint8Array(n);
    this.free = new Int32Array(n);
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.top = n;
  }

  /** Packets sent and not completed (`queue_sends`). */
  get outstanding(): number {
    return this.free.length - this.top;
  }

  /** Takes a slot for a packet of `bytes`; returns its transaction id, or -1 when none is free. */
  take(bytes: number): number {
    if (this.top === 0) return -1;
    const slot = this.free[--this.top] as number;
    this.inUse[slot] = 1;
    this.bytes[slot] = bytes;
    return NVSP_DATA_TID_BASE + this.queue * (SLOT_MASK + 1) + slot;
  }

  /** Gives back the slot of `tid` without a completion (the send failed). */
  release(tid: number): void {
    this.complete(tid);
  }

  /**
   * The host completed `tid`: its slot is free again. Returns the packet's bytes, or -1 when
   * `tid` is not one of this channel's outstanding packets (nothing changes then).
   */
  complete(tid: number): number {
    const rel = tid - NVSP_DATA_TID_BASE - this.queue * (SLOT_MASK + 1);
    if (!Number.isInteger(rel) || rel < 0 || rel >= this.inUse.length || this.inUse[rel] === 0)
      return -1;
    this.inUse[rel] = 0;
    this.free[this.top++] = rel;
    return this.bytes[rel] as number;
  }

  /** Forgets every outstanding packet (the channel is closed or gone). */
  clear(): void {
    const n = this.free.length;
    this.inUse.fill(0);
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.top = n;
  }
}

/**
 * The channel index a data transaction id names, or -1 for an id below
 * {@link NVSP_DATA_TID_BASE} (a control request).
 *
 * @example
 * ```ts
 * const q = dataTidQueue(pkt.transId); // which channel's slots to complete it in
 * ```
 */
export function dataTidQueue(tid: number): number {
  if (tid < NVSP_DATA_TID_BASE) return -1;
  return Math.floor((tid - NVSP_DATA_TID_BASE) / (SLOT_MASK + 1));
}
