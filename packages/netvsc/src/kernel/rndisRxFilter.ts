import { IFF } from '@bypass/core';
import { NDIS_PACKET_TYPE } from '../rndis/RndisConstants.js';

/**
 * The RNDIS packet filter netvsc asks the host for (Linux 6.x `rndis_filter.c`
 * rndis_set_multicast, run from netvsc_set_rx_mode): PROMISCUOUS alone with IFF_PROMISC;
 * otherwise DIRECTED, plus ALL_MULTICAST when the multicast list is not empty or IFF_ALLMULTI is
 * set, plus BROADCAST with IFF_BROADCAST. NDIS_PACKET_TYPE_MULTICAST (a host-side list) is never
 * used.
 *
 * @param flags - the netdev's IFF_* flags
 * @param mcCount - entries in its multicast list
 * @example
 * ```ts
 * rndisRxFilter(IFF.BROADCAST | IFF.UP, 0); // 0x9: DIRECTED | BROADCAST
 * rndisRxFilter(IFF.BROADCAST | IFF.UP, 1); // 0xd: + ALL_MULTICAST
 * rndisRxFilter(IFF.PROMISC, 0);            // 0x20
 * ```
 */
export function rndisRxFilter(flags: number, mcCount: number): number {
  if ((flags & IFF.PROMISC) !== 0) return NDIS_PACKET_TYPE.PROMISCUOUS;
  let f: number = NDIS_PACKET_TYPE.DIRECTED;
  if (mcCount > 0 || (flags & IFF.ALLMULTI) !== 0) f |= NDIS_PACKET_TYPE.ALL_MULTICAST;
  if ((flags & IFF.BROADCAST) !== 0) f |= NDIS_PACKET_TYPE.BROADCAST;
  return f;
}
