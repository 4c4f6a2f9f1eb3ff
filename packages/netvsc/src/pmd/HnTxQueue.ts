import { DropReason, Ethernet, PacketPool } from '@bypass/core';
import {
  NVSP_INVALID_SECTION,
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_RNDIS_CHANNEL,
} from '../nvsp/NvspConstants.js';
import { encodeNvsp } from '../nvsp/NvspMessage.js';
import { RndisPacket } from '../rndis/RndisPacket.js';
import type { VmbusEndpoint } from '../vmbus/VmbusEndpoint.js';
import { VM_PKT, VMBUS_PKT_FLAG } from '../vmbus/VmbusPacket.js';
import { HnQueueStats } from './HnQueueStats.js';
import type { NetvscPmdStats } from './NetvscPmdStats.js';

/** Largest RNDIS packet header this driver writes (44 bytes + hash value and VLAN per-packet info). */
const RNDIS_HDR_MAX = 76;
/**
 * hn_rxtx.c HN_RNDIS_PKT_LEN: the RNDIS header with room for every per-packet info hn_encap may
 * add (hash value, VLAN, LSO, checksum: 16 bytes each).
 */
const RNDIS_PKT_LEN = 44 + 4 * 16;
/** hn_rxtx.c HN_PKTSIZE_MIN, before its alignment: room for a minimal frame and its RNDIS header. */
const PKTSIZE_MIN = 64 + RNDIS_PKT_LEN;
/** VMBus descriptor (16) plus ring trailer (8) plus the room that keeps a full ring from looking empty (8). */
const RING_OVERHEAD = 32;
/** The ring's 16-bit packet length, in 8-byte units, less the descriptor. */
const RING_PACKET_MAX = 0xffff * 8 - 16;
/** Transaction ids: 0 is left to control messages; queue q's descriptors follow q * 2^13. */
export const TX_ID_STRIDE = 1 << 13;

/**
 * The send buffer (hn_rxtx.c "chimney"): `count` sections of `size` bytes shared by every TX
 * queue; a section is taken when a queue starts aggregating and given back on the host's send
 * completion (hn_chim_alloc / hn_chim_free). Lowest free index first.
 */
export class HnSendSections {
  readonly count: number;
  readonly size: number;
  private readonly used: Uint8Array;
  private inUse = 0;

  constructor(count: number, size: number) {
    this.count = count;
    this.size = size;
    this.used = new Uint8Array(count);
  }

  /** Sections currently taken. */
  get busy(): number {
    return this.inUse;
  }

  /** Takes the lowest free section; -1 when all are taken. */
  alloc(): number {
    const i = this.used.indexOf(0);
    if (i < 0) return -1;
    this.used[i] = 1;
    this.inUse++;
    return i;
  }

  /** Gives section `i` back (an index out of range or already free is ignored). */
  free(i: number): void {
    if (i >= 0 && i < this.count && this.used[i] === 1) {
      this.used[i] = 0;
      this.inUse--;
    }
  }
}

/**
 * Limits of the TX aggregation, as the host granted them: largest aggregate (bytes), most
 * packets per aggregate, alignment of each RNDIS packet inside it.
 */
export interface HnAggLimits {
  size: number;
  packets: number;
  align: number;
}

/**
 * One TX queue of the netvsc PMD on its VMBus channel (hn_rxtx.c hn_xmit_pkts and friends).
 *
 * - A frame of length <= `tx_copybreak` whose RNDIS packet fits the aggregate limit is copied
 *   into the queue's current send-buffer section next to the previous ones (each RNDIS packet
 *   padded to the alignment); the frame is freed at once. The section is sent as one request when
 *   it is full (packet count or size), before a direct request, and at the end of the burst
 *   (hn_try_txagg / hn_flush_txagg). If that last send finds the ring full, the section waits for
 *   the next burst.
 * - Any other frame is sent as its own direct request (hn_xmit_sg: the RNDIS header and the
 *   frame's pages; here the bytes follow inline) and stays owned by the driver until the host's
 *   completion, which frees it. There is no length rule (hn_xmit_pkts has none): a frame of any
 *   size goes out. Only a request the channel's ring could never hold, because the bytes are
 *   inline here where DPDK passes a page list, is taken and dropped (`mtu-exceeded`, counted in
 *   `txBadSize`) rather than blocking the queue.
 * - Every request takes a descriptor (hn_txd_get); none left, no section, or a full ring ends the
 *   burst and the caller keeps the rest.
 * - An 802.1Q tag inside the frame is moved into the per-packet info (hn_xmit_pkts forces the
 *   VLAN offload).
 */
export class HnTxQueue {
  readonly queue: number;
  /** DPDK's per-queue counters (the port's `tx_q<i>_*` xstats and its `opackets` / `obytes`). */
  readonly hn = new HnQueueStats();
  private readonly ep: VmbusEndpoint;
  private readonly pool: PacketPool;
  private readonly sections: HnSendSections;
  private readonly stats: NetvscPmdStats;
  private readonly limits: HnAggLimits;
  private readonly copybreak: number;
  private readonly descFree: Int32Array;
  private descTop: number;
  private readonly descHandle: Int32Array;
  private readonly descSection: Int32Array;
  private readonly descPackets: Int32Array;
  /** Frame bytes a descriptor carries (hn_txdesc `data_size`), counted at its completion. */
  private readonly descBytes: Float64Array;
  private readonly aggBuf: Uint8Array;
  private aggDesc = -1;
  private aggLen = 0;
  private aggPrev = 0;
  private aggPktLeft = 0;
  private aggSzLeft = 0;
  /** NVSP SEND_RNDIS_PKT headers: direct (no section) and aggregate (section filled per send). */
  private readonly directHdr = new Uint8Array(NVSP_MESSAGE_SIZE);
  private readonly aggHdr = new Uint8Array(NVSP_MESSAGE_SIZE);
  private readonly rndis = new Uint8Array(RNDIS_HDR_MAX);
  /** Largest direct request (NVSP + RNDIS + frame) the channel's ring can ever hold. */
  private readonly directMax: number;
  private readonly one = new Int32Array(1);

  constructor(options: {
    queue: number;
    ep: VmbusEndpoint;
    pool: PacketPool;
    sections: HnSendSections;
    stats: NetvscPmdStats;
    limits: HnAggLimits;
    copybreak: number;
    descriptors: number;
  }) {
    this.queue = options.queue;
    this.ep = options.ep;
    this.pool = options.pool;
    this.sections = options.sections;
    this.stats = options.stats;
    this.limits = options.limits;
    this.copybreak = options.copybreak;
    const n = options.descriptors;
    this.descFree = new Int32Array(n);
    for (let i = 0; i < n; i++) this.descFree[i] = n - 1 - i;
    this.descTop = n;
    this.descHandle = new Int32Array(n).fill(-1);
    this.descSection = new Int32Array(n).fill(-1);
    this.descPackets = new Int32Array(n);
    this.descBytes = new Float64Array(n);
    this.aggBuf = new Uint8Array(Math.min(options.limits.size, options.sections.size));
    const hdr = {
      type: NVSP_MSG.SEND_RNDIS_PKT,
      channelType: NVSP_RNDIS_CHANNEL.DATA,
      sectionIndex: NVSP_INVALID_SECTION,
      sectionSize: 0,
    } as const;
    encodeNvsp(hdr, this.directHdr, 0);
    encodeNvsp(hdr, this.aggHdr, 0);
    this.directMax = Math.min(options.ep.tx.dataSize - RING_OVERHEAD, RING_PACKET_MAX);
  }

  /** Descriptors in flight (sent, completion not seen yet, or aggregating). */
  get inFlight(): number {
    return this.descFree.length - this.descTop;
  }

  /** True while a partly filled send-buffer section waits to be sent. */
  get aggregating(): boolean {
    return this.aggDesc >= 0;
  }

  /** Sends `pkts[start .. start+count)`; returns how many it took. */
  xmit(pkts: Int32Array, start: number, count: number): number {
    if (this.ep.closed) return 0; // the channel was rescinded: nothing can be sent
    const pool = this.pool;
    const aggMax = this.aggBuf.length;
    let taken = 0;
    for (; taken < count; taken++) {
      const h = pkts[start + taken] as number;
      const desc = this.getDesc();
      if (desc < 0) break;
      // hn_xmit_pkts: an in-band 802.1Q header goes into the per-packet info
      if (((pool.flags[h] as number) & PacketPool.F_VLAN) === 0) Ethernet.stripVlan(pool, h);
      const len = pool.length[h] as number;
      const tci =
        ((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0 ? (pool.vlanTci[h] as number) : -1;
      // hn_encap: every packet carries the queue's index as its hash value
      const size = RndisPacket.headerLength(tci, this.queue) + len;
      if (len <= this.copybreak && size <= aggMax) {
        if ((this.aggPktLeft === 0 || this.align(size) > this.aggSzLeft) && !this.flush()) {
          this.putDesc(desc);
          break;
        }
        if (!this.startOrJoin(desc, size)) break;
        this.append(h, tci, len);
        pool.free(h);
        if (this.aggPktLeft === 0 && !this.flush()) {
          taken++;
          break;
        }
      } else {
        if (NVSP_MESSAGE_SIZE + size > this.directMax) {
          // model limit (the bytes travel inline): such a request would never fit the ring
          this.stats.txBadSize++;
          this.hn.errors++;
          this.one[0] = h;
          pool.drop(this.one, 0, 1, DropReason.MTU_EXCEEDED);
          this.putDesc(desc);
          continue;
        }
        if (this.aggDesc >= 0 && !this.flush()) {
          this.putDesc(desc);
          break;
        }
        if (!this.sendDirect(desc, h, tci, len)) {
          this.putDesc(desc);
          break;
        }
      }
    }
    // hn_xmit_pkts: a partly filled section goes out now, or with the next burst
    this.flush();
    return taken;
  }

  /** The host completed request `desc` (hn_nvs_send_completed): frees its section and frame. */
  complete(desc: number, ok: boolean): void {
    if (!(desc >= 0 && desc < this.descFree.length) || desc === this.aggDesc) {
      this.stats.malformed++;
      return;
    }
    const h = this.descHandle[desc] as number;
    const section = this.descSection[desc] as number;
    if (h < 0 && section < 0) {
      this.stats.malformed++; // a completion for a descriptor that is not in flight
      return;
    }
    this.stats.txCompletions++;
    // hn_rxtx.c hn_nvs_send_completed: packets and bytes on success, one error per failed request
    if (ok) {
      this.hn.packets += this.descPackets[desc] as number;
      this.hn.bytes += this.descBytes[desc] as number;
    } else {
      this.stats.txErrors += this.descPackets[desc] as number;
      this.hn.errors++;
    }
    if (h >= 0) this.pool.free(h);
    this.sections.free(section);
    this.putDesc(desc);
  }

  /**
   * The channel is gone (rescinded) or the port closes: frames held for a completion are
   * dropped (`no-device`: the channel that held their bytes is gone) and, like a pending
   * aggregate, counted in `txErrors`.
   */
  release(): void {
    const one = new Int32Array(1);
    for (let d = 0; d < this.descHandle.length; d++) {
      const h = this.descHandle[d] as number;
      const section = this.descSection[d] as number;
      if (h < 0 && section < 0) continue;
      this.stats.txErrors += this.descPackets[d] as number;
      // as a failed send or completion would be: one error per request (DPDK has no rescind)
      this.hn.errors++;
      if (h >= 0) {
        one[0] = h;
        this.pool.drop(one, 0, 1, DropReason.NO_DEVICE);
      }
      this.sections.free(section);
      this.putDesc(d);
    }
    this.aggDesc = -1;
    this.aggPktLeft = 0;
  }

  /** Sends the pending aggregate, if any; false when it could not (ring full or channel gone). */
  flush(): boolean {
    const desc = this.aggDesc;
    if (desc < 0) return true;
    // SEND_RNDIS_PKT: the section index and size of the aggregate (written in place, no
    // allocation per request)
    put32(this.aggHdr, 8, this.descSection[desc] as number);
    put32(this.aggHdr, 12, this.aggLen);
    const ep = this.ep;
    const r = ep.begin(
      VM_PKT.DATA_INBAND,
      VMBUS_PKT_FLAG.COMPLETION_REQUESTED,
      this.transId(desc),
      NVSP_MESSAGE_SIZE + this.aggLen,
    );
    if (r !== 'ok') {
      // hn_rxtx.c hn_flush_txagg: -EAGAIN is `channel full`, any other failure an error
      if (r === 'full') {
        this.stats.txChannelFull++;
        this.hn.channelFull++;
      } else this.release(); // the channel is gone: what was aggregated is lost (counted)
      return false;
    }
    ep.put(this.aggHdr, 0, NVSP_MESSAGE_SIZE);
    ep.put(this.aggBuf, 0, this.aggLen);
    ep.commit();
    this.stats.txAggregates++;
    this.aggDesc = -1;
    this.aggPktLeft = 0;
    return true;
  }

  // ---------------------------------------------------------------- internals

  private startOrJoin(desc: number, size: number): boolean {
    if (this.aggDesc >= 0) {
      // hn_try_txagg: pad the previous RNDIS packet to the alignment, append after it
      const prevLen = this.aggLen - this.aggPrev;
      const pad = this.align(prevLen) - prevLen;
      if (pad > 0) {
        this.aggBuf.fill(0, this.aggLen, this.aggLen + pad);
        this.aggLen += pad;
        put32(this.aggBuf, this.aggPrev + 4, prevLen + pad);
      }
      this.aggPktLeft--;
      this.aggSzLeft -= size;
      if (this.aggSzLeft < this.align(PKTSIZE_MIN)) this.aggPktLeft = 0;
      this.putDesc(desc);
      return true;
    }
    const section = this.sections.alloc();
    if (section < 0) {
      this.stats.txNoSection++;
      this.putDesc(desc);
      return false;
    }
    this.descSection[desc] = section;
    this.descPackets[desc] = 0;
    this.descBytes[desc] = 0;
    this.aggDesc = desc;
    this.aggLen = 0;
    this.aggPktLeft = this.limits.packets - 1;
    this.aggSzLeft = this.aggBuf.length - size;
    return true;
  }

  private append(h: number, tci: number, len: number): void {
    const buf = this.aggBuf;
    const off = this.aggLen;
    const hl = RndisPacket.writeHeader(buf, off, len, tci, this.queue);
    const bytes = this.pool.bytes;
    const src = this.pool.start[h] as number;
    for (let i = 0, d = off + hl; i < len; i++) buf[d + i] = bytes[src + i] as number;
    this.aggPrev = off;
    this.aggLen = off + hl + len;
    this.descPackets[this.aggDesc] = (this.descPackets[this.aggDesc] as number) + 1;
    this.descBytes[this.aggDesc] = (this.descBytes[this.aggDesc] as number) + len;
    // hn_rxtx.c hn_append_to_chim
    this.hn.countFrame(this.pool, h);
    this.stats.txCopied++;
  }

  private sendDirect(desc: number, h: number, tci: number, len: number): boolean {
    const hl = RndisPacket.writeHeader(this.rndis, 0, len, tci, this.queue);
    // hn_rxtx.c hn_xmit_sg: counted before the send, so a frame the full ring sends back is
    // counted again when it is retried
    this.hn.countFrame(this.pool, h);
    const ep = this.ep;
    const r = ep.begin(
      VM_PKT.DATA_INBAND,
      VMBUS_PKT_FLAG.COMPLETION_REQUESTED,
      this.transId(desc),
      NVSP_MESSAGE_SIZE + hl + len,
    );
    if (r !== 'ok') {
      if (r === 'full') {
        this.stats.txChannelFull++;
        this.hn.channelFull++;
      } else this.hn.errors++;
      return false;
    }
    ep.put(this.directHdr, 0, NVSP_MESSAGE_SIZE);
    ep.put(this.rndis, 0, hl);
    ep.put(this.pool.bytes, this.pool.start[h] as number, len);
    ep.commit();
    // The frame now lives in the channel: the mbuf only waits for its completion, so it loses
    // the simulator's mark (a run's books count the copy in the ring or at the host, not this
    // buffer; a drop of the buffer is still attributed from its bytes).
    this.pool.mark[h] = 0;
    this.descHandle[desc] = h;
    this.descPackets[desc] = 1;
    this.descBytes[desc] = len;
    this.stats.txDirect++;
    return true;
  }

  private getDesc(): number {
    if (this.descTop === 0) {
      // hn_rxtx.c hn_txd_get: the TX queue's `ring full`
      this.stats.txNoDescriptor++;
      this.hn.ringFull++;
      return -1;
    }
    return this.descFree[--this.descTop] as number;
  }

  private putDesc(desc: number): void {
    this.descHandle[desc] = -1;
    this.descSection[desc] = -1;
    this.descPackets[desc] = 0;
    this.descBytes[desc] = 0;
    this.descFree[this.descTop++] = desc;
  }

  private transId(desc: number): number {
    return 1 + this.queue * TX_ID_STRIDE + desc;
  }

  private align(n: number): number {
    const a = this.limits.align;
    return Math.ceil(n / a) * a;
  }
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
