import { BypassError, MacAddress, type NetDevice } from '@bypass/core';
import type { EthDev } from '@bypass/netvsc';
import type { NicModelContext } from './NicModel.js';

/**
 * 01:00:5e:00:00:01, the Ethernet group of 224.0.0.1 (all hosts), which every Linux interface
 * with IPv4 joins when it comes up (`net/ipv4/igmp.c` `ip_mc_up` calls `ip_mc_inc_group` for
 * `IGMP_ALL_HOSTS`; a group never reported, so no IGMP frame goes out for it).
 *
 * @example
 * ```ts
 * dev.addMulticastAddress(ALL_HOSTS_GROUP); // what the guest's IPv4 stack does at NETDEV_UP
 * ```
 */
export const ALL_HOSTS_GROUP = MacAddress.fromNumber(0x01_00_5e_00_00_01);

/**
 * The guest's IPv4 stack on `dev`, the NIC's interface that holds the guest's address, once it
 * is up: it joins 224.0.0.1, then the application joins its groups (`IP_ADD_MEMBERSHIP` ->
 * `dev_mc_add`), and with the NIC's `allmulticast` option the interface takes every group
 * (`ip link set <nic> allmulticast on`, `dev_set_allmulti`). A device filters what its list and
 * flags say: netvsc's RNDIS filter gets ALL_MULTICAST from any entry (`rndis_filter.c`
 * `rndis_set_multicast`), virtio programs its MAC table, the master syncs the list to its VF.
 * IPv6 (ff02::1 and the solicited-node group an IPv6 interface also joins) is not modelled:
 * the simulated guests have IPv4 addresses only.
 *
 * With `application` false the interface holds the address but the application receives
 * elsewhere (fail-safe: on DPDK's port, see {@link joinDpdkGroups}): only 224.0.0.1 is joined.
 *
 * @example
 * ```ts
 * dev.open();
 * joinKernelGroups(dev, ctx); // dev's list: 01:00:5e:00:00:01 and the flows' groups
 * ```
 */
export function joinKernelGroups(dev: NetDevice, ctx: NicModelContext, application = true): void {
  dev.addMulticastAddress(ALL_HOSTS_GROUP);
  if (!application) return;
  for (const g of ctx.groups) dev.addMulticastAddress(g);
  if (ctx.options.allmulticast) dev.setAllmulti(1);
}

/**
 * The DPDK application on `port`, once it started it: sets the groups it joins as the port's
 * multicast list (`rte_eth_dev_set_mc_addr_list`) and, with the NIC's `allmulticast` option,
 * enables all-multicast (`rte_eth_allmulticast_enable`). A call the port refuses is logged
 * (`app-multicast`, with the call's name and error), as an application would report it and
 * carry on.
 *
 * Whether the groups reach the application depends on the PMD: DPDK's netvsc PMD programs the
 * list on the VF only and filters no group on the synthetic path (`hn_ethdev.c`
 * `hn_dev_mc_addr_list`), so without all-multicast the synthetic path drops every group frame;
 * the TAP PMD keeps the list in its software filter but adds no redirect rule for it
 * (`tap_flow.c`), so IPv4 groups reach a fail-safe's TAP only with all-multicast.
 *
 * @example
 * ```ts
 * port.start();
 * joinDpdkGroups(port, ctx);
 * ```
 */
export function joinDpdkGroups(port: EthDev, ctx: NicModelContext): void {
  const call = (name: string, f: () => void): void => {
    try {
      f();
    } catch (err) {
      if (!(err instanceof BypassError)) throw err;
      ctx.event('app-multicast', `${name}: ${err.message}`);
    }
  };
  if (ctx.groups.length > 0)
    call('rte_eth_dev_set_mc_addr_list', () => port.setMcAddrList(ctx.groups));
  if (ctx.options.allmulticast)
    call('rte_eth_allmulticast_enable', () => port.setAllmulticast(true));
}
