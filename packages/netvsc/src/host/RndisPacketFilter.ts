import type { PacketPool } from '@bypass/core';
import { NDIS_PACKET_TYPE } from '../rndis/RndisConstants.js';

/**
 * Whether an RNDIS packet filter (OID_GEN_CURRENT_PACKET_FILTER, the `NDIS_PACKET_TYPE_*` bits
 * the guest set) lets the host indicate frame `h` on the synthetic path: PROMISCUOUS takes
 * everything; otherwise a unicast destination needs DIRECTED, the broadcast address BROADCAST,
 * any other group address ALL_MULTICAST. MULTICAST (0x2) alone admits nothing here: it only
 * covers the addresses of OID_802_3_MULTICAST_LIST, which this host model does not implement
 * (Linux's rndis_filter.c never sets either; it asks for ALL_MULTICAST). The destination is
 * not compared with the NIC's MAC: the virtual switch port only forwards this NIC's frames.
 * A frame shorter than a destination address counts as unicast.
 *
 * @example
 * ```ts
 * const f = NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST;
 * rndisFilterAccepts(f, pool, h); // false for a multicast frame: ALL_MULTICAST is not set
 * ```
 */
export function rndisFilterAccepts(filter: number, pool: PacketPool, h: number): boolean {
  if ((filter & NDIS_PACKET_TYPE.PROMISCUOUS) !== 0) return true;
  const bytes = pool.bytes;
  const o = pool.start[h] as number;
  if ((pool.length[h] as number) < 6 || ((bytes[o] as number) & 1) === 0)
    return (filter & NDIS_PACKET_TYPE.DIRECTED) !== 0;
  let bcast = true;
  for (let i = 0; i < 6; i++) if (bytes[o + i] !== 0xff) bcast = false;
  return bcast
    ? (filter & NDIS_PACKET_TYPE.BROADCAST) !== 0
    : (filter & NDIS_PACKET_TYPE.ALL_MULTICAST) !== 0;
}
