import { BypassError, type MacAddress } from '@bypass/core';
import { unformatEtherAddr } from '../ethdev/EtherAddr.js';
import { parseKvargs } from '../ethdev/Kvargs.js';

/**
 * `DEVARGS_MAXLEN`: the longest fail-safe parameter string, terminator included.
 *
 * @example
 * ```ts
 * if (devargs.length >= FAILSAFE_DEVARGS_MAXLEN) console.log('too long for fail-safe');
 * ```
 */
export const FAILSAFE_DEVARGS_MAXLEN = 4096;
/**
 * `FAILSAFE_MAX_ETHPORTS`: sub-devices per fail-safe port.
 *
 * @example
 * ```ts
 * parseFailsafeArgs('dev(a),dev(b)').subs.length <= FAILSAFE_MAX_SUBDEVICES; // true
 * ```
 */
export const FAILSAFE_MAX_SUBDEVICES = 2;
/**
 * `FAILSAFE_HOTPLUG_DEFAULT_TIMEOUT_MS`: the default upkeep period (`hotplug_poll`), ms.
 *
 * @example
 * ```ts
 * parseFailsafeArgs('dev(net_tap0)').hotplugPollMs === FAILSAFE_HOTPLUG_POLL_DEFAULT_MS; // true
 * ```
 */
export const FAILSAFE_HOTPLUG_POLL_DEFAULT_MS = 2000;

/** `PMD_FAILSAFE_PARAM_STRING`: the usage text DPDK prints with a parameter error. */
const USAGE = 'dev(<ifc>),exec(<shell command>),fd(<fd number>),mac=mac_addr,hotplug_poll=u64';

/**
 * How one fail-safe sub-device is declared: `dev(<devargs>)`, `exec(<command>)` (the first line
 * of its output is the devargs) or `fd(<n>)` (the last complete line read from descriptor n).
 *
 * @example
 * ```ts
 * const s: FailsafeSubDeviceSpec = { kind: 'fd', text: '3' };
 * ```
 */
export interface FailsafeSubDeviceSpec {
  kind: 'dev' | 'exec' | 'fd';
  /** What was inside the parentheses. */
  text: string;
}

/**
 * Parsed fail-safe devargs.
 *
 * @example
 * ```ts
 * const a: FailsafeArgs = parseFailsafeArgs('dev(net_tap0),hotplug_poll=500');
 * a.hotplugPollMs; // 500
 * ```
 */
export interface FailsafeArgs {
  /** Sub-devices in declaration order; the first is the preferred one. */
  subs: FailsafeSubDeviceSpec[];
  /** `mac=`, or null for "take the first probed sub-device's". */
  mac: MacAddress | null;
  /** `hotplug_poll=` in ms (default 2000). */
  hotplugPollMs: number;
}

/** Index of the parenthesis closing the one at `open` (drivers/net/failsafe/failsafe_args.c closing_paren); -1 if none. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth === 0) return i;
  }
  return -1;
}

function parseErr(message: string): BypassError {
  return new BypassError('ERR_PARSE', `net_failsafe: ${message}`);
}

/** C `strtoull(value, &end, 0)` that must consume at least one digit (fs_get_u64_arg). */
function strtoull0(value: string): number | null {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(value);
  if (m === null) return null;
  const t = m[1] as string;
  if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
  if (t.length > 1 && t.startsWith('0')) return parseInt(t.slice(1), 8);
  return parseInt(t, 10);
}

/**
 * Parses fail-safe devargs (drivers/net/failsafe/failsafe_args.c failsafe_args_parse,
 * fs_parse_sub_devices, fs_count_device): sub-device declarations with nested parentheses,
 * then `mac=` and `hotplug_poll=` as kvargs. Errors carry DPDK's messages.
 *
 * Differences from DPDK, on purpose: a device type must be exactly `dev`, `exec` or `fd` (DPDK
 * accepts any prefix such as `d(`); text between a closing parenthesis and the next comma is an
 * error (DPDK skips one character); `hotplug_poll=0` is refused (DPDK accepts it, then cannot
 * arm its timer).
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` for "Parameter string too long (>=4096)",
 * "This PMD requires sub-devices, none provided" and "Cannot allocate more than 2 ports";
 * `ERR_PARSE` for "Dangling parenthesis", "Invalid parameter", "Unrecognized device type",
 * "Error parsing parameters, usage: ..." and bad `mac`/`hotplug_poll` values.
 * @example
 * ```ts
 * const a = parseFailsafeArgs('fd(3),dev(net_tap_vsc0,remote=eth1)');
 * a.subs; // [{ kind: 'fd', text: '3' }, { kind: 'dev', text: 'net_tap_vsc0,remote=eth1' }]
 * ```
 */
export function parseFailsafeArgs(params: string): FailsafeArgs {
  if (params.length >= FAILSAFE_DEVARGS_MAXLEN) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `net_failsafe: Parameter string too long (>=${FAILSAFE_DEVARGS_MAXLEN})`,
    );
  }
  const subs: FailsafeSubDeviceSpec[] = [];
  const kv: string[] = [];
  let a = 0;
  while (a < params.length) {
    let b = a;
    while (b < params.length && params[b] !== '(' && params[b] !== ',') b++;
    if (b === a) throw parseErr('Invalid parameter');
    if (b === params.length || params[b] === ',') {
      kv.push(params.slice(a, b));
      a = b + 1;
      continue;
    }
    const close = closingParen(params, b);
    if (close < 0) throw parseErr('Dangling parenthesis');
    const kind = params.slice(a, b);
    if (kind !== 'dev' && kind !== 'exec' && kind !== 'fd') {
      throw parseErr(`Unrecognized device type: ${kind}`);
    }
    subs.push({ kind, text: params.slice(b + 1, close) });
    if (close + 1 < params.length && params[close + 1] !== ',') throw parseErr('Invalid parameter');
    a = close + 2;
  }
  // drivers/net/failsafe/failsafe.c fs_sub_device_alloc
  if (subs.length > FAILSAFE_MAX_SUBDEVICES) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `net_failsafe: Cannot allocate more than ${FAILSAFE_MAX_SUBDEVICES} ports`,
    );
  }
  if (subs.length === 0) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      'net_failsafe: This PMD requires sub-devices, none provided',
    );
  }
  const result: FailsafeArgs = {
    subs,
    mac: null,
    hotplugPollMs: FAILSAFE_HOTPLUG_POLL_DEFAULT_MS,
  };
  const pairs = parseKvargs(kv.join(','), ['hotplug_poll', 'mac']);
  if (pairs === null) throw parseErr(`Error parsing parameters, usage:\n${USAGE}`);
  const polls = pairs.filter((p) => p.key === 'hotplug_poll');
  // failsafe_args.c: hotplug_poll is only read when given exactly once.
  if (polls.length === 1) {
    const v = strtoull0((polls[0] as { value: string }).value);
    if (v === null || v === 0 || !Number.isSafeInteger(v)) {
      throw parseErr(
        `invalid hotplug_poll ${JSON.stringify((polls[0] as { value: string }).value)}: give a number of ms > 0`,
      );
    }
    result.hotplugPollMs = v;
  }
  for (const p of pairs) {
    if (p.key !== 'mac') continue;
    // failsafe_args.c fs_get_mac_addr_arg: rte_ether_unformat_addr
    const mac = unformatEtherAddr(p.value);
    if (mac === null) {
      throw parseErr(
        `invalid mac ${JSON.stringify(p.value)}: write 00:15:5d:00:00:01, 00-15-5d-00-00-01 or 0015.5d00.0001`,
      );
    }
    result.mac = mac;
  }
  return result;
}

/**
 * The fd number of an `fd(<n>)` sub-device (`strtol(text, &end, 0)`, whole text, >= 0).
 *
 * @throws `BypassError` `ERR_PARSE` "Parsing FD number failed".
 * @example
 * ```ts
 * parseFdNumber('3'); // 3
 * ```
 */
export function parseFdNumber(text: string): number {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
  const v = m === null ? null : strtoull0(m[1] as string);
  if (v === null || !Number.isSafeInteger(v) || v > 0x7fffffff) {
    throw new BypassError(
      'ERR_PARSE',
      `net_failsafe: Parsing FD number failed (${JSON.stringify(text)})`,
    );
  }
  return v;
}
