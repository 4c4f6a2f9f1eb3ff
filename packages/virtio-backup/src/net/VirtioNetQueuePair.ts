import { DropReason, Ethernet, PacketPool, type NetDevice } from '@bypass/core';
import type { VirtioTransport } from '../virtio/VirtioTransport.js';
import type { VirtqueueDriverSide } from '../virtqueue/VirtqueueDriverSide.js';
import { VIRTIO_DROP } from './VirtioDropReasons.js';
import { VIRTIO_NET_HDR_LEN, VirtioNetHeader } from './VirtioNetHeader.js';
import type { VirtioNetQueueStats } from './VirtioNetQueueStats.js';

const BURST = 64;
const ETH_HLEN = 14;

/**
 * One RX/TX queue pair of the virtio-net driver and its data path (Linux `drivers/net/virtio_net.c`
 * `struct receive_queue` / `struct send_queue`: `start_xmit`, `free_old_xmit`, `virtnet_poll`,
 * `receive_buf`, `try_fill_recv`). Frames stay in their pool slots (zero copy): the 12-byte
 * header goes in the slot's headroom and the descriptor address is the byte offset in the pool.
 *
 * @example
 * ```ts
 * const qp = new VirtioNetQueuePair(nic, transport, rxVq, txVq, 0, nic.queueStats, 256, 12 + 1518);
 * qp.refill();                       // post RX buffers
 * qp.xmit(pkts, 0, n, nic.mtu + 18); // one kick per burst
 * qp.poll(64);                       // NAPI: deliver what the device completed
 * ```
 */
export class VirtioNetQueuePair {
  readonly dev: NetDevice;
  readonly rx: VirtqueueDriverSide;
  readonly tx: VirtqueueDriverSide;
  readonly pair: number;
  private readonly transport: VirtioTransport;
  private readonly qs: VirtioNetQueueStats;
  private readonly rxBuffers: number;
  /** Device-writable bytes of each posted RX buffer, header included. */
  readonly rxBufLen: number;
  private readonly scratch = new Int32Array(BURST);
  private readonly one = new Int32Array(1);
  private polling = false;
  private repoll = false;
  /** Called when a refill could not allocate a buffer (the device schedules a retry). */
  onRefillFailed: (() => void) | null = null;

  constructor(
    dev: NetDevice,
    transport: VirtioTransport,
    rx: VirtqueueDriverSide,
    tx: VirtqueueDriverSide,
    pair: number,
    stats: VirtioNetQueueStats,
    rxBuffers: number,
    rxBufLen: number,
  ) {
    this.dev = dev;
    this.transport = transport;
    this.rx = rx;
    this.tx = tx;
    this.pair = pair;
    this.qs = stats;
    this.rxBuffers = rxBuffers;
    this.rxBufLen = rxBufLen;
  }

  /**
   * Sends a burst: every frame gets its header and one descriptor, one kick at the end. Takes
   * every frame: too short, longer than `maxLen` or without headroom (dropped `malformed` /
   * `mtu-exceeded`), no free descriptor even after kicking and reclaiming (`ring-full`), broken
   * queue (`virtio-queue-broken`: `tx_fifo_errors` and `tx_dropped` per frame), each counted.
   * Returns how many were queued.
   */
  xmit(pkts: Int32Array, start: number, count: number, maxLen: number): number {
    const dev = this.dev;
    const pool = dev.pool;
    const vq = this.tx;
    const end = start + count;
    if (vq.broken !== null) {
      // virtio_net.c start_xmit: virtqueue_add fails on a broken vq (-EIO), "Unexpected TXQ
      // queue failure": tx_fifo_errors and tx_dropped for each frame; the carrier stays on.
      dev.stats.txFifoErrors += count;
      dev.stats.txDropped += count;
      pool.drop(pkts, start, count, VIRTIO_DROP.QUEUE_BROKEN);
      return 0;
    }
    this.reclaimTx();
    const bytes = pool.bytes;
    let sent = 0;
    let nbytes = 0;
    for (let i = start; i < end; i++) {
      const h = pkts[i] as number;
      // No TX VLAN offload: a tag held in metadata goes back into the frame.
      if (((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0) {
        if (Ethernet.insertVlan(pool, h, pool.vlanTci[h] as number)) {
          pool.flags[h] = (pool.flags[h] as number) & ~PacketPool.F_VLAN;
        }
      }
      const len = pool.length[h] as number;
      const bad =
        len < ETH_HLEN ||
        len > maxLen ||
        ((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0 ||
        !pool.adjustStart(h, -VIRTIO_NET_HDR_LEN);
      if (bad) {
        dev.stats.txErrors++;
        dev.stats.txDropped++;
        pool.drop(pkts, i, 1, len > maxLen ? DropReason.MTU_EXCEEDED : DropReason.MALFORMED);
        continue;
      }
      const addr = pool.start[h] as number;
      VirtioNetHeader.writeEmpty(bytes, addr, 0);
      // A full ring: kick what is queued and reclaim what the device completed, then retry once
      // (Linux stops the queue there and the qdisc holds the rest; xmit here takes every frame).
      if (
        !vq.addOne(h, addr, len + VIRTIO_NET_HDR_LEN, false) &&
        !this.flushAndRetry(h, addr, len)
      ) {
        pool.adjustStart(h, VIRTIO_NET_HDR_LEN);
        const rest = end - i;
        dev.stats.txDropped += rest;
        if (vq.broken !== null)
          dev.stats.txFifoErrors += rest; // broke while reclaiming
        else this.qs.txRingFull[this.pair]! += rest;
        pool.drop(
          pkts,
          i,
          rest,
          vq.broken !== null ? VIRTIO_DROP.QUEUE_BROKEN : DropReason.RING_FULL,
        );
        break;
      }
      sent++;
      nbytes += len;
    }
    dev.stats.txPackets += sent;
    dev.stats.txBytes += nbytes;
    this.qs.txPackets[this.pair]! += sent;
    this.qs.txBytes[this.pair]! += nbytes;
    if (sent > 0 && vq.kickPrepare()) {
      this.qs.txKicks[this.pair]!++;
      this.transport.notify(vq.index);
    }
    return sent;
  }

  private flushAndRetry(h: number, addr: number, len: number): boolean {
    const vq = this.tx;
    if (vq.broken !== null) return false;
    if (vq.kickPrepare()) {
      this.qs.txKicks[this.pair]!++;
      this.transport.notify(vq.index);
    }
    this.reclaimTx();
    return vq.addOne(h, addr, len + VIRTIO_NET_HDR_LEN, false);
  }

  /** Frees the frames whose TX chains the device completed (`free_old_xmit`). */
  reclaimTx(): void {
    const vq = this.tx;
    const pool = this.dev.pool;
    let n = 0;
    for (let t; (t = vq.getBuf()) >= 0; n++) pool.free(t);
    this.qs.txCompleted[this.pair]! += n;
  }

  /**
   * NAPI poll: takes up to `budget` completed RX buffers, checks the used length (header plus an
   * Ethernet header at least: else `rx_length_errors`; at most the posted buffer: else
   * `rx_length_errors` and the queue's `drops`) and the header (`virtio_net_hdr_to_skb`: else
   * `rx_frame_errors`), hands frames to the stack in bursts of 64 and refills. Returns how many
   * were delivered. A call made while this pair is already polling (an interrupt raised during
   * delivery) is folded into the running poll.
   */
  poll(budget = Number.MAX_SAFE_INTEGER): number {
    if (this.polling) {
      this.repoll = true;
      return 0;
    }
    this.polling = true;
    let done = 0;
    try {
      do {
        this.repoll = false;
        done += this.rxBursts(budget - done);
        this.refill();
      } while (this.repoll && done < budget);
    } finally {
      this.polling = false;
    }
    return done;
  }

  /**
   * Posts RX buffers of `rxBufLen` bytes, one pool slot each, until the
   * ring or the configured count is full (`try_fill_recv`).
   */
  refill(): void {
    const vq = this.rx;
    if (vq.broken !== null) return;
    const pool = this.dev.pool;
    const cap = this.rxBufLen;
    let added = 0;
    while (vq.numFree > 0 && vq.inFlight < this.rxBuffers) {
      const h = pool.alloc();
      if (h < 0) {
        this.qs.rxAllocFailures[this.pair]!++;
        this.onRefillFailed?.();
        break;
      }
      vq.addOne(h, (pool.start[h] as number) - VIRTIO_NET_HDR_LEN, cap, true);
      added++;
    }
    if (added > 0 && vq.kickPrepare()) {
      this.qs.rxKicks[this.pair]!++;
      this.transport.notify(vq.index);
    }
  }

  private rxBursts(budget: number): number {
    const dev = this.dev;
    const pool = dev.pool;
    const bytes = pool.bytes;
    const vq = this.rx;
    const qs = this.qs;
    const q = this.pair;
    const scratch = this.scratch;
    const minLen = VIRTIO_NET_HDR_LEN + ETH_HLEN;
    const maxLen = this.rxBufLen;
    let done = 0;
    while (done < budget) {
      let n = 0;
      let nbytes = 0;
      let mcast = 0;
      const want = budget - done < BURST ? budget - done : BURST;
      while (n < want) {
        const h = vq.getBuf();
        if (h < 0) break;
        const len = vq.lastLen;
        const addr = h * pool.slotSize + pool.headroom - VIRTIO_NET_HDR_LEN;
        if (len < minLen || len > maxLen) {
          // virtio_net.c receive_buf: a short packet counts rx_length_errors only; receive_small:
          // a length beyond the buffer counts rx_length_errors and the queue's drops. Either way
          // only this frame is lost (no ring check since f124034faa91, see VirtqueueDriverSide).
          qs.rxLengthDrops[q]!++;
          dev.stats.rxLengthErrors++;
          if (len > maxLen) {
            qs.rxDrops[q]!++;
            dev.stats.rxDropped++; // virtnet_stats: rx_dropped sums the queues' drops
          }
          this.one[0] = h;
          pool.drop(this.one, 0, 1, DropReason.MALFORMED);
          continue;
        }
        if (!VirtioNetHeader.acceptableOnRx(bytes, addr, len - VIRTIO_NET_HDR_LEN)) {
          // virtio_net.c receive_buf: virtio_net_hdr_to_skb refused it ("bad gso"): frame_err.
          qs.rxHeaderDrops[q]!++;
          dev.stats.rxFrameErrors++;
          this.one[0] = h;
          pool.drop(this.one, 0, 1, DropReason.MALFORMED);
          continue;
        }
        pool.start[h] = addr + VIRTIO_NET_HDR_LEN;
        pool.length[h] = len - VIRTIO_NET_HDR_LEN;
        nbytes += len - VIRTIO_NET_HDR_LEN;
        mcast += (bytes[addr + VIRTIO_NET_HDR_LEN] as number) & 1;
        scratch[n++] = h;
      }
      if (n === 0) break;
      done += n;
      dev.stats.rxPackets += n;
      dev.stats.rxBytes += nbytes;
      dev.stats.multicast += mcast;
      qs.rxPackets[q]! += n;
      qs.rxBytes[q]! += nbytes;
      dev.receive(scratch, 0, n);
    }
    return done;
  }
}
