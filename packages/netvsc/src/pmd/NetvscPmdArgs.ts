import { BypassError } from '@bypass/core';
import { silentLogger, type DpdkLogger } from '../dpdk/ethdev/DpdkLog.js';
import { parseKvargs } from '../dpdk/ethdev/Kvargs.js';

/**
 * The devargs of DPDK's netvsc PMD, parsed ({@link parseNetvscPmdArgs}).
 *
 * @example
 * ```ts
 * const a: NetvscPmdArgs = parseNetvscPmdArgs('latency=20,tx_copybreak=0');
 * a.latencyUs;   // 20
 * a.txCopybreak; // 0: every packet goes as its own VMBus request
 * ```
 */
export interface NetvscPmdArgs {
  /** Host polling interval of the TX mailbox page, microseconds (`latency`). */
  latencyUs: number;
  /** RX: frames longer than this may use an external buffer (`rx_copybreak`, bytes). */
  rxCopybreak: number;
  /** TX: frames up to this length are copied into a send-buffer section (`tx_copybreak`). */
  txCopybreak: number;
  /** RX: attach external buffers instead of copying (`rx_extmbuf_enable`, non-zero = on). */
  rxExtmbufEnable: boolean;
}

/**
 * The defaults of the netvsc PMD devargs (hn_var.h HN_CHAN_LATENCY_NS, HN_RXCOPY_THRESHOLD,
 * HN_TXCOPY_THRESHOLD, HN_RX_EXTMBUF_ENABLE): 50 us, 256, 512, off.
 *
 * @example
 * ```ts
 * NETVSC_PMD_DEFAULTS.txCopybreak; // 512
 * ```
 */
export const NETVSC_PMD_DEFAULTS: Readonly<NetvscPmdArgs> = Object.freeze({
  latencyUs: 50,
  rxCopybreak: 256,
  txCopybreak: 512,
  rxExtmbufEnable: false,
});

/** The keys hn_ethdev.c hn_parse_args accepts (this model leaves out the later `numa_aware`). */
const VALID_KEYS = ['latency', 'rx_copybreak', 'tx_copybreak', 'rx_extmbuf_enable'] as const;
/** strtoul with base 0: decimal, 0x hexadecimal or 0-prefixed octal, nothing after it. */
const UNSIGNED = /^[ \t\n\v\f\r]*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const U32_MAX = 0xffff_ffff;
/** drivers/bus/vmbus/vmbus_channel.c rte_vmbus_set_latency: refuses >= UINT16_MAX * 100 ns. */
const BUS_LATENCY_LIMIT_NS = 0xffff * 100;

/**
 * Parses the devargs of the netvsc PMD (hn_ethdev.c hn_parse_args / hn_set_parameter):
 * `latency=<us>`, `rx_copybreak=<bytes>`, `tx_copybreak=<bytes>`, `rx_extmbuf_enable=<n>`, each
 * read like C `strtoul(value, &end, 0)` (decimal, `0x` hex, `0` octal); a key given twice keeps
 * its last value. Missing keys take {@link NETVSC_PMD_DEFAULTS}.
 *
 * Errors carry DPDK's log text: a token without `=` or an unknown key gives "invalid
 * parameters"; an empty value, trailing junk or a non-number gives "invalid parameter k=v".
 * Deliberate difference: a negative value (which strtoul wraps into a huge unsigned number) or
 * one above 2^32-1 (which DPDK truncates into its 32-bit field) is refused with the same message.
 *
 * @throws `BypassError` `ERR_PARSE`.
 * @example
 * ```ts
 * parseNetvscPmdArgs('');                       // the defaults
 * parseNetvscPmdArgs('rx_copybreak=0x100');     // rxCopybreak 256
 * parseNetvscPmdArgs('latency=5us');            // throws: invalid parameter latency=5us
 * parseNetvscPmdArgs('copybreak=1');            // throws: invalid parameters
 * ```
 */
export function parseNetvscPmdArgs(args: string, log: DpdkLogger = silentLogger): NetvscPmdArgs {
  const pairs = parseKvargs(args, VALID_KEYS);
  if (pairs === null) {
    log('error', 'invalid parameters');
    throw new BypassError(
      'ERR_PARSE',
      `netvsc: invalid parameters ${JSON.stringify(args)}: use key=value pairs separated by ` +
        `commas with keys ${VALID_KEYS.join(', ')}`,
    );
  }
  const out: NetvscPmdArgs = { ...NETVSC_PMD_DEFAULTS };
  for (const { key, value } of pairs) {
    const v = parseUnsigned(value);
    if (v < 0) {
      log('error', `invalid parameter ${key}=${value}`);
      throw new BypassError(
        'ERR_PARSE',
        `netvsc: invalid parameter ${key}=${value}: expected an unsigned integer ` +
          `(decimal, 0x hexadecimal or 0 octal) up to ${U32_MAX}`,
      );
    }
    if (key === 'latency') out.latencyUs = v;
    else if (key === 'rx_copybreak') out.rxCopybreak = v;
    else if (key === 'tx_copybreak') out.txCopybreak = v;
    else out.rxExtmbufEnable = v !== 0;
  }
  return out;
}

/**
 * The value the VMBus driver writes into the host's monitor page for a `latency` in
 * microseconds, in the host's unit of 100 ns; -1 when the bus refuses it (6554 us and more:
 * `rte_vmbus_set_latency` logs "invalid latency value" and leaves the host's default).
 *
 * @example
 * ```ts
 * hostLatencyUnits(50);   // 500
 * hostLatencyUnits(7000); // -1
 * ```
 */
export function hostLatencyUnits(latencyUs: number): number {
  const ns = latencyUs * 1000;
  if (!(ns >= 0) || ns >= BUS_LATENCY_LIMIT_NS) return -1;
  return Math.floor(ns / 100);
}

function parseUnsigned(text: string): number {
  const m = UNSIGNED.exec(text);
  if (m === null) return -1;
  const digits = m[1] as string;
  let v: number;
  if (digits.length > 1 && (digits[1] === 'x' || digits[1] === 'X'))
    v = parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') v = parseInt(digits.slice(1), 8);
  else v = parseInt(digits, 10);
  return v <= U32_MAX ? v : -1;
}
