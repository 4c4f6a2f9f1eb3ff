import { ETH_DEV_FLAG, emptyEthStats, type EthConf, type EthStats } from '../ethdev/EthTypes.js';
import type { EthDev } from '../ethdev/EthDev.js';
import type { EthDevRegistry } from '../ethdev/EthDevRegistry.js';
import { parseFdNumber, type FailsafeSubDeviceSpec } from './FailsafeArgs.js';
import type { CommandRunner, FdReader } from './SubDeviceSources.js';

/**
 * Fail-safe sub-device states, ordered (drivers/net/failsafe/failsafe_private.h `enum
 * dev_state`); the fail-safe port itself moves through the same states.
 *
 * @example
 * ```ts
 * if (sub.state >= SubDevState.ACTIVE) console.log('configured');
 * ```
 */
export const SubDevState = {
  UNDEFINED: 0,
  PARSED: 1,
  PROBED: 2,
  ACTIVE: 3,
  STARTED: 4,
} as const;

/**
 * One of the {@link SubDevState} values.
 *
 * @example
 * ```ts
 * const s: SubDevStateValue = SubDevState.STARTED;
 * ```
 */
export type SubDevStateValue = (typeof SubDevState)[keyof typeof SubDevState];

/**
 * The printable name of a sub-device state (`'undefined'`, `'parsed'`, ...).
 *
 * @example
 * ```ts
 * subDevStateName(SubDevState.PROBED); // 'probed'
 * ```
 */
export function subDevStateName(s: SubDevStateValue): string {
  return ['undefined', 'parsed', 'probed', 'active', 'started'][s] ?? `state-${s}`;
}

/**
 * The conf a fail-safe port configures a sub-device with (failsafe_ops.c fs_dev_configure): its
 * own `dev_conf` (offloads included), with `rmv` on exactly when the sub-device's port has
 * `INTR_RMV`, and `lsc` on when the fail-safe port was configured with it and the sub-device has
 * `INTR_LSC` (a sub-device without it is configured without `lsc` rather than refused).
 *
 * @example
 * ```ts
 * sub.configure(fs.nbRxQueues, fs.nbTxQueues, failsafeSubDeviceConf(fs.devConf, sub));
 * ```
 */
export function failsafeSubDeviceConf(conf: Readonly<Required<EthConf>>, sub: EthDev): EthConf {
  const flags = sub.devInfo().devFlags;
  return {
    ...conf,
    rmv: (flags & ETH_DEV_FLAG.INTR_RMV) !== 0,
    lsc: conf.lsc && (flags & ETH_DEV_FLAG.INTR_LSC) !== 0,
  };
}

/**
 * One sub-device slot of a fail-safe port (`struct sub_device`): how it is declared, its state,
 * the port once probed, the removal flag set by `intr_rmv`, the bursts in flight and its last
 * stats snapshot.
 *
 * @example
 * ```ts
 * for (const sub of failsafe.subDevices) console.log(sub.sid, subDevStateName(sub.state), sub.port?.name);
 * ```
 */
export class FailsafeSubDevice {
  /** Index in declaration order (0 = preferred). */
  readonly sid: number;
  readonly spec: FailsafeSubDeviceSpec;
  state: SubDevStateValue = SubDevState.UNDEFINED;
  /** The devargs the sub-device was parsed to, once parsed. */
  devargs: string | null = null;
  /** Its port once probed. */
  port: EthDev | null = null;
  /** Set by a removal event; the upkeep round completes the removal. */
  remove = false;
  /** RX bursts currently inside the sub-device (`FS_ATOMIC_RX` refcounts). */
  rxInflight = 0;
  /** TX bursts currently inside the sub-device. */
  txInflight = 0;
  /** Last stats read from the port (used when the port can no longer be read). */
  snapshot: EthStats = emptyEthStats();
  /** The fail-safe's event handlers for this port, to unregister at removal. */
  handlers: { lsc: () => void; rmv: () => void } | null = null;
  /** `handlers.lsc` is registered on the port (`sdev->lsc_callback`). */
  lscCallback = false;
  /** `handlers.rmv` is registered on the port (`sdev->rmv_callback`). */
  rmvCallback = false;
  private partial = '';

  constructor(sid: number, spec: FailsafeSubDeviceSpec) {
    this.sid = sid;
    this.spec = spec;
  }

  /**
   * Reads the sub-device's definition from its source (failsafe_args.c fs_parse_device,
   * fs_execute_cmd, fs_read_fd): the `dev()` text; the first output line of `exec()` (commas
   * of the command turned into spaces, as DPDK does); for `fd()` the last complete line among
   * what was written since the last read (an incomplete trailing line waits for its newline).
   * Returns null when there is nothing yet (DPDK's ENODEV: not an error).
   *
   * @throws `BypassError` `ERR_PARSE` "Parsing FD number failed".
   */
  readDefinition(fds: FdReader | null, commands: CommandRunner | null): string | null {
    const { kind, text } = this.spec;
    if (kind === 'dev') return text;
    if (kind === 'exec') {
      const out = commands?.run(text.replaceAll(',', ' ')) ?? null;
      if (out === null) return null;
      const nl = out.indexOf('\n');
      const line = (nl < 0 ? out : out.slice(0, nl)).trim();
      return line.length > 0 ? line : null;
    }
    const fd = parseFdNumber(text);
    const data = fds?.read(fd) ?? null;
    if (data === null) return null;
    const all = this.partial + data;
    const nl = all.lastIndexOf('\n');
    if (nl < 0) {
      this.partial = all;
      return null;
    }
    this.partial = all.slice(nl + 1);
    const lines = all.slice(0, nl).split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = (lines[i] as string).trim();
      if (line.length > 0) return line;
    }
    return null;
  }

  /** Discards whatever the `fd()` source holds (see the stale-line fix described on `FailsafePort`). */
  drainSource(fds: FdReader | null): void {
    this.partial = '';
    if (this.spec.kind !== 'fd') return;
    try {
      fds?.read(parseFdNumber(this.spec.text));
    } catch {
      // An unparsable fd was refused at probe; nothing to drain.
    }
  }

  /** Current stats of the port (kept as the snapshot), or the last snapshot when it is gone. */
  readStats(): EthStats {
    const port = this.port;
    if (port === null || port.state === 'unused') return this.snapshot;
    this.snapshot = port.statsGet();
    return this.snapshot;
  }

  /**
   * Stops, closes and releases the port (failsafe_ether.c fs_dev_remove: STARTED -> ACTIVE ->
   * PROBED -> detached); the slot becomes UNDEFINED. A `dev()` slot keeps its definition.
   */
  detach(registry: EthDevRegistry, owner: string, onError: (message: string) => void): void {
    const port = this.port;
    if (port !== null) {
      if (this.handlers !== null) {
        port.off('intr_lsc', this.handlers.lsc);
        port.off('intr_rmv', this.handlers.rmv);
      }
      port.unsetOwner(owner);
      try {
        registry.remove(port);
      } catch (err) {
        onError(
          `Bus detach failed for sub_device ${this.sid}: ${String((err as Error).message ?? err)}`,
        );
      }
    }
    this.handlers = null;
    this.lscCallback = false;
    this.rmvCallback = false;
    this.port = null;
    this.remove = false;
    this.state = SubDevState.UNDEFINED;
    if (this.spec.kind !== 'dev') this.devargs = null;
  }

  /** Reads the definition when the slot is UNDEFINED (-> PARSED); nothing when none is there yet. */
  parse(fds: FdReader | null, commands: CommandRunner | null): void {
    if (this.state >= SubDevState.PARSED) return;
    const def = this.readDefinition(fds, commands);
    if (def === null) return;
    this.devargs = def;
    this.state = SubDevState.PARSED;
  }

  /**
   * Probes a PARSED slot through the registry (failsafe_eal.c fs_bus_init; an existing port of
   * that name is taken over) and claims the port for `owner`. A failure is reported through
   * `onError`; a definition read from `fd()`/`exec()` is then dropped so that the next round
   * reads a fresh one (the stale-line fix described on `FailsafePort`).
   */
  probe(registry: EthDevRegistry, owner: string, onError: (message: string) => void): void {
    if (this.state !== SubDevState.PARSED || this.devargs === null) return;
    const name = this.devargs.split(',')[0] ?? '';
    try {
      const port = registry.getByName(name) ?? registry.probe(this.devargs);
      port.setOwner(owner);
      this.port = port;
      this.state = SubDevState.PROBED;
    } catch (err) {
      onError(`sub_device ${this.sid} probe failed: ${String((err as Error).message ?? err)}`);
      if (this.spec.kind !== 'dev') {
        this.devargs = null;
        this.state = SubDevState.UNDEFINED;
      }
    }
  }
}
