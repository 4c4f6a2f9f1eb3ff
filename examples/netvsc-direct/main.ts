import { dpdkStyleTable, runDpdkStyle } from './dpdkStyle.js';
import { kernelStyleTable, runKernelStyle } from './kernelStyle.js';

// @bypass/netvsc used directly, without the hypervisor package: the same VF plug, revoke and
// return, once through the Linux-style NetvscDevice and once through DPDK's
// vdev_netvsc + fail-safe + TAP composition.
console.log('== kernel style: NetvscDevice (netvsc is the master of its VF) ==');
for (const line of kernelStyleTable(runKernelStyle())) console.log(line);
console.log('');
console.log('== DPDK style: vdev_netvsc + fail-safe + TAP over the kernel netvsc ==');
for (const line of dpdkStyleTable(runDpdkStyle())) console.log(line);
