import { PacketPool } from '@bypass/core';
import {
  NVSP_MESSAGE_SIZE,
  RNDIS_PACKET_HEADER_SIZE,
  RndisPacket,
  RndisPacketInfo,
  VM_PKT,
  VmbusPacket,
  isRndisDataMessage,
  type VmbusChannel,
  type VmbusRingBuffer,
} from '@bypass/netvsc';

/** VmbusRingBuffer's header: `read_index` at byte 4 (Linux `struct hv_ring_buffer`). */
const READ_INDEX = 4;

/**
 * Visits every frame waiting in the data rings of a VMBus channel and its subchannels, both
 * directions, without consuming them: frames on a VMBus path live as bytes in the shared ring,
 * not in pool slots, so whoever accounts for frames in flight (the world's conservation check at
 * the end of a run) cannot see them otherwise. Each frame is copied into a temporary pool slot
 * (metadata cleared, VLAN tag restored), handed to `visit`, and freed. Returns how many frames
 * were visited (those that found no free slot are counted but not visited).
 *
 * The rings are read and then rewound: the read index and the ring's counters are restored, so
 * nothing changes for either peer.
 *
 * @example
 * ```ts
 * const perFlow = new Map<number, number>();
 * visitRingFrames(channel, pool, (h) => perFlow.set(flowOf(h), (perFlow.get(flowOf(h)) ?? 0) + 1));
 * ```
 */
export function visitRingFrames(
  channel: VmbusChannel,
  pool: PacketPool,
  visit: (h: number) => void,
): number {
  let total = 0;
  for (const ch of channel.all) {
    total += visitRing(ch.guest.rx, pool, visit); // host -> guest
    total += visitRing(ch.host.rx, pool, visit); // guest -> host
  }
  return total;
}

function visitRing(ring: VmbusRingBuffer, pool: PacketPool, visit: (h: number) => void): number {
  const saved = ring.readIndex;
  const stats = { ...ring.stats };
  const pkt = new VmbusPacket(ring.dataSize);
  const info = new RndisPacketInfo();
  let n = 0;
  try {
    while (ring.read(pkt)) {
      if (pkt.type !== VM_PKT.DATA_INBAND || !isRndisDataMessage(pkt.data, pkt.length)) continue;
      // One RNDIS packet, or several aggregated into a section (DPDK hn_rxtx.c hn_try_txagg).
      let off = NVSP_MESSAGE_SIZE;
      while (pkt.length - off >= RNDIS_PACKET_HEADER_SIZE) {
        if (!RndisPacket.parse(pkt.data, off, pkt.length - off, info)) break;
        n++;
        visitOne(pool, pkt.data, info, visit);
        const msgLen = pkt.view.getUint32(off + 4, true);
        if (msgLen <= 0) break;
        off += msgLen;
      }
    }
  } finally {
    ring.header.setUint32(READ_INDEX, saved, true);
    Object.assign(ring.stats, stats);
  }
  return n;
}

function visitOne(
  pool: PacketPool,
  data: Uint8Array,
  info: RndisPacketInfo,
  visit: (h: number) => void,
): void {
  const h = pool.alloc();
  if (h < 0) return;
  if (info.dataLength > pool.slotSize - pool.headroom) {
    pool.free(h);
    return;
  }
  pool.setLength(h, info.dataLength);
  const dst = pool.start[h] as number;
  pool.bytes.set(data.subarray(info.dataOffset, info.dataOffset + info.dataLength), dst);
  pool.mark[h] = 0;
  pool.timestamp[h] = 0;
  if (info.vlanTci >= 0) {
    pool.vlanTci[h] = info.vlanTci;
    pool.flags[h] = (pool.flags[h] as number) | PacketPool.F_VLAN;
  }
  try {
    visit(h);
  } finally {
    pool.free(h);
  }
}
