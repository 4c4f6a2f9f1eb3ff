import { DropReason, Ethernet, PacketPool, PacketRing } from '@bypass/core';
import {
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_RNDIS_CHANNEL,
  NVSP_STATUS,
} from '../nvsp/NvspConstants.js';
import { decodeNvsp, isRndisDataMessage, nvspType } from '../nvsp/NvspMessage.js';
import { RNDIS_MSG, RNDIS_PACKET_HEADER_SIZE } from '../rndis/RndisConstants.js';
import { decodeRndis } from '../rndis/RndisMessage.js';
import { RndisPacket, RndisPacketInfo } from '../rndis/RndisPacket.js';
import type { VmbusEndpoint } from '../vmbus/VmbusEndpoint.js';
import { VM_PKT, VmbusPacket } from '../vmbus/VmbusPacket.js';
import { HnQueueStats } from './HnQueueStats.js';
import { TX_ID_STRIDE, type HnTxQueue } from './HnTxQueue.js';
import type { NetvscPmdStats } from './NetvscPmdStats.js';

/** `pool.flags` bit of a frame handed over as an external buffer (its RX section stays lent). */
export const F_EXTBUF = 0x80;
/** Shortest and longest frame accepted from the host (hn_rxtx.c hn_rndis_rx_data; the doc's 64 KiB). */
const RX_MIN = 14;
const RX_MAX = 65536;

/** What the RX queue reports to its port while it reads the ring. */
export interface HnEventSink {
  /** An RNDIS indicate-status (link changes). */
  onStatus(status: number, buffer: Uint8Array): void;
  /** NVSP SEND_VF_ASSOCIATION (128). */
  onVfAssociation(allocated: boolean, serial: number): void;
}

/**
 * One RX queue of the netvsc PMD (hn_rxtx.c hn_process_events and hn_recv_pkts' synthetic
 * half): there are no interrupts, so the channel's ring is read only when the application polls.
 * Everything in it is handled in order: send completions go to the TX queue of the channel, data
 * frames into this queue's ring (the application then takes them), RNDIS status indications and
 * VF association messages to the port.
 *
 * RX copybreak (hn_rxpkt): a frame longer than `rx_copybreak` is handed over as an external
 * buffer when `rx_extmbuf_enable` is set and fewer than half of the receive-buffer sections are
 * lent out; it then keeps its section until the application frees the frame (the queue notices
 * at its next poll). Otherwise the frame is copied and the section is returned at once. The
 * simulator's frames always live in the pool, so both paths fill a pool slot; what differs is
 * the section accounting and the counters (`rxExtbuf`, `rxCopied`).
 *
 * VLAN: the host always strips the tag. With {@link HnRxQueue.vlanStrip} (the port was
 * configured with `RTE_ETH_RX_OFFLOAD_VLAN_STRIP`) it goes in the frame's `vlanTci` with
 * `F_VLAN`; without, it is put back into the frame, and a frame handed over as an external
 * buffer cannot take it back and is dropped (counted in `rxErrors`), as in DPDK.
 */
export class HnRxQueue {
  readonly queue: number;
  /** Frames received and not yet taken by the application. */
  readonly ring: PacketRing;
  /**
   * DPDK's per-queue counters (the port's `rx_q<i>_*` xstats and its `ipackets`, `ibytes`,
   * `ierrors`, `imissed`). Packets and bytes are counted before the enqueue as DPDK does: a frame
   * then dropped for a full ring is in both these and `ring full` (`imissed`).
   */
  readonly hn = new HnQueueStats();
  /** RX VLAN strip offload configured: the tag stays in `vlanTci` instead of the frame. */
  vlanStrip = false;
  private readonly ep: VmbusEndpoint;
  private readonly pool: PacketPool;
  private readonly stats: NetvscPmdStats;
  private readonly sink: HnEventSink;
  private readonly txq: HnTxQueue | null;
  private readonly pkt: VmbusPacket;
  private readonly info = new RndisPacketInfo();
  private readonly lent: Int32Array;
  private lentCount = 0;
  private readonly one = new Int32Array(1);
  private readonly copybreak: number;
  private readonly extbuf: boolean;
  private readonly portId: number;

  constructor(options: {
    queue: number;
    ep: VmbusEndpoint;
    pool: PacketPool;
    stats: NetvscPmdStats;
    sink: HnEventSink;
    txq: HnTxQueue | null;
    ringSize: number;
    /** Receive-buffer sections the host granted. */
    sections: number;
    copybreak: number;
    extbuf: boolean;
    portId: number;
  }) {
    this.queue = options.queue;
    this.ep = options.ep;
    this.pool = options.pool;
    this.stats = options.stats;
    this.sink = options.sink;
    this.txq = options.txq;
    this.ring = new PacketRing(options.ringSize);
    this.pkt = new VmbusPacket(options.ep.rx.dataSize);
    this.lent = new Int32Array(Math.max(1, Math.floor(options.sections / 2)));
    this.copybreak = options.copybreak;
    this.extbuf = options.extbuf;
    this.portId = options.portId;
  }

  /** Receive-buffer sections lent to the application as external buffers. */
  get outstanding(): number {
    this.sweep();
    return this.lentCount;
  }

  /**
   * Reads everything in the channel's ring (hn_process_events). While the port is stopped
   * (`started` false) data frames are dropped (`dev-down`, counted in `rxStopped`), as
   * hn_rndis_receive ignores data then.
   */
  process(started: boolean): void {
    const ep = this.ep;
    if (ep.closed) return;
    this.sweep();
    ep.beginRead();
    do this.drain(started);
    while (ep.endRead());
  }

  /** Takes up to `max` received frames into `out[start..]` (hn_recv_pkts' synthetic half). */
  dequeue(out: Int32Array, start: number, max: number): number {
    return this.ring.dequeueBurst(out, start, max);
  }

  /** Drops what is still in the queue's ring (`dev-down`): the port is closing. */
  purge(): void {
    const scratch = new Int32Array(64);
    for (;;) {
      const n = this.ring.dequeueBurst(scratch, 0, scratch.length);
      if (n === 0) break;
      this.stats.rxStopped += n;
      this.pool.drop(scratch, 0, n, DropReason.DEV_DOWN);
    }
  }

  // ---------------------------------------------------------------- ring contents

  private drain(started: boolean): void {
    const pkt = this.pkt;
    const ep = this.ep;
    while (ep.receive(pkt)) {
      if (pkt.type === VM_PKT.COMP) this.onCompletion(pkt);
      else if (pkt.type !== VM_PKT.DATA_INBAND) this.stats.ignored++;
      // Shorter than a whole NVSP message: not taken as data (counted by onNotify).
      else if (pkt.length >= NVSP_MESSAGE_SIZE && isRndisDataMessage(pkt.data, pkt.length))
        this.onData(pkt, started);
      else this.onNotify(pkt);
    }
  }

  private onCompletion(pkt: VmbusPacket): void {
    const id = pkt.transId;
    // Control messages are sent with transaction id 0 (hn_nvs_send_completed ignores them).
    if (id === 0) {
      this.stats.ignored++;
      return;
    }
    const txq = this.txq;
    const q = Math.floor((id - 1) / TX_ID_STRIDE);
    if (
      txq === null ||
      q !== this.queue ||
      nvspType(pkt.data, 0, pkt.length) !== NVSP_MSG.SEND_RNDIS_PKT_COMPLETE
    ) {
      this.stats.malformed++;
      return;
    }
    const ok = pkt.length >= 8 && pkt.view.getUint32(4, true) === NVSP_STATUS.SUCCESS;
    txq.complete((id - 1) % TX_ID_STRIDE, ok);
  }

  private onData(pkt: VmbusPacket, started: boolean): void {
    const info = this.info;
    const data = pkt.data;
    let off = NVSP_MESSAGE_SIZE;
    // One message may carry several RNDIS packets, each msg_len long.
    do {
      if (!RndisPacket.parse(data, off, pkt.length - off, info)) {
        this.countError();
        return;
      }
      if (!started) this.stats.rxStopped++;
      else this.onFrame(data);
      off += pkt.view.getUint32(off + 4, true);
    } while (pkt.length - off >= RNDIS_PACKET_HEADER_SIZE);
  }

  private onFrame(data: Uint8Array): void {
    const info = this.info;
    const len = info.dataLength;
    if (len < RX_MIN || len > RX_MAX) {
      this.countError();
      return;
    }
    const pool = this.pool;
    const h = pool.alloc();
    if (h < 0) {
      this.stats.rxNoMbuf++;
      pool.dropForeign(data, info.dataOffset, len, DropReason.POOL_EXHAUSTED);
      return;
    }
    if (len > pool.slotSize - (pool.start[h] as number) + h * pool.slotSize) {
      pool.free(h); // hn_rxpkt: the mbuf cannot hold the frame
      this.countError();
      return;
    }
    pool.setLength(h, len);
    const bytes = pool.bytes;
    for (let i = 0, d = pool.start[h] as number, o = info.dataOffset; i < len; i++)
      bytes[d + i] = data[o + i] as number;
    pool.imported(h);
    this.one[0] = h;
    // hn_rxpkt: external buffer only if enabled, longer than rx_copybreak, and fewer than half
    // of the receive sections already lent out
    const ext = this.extbuf && len > this.copybreak && this.lentCount < this.lent.length;
    let flags = ext ? F_EXTBUF : 0;
    if (info.vlanTci >= 0) {
      pool.vlanTci[h] = info.vlanTci;
      if (this.vlanStrip) flags |= PacketPool.F_VLAN;
      // hn_rxtx.c hn_rxpkt: without VLAN_STRIP the tag goes back in (rte_vlan_insert), which
      // refuses an mbuf attached to an external buffer: such a frame is an error
      else if (ext || !Ethernet.insertVlan(pool, h, info.vlanTci)) {
        this.countError();
        pool.drop(this.one, 0, 1, DropReason.MALFORMED);
        return;
      }
    }
    pool.flags[h] = flags;
    pool.port[h] = this.portId;
    // hn_rxtx.c hn_rxpkt: packets, bytes and sizes are counted before the enqueue, full or not
    const hn = this.hn;
    hn.packets++;
    hn.bytes += pool.length[h] as number;
    hn.countFrame(pool, h);
    if (this.ring.enqueueBurst(this.one, 0, 1) === 1) {
      if (ext) {
        this.lent[this.lentCount++] = h;
        this.stats.rxExtbuf++;
      } else this.stats.rxCopied++;
      return;
    }
    this.stats.rxRingFull++;
    hn.ringFull++;
    pool.drop(this.one, 0, 1, DropReason.RING_FULL);
  }

  /** A frame refused as malformed or of a bad length: the port's `ierrors` (hn_rxtx.c). */
  private countError(): void {
    this.stats.rxErrors++;
    this.hn.errors++;
  }

  private onNotify(pkt: VmbusPacket): void {
    let m;
    try {
      m = decodeNvsp(pkt.data, 0, pkt.length);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (m.type === NVSP_MSG.SEND_VF_ASSOCIATION) {
      this.sink.onVfAssociation(m.allocated, m.serial);
      return;
    }
    if (m.type !== NVSP_MSG.SEND_RNDIS_PKT || m.channelType !== NVSP_RNDIS_CHANNEL.CONTROL) {
      this.stats.ignored++;
      return;
    }
    let r;
    try {
      r = decodeRndis(pkt.data, NVSP_MESSAGE_SIZE, pkt.length - NVSP_MESSAGE_SIZE);
    } catch {
      this.stats.malformed++;
      return;
    }
    if (r.kind === RNDIS_MSG.INDICATE) {
      this.stats.statusEvents++;
      this.sink.onStatus(r.status, r.buffer);
    } else this.stats.ignored++; // completions of the PMD's fire-and-forget RNDIS sets
  }

  /** Returns the sections of external-buffer frames the application has freed. */
  private sweep(): void {
    const pool = this.pool;
    const lent = this.lent;
    let k = 0;
    for (let i = 0; i < this.lentCount; i++) {
      const h = lent[i] as number;
      if (pool.isAllocated(h) && ((pool.flags[h] as number) & F_EXTBUF) !== 0) lent[k++] = h;
    }
    this.lentCount = k;
  }
}
