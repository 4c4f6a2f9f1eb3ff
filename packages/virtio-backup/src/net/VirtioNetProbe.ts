import { BypassError, MacAddress, type PacketPool, type SeededRandom } from '@bypass/core';
import { VIRTIO_STATUS } from '../virtio/DeviceStatus.js';
import { VIRTIO_NET_DRIVER_FEATURES, negotiateFeatures } from '../virtio/FeatureNegotiation.js';
import { VIRTIO_NET_F, featureMask, hasFeature } from '../virtio/VirtioFeatures.js';
import type { VirtioTransport } from '../virtio/VirtioTransport.js';
import { VIRTIO_NET_CTRL } from './VirtioNetCtrl.js';
import { VIRTIO_NET_HDR_LEN } from './VirtioNetHeader.js';

/** Linux `ETH_MIN_MTU`. */
const MIN_MTU = 68;
/** Linux `ETH_MAX_MTU`. */
const MAX_MTU = 0xffff;
/** Ethernet header plus one VLAN tag. */
const L2_OVERHEAD = 18;
/** The most queues a NetDevice has. */
const NETDEV_MAX_QUEUES = 4096;

/**
 * What the first half of a virtio-net probe read from the device (`virtnet_validate` and the
 * start of `virtnet_probe`): the negotiated features and the netdev's shape.
 *
 * @example
 * ```ts
 * const p: VirtioNetProbeResult = negotiateForProbe(transport, pool, VIRTIO_NET_DRIVER_FEATURES, random);
 * console.log(p.mac.toString(), p.maxQueuePairs, p.maxMtu);
 * ```
 */
export interface VirtioNetProbeResult {
  readonly features: bigint;
  readonly mac: MacAddress;
  readonly macFromDevice: boolean;
  /**
   * True when the device offered VIRTIO_NET_F_STANDBY without VIRTIO_NET_F_MAC and the driver
   * turned STANDBY off (a standby needs the MAC its primary shares): no bypass master is created.
   */
  readonly standbyDisabled: boolean;
  readonly maxQueuePairs: number;
  readonly mtu: number;
  readonly maxMtu: number;
}

/**
 * Device initialization up to FEATURES_OK (virtio spec 3.1.1; `drivers/virtio/virtio.c`
 * `virtio_dev_probe`, `drivers/net/virtio_net.c` `virtnet_validate` / `virtnet_probe`): reset,
 * ACKNOWLEDGE, DRIVER, feature negotiation (a config MTU below 68 drops the MTU feature; STANDBY
 * without MAC drops STANDBY), FEATURES_OK
 * and its re-read, then the config fields: the MAC (random, locally administered, without
 * VIRTIO_NET_F_MAC), the queue pairs (MQ with CTRL_VQ and 1..0x8000 pairs, else 1; capped at
 * 4096), the MTU (config MTU with VIRTIO_NET_F_MTU, else 1500, max 65535). The MTU is also capped
 * by what a pool slot can receive (slot minus headroom, minus 18 bytes of Ethernet + VLAN header):
 * Linux would switch to big or mergeable buffers instead. On failure FAILED is written.
 *
 * @throws `BypassError` `ERR_NOT_SUPPORTED` for a feature set that cannot be driven,
 * `ERR_REFUSED` when the device does not accept FEATURES_OK, `ERR_INVALID_ARGUMENT` when the
 * transport's guest memory is not the pool's buffer or the pool headroom cannot hold the header.
 *
 * @example
 * ```ts
 * const p = negotiateForProbe(backend, pool, VIRTIO_NET_DRIVER_FEATURES, new SeededRandom(1));
 * ```
 */
export function negotiateForProbe(
  t: VirtioTransport,
  pool: PacketPool,
  driverFeatures: bigint = VIRTIO_NET_DRIVER_FEATURES,
  random: SeededRandom | null = null,
): VirtioNetProbeResult {
  if (t.guestMemory.buffer !== pool.buffer) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      'the virtio transport must use the packet pool buffer as guest memory; build the backend with the same pool',
    );
  }
  if (pool.headroom < VIRTIO_NET_HDR_LEN) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `the pool headroom (${pool.headroom}) must hold the ${VIRTIO_NET_HDR_LEN}-byte virtio_net_hdr`,
    );
  }
  if (t.deviceId !== 1)
    throw new BypassError(
      'ERR_NOT_SUPPORTED',
      `virtio device id ${t.deviceId} is not a network device (1)`,
    );
  const S = VIRTIO_STATUS;
  t.setStatus(0);
  t.setStatus(S.ACKNOWLEDGE);
  t.setStatus(S.ACKNOWLEDGE | S.DRIVER);
  const fail = (code: 'ERR_NOT_SUPPORTED' | 'ERR_REFUSED', msg: string): BypassError => {
    t.setStatus(t.getStatus() | S.FAILED);
    return new BypassError(code, msg);
  };
  const neg = negotiateFeatures(t.getFeatures(), driverFeatures);
  if (neg.error !== null) throw fail('ERR_NOT_SUPPORTED', neg.error);
  let features = neg.features;
  if (hasFeature(features, VIRTIO_NET_F.MTU) && t.config.mtu < MIN_MTU)
    features &= ~featureMask(VIRTIO_NET_F.MTU);
  // drivers/net/virtio_net.c virtnet_validate: STANDBY without MAC is turned off (with a warning).
  const standbyDisabled =
    hasFeature(features, VIRTIO_NET_F.BACKUP) && !hasFeature(features, VIRTIO_NET_F.MAC);
  if (standbyDisabled) features &= ~featureMask(VIRTIO_NET_F.BACKUP);
  t.setDriverFeatures(features);
  t.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  if ((t.getStatus() & S.FEATURES_OK) === 0) {
    throw fail(
      'ERR_REFUSED',
      'the device did not accept the negotiated features (FEATURES_OK stayed clear); check the host configuration',
    );
  }
  const macFromDevice = hasFeature(features, VIRTIO_NET_F.MAC);
  const mac = macFromDevice ? t.config.mac : randomMac(random);
  let pairs = 1;
  if (hasFeature(features, VIRTIO_NET_F.MQ) && hasFeature(features, VIRTIO_NET_F.CTRL_VQ)) {
    const m = t.config.maxVirtqueuePairs;
    if (m >= VIRTIO_NET_CTRL.MQ_VQ_PAIRS_MIN && m <= VIRTIO_NET_CTRL.MQ_VQ_PAIRS_MAX)
      pairs = Math.min(m, NETDEV_MAX_QUEUES);
  }
  const room = pool.maxFrameLength - L2_OVERHEAD;
  let maxMtu = Math.min(MAX_MTU, room);
  let mtu = Math.min(1500, maxMtu);
  if (hasFeature(features, VIRTIO_NET_F.MTU)) {
    maxMtu = Math.min(t.config.mtu, room);
    mtu = maxMtu;
  }
  return { features, mac, macFromDevice, standbyDisabled, maxQueuePairs: pairs, mtu, maxMtu };
}

function randomMac(random: SeededRandom | null): MacAddress {
  // eth_hw_addr_random: locally administered, unicast.
  const hi = random === null ? 0x5254 : random.int(0x10000);
  const lo = random === null ? 0x0012_3456 : random.int(0x1_0000_0000);
  const first = ((hi >>> 8) & 0xfe) | 0x02;
  return MacAddress.fromNumber((first * 0x100 + (hi & 0xff)) * 0x1_0000_0000 + lo);
}
