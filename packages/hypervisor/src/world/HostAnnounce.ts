import { Ethernet, type PacketPool } from '@bypass/core';
import type { BurstSink } from '../guest/NicModel.js';

const ETH_P_RARP = 0x8035;
const RARP_REQUEST_REVERSE = 3;

/**
 * Sends one self-announce frame for a NIC, as QEMU does after a migration (`net/announce.c`
 * `announce_self_create`): a broadcast RARP "request reverse" with the NIC's MAC as sender and
 * target, so every switch on the way learns where the MAC is now. QEMU sends one for each
 * emulated NIC every round, whether or not the guest can announce itself; GUEST_ANNOUNCE adds
 * a guest announce to it. Returns false when the pool had no free slot.
 *
 * @example
 * ```ts
 * hostAnnounce(pool, mac.value, (p, s, n) => sw.ingress(port, p, s, n));
 * ```
 */
export function hostAnnounce(pool: PacketPool, mac: number, out: BurstSink): boolean {
  const h = pool.alloc();
  if (h < 0) return false;
  // Same layout as an ARP packet; only the ethertype, the opcode and the addresses differ.
  Ethernet.writeGratuitousArp(pool, h, mac, 0);
  const o = pool.start[h] as number;
  const b = pool.bytes;
  b[o + 12] = ETH_P_RARP >>> 8;
  b[o + 13] = ETH_P_RARP & 0xff;
  b[o + 14 + 7] = RARP_REQUEST_REVERSE;
  // target hardware address = own MAC (the sender's MAC is already in place)
  b.copyWithin(o + 14 + 18, o + 14 + 8, o + 14 + 14);
  const one = new Int32Array(1);
  one[0] = h;
  out(one, 0, 1);
  return true;
}
