/**
 * `@bypass/netvsc`: Hyper-V NetVSC with transparent VF on the bypass core (the 2-netdev model:
 * netvsc is the master of its VF), VMBus and NVSP/RNDIS, and the DPDK personalities (netvsc PMD,
 * vdev_netvsc, fail-safe, tap).
 *
 * @packageDocumentation
 */
export * from './kernel/exports.js';
export * from './dpdk/exports.js';
export * from './pmd/exports.js';
