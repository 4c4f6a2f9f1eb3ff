// The DPDK personalities of @bypass/netvsc: the ethdev port model, the fail-safe and TAP PMDs,
// the VF "any PMD", vdev_netvsc and its sysfs view.
export { EthDev, defaultEthDevInfo } from './ethdev/EthDev.js';
export type { EthDevInit } from './ethdev/EthDev.js';
export { EthDevRegistry, splitDevargs } from './ethdev/EthDevRegistry.js';
export type { EthDriver, EthDevRegistryEvents } from './ethdev/EthDevRegistry.js';
export {
  ETHDEV_DEFAULT_MTU,
  ETH_STATS_FIELDS,
  ETH_DEV_FLAG,
  ETH_OFFLOAD,
  emptyEthStats,
  addEthStats,
} from './ethdev/EthTypes.js';
export type {
  EthStats,
  EthLink,
  EthDevInfo,
  EthConf,
  EthDevState,
  EthDevEvents,
} from './ethdev/EthTypes.js';
export {
  ETHDEV_QUEUE_STAT_CNTRS,
  EthQueueStats,
  basicXstatNames,
  basicXstatValues,
} from './ethdev/EthXstats.js';
export type { EthXstat } from './ethdev/EthXstats.js';
export { parseKvargs, atoi } from './ethdev/Kvargs.js';
export { unformatEtherAddr } from './ethdev/EtherAddr.js';
export type { KvPair } from './ethdev/Kvargs.js';
export { silentLogger } from './ethdev/DpdkLog.js';
export type { DpdkLogger, DpdkLogLevel } from './ethdev/DpdkLog.js';
export { VfPmdPort, vfPmdDriver } from './ethdev/VfPmdPort.js';
export type { VfPmdPortOptions } from './ethdev/VfPmdPort.js';

export { TapPort } from './tap/TapPort.js';
export type { TapPortOptions } from './tap/TapPort.js';
export { TapNetdev } from './tap/TapNetdev.js';
export { tapDriver } from './tap/tapDriver.js';

export {
  parseFailsafeArgs,
  parseFdNumber,
  FAILSAFE_DEVARGS_MAXLEN,
  FAILSAFE_MAX_SUBDEVICES,
  FAILSAFE_HOTPLUG_POLL_DEFAULT_MS,
} from './failsafe/FailsafeArgs.js';
export type { FailsafeArgs, FailsafeSubDeviceSpec } from './failsafe/FailsafeArgs.js';
export {
  FailsafeSubDevice,
  SubDevState,
  subDevStateName,
  failsafeSubDeviceConf,
} from './failsafe/FailsafeSubDevice.js';
export type { SubDevStateValue } from './failsafe/FailsafeSubDevice.js';
export { FailsafePort } from './failsafe/FailsafePort.js';
export { failsafeDriver } from './failsafe/failsafeDriver.js';
export { selectTxSubDevice, failsafeDevInfo } from './failsafe/selectTxSubDevice.js';
export type { FailsafePortOptions } from './failsafe/FailsafePort.js';
export { replayConfiguration } from './failsafe/replayConfiguration.js';
export type { ReplaySource } from './failsafe/replayConfiguration.js';
export { Pipe, PipeTable } from './failsafe/SubDeviceSources.js';
export type { CommandRunner, FdReader } from './failsafe/SubDeviceSources.js';

export { NETVSC_CLASS_ID } from './sysfs/SysfsView.js';
export type { SysfsView, SysfsInterface, SysfsAddress } from './sysfs/SysfsView.js';
export { SimulatedSysfs } from './sysfs/SimulatedSysfs.js';

export {
  VdevNetvsc,
  VDEV_NETVSC_PROBE_MS,
  VDEV_NETVSC_DRIVER_NAME,
} from './vdevnetvsc/VdevNetvsc.js';
export type {
  VdevNetvscOptions,
  VdevNetvscContext,
  VdevNetvscProbeResult,
} from './vdevnetvsc/VdevNetvsc.js';
