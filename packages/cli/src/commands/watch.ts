import {
  DEFAULT_MIN_PACKETS,
  LinuxWatch,
  formatWatchEvent,
  formatWatchTable,
  type WatchUpdate,
} from '@bypass/linux';
import type { Command } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from '../io/CliIo.js';
import { integerOption, type Settle } from './common.js';

/** Options of `bypass watch`. */
export interface WatchCommandOptions {
  readonly json: boolean;
  readonly force: boolean;
  /** Counter sampling period, ms (0 = no sampling). */
  readonly interval: number;
  /** Packets per interval before the counter verdict leaves `idle`. */
  readonly minPackets: number;
  /** Stop after this many updates. */
  readonly count?: number;
}

/** How many event lines the redrawn screen keeps under the table. */
const RECENT_EVENTS = 12;
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** Prints updates as the table: redrawn in place on a terminal, as snapshots otherwise. */
function tableRenderer(io: CliIo, watch: LinuxWatch): (u: WatchUpdate) => void {
  const recent: string[] = [];
  if (io.isTTY.stdout) {
    return (u) => {
      const line = formatWatchEvent(u);
      if (line !== null) {
        recent.push(line);
        if (recent.length > RECENT_EVENTS) recent.shift();
      }
      const rows = watch.table();
      io.stdout.write(
        `${CLEAR_SCREEN}bypass watch: ${rows.length} pair${rows.length === 1 ? '' : 's'} (Ctrl-C to stop)\n\n` +
          formatWatchTable(rows) +
          '\n' +
          (recent.length === 0 ? '' : `\nrecent events:\n${recent.join('\n')}\n`),
      );
    };
  }
  return (u) => {
    if (u.type === 'snapshot') {
      io.stdout.write(`-- ${(u.t / 1000).toFixed(3)}s\n${formatWatchTable(u.pairs)}\n`);
    } else {
      const line = formatWatchEvent(u);
      if (line !== null) io.stdout.write(line + '\n');
    }
  };
}

/**
 * `bypass watch`: follows the real failover pairs of this machine (read-only, no root) and prints
 * the table of pairs with the path in use, or NDJSON with `--json`. Stops after `--count` updates
 * or at Ctrl-C (exit 0).
 */
export async function watchCommand(options: WatchCommandOptions, io: CliIo): Promise<number> {
  const watch = new LinuxWatch({
    force: options.force,
    intervalMs: options.interval,
    minPackets: options.minPackets,
  });
  let seen = 0;
  const counted = (): void => {
    seen += 1;
    if (options.count !== undefined && seen >= options.count) watch.close();
  };
  const render = options.json ? null : tableRenderer(io, watch);
  const finished = new Promise<void>((resolve, reject) => {
    if (render === null) {
      watch.ndjson$.subscribe({
        next: (line) => {
          io.stdout.write(line + '\n');
          counted();
        },
        error: reject,
        complete: resolve,
      });
    } else {
      watch.updates$.subscribe({
        next: (u) => {
          render(u);
          counted();
        },
        error: reject,
        complete: resolve,
      });
    }
  });
  const off = io.onInterrupt?.(() => watch.close());
  // Failures of start() (no rtnetlink, sync timeout) and of later samples end `finished` with the
  // error too. After close (--count, Ctrl-C), start() may still wait for a counter dump the closed
  // socket will never answer: do not wait for it.
  watch.start().catch(() => undefined);
  try {
    await finished;
  } finally {
    watch.close();
    off?.();
  }
  return ExitCode.OK;
}

/** Adds `watch` to the program. */
export function registerWatch(program: Command, io: CliIo, settle: Settle): void {
  program
    .command('watch')
    .description(
      "follow this machine's real failover pairs and the path their traffic takes (read-only)",
    )
    .option('--json', 'stream NDJSON: one snapshot, event or path update per line', false)
    .option('--force', 'also treat interfaces sharing a MAC without a master as pairs', false)
    .option('--interval <ms>', 'counter sampling period in ms (0 = none)', integerOption(0), 1000)
    .option(
      '--min-packets <n>',
      'packets per interval (TX, else unicast RX) before the counters call a path',
      integerOption(1),
      DEFAULT_MIN_PACKETS,
    )
    .option('--count <n>', 'stop after N updates', integerOption(1))
    .addHelpText(
      'after',
      `
Needs Linux (rtnetlink and sysfs); no root. The table shows each pair (netvsc, net_failover,
bonding active-backup), the path in use by the master/slave relation and by counters, and
packets per second on each path. For hv_netvsc the counters are netvsc's own per-path counters
read with 'ethtool -S' (when ethtool is installed), else stats64. Below --min-packets packets
per interval the counters say idle (ARP/ND noise is not traffic). On a terminal the table is
redrawn; otherwise a snapshot is printed at each change. Ctrl-C stops (exit 0).

NDJSON lines (t = ms since start):
  {"type":"snapshot","t":0,"pairs":[...]}
  {"type":"event","t":812.4,"event":{"type":"changename","name":"vfr0",...}}
  {"type":"path","t":812.5,"pair":"netvsc:eth0","by":"relation","from":"active","to":"backup",...}

Examples:
  $ bypass watch
  $ bypass watch --json | jq -c 'select(.type == "path")'
  $ bypass watch --json --count 1 --interval 0`,
    )
    .action((options: WatchCommandOptions) => settle(() => watchCommand(options, io)));
}
