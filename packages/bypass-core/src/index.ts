/**
 * `@bypass/core`: the bypass (failover) framework for paravirtual NICs paired with SR-IOV VFs,
 * and the building blocks it runs on.
 *
 * @packageDocumentation
 */
export { BypassError, isBypassError } from './errors/BypassError.js';
export type { BypassErrorCode } from './errors/BypassError.js';

export { NS_PER_US, NS_PER_MS, NS_PER_S } from './time/Scheduler.js';
export type { Scheduler, TimerId } from './time/Scheduler.js';
export { VirtualScheduler } from './time/VirtualScheduler.js';
export { RealTimeScheduler } from './time/RealTimeScheduler.js';
export { SeededRandom } from './time/SeededRandom.js';
export { parseDuration, formatDuration } from './time/Duration.js';
export { parseRate } from './time/Rate.js';
export type { Rate } from './time/Rate.js';

export { MacAddress, readMac48, writeMac48 } from './netdev/MacAddress.js';
export { IFF, PRIV_FLAG, NETIF_F, ARPHRD } from './netdev/NetDeviceFlags.js';
export { NetDeviceStats, STATS64_FIELDS, foldStats64 } from './netdev/NetDeviceStats.js';
export type { Stats64Field } from './netdev/NetDeviceStats.js';
export { AddressList } from './netdev/AddressList.js';
export { InterfaceName } from './netdev/InterfaceName.js';
export { RX_HANDLER } from './netdev/RxHandler.js';
export type { RxHandler, RxHandlerResult, PacketSink } from './netdev/RxHandler.js';
export { NetDevice } from './netdev/NetDevice.js';
export type { NetDeviceOptions } from './netdev/NetDevice.js';
export { NetNamespace } from './netdev/NetNamespace.js';
export type { NetdevEvent, NetdevEventType } from './netdev/NetdevEvent.js';

export { BusDevice } from './bus/BusDevice.js';
export type { BusType, BusDeviceOptions, PciIdentity, VmbusIdentity } from './bus/BusDevice.js';
export { DeviceBus } from './bus/DeviceBus.js';
export type { BusEvent } from './bus/DeviceBus.js';

export { EventChannel } from './events/EventChannel.js';

export { PacketPool } from './packet/PacketPool.js';
export type { PacketPoolOptions, DropObserver } from './packet/PacketPool.js';
export {
  DropReason,
  defineDropReason,
  dropReasonName,
  dropReasonNames,
} from './packet/DropReason.js';
export type { DropReasonCode } from './packet/DropReason.js';

export { PacketRing } from './packet/PacketRing.js';
export { Ethernet, ETH_HLEN, ETH_P, CAST } from './packet/Ethernet.js';

export { VfDevice } from './vf/VfDevice.js';
export type { VfDeviceOptions, VfStats } from './vf/VfDevice.js';

export type { BypassOps } from './bypass/BypassOps.js';
export { BypassInstance } from './bypass/BypassInstance.js';
export { BypassRegistry } from './bypass/BypassRegistry.js';
export type { BypassRegistryEvent } from './bypass/BypassRegistry.js';
export { BypassPolicy, DatapathPath, datapathName } from './bypass/BypassPolicy.js';
export type { BypassPolicyOptions, DatapathPathValue } from './bypass/BypassPolicy.js';
export { SlaveStatsFolder } from './bypass/SlaveStatsFolder.js';
export { BypassMaster } from './bypass/BypassMaster.js';
export type { BypassMasterOptions, BypassMasterEvents, BypassRole } from './bypass/BypassMaster.js';

export { BYPASS_CORE } from './di/tokens.js';
export { bypassCoreModule } from './di/BypassCoreModule.js';
export type { BypassCoreOptions } from './di/BypassCoreModule.js';

export { BondMaster } from './bond/BondMaster.js';
export { resolveBondParams } from './bond/BondOptions.js';
export { isBondMaster } from './bond/BondEnslaveRules.js';
export type {
  BondMasterOptions,
  BondParams,
  BondLinkState,
  BondActiveChange,
  BondLinkChange,
  FailOverMac,
} from './bond/BondOptions.js';
