import {
  BypassError,
  DropReason,
  PacketPool,
  SeededRandom,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import { RNDIS_MSG } from '../rndis/RndisConstants.js';
import { decodeRndis, encodeRndis, rndisLength, type RndisMessage } from '../rndis/RndisMessage.js';
import { RndisPacket, RndisPacketInfo } from '../rndis/RndisPacket.js';
import type { VmbusChannel } from '../vmbus/VmbusChannel.js';
import type { VmbusEndpoint, VmbusSendResult } from '../vmbus/VmbusEndpoint.js';
import { VM_PKT, VMBUS_PKT_FLAG, VmbusPacket } from '../vmbus/VmbusPacket.js';
import { NvspTxSlots, dataTidQueue } from './NvspTxSlots.js';
import {
  NETVSC_RETRY,
  NETVSC_RING_AVAIL,
  NVSP_DATAPATH,
  NVSP_INVALID_SECTION,
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_RNDIS_CHANNEL,
  NVSP_STATUS,
  NVSP_VERSION,
} from './NvspConstants.js';
import {
  decodeNvsp,
  encodeNvsp,
  isRndisDataMessage,
  nvspType,
  type NvspMessage,
} from './NvspMessage.js';
import { nvspHandshake, type NvspConnectOptions, type NvspConnectResult } from './NvspHandshake.js';

const RETRY_MAX = NETVSC_RETRY.MAX;
const RETRY_LO_NS = NETVSC_RETRY.LO_NS;
const RETRY_HI_NS = NETVSC_RETRY.HI_NS;
/**
 * How long a datapath switch waits for its completion before it is sent again, and how many
 * sends are made before giving up (Linux waits forever, holding RTNL; a host that lost the
 * message would leave the switch pending for good).
 */
const SWITCH_TIMEOUT_NS = 1_000_000_000;
const SWITCH_SENDS_MAX = 3;
const RX_BURST = 64;
/** Transaction id of RNDIS control sends (DPDK hn_nvs_send_rndis_ctrl uses 0); requests start at 1. */
const RNDIS_CONTROL_TID = 0;

/**
 * Counters of an {@link NvspClient}: everything it refused to trust is here.
 *
 * @example
 * ```ts
 * if (client.stats.malformed > 0) console.warn('host sent garbage');
 * ```
 */
export interface NvspClientStats {
  /** NVSP or RNDIS messages refused as malformed (never acted on). */
  malformed: number;
  /** Completions whose transaction id matched nothing outstanding. */
  unknownCompletions: number;
  /**
   * SEND_RNDIS_PKT_COMPLETEs of RNDIS control messages (sent with completion requested under
   * transaction id 0, as DPDK's hn_nvs_send_rndis_ctrl does; nothing waits on them).
   */
  rndisControlCompletions: number;
  /** Well-formed messages of a type this guest does not act on (or not at its version). */
  ignored: number;
  /** Data frames received but dropped because the packet pool was empty (rx_no_memory). */
  rxNoMemory: number;
  /**
   * Data frames received while no `onFrames` handler was set (before the owner bound one, or
   * after it went away), dropped as `rx-nohandler`.
   */
  rxNoHandler: number;
  /** Data frames received and handed over. */
  rxFrames: number;
  /**
   * Data frames the host had written that were still in a ring when the guest closed the channel
   * (Linux frees the ring with them): dropped as `no-device`.
   */
  rxAtClose: number;
  /** Data frames written into a ring. */
  txFrames: number;
  /** Data frames the host completed (SEND_RNDIS_PKT_COMPLETE). */
  txCompleted: number;
  /** Sends refused because the ring was full (-EAGAIN). */
  txBusy: number;
  /** Datapath switch sends retried because the ring was full. */
  switchRetries: number;
  /** Datapath switch requests whose completion did not come within 1 s (sent again, 3 sends at most). */
  switchTimeouts: number;
}

/**
 * Callbacks of an {@link NvspClient} (set by its owner; all may be absent).
 *
 * @example
 * ```ts
 * client.handlers.onFrames = (pkts, start, count, queue) => dev.receiveSynthetic(pkts, start, count);
 * client.handlers.onVfAssociation = (allocated, serial) => console.log('VF slot', serial, allocated);
 * ```
 */
export interface NvspClientHandlers {
  /** Frames received on the synthetic path (the receiver owns the handles). */
  onFrames?: (pkts: Int32Array, start: number, count: number, queue: number) => void;
  /** An RNDIS indicate-status from the host (MEDIA_CONNECT, NETWORK_CHANGE...). */
  onStatus?: (status: number, buffer: Uint8Array) => void;
  /** NVSP SEND_VF_ASSOCIATION (`netvsc.c` netvsc_send_vf). */
  onVfAssociation?: (allocated: boolean, serial: number) => void;
  /** The channel was rescinded. */
  onRescind?: () => void;
  /**
   * The host completed `packets` data packets of channel `queue` (`bytes` in all), once per
   * batch read from the ring (`netvsc.c` netvsc_send_tx_complete counts them sent then).
   */
  onTxCompleted?: (queue: number, packets: number, bytes: number) => void;
}

/**
 * Why {@link NvspClient.sendFrames} stopped before the end of its burst: `none` (it did not),
 * `lowater` (a frame went out while less than {@link NETVSC_RING_AVAIL} LOWATER percent of the
 * ring was free: netvsc_send_pkt stops the queue after it), `full` (the next frame did not fit:
 * -EAGAIN), `closed` (the channel is closed or rescinded: -ENODEV).
 *
 * @example
 * ```ts
 * const n = client.sendFrames(pkts, 0, count, q);
 * if (client.txStop === 'full') stopQueue(q);
 * ```
 */
export type NvspTxStop = 'none' | 'lowater' | 'full' | 'closed';

/**
 * The result of {@link NvspClient.switchDataPath}: `ok` (the host completed the request; the
 * completion carries no payload, so there is nothing else to check), `busy` (the ring stayed
 * full through every retry), `timeout` (no completion came for any of the sends), `closed` (the
 * channel was rescinded).
 *
 * @example
 * ```ts
 * client.switchDataPath(true, (r: NvspSwitchResult) => { if (r !== 'ok') stayOnSynthetic(); });
 * ```
 */
export type NvspSwitchResult = 'ok' | 'busy' | 'timeout' | 'closed';

/**
 * The guest side of the NetVSC protocol over a {@link VmbusChannel}: what Linux's `netvsc.c`
 * and `rndis_filter.c` do below the netdev, reusable by the kernel driver (`NetvscDevice`) and by
 * a DPDK-style poll-mode driver.
 *
 * - {@link NvspClient.connect}: NVSP INIT tried from the newest version (6.1) down to 1 until the
 *   host accepts one (`netvsc.c` netvsc_connect_vsp), NDIS config (MTU + 14, 802.1Q; SR-IOV and
 *   teaming from version 5) and NDIS version, receive and send buffers, RNDIS INITIALIZE, the
 *   permanent address and link state queries, then (version 5+) the subchannel request.
 * - Data: {@link NvspClient.sendFrames} writes each frame, completion requested, as an NVSP
 *   SEND_RNDIS_PKT followed inline by the RNDIS PACKET message (802.1Q tag from the frame's
 *   metadata) into the ring of its queue's channel; received RNDIS packets become pool frames
 *   handed to `onFrames` in bursts.
 * - Control: {@link NvspClient.switchDataPath} (NVSP 129, completion awaited, retried while the
 *   ring is full), {@link NvspClient.rndisRequest}, VF association and indicate-status callbacks.
 *
 * Every message from the host is validated; what fails is counted in {@link NvspClient.stats}
 * and dropped. Deliberate difference from Linux: the frame bytes travel inline after the NVSP
 * message instead of in send/receive-buffer sections or page ranges (the buffers are still
 * negotiated), which keeps the ring the only shared memory to validate.
 *
 * @example
 * ```ts
 * const client = new NvspClient({ channel, pool, scheduler });
 * client.handlers.onFrames = (pkts, s, n) => pool.freeBurst(pkts, s, n);
 * client.connect({ mtu: 1500, channels: 4 }, (r) => console.log('NVSP', r.version.toString(16)));
 * scheduler.runUntilIdle();          // the host answered
 * client.sendFrames(pkts, 0, n, 0);  // synthetic TX
 * client.switchDataPath(true, (r) => console.log('switch', r));
 * ```
 */
export class NvspClient {
  readonly channel: VmbusChannel;
  readonly pool: PacketPool;
  readonly handlers: NvspClientHandlers = {};
  readonly stats: NvspClientStats = {
    malformed: 0,
    unknownCompletions: 0,
    rndisControlCompletions: 0,
    ignored: 0,
    rxNoMemory: 0,
    rxNoHandler: 0,
    rxFrames: 0,
    rxAtClose: 0,
    txFrames: 0,
    txCompleted: 0,
    txBusy: 0,
    switchRetries: 0,
    switchTimeouts: 0,
  };
  /** Negotiated NVSP version (0 before). */
  version = 0;
  /** Endpoints in use: the primary channel's, then the subchannels'. */
  endpoints: VmbusEndpoint[];
  /** Last VF association from the host. */
  vfAllocated = false;
  vfSerial = 0;
  /** Why the last {@link NvspClient.sendFrames} stopped. */
  txStop: NvspTxStop = 'none';

  private readonly scheduler: Scheduler;
  private readonly random: SeededRandom;
  private readonly pending = new Map<number, (m: NvspMessage | null) => void>();
  /** SWITCH_DATA_PATH requests awaiting their (payload-less) completion; `true` = completed. */
  private readonly switchPending = new Map<number, (completed: boolean) => void>();
  private readonly rndisPending = new Map<number, (m: RndisMessage | null) => void>();
  private nextTrans = 1;
  private nextReq = 1;
  private readonly msg = new Uint8Array(NVSP_MESSAGE_SIZE);
  private readonly dataHdr = new Uint8Array(NVSP_MESSAGE_SIZE);
  private readonly rndisHdr = new Uint8Array(64);
  private readonly pkt: VmbusPacket;
  private readonly info = new RndisPacketInfo();
  private readonly rx = new Int32Array(RX_BURST);
  private readonly ctl = new Uint8Array(NVSP_MESSAGE_SIZE + 1024);
  /** Outstanding data packets per channel index (created when the channel first sends). */
  private readonly txSlots: (NvspTxSlots | null)[] = new Array<NvspTxSlots | null>(64).fill(null);
  /** Completions read in the current batch, per channel index, and which channels have some. */
  private readonly compPackets = new Float64Array(64);
  private readonly compBytes = new Float64Array(64);
  private readonly compQueues = new Int32Array(64);
  private compCount = 0;
  /** RNDIS control sends not completed yet (Linux counts them in the primary's queue_sends). */
  private controlOutstanding = 0;
  private idleWaiters: (() => void)[] = [];

  /**
   * @param options.random - jitter of the 5-10 ms retry delay; default seeded from the channel id
   */
  constructor(options: {
    channel: VmbusChannel;
    pool: PacketPool;
    scheduler: Scheduler;
    random?: SeededRandom;
  }) {
    this.channel = options.channel;
    this.pool = options.pool;
    this.scheduler = options.scheduler;
    this.random = options.random ?? new SeededRandom(`nvsp:${options.channel.instanceId}`);
    this.pkt = new VmbusPacket(this.channel.guest.rx.dataSize);
    this.endpoints = [this.channel.guest];
    this.attach(this.channel.guest, 0);
    encodeNvsp(
      {
        type: NVSP_MSG.SEND_RNDIS_PKT,
        channelType: NVSP_RNDIS_CHANNEL.DATA,
        sectionIndex: NVSP_INVALID_SECTION,
        sectionSize: 0,
      },
      this.dataHdr,
      0,
    );
    this.channel.rescind$.subscribe(() => this.onRescind());
  }

  /** True while the channel is usable (neither rescinded nor closed by {@link NvspClient.close}). */
  get open(): boolean {
    return this.channel.isOpen;
  }

  /** True once the host rescinded the channel (for good: it cannot be opened again). */
  get rescinded(): boolean {
    return this.channel.isRescinded;
  }

  /**
   * Closes the channel from the guest side (`netvsc.c` netvsc_device_remove: `vmbus_close`):
   * requests still waiting are answered with null (switches: `closed`), data frames the host left
   * in the rings are dropped (`no-device`, counted in `rxAtClose`), the subchannels are forgotten
   * and the negotiated version reset. The `onRescind` handler is not called: the device stays.
   */
  close(): void {
    if (!this.channel.isOpen) return;
    for (const ep of this.endpoints) this.discardInbound(ep);
    this.channel.close();
    this.endpoints = [this.channel.guest];
    this.version = 0;
    this.failPending();
    this.forgetSends();
  }

  /**
   * Opens the channel again after {@link NvspClient.close} (`netvsc.c` netvsc_device_add:
   * `vmbus_open`); {@link NvspClient.connect} then redoes the bring-up on it.
   *
   * @throws `BypassError` `ERR_NO_DEVICE` when the channel was rescinded.
   */
  reopen(): void {
    this.channel.open();
    this.endpoints = [this.channel.guest];
  }

  /** Reads and drops what is left in `ep`'s inbound ring (the channel is about to close). */
  private discardInbound(ep: VmbusEndpoint): void {
    const pkt = this.pkt;
    const info = this.info;
    while (ep.receive(pkt)) {
      if (pkt.type !== VM_PKT.DATA_INBAND || !isRndisDataMessage(pkt.data, pkt.length)) continue;
      if (!RndisPacket.parse(pkt.data, NVSP_MESSAGE_SIZE, pkt.length - NVSP_MESSAGE_SIZE, info))
        continue;
      this.stats.rxAtClose++;
      this.pool.dropForeign(pkt.data, info.dataOffset, info.dataLength, DropReason.NO_DEVICE);
    }
  }

  // ---------------------------------------------------------------- connect

  /**
   * Runs the whole bring-up ({@link nvspHandshake}); `done` is called once, with `error` set on
   * failure.
   */
  connect(opts: NvspConnectOptions, done: (r: NvspConnectResult) => void): void {
    nvspHandshake(this, opts, done);
  }

  /** Starts using the first `count` subchannels the host offered (after a SUBCHANNEL completion). */
  useSubchannels(count: number): void {
    const subs = this.channel.subchannels.slice(0, Math.max(0, count));
    for (const sub of subs)
      if (!this.endpoints.includes(sub.guest)) this.attach(sub.guest, sub.subchannelIndex);
    this.endpoints = [this.channel.guest, ...subs.map((x) => x.guest)];
  }

  // ---------------------------------------------------------------- control

  /** Sends an NVSP message with completion requested; `onDone` gets the completion (null if the channel closed). */
  request(msg: NvspMessage, onDone: (m: NvspMessage | null) => void): VmbusSendResult {
    const id = this.nextTrans;
    const r = this.sendRequest(msg);
    if (r === 'ok') this.pending.set(id, onDone);
    else if (r === 'closed') onDone(null);
    return r;
  }

  /** Sends `msg` with completion requested under the next transaction id. */
  private sendRequest(msg: NvspMessage): VmbusSendResult {
    const id = this.nextTrans++;
    encodeNvsp(msg, this.msg, 0);
    return this.channel.guest.send(
      VM_PKT.DATA_INBAND,
      VMBUS_PKT_FLAG.COMPLETION_REQUESTED,
      id,
      this.msg,
      0,
      NVSP_MESSAGE_SIZE,
    );
  }

  /** Sends an NVSP message without completion. */
  post(msg: NvspMessage): VmbusSendResult {
    encodeNvsp(msg, this.msg, 0);
    return this.channel.guest.send(VM_PKT.DATA_INBAND, 0, 0, this.msg, 0, NVSP_MESSAGE_SIZE);
  }

  /** Sends an RNDIS control request (its request id is assigned here); `onDone` gets the response or null. */
  rndisRequest(msg: RndisMessage, onDone: (m: RndisMessage | null) => void): void {
    const id = this.nextReq;
    const r = this.rndisSend(msg);
    if (r === 'ok') this.rndisPending.set(id, onDone);
    else onDone(null);
  }

  /**
   * Sends an RNDIS control message under the next request id without waiting for an answer (an
   * RNDIS HALT has none: `rndis_filter.c` rndis_filter_halt_device ignores the send's result).
   * The VMBus packet asks for a completion, as every RNDIS message netvsc sends does
   * (`netvsc.c` netvsc_send_pkt, DPDK `hn_rndis.c` hn_nvs_send_rndis_ctrl), under transaction id
   * 0 (DPDK's id for control sends); the host's SEND_RNDIS_PKT_COMPLETE is counted in
   * `rndisControlCompletions`. Until it arrives the send is outstanding for
   * {@link NvspClient.whenTxIdle} (rndis_filter_halt_device waits for the HALT's own completion);
   * Linux also counts it in the primary channel's `queue_sends`, which
   * {@link NvspClient.queueSends} leaves to data packets.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a message larger than the control buffer.
   */
  rndisSend(msg: RndisMessage): VmbusSendResult {
    const id = this.nextReq++;
    const m = 'requestId' in msg ? ({ ...msg, requestId: id } as RndisMessage) : msg;
    const len = rndisLength(m);
    if (NVSP_MESSAGE_SIZE + len > this.ctl.length)
      throw new BypassError('ERR_INVALID_ARGUMENT', `RNDIS request of ${len} bytes is too large`);
    encodeNvsp(
      {
        type: NVSP_MSG.SEND_RNDIS_PKT,
        channelType: NVSP_RNDIS_CHANNEL.CONTROL,
        sectionIndex: NVSP_INVALID_SECTION,
        sectionSize: 0,
      },
      this.ctl,
      0,
    );
    encodeRndis(m, this.ctl, NVSP_MESSAGE_SIZE);
    // netvsc.c netvsc_send_pkt: RNDIS messages always go with a completion requested.
    const r = this.channel.guest.send(
      VM_PKT.DATA_INBAND,
      VMBUS_PKT_FLAG.COMPLETION_REQUESTED,
      RNDIS_CONTROL_TID,
      this.ctl,
      0,
      NVSP_MESSAGE_SIZE + len,
    );
    if (r === 'ok') this.controlOutstanding++;
    return r;
  }

  /**
   * Asks the host to move the datapath to the VF or back to synthetic (NVSP SWITCH_DATA_PATH
   * 129, `netvsc.c` netvsc_switch_datapath) and reports when the completion arrives: `ok`,
   * `busy` (the ring stayed full through 2000 retries 5-10 ms apart), `timeout` (sent 3 times,
   * no completion within 1 s of any; a completion arriving later counts in
   * `unknownCompletions`) or `closed`. Returns a function that abandons the switch (no callback,
   * no timer left; used when the device goes away).
   *
   * The host completes the request with an empty VMBus completion, matched by transaction id
   * (`netvsc.c` netvsc_send_completion, its zero-length branch); Linux then sets
   * `data_path_is_vf` without reading anything back, so the guest cannot see whether the host
   * actually moved its datapath. A completion of the switch that carries a payload is not one
   * Linux recognises (an unknown completion type: the waiter keeps waiting): it is counted in
   * `malformed` and the request stays pending until its timeout.
   *
   * Deliberate difference from Linux: Linux waits for the completion without a time limit while
   * holding RTNL; here the request is sent again after 1 s and given up after 3 sends.
   */
  switchDataPath(vf: boolean, done: (r: NvspSwitchResult) => void): () => void {
    const want = vf ? NVSP_DATAPATH.VF : NVSP_DATAPATH.SYNTHETIC;
    let tries = 0;
    let sends = 0;
    let cancelled = false;
    let timer: TimerId = -1; // the completion timeout or the ring-full retry
    let id = -1;
    const finish = (r: NvspSwitchResult): void => {
      if (!cancelled) done(r);
    };
    const attempt = (): void => {
      timer = -1;
      id = this.nextTrans; // the transaction id sendRequest() is about to use
      const r = this.sendRequest({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: want });
      if (r === 'closed') return finish('closed');
      if (r === 'ok') {
        sends++;
        this.switchPending.set(id, (completed) => {
          if (timer !== -1) this.scheduler.cancel(timer);
          timer = -1;
          finish(completed ? 'ok' : 'closed');
        });
        timer = this.scheduler.runAfter(SWITCH_TIMEOUT_NS, () => {
          timer = -1;
          if (!this.switchPending.delete(id)) return;
          this.stats.switchTimeouts++;
          if (sends >= SWITCH_SENDS_MAX) return finish('timeout');
          attempt();
        });
        return;
      }
      if (r !== 'full' && r !== 'corrupt') return;
      if (tries++ >= RETRY_MAX) return finish('busy');
      this.stats.switchRetries++;
      timer = this.scheduler.runAfter(this.random.range(RETRY_LO_NS, RETRY_HI_NS), attempt);
    };
    attempt();
    return () => {
      if (cancelled) return;
      cancelled = true;
      if (timer !== -1) this.scheduler.cancel(timer);
      timer = -1;
      this.switchPending.delete(id);
    };
  }

  // ---------------------------------------------------------------- data

  /**
   * Writes frames `pkts[start .. start+count)` on queue `queue` (its channel, wrapped to the
   * channels in use), each as `netvsc.c` netvsc_send_pkt sends a data packet: with a completion
   * requested (counted outstanding until the host completes it, see
   * {@link NvspClientHandlers.onTxCompleted}). Stops after a frame sent while less than
   * LOWATER percent of the ring was free (`txStop` `lowater`), before a frame that does not fit
   * (`full`), or on a closed channel (`closed`). Returns how many were written; the caller keeps
   * the rest. Written frames stay owned by the caller (their bytes were copied).
   */
  sendFrames(pkts: Int32Array, start: number, count: number, queue: number): number {
    const eps = this.endpoints;
    const qi = queue % eps.length;
    const ep = eps[qi] as VmbusEndpoint;
    const slots = this.slotsOf(qi, ep);
    const pool = this.pool;
    const hdr = this.rndisHdr;
    this.txStop = 'none';
    let i = 0;
    for (; i < count; i++) {
      const h = pkts[start + i] as number;
      const len = pool.length[h] as number;
      const tci =
        ((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0 ? (pool.vlanTci[h] as number) : -1;
      const hl = RndisPacket.writeHeader(hdr, 0, len, tci);
      // netvsc_send_pkt measures the free share before it writes.
      const avail = ringAvailPercent(ep);
      const tid = slots.take(len);
      const r =
        tid < 0
          ? 'full'
          : ep.begin(
              VM_PKT.DATA_INBAND,
              VMBUS_PKT_FLAG.COMPLETION_REQUESTED,
              tid,
              NVSP_MESSAGE_SIZE + hl + len,
            );
      if (r !== 'ok') {
        if (tid >= 0) slots.release(tid);
        this.txStop = r === 'closed' ? 'closed' : 'full';
        if (r !== 'closed') this.stats.txBusy++;
        break;
      }
      ep.put(this.dataHdr, 0, NVSP_MESSAGE_SIZE);
      ep.put(hdr, 0, hl);
      ep.put(pool.bytes, pool.start[h] as number, len);
      ep.commit();
      if (avail < NETVSC_RING_AVAIL.LOWATER) {
        i++;
        this.txStop = 'lowater';
        break;
      }
    }
    this.stats.txFrames += i;
    return i;
  }

  /** The free share of queue `queue`'s outbound ring, in percent (hv_get_avail_to_write_percent). */
  ringAvailPercent(queue: number): number {
    const eps = this.endpoints;
    return ringAvailPercent(eps[queue % eps.length] as VmbusEndpoint);
  }

  /** Data packets sent on queue `queue`'s channel and not completed yet (`queue_sends`). */
  queueSends(queue: number): number {
    return this.txSlots[queue % this.endpoints.length]?.outstanding ?? 0;
  }

  /**
   * Calls `done` once no data packet and no RNDIS control message is outstanding on any channel,
   * at once when none is (`rndis_filter.c` rndis_filter_halt_device waits for every send
   * completion).
   */
  whenTxIdle(done: () => void): void {
    if (this.txIdle()) done();
    else this.idleWaiters.push(done);
  }

  private txIdle(): boolean {
    if (this.controlOutstanding > 0) return false;
    for (const s of this.txSlots) if (s !== null && s.outstanding > 0) return false;
    return true;
  }

  private slotsOf(qi: number, ep: VmbusEndpoint): NvspTxSlots {
    let s = this.txSlots[qi];
    if (s === null || s === undefined) {
      // A data packet takes more than 64 bytes of ring: never more outstanding than slots.
      s = new NvspTxSlots(qi, Math.ceil(ep.tx.dataSize / 64));
      this.txSlots[qi] = s;
    }
    return s;
  }

  /** The channel closed or went away: no completion will come for what was outstanding. */
  private forgetSends(): void {
    for (const s of this.txSlots) s?.clear();
    this.controlOutstanding = 0;
    this.compCount = 0;
    this.flushIdleWaiters();
  }

  private flushIdleWaiters(): void {
    if (this.idleWaiters.length === 0 || !this.txIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const done of w) done();
  }

  // ---------------------------------------------------------------- receive

  private attach(ep: VmbusEndpoint, queue: number): void {
    ep.onSignal = () => {
      ep.beginRead();
      do this.drain(ep, queue);
      while (ep.endRead());
    };
  }

  private drain(ep: VmbusEndpoint, queue: number): void {
    const pkt = this.pkt;
    let n = 0;
    while (ep.receive(pkt)) {
      if (pkt.type === VM_PKT.COMP) {
        if (dataTidQueue(pkt.transId) >= 0) this.onSendCompletion(pkt);
        else this.onCompletion(pkt);
        continue;
      }
      if (pkt.type !== VM_PKT.DATA_INBAND) {
        this.stats.ignored++;
        continue;
      }
      if (isRndisDataMessage(pkt.data, pkt.length)) {
        n = this.onData(pkt, n, queue);
        if (n === RX_BURST) n = this.flush(n, queue);
        continue;
      }
      n = this.flush(n, queue);
      this.onControl(pkt, nvspType(pkt.data, 0, pkt.length));
    }
    this.flush(n, queue);
    this.flushCompletions();
  }

  /**
   * A data packet's completion (`netvsc.c` netvsc_send_completion, SEND_RNDIS_PKT_COMPLETE): one
   * too short to carry its status is refused and the packet stays outstanding, as Linux returns
   * before netvsc_send_tx_complete; an error status is still a completion. Counted into the
   * batch handed over at the end of the read.
   */
  private onSendCompletion(pkt: VmbusPacket): void {
    const qi = dataTidQueue(pkt.transId);
    const slots = qi < this.txSlots.length ? this.txSlots[qi] : null;
    if (pkt.length < 8 || nvspType(pkt.data, 0, pkt.length) !== NVSP_MSG.SEND_RNDIS_PKT_COMPLETE) {
      this.stats.malformed++;
      return;
    }
    const bytes = slots === null || slots === undefined ? -1 : slots.complete(pkt.transId);
    if (bytes < 0) {
      this.stats.unknownCompletions++;
      return;
    }
    this.stats.txCompleted++;
    if (this.compPackets[qi] === 0) this.compQueues[this.compCount++] = qi;
    this.compPackets[qi] = (this.compPackets[qi] as number) + 1;
    this.compBytes[qi] = (this.compBytes[qi] as number) + bytes;
  }

  private flushCompletions(): void {
    const n = this.compCount;
    if (n === 0) return;
    this.compCount = 0;
    const f = this.handlers.onTxCompleted;
    for (let i = 0; i < n; i++) {
      const qi = this.compQueues[i] as number;
      const packets = this.compPackets[qi] as number;
      const bytes = this.compBytes[qi] as number;
      this.compPackets[qi] = 0;
      this.compBytes[qi] = 0;
      f?.(qi, packets, bytes);
    }
    this.flushIdleWaiters();
  }

  private onData(pkt: VmbusPacket, n: number, _queue: number): number {
    const info = this.info;
    if (
      pkt.length < NVSP_MESSAGE_SIZE ||
      !RndisPacket.parse(pkt.data, NVSP_MESSAGE_SIZE, pkt.length - NVSP_MESSAGE_SIZE, info)
    ) {
      this.stats.malformed++;
      return n;
    }
    const pool = this.pool;
    const h = pool.alloc();
    if (h < 0) {
      this.stats.rxNoMemory++;
      pool.dropForeign(pkt.data, info.dataOffset, info.dataLength, DropReason.POOL_EXHAUSTED);
      return n;
    }
    if (info.dataLength > pool.slotSize - pool.headroom) {
      pool.free(h);
      this.stats.malformed++;
      pool.dropForeign(pkt.data, info.dataOffset, info.dataLength, DropReason.MTU_EXCEEDED);
      return n;
    }
    pool.setLength(h, info.dataLength);
    const dst = pool.start[h] as number;
    const src = pkt.data;
    const bytes = pool.bytes;
    for (let i = 0, o = info.dataOffset; i < info.dataLength; i++)
      bytes[dst + i] = src[o + i] as number;
    pool.imported(h);
    if (info.vlanTci >= 0) {
      pool.vlanTci[h] = info.vlanTci;
      pool.flags[h] = (pool.flags[h] as number) | PacketPool.F_VLAN;
    }
    this.rx[n] = h;
    return n + 1;
  }

  private flush(n: number, queue: number): number {
    if (n === 0) return 0;
    const f = this.handlers.onFrames;
    if (f === undefined) {
      // Nobody bound to the channel's data yet (or any more): netvsc_drv.c netvsc_recv_callback
      // fails frames for a netdev that is not registered, rndis_filter.c rndis_filter_receive
      // those of an uninitialized RNDIS device. Dropped with a reason, not silently freed.
      this.stats.rxNoHandler += n;
      this.pool.drop(this.rx, 0, n, DropReason.RX_NOHANDLER);
      return 0;
    }
    this.stats.rxFrames += n;
    f(this.rx, 0, n, queue);
    return 0;
  }

  private onCompletion(pkt: VmbusPacket): void {
    const sw = this.switchPending.get(pkt.transId);
    if (sw !== undefined) {
      // netvsc.c netvsc_send_completion: a switch is completed by an empty completion.
      if (pkt.length !== 0) {
        this.stats.malformed++;
        return;
      }
      this.switchPending.delete(pkt.transId);
      sw(true);
      return;
    }
    const cb = this.pending.get(pkt.transId);
    if (
      cb === undefined &&
      pkt.transId === RNDIS_CONTROL_TID &&
      this.controlOutstanding > 0 &&
      pkt.length >= 8 &&
      nvspType(pkt.data, 0, pkt.length) === NVSP_MSG.SEND_RNDIS_PKT_COMPLETE
    ) {
      // netvsc.c netvsc_send_tx_complete: no skb to free, one send less outstanding. With none
      // outstanding it matches nothing and counts as unknown below ("Invalid transaction ID").
      this.stats.rndisControlCompletions++;
      this.controlOutstanding--;
      this.flushIdleWaiters();
      return;
    }
    if (cb === undefined) {
      this.stats.unknownCompletions++;
      return;
    }
    this.pending.delete(pkt.transId);
    let m: NvspMessage | null = null;
    try {
      m = decodeNvsp(pkt.data, 0, pkt.length, true);
    } catch {
      this.stats.malformed++;
    }
    // A malformed completion still ends the transaction, as a failure.
    cb(m ?? { type: NVSP_MSG.SEND_RNDIS_PKT_COMPLETE, status: NVSP_STATUS.FAIL });
  }

  private onControl(pkt: VmbusPacket, type: number): void {
    let m: NvspMessage;
    try {
      m = decodeNvsp(pkt.data, 0, pkt.length);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (m.type === NVSP_MSG.SEND_VF_ASSOCIATION) {
      // netvsc.c: only NVSP 4+ carries VF association.
      if (this.version < NVSP_VERSION.V4) {
        this.stats.ignored++;
        return;
      }
      this.vfAllocated = m.allocated;
      this.vfSerial = m.serial;
      this.handlers.onVfAssociation?.(m.allocated, m.serial);
      return;
    }
    if (m.type === NVSP_MSG.SEND_RNDIS_PKT && m.channelType === NVSP_RNDIS_CHANNEL.CONTROL) {
      let r: RndisMessage;
      try {
        r = decodeRndis(pkt.data, NVSP_MESSAGE_SIZE, pkt.length - NVSP_MESSAGE_SIZE);
      } catch {
        this.stats.malformed++;
        return;
      }
      if (r.kind === RNDIS_MSG.INDICATE) {
        this.handlers.onStatus?.(r.status, r.buffer);
        return;
      }
      const id = 'requestId' in r ? r.requestId : -1;
      const cb = this.rndisPending.get(id);
      if (cb === undefined || (r.kind & 0x80000000) === 0) {
        this.stats.unknownCompletions++;
        return;
      }
      this.rndisPending.delete(id);
      cb(r);
      return;
    }
    void type;
    this.stats.ignored++;
  }

  private onRescind(): void {
    this.failPending();
    this.forgetSends();
    this.handlers.onRescind?.();
  }

  /** Answers every request still waiting: null (a switch: not completed). */
  private failPending(): void {
    const p = [...this.pending.values()];
    const r = [...this.rndisPending.values()];
    const sw = [...this.switchPending.values()];
    this.pending.clear();
    this.rndisPending.clear();
    this.switchPending.clear();
    for (const cb of p) cb(null);
    for (const cb of r) cb(null);
    for (const cb of sw) cb(false);
  }
}

/** The free share of `ep`'s outbound ring in percent, rounded down (0 when corrupt). */
function ringAvailPercent(ep: VmbusEndpoint): number {
  const free = ep.tx.bytesToWrite();
  return free <= 0 ? 0 : Math.floor((free * 100) / ep.tx.dataSize);
}
