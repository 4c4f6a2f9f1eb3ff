import type { Scheduler } from '@bypass/core';
import { VMBUS_DESCRIPTOR_SIZE, type VmbusPacket } from './VmbusPacket.js';
import type { VmbusRingBuffer } from './VmbusRingBuffer.js';

/**
 * What {@link VmbusEndpoint.send} did: `ok`, `full` (no room: Linux `-EAGAIN`, retry after the
 * peer signals), `corrupt` (the shared ring indices are invalid), `closed` (the channel was
 * rescinded).
 *
 * @example
 * ```ts
 * const r: VmbusSendResult = ep.send(VM_PKT.DATA_INBAND, 0, 0, msg, 0, 40);
 * if (r === 'full') retryLater();
 * ```
 */
export type VmbusSendResult = 'ok' | 'full' | 'corrupt' | 'closed';

/**
 * One side (guest or host) of a {@link VmbusChannel}: it produces into its `tx` ring and consumes
 * its `rx` ring, both views of the channel's shared memory. A side is told that something
 * happened by a signal (a hypercall/interrupt in Hyper-V): {@link VmbusEndpoint.onSignal} runs on
 * the injected scheduler after the channel's signal latency, once per batch of signals.
 *
 * Signalling follows `drivers/hv/ring_buffer.c`: a write signals the peer only when the ring was
 * empty and the peer's interrupt mask is clear; a consumer polls with the mask set
 * ({@link VmbusEndpoint.beginRead}/{@link VmbusEndpoint.endRead}) and, when a round of reads
 * takes the free room from at most to more than what a blocked producer asked for
 * (`pending_send_sz`), signals it back once. Only the host asks for room: the guest's side of
 * the channel never sets `pending_send_sz` (netvsc and the PMD wait for send completions).
 *
 * @example
 * ```ts
 * const pkt = new VmbusPacket(channel.host.rx.dataSize);
 * channel.host.onSignal = (ep) => {
 *   ep.beginRead();
 *   do { while (ep.receive(pkt)) handle(pkt); } while (ep.endRead());
 * };
 * channel.guest.send(VM_PKT.DATA_INBAND, VMBUS_PKT_FLAG.COMPLETION_REQUESTED, 1, msg, 0, 40);
 * scheduler.runUntilIdle(); // the host handler ran
 * ```
 */
export class VmbusEndpoint {
  /** `'guest'` or `'host'`. */
  readonly side: 'guest' | 'host';
  /** The ring this side writes. */
  readonly tx: VmbusRingBuffer;
  /** The ring this side reads. */
  readonly rx: VmbusRingBuffer;
  /** Called (through the scheduler) when the peer signalled: data to read, or room to write. */
  onSignal: ((ep: VmbusEndpoint) => void) | null = null;
  /** Signals this side sent to its peer. */
  signalsSent = 0;
  /** Signal deliveries this side received (several signals may be delivered as one). */
  signalsReceived = 0;

  private peerEp: VmbusEndpoint | null = null;
  private readonly scheduler: Scheduler;
  private readonly latency: number;
  private pending = false;
  private closedFlag = false;
  private readonly dispatch = (): void => {
    this.pending = false;
    if (this.closedFlag) return;
    this.signalsReceived++;
    this.onSignal?.(this);
  };

  /** Built by {@link VmbusChannel}; not meant to be constructed directly. */
  constructor(
    side: 'guest' | 'host',
    tx: VmbusRingBuffer,
    rx: VmbusRingBuffer,
    scheduler: Scheduler,
    latencyNs: number,
  ) {
    this.side = side;
    this.tx = tx;
    this.rx = rx;
    this.scheduler = scheduler;
    this.latency = latencyNs;
  }

  /** The other side. */
  get peer(): VmbusEndpoint {
    return this.peerEp as VmbusEndpoint;
  }

  /** True once the channel was rescinded or closed. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Links two endpoints (done by the channel). */
  link(peer: VmbusEndpoint): void {
    this.peerEp = peer;
  }

  /** Marks this side closed: sends fail with `closed`, pending signals are not delivered. */
  close(): void {
    this.closedFlag = true;
  }

  /**
   * Opens this side again after {@link VmbusEndpoint.close} (the channel was closed by the guest
   * and is being opened again, Linux `vmbus_open`); the rings are reset by the channel.
   */
  reopen(): void {
    this.closedFlag = false;
  }

  /** Sends one packet with a single payload, signalling the peer when `ring_buffer.c` would. */
  send(
    type: number,
    flags: number,
    transId: number,
    payload: Uint8Array,
    off: number,
    len: number,
  ): VmbusSendResult {
    const r = this.begin(type, flags, transId, len);
    if (r !== 'ok') return r;
    this.tx.put(payload, off, len);
    this.commit();
    return 'ok';
  }

  /** Starts a gathered packet (then {@link VmbusEndpoint.put} parts and {@link VmbusEndpoint.commit}). */
  begin(type: number, flags: number, transId: number, payloadLength: number): VmbusSendResult {
    if (this.closedFlag) return 'closed';
    return this.tx.begin(type, flags, transId, payloadLength);
  }

  /** Appends payload bytes to the open packet. */
  put(src: Uint8Array, off: number, len: number): void {
    this.tx.put(src, off, len);
  }

  /** Publishes the open packet and signals the peer when needed. */
  commit(): void {
    if (this.tx.commit()) this.signal();
  }

  /** Reads the next packet from the `rx` ring (false when empty or corrupt: see the ring's stats). */
  receive(pkt: VmbusPacket): boolean {
    return !this.closedFlag && this.rx.read(pkt);
  }

  /** Starts a polling round: the peer need not signal while it runs (`hv_begin_read`). */
  beginRead(): void {
    this.rx.interruptMask = 1;
  }

  /**
   * Ends a polling round (`hv_end_read`): clears the mask, signals a producer waiting for room,
   * and returns true when more data arrived meanwhile (poll again).
   */
  endRead(): boolean {
    this.rx.interruptMask = 0;
    if (this.rx.closeRead()) this.signal();
    return !this.closedFlag && this.rx.bytesToRead() >= VMBUS_DESCRIPTOR_SIZE;
  }

  /** Signals the peer (coalesced: one delivery per batch). */
  signal(): void {
    const peer = this.peerEp;
    if (peer === null || this.closedFlag) return;
    this.signalsSent++;
    peer.raise();
  }

  private raise(): void {
    if (this.pending || this.closedFlag) return;
    this.pending = true;
    this.scheduler.runAfter(this.latency, this.dispatch);
  }
}
