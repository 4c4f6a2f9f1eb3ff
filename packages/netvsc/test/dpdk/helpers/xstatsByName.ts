import type { EthDev } from '../../../src/dpdk/exports.js';

/**
 * The extended statistics of `port` as name -> value, checking on the way that there is one value
 * per name and that each id is its index (`rte_eth_xstats_get`'s contract).
 */
export function xstatsByName(port: EthDev): Map<string, number> {
  const names = port.xstatsGetNames();
  const values = port.xstatsGet();
  if (values.length !== names.length)
    throw new Error(`${names.length} names, ${values.length} values`);
  values.forEach((x, i) => {
    if (x.id !== i) throw new Error(`xstat ${i} has id ${x.id}`);
  });
  return new Map(names.map((n, i) => [n, (values[i] as { value: number }).value]));
}
