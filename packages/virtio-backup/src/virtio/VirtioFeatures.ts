/**
 * Device-independent virtio feature bits (`include/uapi/linux/virtio_config.h`,
 * `include/uapi/linux/virtio_ring.h`; virtio 1.x spec section 6), as bit numbers.
 *
 * @example
 * ```ts
 * const modern = hasFeature(negotiated, VIRTIO_F.VERSION_1);
 * ```
 */
export const VIRTIO_F = {
  /** The driver may submit any number of notifications even with an empty ring (legacy). */
  NOTIFY_ON_EMPTY: 24,
  /** Header and data need not be in separate descriptors (legacy; implied by VERSION_1). */
  ANY_LAYOUT: 27,
  /** Descriptors may point to indirect descriptor tables. */
  INDIRECT_DESC: 28,
  /** `used_event` / `avail_event` notification suppression. */
  RING_EVENT_IDX: 29,
  /** The device complies with virtio 1.x (modern, little-endian). */
  VERSION_1: 32,
  /** The device needs the platform's DMA translation. */
  ACCESS_PLATFORM: 33,
  /** The packed virtqueue layout. */
  RING_PACKED: 34,
  /** Buffers are used in the order they were made available. */
  IN_ORDER: 35,
  /** Memory accesses are ordered as the platform orders them (real-hardware barriers). */
  ORDER_PLATFORM: 36,
  /** The device supports single root I/O virtualization (PCI). */
  SR_IOV: 37,
  /** The driver passes extra data in its notifications. */
  NOTIFICATION_DATA: 38,
  /** The driver uses the data the device gives in its notify configuration. */
  NOTIF_CONFIG_DATA: 39,
  /** Single virtqueues can be reset (`queue_reset`). */
  RING_RESET: 40,
  /** The device has an administration virtqueue. */
  ADMIN_VQ: 41,
} as const;

/**
 * virtio-net feature bits (`include/uapi/linux/virtio_net.h`), as bit numbers. `BACKUP` is the
 * seed's name (RFC "virtio_net: Introduce VIRTIO_NET_F_BACKUP feature bit") of mainline's
 * `VIRTIO_NET_F_STANDBY`, bit 62.
 *
 * @example
 * ```ts
 * const offer = featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC, VIRTIO_NET_F.BACKUP);
 * ```
 */
export const VIRTIO_NET_F = {
  CSUM: 0,
  GUEST_CSUM: 1,
  CTRL_GUEST_OFFLOADS: 2,
  /** The device reports a maximum MTU in config space. */
  MTU: 3,
  /** The device has a MAC address in config space. */
  MAC: 5,
  GUEST_TSO4: 7,
  GUEST_TSO6: 8,
  GUEST_ECN: 9,
  GUEST_UFO: 10,
  HOST_TSO4: 11,
  HOST_TSO6: 12,
  HOST_ECN: 13,
  HOST_UFO: 14,
  /** Mergeable receive buffers. */
  MRG_RXBUF: 15,
  /** Link status (`LINK_UP`, `ANNOUNCE`) in config space. */
  STATUS: 16,
  /** A control virtqueue. */
  CTRL_VQ: 17,
  /** RX mode control (promiscuous, all-multicast, MAC tables). */
  CTRL_RX: 18,
  /** VLAN filtering. */
  CTRL_VLAN: 19,
  CTRL_RX_EXTRA: 20,
  /** The driver can send gratuitous packets when asked (`ANNOUNCE`). */
  GUEST_ANNOUNCE: 21,
  /** Multiqueue with automatic receive steering. */
  MQ: 22,
  /** MAC address setting through the control queue. */
  CTRL_MAC_ADDR: 23,
  HASH_REPORT: 57,
  RSS: 60,
  RSC_EXT: 61,
  /** The seed's name for mainline `VIRTIO_NET_F_STANDBY`: act as backup of a same-MAC VF. */
  BACKUP: 62,
  SPEED_DUPLEX: 63,
} as const;

/**
 * A feature set (64 bits) with the given bits set.
 *
 * @example
 * ```ts
 * featureMask(VIRTIO_NET_F.MAC, VIRTIO_NET_F.STATUS) === 0x10020n; // true
 * ```
 */
export function featureMask(...bits: number[]): bigint {
  let m = 0n;
  for (const b of bits) m |= 1n << BigInt(b);
  return m;
}

/**
 * True when `bit` is set in the feature set `features`.
 *
 * @example
 * ```ts
 * if (hasFeature(dev.features, VIRTIO_NET_F.BACKUP)) createMaster();
 * ```
 */
export function hasFeature(features: bigint, bit: number): boolean {
  return ((features >> BigInt(bit)) & 1n) === 1n;
}

const NAMES = new Map<number, string>();
for (const [k, v] of Object.entries(VIRTIO_F)) NAMES.set(v, `VIRTIO_F_${k}`);
for (const [k, v] of Object.entries(VIRTIO_NET_F)) NAMES.set(v, `VIRTIO_NET_F_${k}`);

/**
 * The names of the bits of a feature set, lowest bit first (`VIRTIO_NET_F_BACKUP`, `bit50` for
 * a bit without a name).
 *
 * @example
 * ```ts
 * featureNames(featureMask(VIRTIO_NET_F.MAC, 62)); // ['VIRTIO_NET_F_MAC', 'VIRTIO_NET_F_BACKUP']
 * ```
 */
export function featureNames(features: bigint): string[] {
  const out: string[] = [];
  for (let b = 0; b < 64; b++) {
    if (hasFeature(features, b)) out.push(NAMES.get(b) ?? `bit${b}`);
  }
  return out;
}
