import { BypassError } from '@bypass/core';

const HEADER = 'NIC statistics:';

/**
 * Parses the output of `ethtool -S <dev>`: a `NIC statistics:` line, then one `     name: value`
 * line per counter (ethtool.c do_gnicstats prints `%.*s: %llu` after five spaces). Names may
 * contain spaces or colons, so the value is what follows the last `": "`. Lines that do not end
 * in a decimal counter are skipped. Values above 2^53 lose precision (JavaScript numbers); the
 * per-interval deltas of packet counters stay exact long before that.
 *
 * @throws `BypassError` `ERR_PARSE` when the text has no `NIC statistics:` header (not `ethtool -S`
 *   output: check the command that produced it).
 *
 * @example
 * ```ts
 * const s = parseEthtoolStats('NIC statistics:\n     vf_tx_packets: 1200\n');
 * console.log(s.get('vf_tx_packets')); // 1200
 * ```
 */
export function parseEthtoolStats(text: string): Map<string, number> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === HEADER);
  if (start < 0) {
    throw new BypassError(
      'ERR_PARSE',
      `not 'ethtool -S' output (no '${HEADER}' line); run 'ethtool -S <dev>' to see what it prints`,
    );
  }
  const stats = new Map<string, number>();
  for (const line of lines.slice(start + 1)) {
    const at = line.lastIndexOf(': ');
    if (at < 0) continue;
    const name = line.slice(0, at).trim();
    const value = line.slice(at + 2).trim();
    if (name === '' || !/^\d+$/.test(value)) continue;
    stats.set(name, Number(value));
  }
  return stats;
}
