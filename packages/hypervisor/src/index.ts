/**
 * `@bypass/hypervisor`: the host side and the world around the VM. Hosts with an SR-IOV NIC
 * (a pool of VFs with per-VF MAC filters) and a learning virtual switch, the physical network
 * between hosts, peers, VMs whose NICs run one of six failover mechanisms (virtio-backup,
 * virtio, netvsc, netvsc-pmd, failsafe, bonding), QEMU's live-migration state machine with its
 * failover choreography, Hyper-V host servicing, flows of real Ethernet/IPv4/UDP frames, and
 * the scenario runner with its reports (JSON, text, SVG/HTML timeline, pcap).
 *
 * @packageDocumentation
 */
export * from './scenario/exports.js';
export * from './traffic/exports.js';
export * from './capture/exports.js';
export * from './report/exports.js';
export * from './run/exports.js';
export * from './guest/exports.js';
