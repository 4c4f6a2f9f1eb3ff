/**
 * Interface flags visible to user space, with Linux's values (`include/uapi/linux/if.h`).
 *
 * @example
 * ```ts
 * if (dev.flags & IFF.SLAVE) console.log(`${dev.name} is enslaved`);
 * ```
 */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  DEBUG: 0x4,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  NOTRAILERS: 0x20,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  ALLMULTI: 0x200,
  MASTER: 0x400,
  SLAVE: 0x800,
  MULTICAST: 0x1000,
  PORTSEL: 0x2000,
  AUTOMEDIA: 0x4000,
  DYNAMIC: 0x8000,
  LOWER_UP: 0x10000,
  DORMANT: 0x20000,
  ECHO: 0x40000,
} as const;

/**
 * Kernel-private flags (`priv_flags` in `include/linux/netdevice.h`). The bit positions are this
 * project's own; the names are Linux's.
 *
 * - `FAILOVER`: the device is a bypass (failover) master instance.
 * - `FAILOVER_SLAVE`: the device is enslaved by the bypass registry.
 * - `LIVE_RENAME_OK`: Linux before 6.2 let a device with this flag be renamed while up (failover
 *   slaves had it). Since bd039b5ea2a9 any device may be, and neither the namespace nor the
 *   bypass registry looks at it any more; kept for callers that mirror older kernels.
 * - `NO_ADDRCONF`: user space should not configure addresses on it.
 * - `BONDING`: the device is a bonding master.
 * - `UNICAST_FLT`: the device filters unicast addresses itself.
 * - `NO_QUEUE`: the device has no qdisc.
 *
 * @example
 * ```ts
 * const isBypassSlave = (vf.privFlags & PRIV_FLAG.FAILOVER_SLAVE) !== 0;
 * ```
 */
export const PRIV_FLAG = {
  FAILOVER: 0x1,
  FAILOVER_SLAVE: 0x2,
  LIVE_RENAME_OK: 0x4,
  NO_ADDRCONF: 0x8,
  BONDING: 0x10,
  UNICAST_FLT: 0x20,
  NO_QUEUE: 0x40,
} as const;

/**
 * Offload/feature bits (`netdev_features_t`). Bit positions are this project's own; names are
 * Linux's `NETIF_F_*`.
 *
 * @example
 * ```ts
 * const challenged = (dev.features & NETIF_F.VLAN_CHALLENGED) !== 0;
 * ```
 */
export const NETIF_F = {
  SG: 1 << 0,
  IP_CSUM: 1 << 1,
  HW_CSUM: 1 << 2,
  RXCSUM: 1 << 3,
  TSO: 1 << 4,
  TSO6: 1 << 5,
  GSO: 1 << 6,
  GRO: 1 << 7,
  HW_VLAN_CTAG_TX: 1 << 8,
  HW_VLAN_CTAG_RX: 1 << 9,
  HW_VLAN_CTAG_FILTER: 1 << 10,
  VLAN_CHALLENGED: 1 << 11,
  NETNS_LOCAL: 1 << 12,
  LLTX: 1 << 13,
  RXHASH: 1 << 14,
} as const;

/**
 * ARP hardware types (`include/uapi/linux/if_arp.h`) this project knows.
 *
 * @example
 * ```ts
 * if (dev.type !== ARPHRD.ETHER) return; // the bypass registry ignores non-Ethernet devices
 * ```
 */
export const ARPHRD = {
  ETHER: 1,
  INFINIBAND: 32,
  LOOPBACK: 772,
  NONE: 0xfffe,
} as const;
