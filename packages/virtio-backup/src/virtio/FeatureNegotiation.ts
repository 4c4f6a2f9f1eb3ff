import { VIRTIO_F, VIRTIO_NET_F, featureMask, featureNames, hasFeature } from './VirtioFeatures.js';

/**
 * The features this package's virtio-net driver can use (the `VIRTNET_FEATURES` table of
 * `drivers/net/virtio_net.c`, reduced to what is modelled): MAC, MTU, STATUS, CTRL_VQ, CTRL_RX,
 * CTRL_VLAN, GUEST_ANNOUNCE, MQ, CTRL_MAC_ADDR, BACKUP, and VERSION_1 with RING_EVENT_IDX and
 * ACCESS_PLATFORM (a transport bit Linux keeps; there is no IOMMU to go through here).
 * Offloads (checksum, TSO), mergeable buffers, RSS and indirect descriptors are not driven.
 *
 * @example
 * ```ts
 * const r = negotiateFeatures(backend.getFeatures(), VIRTIO_NET_DRIVER_FEATURES);
 * ```
 */
export const VIRTIO_NET_DRIVER_FEATURES: bigint = featureMask(
  VIRTIO_F.VERSION_1,
  VIRTIO_F.RING_EVENT_IDX,
  // drivers/virtio/virtio_ring.c vring_transport_features keeps it: a device that offers it
  // refuses FEATURES_OK without it (QEMU virtio_validate_features). Addresses stay as they are.
  VIRTIO_F.ACCESS_PLATFORM,
  VIRTIO_NET_F.MTU,
  VIRTIO_NET_F.MAC,
  VIRTIO_NET_F.STATUS,
  VIRTIO_NET_F.CTRL_VQ,
  VIRTIO_NET_F.CTRL_RX,
  VIRTIO_NET_F.CTRL_VLAN,
  VIRTIO_NET_F.GUEST_ANNOUNCE,
  VIRTIO_NET_F.MQ,
  VIRTIO_NET_F.CTRL_MAC_ADDR,
  VIRTIO_NET_F.BACKUP,
);

/** Features that are meaningless without the control virtqueue (virtio spec 5.1.3.1). */
const NEEDS_CTRL_VQ = [
  VIRTIO_NET_F.CTRL_RX,
  VIRTIO_NET_F.CTRL_VLAN,
  VIRTIO_NET_F.GUEST_ANNOUNCE,
  VIRTIO_NET_F.MQ,
  VIRTIO_NET_F.CTRL_MAC_ADDR,
] as const;

/**
 * The outcome of {@link negotiateFeatures}.
 *
 * @example
 * ```ts
 * const r: FeatureNegotiationResult = negotiateFeatures(offer, VIRTIO_NET_DRIVER_FEATURES);
 * if (r.error !== null) console.error(r.error);
 * ```
 */
export interface FeatureNegotiationResult {
  /** The features the driver writes back: offer AND driver support. */
  readonly features: bigint;
  /** Offered bits the driver does not support (left unacknowledged). */
  readonly ignored: bigint;
  /**
   * Why the device cannot be driven with this set (the driver sets FAILED), or null: a modern
   * driver needs VERSION_1; a device offering CTRL_RX, CTRL_VLAN, GUEST_ANNOUNCE, MQ or
   * CTRL_MAC_ADDR without CTRL_VQ is refused, as `virtnet_validate_features` refuses it.
   */
  readonly error: string | null;
}

/**
 * Feature negotiation between a device's offer and a driver's supported set (virtio spec 3.1.1
 * steps 4-5; `drivers/virtio/virtio.c` `virtio_dev_probe`): the accepted set is the
 * intersection, then validated for the dependencies virtio-net requires.
 *
 * @example
 * ```ts
 * const offer = featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC, VIRTIO_NET_F.MQ);
 * negotiateFeatures(offer, VIRTIO_NET_DRIVER_FEATURES).error;
 * // 'device offers VIRTIO_NET_F_MQ without VIRTIO_NET_F_CTRL_VQ; ...'
 * ```
 */
export function negotiateFeatures(
  offer: bigint,
  driverSupported: bigint,
): FeatureNegotiationResult {
  const features = offer & driverSupported;
  const ignored = offer & ~driverSupported;
  return { features, ignored, error: validateNetFeatures(features) };
}

/**
 * Checks a negotiated virtio-net feature set (`drivers/net/virtio_net.c`
 * `virtnet_validate_features`); returns what is wrong, or null.
 *
 * @example
 * ```ts
 * validateNetFeatures(featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC)); // null
 * ```
 */
export function validateNetFeatures(features: bigint): string | null {
  if (!hasFeature(features, VIRTIO_F.VERSION_1)) {
    return 'the device does not offer VIRTIO_F_VERSION_1; only modern (virtio 1.x) devices are driven: enable it on the host (disable-legacy=on / modern device)';
  }
  if (!hasFeature(features, VIRTIO_NET_F.CTRL_VQ)) {
    for (const bit of NEEDS_CTRL_VQ) {
      if (hasFeature(features, bit)) {
        const name = featureNames(featureMask(bit))[0] ?? `bit${bit}`;
        return `device offers ${name} without VIRTIO_NET_F_CTRL_VQ; offer the control queue too or drop ${name}`;
      }
    }
  }
  return null;
}
