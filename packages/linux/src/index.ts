/**
 * `@bypass/linux`: real Linux network interfaces for bypass.
 *
 * @packageDocumentation
 */
export * from './netlink/LinkRecord.js';
export * from './netlink/AddressRecord.js';
export type * from './netlink/LinkSource.js';
export * from './netlink/RtnlLinkSource.js';
export * from './netdev/LinuxNetDevice.js';
export * from './netdev/LinuxNetNamespace.js';
export * from './sysfs/SysfsView.js';
export * from './sysfs/RealSysfsView.js';
export type * from './discovery/FailoverPair.js';
export * from './discovery/PairDiscovery.js';
export * from './discovery/PathInUse.js';
export type * from './ethtool/EthtoolStatsSource.js';
export * from './ethtool/parseEthtoolStats.js';
export * from './ethtool/CommandEthtoolStats.js';
export * from './ethtool/netvscEthtoolMoves.js';
export type * from './doctor/DoctorFinding.js';
export * from './doctor/DoctorProbes.js';
export * from './doctor/DoctorChecks.js';
export * from './doctor/Doctor.js';
export type * from './watch/WatchUpdate.js';
export * from './watch/LinuxWatch.js';
export * from './watch/WatchFormat.js';
