import type { PacketPool } from '@bypass/core';

/**
 * hn_ethdev.c hn_stat_strings: the counters every netvsc queue keeps, as its extended statistics
 * name them (`tx_q<i>_` or `rx_q<i>_` in front). Two carry a space, as in DPDK.
 *
 * @example
 * ```ts
 * const names = HN_STAT_NAMES.map((n) => `rx_q0_${n}`); // rx_q0_good_packets, ...
 * ```
 */
export const HN_STAT_NAMES = [
  'good_packets',
  'good_bytes',
  'errors',
  'ring full',
  'channel full',
  'multicast_packets',
  'broadcast_packets',
  'undersize_packets',
  'size_64_packets',
  'size_65_127_packets',
  'size_128_255_packets',
  'size_256_511_packets',
  'size_512_1023_packets',
  'size_1024_1518_packets',
  'size_1519_max_packets',
] as const;

/**
 * The counters of one netvsc TX or RX queue (hn_var.h `struct hn_stats`), in the order of
 * {@link HN_STAT_NAMES}: packets and bytes (RX: each frame made into an mbuf, a ring-full drop
 * included; TX: at the host's successful send completion), errors, `ring full` (RX: the queue's
 * ring was full; TX: no descriptor left), `channel full` (TX: the VMBus ring was full),
 * multicast and broadcast frames, and frames by size (RFC 2819 bins, 64 bytes and under being
 * `undersize` below 64). The sizes and group counts are taken where DPDK takes them: RX with the
 * packets, TX when a frame is put into the send buffer or handed to the channel.
 *
 * @example
 * ```ts
 * const s = new HnQueueStats();
 * s.countFrame(pool, h); // size bin and multicast/broadcast of frame h
 * s.values()[HN_STAT_NAMES.indexOf('size_64_packets')];
 * ```
 */
export class HnQueueStats {
  packets = 0;
  bytes = 0;
  errors = 0;
  ringFull = 0;
  channelFull = 0;
  multicast = 0;
  broadcast = 0;
  /** undersize, 64, 65-127, 128-255, 256-511, 512-1023, 1024-1518, 1519 and over. */
  readonly sizeBins = new Float64Array(8);

  /**
   * hn_rxtx.c hn_update_packet_stats: the size bin of frame `h` and, for a group destination,
   * the multicast or (all ones) broadcast count.
   */
  countFrame(pool: PacketPool, h: number): void {
    const len = pool.length[h] as number;
    const bins = this.sizeBins;
    const bin =
      len >= 1024 ? (len > 1518 ? 7 : 6) : len <= 64 ? len >>> 6 : 32 - Math.clz32(len) - 5;
    bins[bin] = (bins[bin] as number) + 1;
    const b = pool.bytes;
    const o = pool.start[h] as number;
    if (((b[o] as number) & 1) === 0) return;
    let all = 0xff;
    for (let i = 0; i < 6; i++) all &= b[o + i] as number;
    if (all === 0xff) this.broadcast++;
    else this.multicast++;
  }

  /** The counters in the order of {@link HN_STAT_NAMES}. */
  values(): number[] {
    return [
      this.packets,
      this.bytes,
      this.errors,
      this.ringFull,
      this.channelFull,
      this.multicast,
      this.broadcast,
      ...this.sizeBins,
    ];
  }

  /** hn_ethdev.c hn_dev_stats_reset: every counter to zero. */
  reset(): void {
    this.packets = 0;
    this.bytes = 0;
    this.errors = 0;
    this.ringFull = 0;
    this.channelFull = 0;
    this.multicast = 0;
    this.broadcast = 0;
    this.sizeBins.fill(0);
  }
}
