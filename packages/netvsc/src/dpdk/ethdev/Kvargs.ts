/**
 * One `key=value` pair of a devargs argument list.
 *
 * @example
 * ```ts
 * const p: KvPair = { key: 'iface', value: 'eth1' };
 * ```
 */
export interface KvPair {
  key: string;
  value: string;
}

/**
 * Parses `key=value,key=value` (`rte_kvargs_parse`, lib/kvargs/rte_kvargs.c): pairs in order,
 * duplicates kept. Returns null, as DPDK returns NULL, when a token has no `=` or an empty key,
 * or when `validKeys` is given and a key is not in it. An empty string gives no pairs.
 *
 * @example
 * ```ts
 * parseKvargs('iface=eth1,force=1', ['iface', 'mac', 'force', 'ignore']);
 * // [{ key: 'iface', value: 'eth1' }, { key: 'force', value: '1' }]
 * parseKvargs('bogus=1', ['iface']); // null
 * ```
 */
export function parseKvargs(args: string, validKeys?: readonly string[]): KvPair[] | null {
  const pairs: KvPair[] = [];
  if (args.length === 0) return pairs;
  for (const token of args.split(',')) {
    if (token.length === 0) continue;
    const eq = token.indexOf('=');
    if (eq <= 0) return null;
    const key = token.slice(0, eq);
    if (validKeys !== undefined && !validKeys.includes(key)) return null;
    pairs.push({ key, value: token.slice(eq + 1) });
  }
  return pairs;
}

/**
 * C `atoi`: the leading optional sign and decimal digits after leading blanks, 0 when there are
 * none (DPDK reads `force=` and `ignore=` this way).
 *
 * @example
 * ```ts
 * atoi('1'); // 1
 * atoi('yes'); // 0
 * atoi(' 2x'); // 2
 * ```
 */
export function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m === null ? 0 : parseInt(m[1] as string, 10) | 0;
}
