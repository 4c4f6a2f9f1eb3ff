import { execFile } from 'node:child_process';
import { isBypassError } from '@bypass/core';
import type { EthtoolStatsReading, EthtoolStatsSource } from './EthtoolStatsSource.js';
import { parseEthtoolStats } from './parseEthtoolStats.js';

/**
 * Runs a program without a shell and resolves with its stdout; rejects on a spawn failure
 * (`code: 'ENOENT'` when the program is not installed) or a non-zero exit (with `stderr`).
 *
 * @example
 * ```ts
 * const fake: CommandRunner = () => Promise.resolve('NIC statistics:\n     vf_tx_packets: 3\n');
 * ```
 */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;

/** How long `ethtool -S` may take before it is killed, ms. */
const ETHTOOL_TIMEOUT_MS = 2000;

function runFile(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: ETHTOOL_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err !== null) reject(Object.assign(err, { stderr }));
        else resolve(stdout);
      },
    );
  });
}

function failure(err: unknown): string {
  const e = err as { code?: unknown; stderr?: unknown; killed?: unknown; message?: unknown };
  if (e.code === 'ENOENT') return 'ethtool is not installed';
  if (e.killed === true) return `ethtool -S did not answer within ${ETHTOOL_TIMEOUT_MS} ms`;
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n')[0] : '';
  if (stderr !== undefined && stderr !== '') return `ethtool -S failed: ${stderr}`;
  return `ethtool -S failed: ${String(e.message ?? err)}`;
}

/**
 * The driver's own counters read by running `ethtool -S <dev>` (read-only). The ioctls it uses
 * (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS, ETHTOOL_GSTATS) need no CAP_NET_ADMIN
 * (net/ethtool/ioctl.c __dev_ethtool), so this needs no root. A missing binary is remembered:
 * later reads answer at once without spawning again.
 *
 * @example
 * ```ts
 * const ethtool = new CommandEthtoolStats();
 * const r = await ethtool.read('eth0');
 * if (r.ok) console.log(r.stats.get('vf_tx_packets'));
 * else console.log('falling back to stats64:', r.why);
 * ```
 */
export class CommandEthtoolStats implements EthtoolStatsSource {
  private missing: string | null = null;

  /** @param run - how to run `ethtool` (default: `child_process.execFile`, no shell). */
  constructor(private readonly run: CommandRunner = runFile) {}

  async read(dev: string): Promise<EthtoolStatsReading> {
    if (this.missing !== null) return { ok: false, why: this.missing };
    if (dev === '' || dev.startsWith('-')) {
      return { ok: false, why: `'${dev}' would be read by ethtool as an option, not a device` };
    }
    let text: string;
    try {
      text = await this.run('ethtool', ['-S', dev]);
    } catch (err) {
      const why = failure(err);
      if ((err as { code?: unknown }).code === 'ENOENT') this.missing = why;
      return { ok: false, why };
    }
    try {
      return { ok: true, stats: parseEthtoolStats(text) };
    } catch (err) {
      if (isBypassError(err, 'ERR_PARSE')) return { ok: false, why: err.message };
      throw err;
    }
  }
}
