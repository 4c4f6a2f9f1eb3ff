/**
 * VMBus packet types (Linux `include/linux/hyperv.h` enum vmbus_packet_type).
 *
 * @example
 * ```ts
 * ep.send(VM_PKT.DATA_INBAND, VMBUS_PKT_FLAG.COMPLETION_REQUESTED, 7, bytes, 0, 40);
 * ```
 */
export const VM_PKT = {
  INVALID: 0,
  SYNCH: 1,
  ADD_XFER_PAGESET: 2,
  RM_XFER_PAGESET: 3,
  ESTABLISH_GPADL: 4,
  TEARDOWN_GPADL: 5,
  DATA_INBAND: 6,
  DATA_USING_XFER_PAGES: 7,
  DATA_USING_GPADL: 8,
  DATA_USING_GPA_DIRECT: 9,
  CANCEL_REQUEST: 10,
  COMP: 11,
  DATA_USING_ADDITIONAL_PKT: 12,
  ADDITIONAL_DATA: 13,
} as const;

/**
 * VMBus packet descriptor flags (Linux `include/linux/hyperv.h`).
 *
 * @example
 * ```ts
 * const wantsReply = (pkt.flags & VMBUS_PKT_FLAG.COMPLETION_REQUESTED) !== 0;
 * ```
 */
export const VMBUS_PKT_FLAG = {
  /** The sender wants a `VM_PKT.COMP` packet carrying the same transaction id back. */
  COMPLETION_REQUESTED: 1,
} as const;

/**
 * Size of `struct vmpacket_descriptor` (type, offset8, len8, flags: u16 each; trans_id: u64).
 *
 * @example
 * ```ts
 * const payloadStart = offset8 * 8; // >= VMBUS_DESCRIPTOR_SIZE in a valid packet
 * ```
 */
export const VMBUS_DESCRIPTOR_SIZE = 16;

/**
 * One packet read from a VMBus ring (Linux `struct vmpacket_descriptor` plus its payload). The
 * object is reused by its owner for every read: no allocation per packet. `data` holds the
 * payload (from `offset8 * 8` to `len8 * 8` of the packet, so it includes the sender's padding,
 * exactly as Linux's `hv_pkt_datalen` counts it) in `data[0 .. length)`.
 *
 * @example
 * ```ts
 * const pkt = new VmbusPacket(ring.dataSize);
 * while (endpoint.receive(pkt)) {
 *   if (pkt.type === VM_PKT.COMP) onCompletion(pkt.transId, pkt.data, pkt.length);
 * }
 * ```
 */
export class VmbusPacket {
  /** One of {@link VM_PKT}. */
  type = 0;
  /** {@link VMBUS_PKT_FLAG} bits. */
  flags = 0;
  /** The transaction id (u64; exact up to 2^53). */
  transId = 0;
  /** Payload bytes (`data[0 .. length)`). */
  readonly data: Uint8Array;
  /** Payload length in bytes. */
  length = 0;

  /** @param capacity - the largest payload this packet object can hold */
  constructor(capacity: number) {
    this.data = new Uint8Array(capacity);
  }

  /** A DataView over {@link VmbusPacket.data} (little-endian readers use it). */
  get view(): DataView {
    return (this.viewCache ??= new DataView(this.data.buffer, this.data.byteOffset));
  }

  private viewCache: DataView | undefined;
}
