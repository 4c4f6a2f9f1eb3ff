import { MacAddress } from '@bypass/core';

const HEX_1_2 = /^[0-9a-fA-F]{1,2}$/;
const HEX_4 = /^[0-9a-fA-F]{4}$/;

/**
 * `rte_ether_unformat_addr` (lib/net/rte_ether.c), shared by the `mac=` devargs of fail-safe
 * and vdev_netvsc. The separator is the first of `-`, `:` or `.` in the text and the form
 * depends on how many times it occurs:
 * - five: six groups of one or two hex digits (`00:15:5d:0:0:1`, `00-15-5D-00-00-01`);
 * - two: three groups of exactly four hex digits (`0015.5d00.0001`, `0015:5d00:0001`).
 *
 * Anything else (mixed separators, empty groups, leading or trailing characters, spaces) is
 * refused.
 *
 * @returns the address, or null when the text is not one of these forms.
 *
 * @example
 * ```ts
 * unformatEtherAddr('0015.5d00.0001')?.toString(); // '00:15:5d:00:00:01'
 * unformatEtherAddr('00:15:5d:00:00:01x'); // null
 * ```
 */
export function unformatEtherAddr(text: string): MacAddress | null {
  let sep = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '-' || ch === ':' || ch === '.') {
      sep = ch;
      break;
    }
  }
  if (sep === '') return null;
  const groups = text.split(sep);
  // lib/net/rte_ether.c get_ether_sep counts the first separator found; 5 -> six groups, 2 -> three
  const pattern = groups.length === 6 ? HEX_1_2 : groups.length === 3 ? HEX_4 : null;
  if (pattern === null) return null;
  let value = 0;
  for (const g of groups) {
    if (!pattern.test(g)) return null;
    value = value * (groups.length === 6 ? 0x100 : 0x1_0000) + parseInt(g, 16);
  }
  return MacAddress.fromNumber(value);
}
