// The public API of DPDK's netvsc PMD personality: the port, its devargs and counters.
export { NetvscPmdPort } from './NetvscPmdPort.js';
export type { NetvscPmdOptions } from './NetvscPmdOptions.js';
export { parseNetvscPmdArgs, hostLatencyUnits, NETVSC_PMD_DEFAULTS } from './NetvscPmdArgs.js';
export type { NetvscPmdArgs } from './NetvscPmdArgs.js';
export type { NetvscPmdStats } from './NetvscPmdStats.js';
export type { HnVfState } from './HnVf.js';
export { HN_STAT_NAMES, HnQueueStats } from './HnQueueStats.js';
