/**
 * `@bypass/virtio-backup`: the virtio-net guest driver with the BACKUP feature of seed 004
 * (mainline `VIRTIO_NET_F_STANDBY`, bit 62), and everything under it: feature negotiation, the
 * device status byte, the config space, split virtqueues laid out in ArrayBuffers as the virtio
 * 1.x spec lays them out (driver and device sides, each validating what the other wrote), and a
 * device-side backend that hypervisors use as their vhost-like datapath.
 *
 * Negotiating BACKUP makes {@link VirtioNetDevice.probe} create a `BypassMaster` (mainline
 * `net_failover`) with virtio as backup (standby) and any same-MAC VF as active (primary).
 *
 * @packageDocumentation
 */
export {
  VIRTIO_F,
  VIRTIO_NET_F,
  featureMask,
  hasFeature,
  featureNames,
} from './virtio/VirtioFeatures.js';
export {
  VIRTIO_NET_DRIVER_FEATURES,
  negotiateFeatures,
  validateNetFeatures,
} from './virtio/FeatureNegotiation.js';
export type { FeatureNegotiationResult } from './virtio/FeatureNegotiation.js';
export { VIRTIO_STATUS, statusTransitionError, describeStatus } from './virtio/DeviceStatus.js';
export {
  VirtioNetConfig,
  VIRTIO_NET_S,
  VIRTIO_NET_CONFIG_OFFSET,
} from './virtio/VirtioNetConfig.js';
export type { VirtioTransport, VirtioDriverCallbacks } from './virtio/VirtioTransport.js';
export { Doorbell } from './virtio/Doorbell.js';
export type { InterruptGate } from './virtio/InterruptGate.js';
export { VirtioDeviceBase } from './virtio/VirtioDeviceBase.js';
export type { VirtioDeviceBaseOptions } from './virtio/VirtioDeviceBase.js';

export {
  SplitVirtqueueLayout,
  VRING_DESC_F,
  VRING_FLAGS,
  vringNeedEvent,
} from './virtqueue/SplitVirtqueueLayout.js';
export { VIRTQUEUE_FAULT_KINDS, emptyFaultCounts } from './virtqueue/VirtqueueFault.js';
export type { VirtqueueFault, VirtqueueFaultKind } from './virtqueue/VirtqueueFault.js';
export { VirtqueueDriverSide } from './virtqueue/VirtqueueDriverSide.js';
export type { VirtqueueDriverSideOptions } from './virtqueue/VirtqueueDriverSide.js';
export { VirtqueueDeviceSide } from './virtqueue/VirtqueueDeviceSide.js';
export type { VirtqueueDeviceSideOptions } from './virtqueue/VirtqueueDeviceSide.js';

export {
  VIRTIO_NET_HDR_LEN,
  VIRTIO_NET_HDR_F,
  VIRTIO_NET_HDR_GSO,
  VirtioNetHeader,
} from './net/VirtioNetHeader.js';
export { VIRTIO_NET_CTRL } from './net/VirtioNetCtrl.js';
export { VIRTIO_DROP } from './net/VirtioDropReasons.js';
export { VirtioNetRxFilter } from './net/VirtioNetRxFilter.js';
export { VirtioNetQueueStats } from './net/VirtioNetQueueStats.js';
export { VirtioNetControlQueue } from './net/VirtioNetControlQueue.js';
export { negotiateForProbe } from './net/VirtioNetProbe.js';
export type { VirtioNetProbeResult } from './net/VirtioNetProbe.js';
export { VirtioNetBackend } from './net/VirtioNetBackend.js';
export type {
  VirtioNetBackendOptions,
  VirtioNetBackendEvents,
  VirtioNetBackendStats,
} from './net/VirtioNetBackendOptions.js';
export { VirtioNetDevice } from './net/VirtioNetDevice.js';
export type {
  VirtioNetDeviceOptions,
  VirtioNetDeviceEvents,
} from './net/VirtioNetDeviceOptions.js';
