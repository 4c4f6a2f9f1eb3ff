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
