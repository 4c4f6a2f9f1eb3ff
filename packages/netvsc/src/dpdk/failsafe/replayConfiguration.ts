import { BypassError } from '@bypass/core';
import type { EthDev } from '../ethdev/EthDev.js';

/**
 * What a fail-safe port has been told, as {@link replayConfiguration} needs it.
 *
 * @example
 * ```ts
 * const src: ReplaySource = { port: fs, linkUp: true, macPool: () => 0 };
 * ```
 */
export interface ReplaySource {
  /** The fail-safe port (its recorded queues, modes, MTU, addresses, VLANs). */
  port: EthDev;
  /** The fail-safe port's link status. */
  linkUp: boolean;
  /** The pool an extra MAC address (by table index) was added with. */
  macPool: (index: number) => number;
}

/**
 * Replays a fail-safe port's configuration onto a (re)plugged sub-device that the fail-safe has
 * just configured (failsafe_eth_dev_state_sync runs the port's configure first, with
 * {@link failsafeSubDeviceConf}), in DPDK's order (drivers/net/failsafe/failsafe_ether.c
 * fs_eth_dev_conf_apply): queue setup, link status, promiscuous, all-multicast, MTU, default MAC,
 * extra MACs, multicast list, VLAN filters. Settings already equal on the sub-device are skipped,
 * except the default MAC, which is always set; the link status compared is the one both ports
 * have recorded (neither is refreshed), and a difference is applied with the sub-device's
 * `setLink`, whose refusal (a PMD without `dev_set_link_up/down`: -ENOTSUP) fails the replay as
 * any other. rte_flow rules are not modelled (this ethdev model has no flow API). Returns the
 * steps that were applied, for logs and tests.
 *
 * Fixed DPDK bug: fail-safe records the number of MAC addresses as the index of the last one
 * added (`nb_mac_addr = index`, one short), so the loop over extra addresses never replays the
 * last one. Here every extra address of the fail-safe port's table is replayed, with its pool.
 *
 * @throws `BypassError` `ERR_STATE` when the sub-device is not configured (its configure failed)
 * and the fail-safe port has queues to set up, or whatever the sub-device refuses (the caller
 * marks it for removal).
 * @example
 * ```ts
 * vfPort.configure(fs.nbRxQueues, fs.nbTxQueues, failsafeSubDeviceConf(fs.devConf, vfPort));
 * const steps = replayConfiguration({ port: fs, linkUp: true, macPool: () => 0 }, vfPort);
 * // ['queues', 'promiscuous', 'mtu', 'mac', 'extra-mac 02:00:00:00:00:02']
 * ```
 */
export function replayConfiguration(src: ReplaySource, sub: EthDev): string[] {
  const fs = src.port;
  const steps: string[] = [];
  // failsafe_ether.c fs_eth_dev_conf_apply sets up every queue first; rte_eth_rx_queue_setup
  // refuses a queue id at or past nb_rx_queues, which a failed rte_eth_dev_configure leaves at 0
  if (!sub.configured && (fs.nbRxQueues > 0 || fs.nbTxQueues > 0)) {
    throw new BypassError(
      'ERR_STATE',
      `rx_queue_setup failed: sub-device ${sub.name} (port ${sub.portId}) is not configured; ` +
        "configure it with the fail-safe port's queue counts before replaying",
    );
  }
  steps.push('queues');
  // failsafe_ether.c fs_eth_dev_conf_apply compares the two data->dev_link.link_status
  if (sub.storedLink.status !== src.linkUp) {
    sub.setLink(src.linkUp);
    steps.push('link');
  }
  if (sub.promiscuous !== fs.promiscuous) {
    sub.setPromiscuous(fs.promiscuous);
    steps.push('promiscuous');
  }
  if (sub.allmulticast !== fs.allmulticast) {
    sub.setAllmulticast(fs.allmulticast);
    steps.push('allmulticast');
  }
  if (sub.mtu !== fs.mtu) {
    sub.setMtu(fs.mtu);
    steps.push('mtu');
  }
  sub.setDefaultMacAddr(fs.macAddr);
  steps.push('mac');
  const table = fs.macAddrs;
  for (let i = 1; i < table.length; i++) {
    const mac = table[i];
    if (mac === null || mac === undefined) continue;
    sub.macAddrAdd(mac, src.macPool(i));
    steps.push(`extra-mac ${mac.toString()}`);
  }
  const mc = fs.mcAddrs;
  // failsafe_ether.c fs_eth_dev_conf_apply: the list is replayed only when it has an address
  if (
    mc.length > 0 &&
    !sameList(
      mc.map((m) => m.value),
      sub.mcAddrs.map((m) => m.value),
    )
  ) {
    sub.setMcAddrList(mc);
    steps.push('multicast');
  }
  const vids = fs.vlanIds;
  if (!sameList(vids, sub.vlanIds)) {
    for (const vid of vids) sub.vlanFilter(vid, true);
    steps.push('vlan');
  }
  return steps;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
