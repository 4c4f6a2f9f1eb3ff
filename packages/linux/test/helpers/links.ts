import { IFF } from '@bypass/core';
import { emptyStats, type LinkRecord } from '../../src/index.js';

/** A LinkRecord with defaults (an Ethernet link, down, MTU 1500) and the given fields. */
export function link(
  fields: Partial<LinkRecord> & Pick<LinkRecord, 'ifindex' | 'name'>,
): LinkRecord {
  const up = fields.up ?? false;
  const carrier = fields.carrier ?? false;
  let flags = fields.flags ?? IFF.BROADCAST | IFF.MULTICAST;
  if (up) flags |= IFF.UP;
  if (carrier) flags |= IFF.LOWER_UP;
  return {
    type: 1,
    up,
    carrier,
    operstate: up ? (carrier ? 'up' : 'lowerlayerdown') : 'down',
    mtu: 1500,
    minMtu: 68,
    maxMtu: 9000,
    address: null,
    permAddress: null,
    master: 0,
    kind: null,
    slaveKind: null,
    qdisc: 'mq',
    physPortName: null,
    bond: null,
    stats64: null,
    ...fields,
    flags,
  };
}

/** Stats with the given packet counters (bytes = 100 per packet). */
export function stats(rxPackets: number, txPackets: number): LinkRecord['stats64'] {
  return {
    ...emptyStats(),
    rxPackets,
    txPackets,
    rxBytes: rxPackets * 100,
    txBytes: txPackets * 100,
  };
}

/**
 * A VF as hv_netvsc leaves it: IFF_SLAVE set (netvsc_drv.c netvsc_prepare_bonding at
 * NETDEV_POST_INIT, again in __netvsc_vf_setup), no link kind and no slave kind (netvsc has no
 * rtnl_link_ops). Failover slaves get no IFF_SLAVE (failover.c sets only the private
 * IFF_FAILOVER_SLAVE flag, which rtnetlink does not report): build those with `link()`.
 */
export function netvscVf(
  fields: Partial<LinkRecord> & Pick<LinkRecord, 'ifindex' | 'name'>,
): LinkRecord {
  return link({ ...fields, flags: (fields.flags ?? IFF.BROADCAST | IFF.MULTICAST) | IFF.SLAVE });
}

/** A bond slave: IFF_SLAVE (bond_main.c bond_enslave) and slave kind `bond`. */
export function bondSlave(
  fields: Partial<LinkRecord> & Pick<LinkRecord, 'ifindex' | 'name' | 'master'>,
): LinkRecord {
  return link({
    slaveKind: 'bond',
    ...fields,
    flags: (fields.flags ?? IFF.BROADCAST | IFF.MULTICAST) | IFF.SLAVE,
  });
}

/**
 * A bonding master `bond0` (ifindex 9, link kind `bond`) in `mode` (1 = active-backup) whose
 * active slave is the ifindex `activeSlave` (0 = none), with the given MAC.
 */
export function bond0(
  address: string,
  activeSlave: number,
  mode = 1,
  fields: Partial<LinkRecord> = {},
): LinkRecord {
  return link({
    ifindex: 9,
    name: 'bond0',
    address,
    kind: 'bond',
    bond: { mode, activeSlave },
    ...fields,
  });
}
