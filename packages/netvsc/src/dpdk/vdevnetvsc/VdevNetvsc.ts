import {
  ARPHRD,
  BypassError,
  isBypassError,
  type MacAddress,
  NS_PER_MS,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import { silentLogger, type DpdkLogger } from '../ethdev/DpdkLog.js';
import type { EthDev } from '../ethdev/EthDev.js';
import type { EthDevRegistry } from '../ethdev/EthDevRegistry.js';
import { unformatEtherAddr } from '../ethdev/EtherAddr.js';
import { atoi, parseKvargs, type KvPair } from '../ethdev/Kvargs.js';
import type { Pipe, PipeTable } from '../failsafe/SubDeviceSources.js';
import { NETVSC_CLASS_ID, type SysfsInterface, type SysfsView } from '../sysfs/SysfsView.js';

/**
 * `VDEV_NETVSC_PROBE_MS`: period of the VF re-probe, ms.
 *
 * @example
 * ```ts
 * scheduler.advanceBy(VDEV_NETVSC_PROBE_MS * NS_PER_MS); // one re-probe round
 * ```
 */
export const VDEV_NETVSC_PROBE_MS = 1000;
/**
 * The driver name; an explicit `--vdev` starting with it suppresses auto-detection.
 *
 * @example
 * ```ts
 * vdev.probe(`${VDEV_NETVSC_DRIVER_NAME}0`, 'iface=eth1');
 * ```
 */
export const VDEV_NETVSC_DRIVER_NAME = 'net_vdev_netvsc';
const KEYS = ['iface', 'mac', 'force', 'ignore'] as const;

/**
 * Options of {@link VdevNetvsc}.
 *
 * @example
 * ```ts
 * const o: VdevNetvscOptions = { registry, sysfs, scheduler, pipes };
 * ```
 */
export interface VdevNetvscOptions {
  /** Where the fail-safe ports are created (fail-safe and TAP drivers registered). */
  registry: EthDevRegistry;
  /** What the driver reads about interfaces. */
  sysfs: SysfsView;
  /** Clock of the 1 s re-probe. */
  scheduler: Scheduler;
  /** The process's pipes (the fail-safe ports read the same table). */
  pipes: PipeTable;
  log?: DpdkLogger;
}

/**
 * What {@link VdevNetvsc.probe} did. DPDK's probe returns 0 whatever happened; this says what
 * the log says.
 *
 * @example
 * ```ts
 * const { created, error } = vdev.probe('net_vdev_netvsc0', 'iface=eth1');
 * ```
 */
export interface VdevNetvscProbeResult {
  /** Fail-safe ports (contexts) this probe created. */
  readonly created: number;
  /** The error that ended the probe (already logged), or null. */
  readonly error: BypassError | null;
}

/**
 * One NetVSC interface handled by vdev_netvsc (`struct vdev_netvsc_ctx`).
 *
 * @example
 * ```ts
 * for (const c of vdev.contexts) console.log(c.id, c.ifName, c.devname, c.devargs, c.yield);
 * ```
 */
export interface VdevNetvscContext {
  /** Unique id (the count of contexts when it was created). */
  readonly id: number;
  ifName: string;
  readonly ifIndex: number;
  readonly mac: MacAddress;
  /** The pipe's descriptor, named in the fail-safe devargs. */
  readonly fd: number;
  /** `net_failsafe_vsc<id>`. */
  readonly devname: string;
  /** `fd(<fd>),dev(net_tap_vsc<id>,remote=<ifname>)`. */
  readonly devargs: string;
  /** The fail-safe port created for it. */
  readonly port: EthDev;
  /** The PCI address last written to the pipe ('' before any). */
  yield: string;
}

/**
 * DPDK's vdev_netvsc (drivers/net/vdev_netvsc/vdev_netvsc.c): a control-plane helper that finds
 * NetVSC interfaces, creates one fail-safe port per interface whose fallback is a TAP taking
 * over the NetVSC netdev, and tells each fail-safe port, through a pipe, the PCI address of the
 * VF that has the same MAC.
 *
 * - Discovery: Ethernet interfaces whose `device/class_id` is the VMBus network class.
 *   Without `iface`/`mac`, routed interfaces are skipped; a named one is used anyway with the
 *   warning "probably using routed NetVSC interface".
 * - Devargs `iface=`, `mac=`, `force=`, `ignore=` with DPDK's messages (see
 *   {@link VdevNetvsc.probe}).
 * - Per interface: `net_failsafe_vsc<id>` with `fd(<pipe>),dev(net_tap_vsc<id>,remote=<if>)`.
 * - VF discovery: a non-NetVSC Ethernet interface with the same MAC whose `device/subsystem`
 *   is `pci`; its PCI address is written to the pipe as a line, at creation and every
 *   {@link VDEV_NETVSC_PROBE_MS} ms on the injected scheduler.
 * - Auto-detection ({@link VdevNetvsc.autoProbe}) only on Hyper-V, suppressed by an explicit
 *   instance.
 *
 * Fixed DPDK bug: DPDK's "routed" test counts any address (it asks rtnetlink for IFA_ADDRESS),
 * so the IPv6 link-local address every up interface has makes every NetVSC "routed" and
 * auto-attach skips it. Here link-scope and host-scope addresses (IPv6 fe80::/10, IPv4
 * link-local) do not make an interface routed.
 *
 * @example
 * ```ts
 * const vdev = new VdevNetvsc({ registry, sysfs, scheduler, pipes });
 * vdev.probe('net_vdev_netvsc0', 'iface=eth1');
 * vdev.contexts[0]?.port.name; // 'net_failsafe_vsc0'
 * ```
 */
export class VdevNetvsc {
  private readonly registry: EthDevRegistry;
  private readonly sysfs: SysfsView;
  private readonly scheduler: Scheduler;
  private readonly pipes: PipeTable;
  private readonly log: DpdkLogger;
  private readonly ctxs: VdevNetvscContext[] = [];
  private readonly pipeOf = new Map<VdevNetvscContext, Pipe>();
  private ctxCount = 0;
  private instanceCount = 0;
  private explicit = false;
  private timer: TimerId | null = null;

  constructor(options: VdevNetvscOptions) {
    this.registry = options.registry;
    this.sysfs = options.sysfs;
    this.scheduler = options.scheduler;
    this.pipes = options.pipes;
    this.log = options.log ?? silentLogger;
  }

  /** The NetVSC interfaces handled, oldest first. */
  get contexts(): readonly VdevNetvscContext[] {
    return this.ctxs;
  }

  /** Driver instances that rely on the contexts (`vdev_netvsc_ctx_inst`). */
  get instances(): number {
    return this.instanceCount;
  }

  /**
   * Probes one driver instance (`vdev_netvsc_vdev_probe`) with devargs `args`. As in DPDK the
   * probe itself never fails: a bad argument, a missing interface or a fail-safe port that
   * cannot be created is logged and reported in the result, and the instance is counted.
   * Contexts and fail-safe ports created before an error stay, as in DPDK.
   *
   * Errors reported (`BypassError`, already logged): `ERR_PARSE` "cannot parse arguments list"
   * and "invalid MAC address format"; `ERR_INVALID_ARGUMENT` "More than one way used to specify
   * the netvsc device."; `ERR_NOT_FOUND` "Cannot find the specified netvsc device" and (with
   * `force`) "Cannot find the specified device"; or the error of a fail-safe creation.
   *
   * @throws only what is not a `BypassError` (a bug of this code or of a driver it calls).
   *
   * @example
   * ```ts
   * const r = vdev.probe('net_vdev_netvsc0', 'iface=eth1');
   * if (r.error !== null) console.log(r.error.message); // r.created ports exist anyway
   * ```
   */
  probe(name: string = VDEV_NETVSC_DRIVER_NAME, args = ''): VdevNetvscProbeResult {
    this.log('debug', `invoked as "${name}", using arguments "${args}"`);
    if (name.startsWith(VDEV_NETVSC_DRIVER_NAME)) this.explicit = true;
    this.cancelAlarm();
    const before = this.ctxCount;
    let counted = true;
    let error: BypassError | null = null;
    try {
      counted = this.probeInstance(args);
    } catch (err) {
      // vdev_netvsc.c vdev_netvsc_vdev_probe: errors are logged, the probe returns 0
      if (!isBypassError(err)) throw err;
      error = err;
    } finally {
      if (counted) this.instanceCount++;
      if (this.ctxCount > 0) this.armAlarm();
    }
    return { created: this.ctxCount - before, error };
  }

  /**
   * The automatic instance (`vdev_netvsc_scan_callback`): probes `net_vdev_netvsc` with no
   * arguments when running on Hyper-V (`onHyperV`, DPDK's CPUID check, injected) unless an
   * explicit instance exists or is requested in `vdevs` (the `--vdev` list). Returns true
   * when it probed.
   *
   * @example
   * ```ts
   * vdev.autoProbe({ onHyperV: true }); // attaches to every unrouted NetVSC interface
   * ```
   */
  autoProbe(options: { onHyperV: boolean; vdevs?: readonly string[] }): boolean {
    if (!options.onHyperV || this.explicit) return false;
    if ((options.vdevs ?? []).some((d) => d.startsWith(VDEV_NETVSC_DRIVER_NAME))) return false;
    this.probe(VDEV_NETVSC_DRIVER_NAME, '');
    return true;
  }

  /**
   * Removes one instance (`vdev_netvsc_vdev_remove`); the last one stops the re-probe and
   * closes the pipes (the fail-safe ports stay and keep their current sub-devices).
   */
  remove(): void {
    if (this.instanceCount > 0 && --this.instanceCount > 0) return;
    this.cancelAlarm();
    for (const ctx of this.ctxs.splice(0)) {
      this.pipes.close(ctx.fd);
      this.pipeOf.delete(ctx);
    }
    this.ctxCount = 0;
  }

  /** One re-probe round now (what the 1 s alarm runs): VF discovery for every context. */
  reprobe(): void {
    for (const ctx of this.ctxs) this.discoverVf(ctx);
  }

  // ---------------------------------------------------------------- internals

  private fail(
    code: 'ERR_PARSE' | 'ERR_INVALID_ARGUMENT' | 'ERR_NOT_FOUND',
    message: string,
  ): BypassError {
    this.log('error', `${VDEV_NETVSC_DRIVER_NAME}: ${message}`);
    return new BypassError(code, `${VDEV_NETVSC_DRIVER_NAME}: ${message}`);
  }

  /** The body of {@link VdevNetvsc.probe}; throws what it reports. False: `ignore` was set. */
  private probeInstance(args: string): boolean {
    const pairs = parseKvargs(args, KEYS);
    if (pairs === null) throw this.fail('ERR_PARSE', 'cannot parse arguments list');
    let force = false;
    let ignore = false;
    let specified = 0;
    for (const p of pairs) {
      if (p.key === 'force') force = atoi(p.value) !== 0;
      else if (p.key === 'ignore') ignore = atoi(p.value) !== 0;
      else specified++;
    }
    if (ignore) return false;
    if (specified > 1) {
      throw this.fail(
        'ERR_INVALID_ARGUMENT',
        'More than one way used to specify the netvsc device.',
      );
    }
    const wanted = pairs.filter((p) => p.key === 'iface' || p.key === 'mac');
    let matched = this.probeInterfaces(true, wanted, specified);
    if (specified > 0 && matched < specified) {
      if (!force) throw this.fail('ERR_NOT_FOUND', 'Cannot find the specified netvsc device');
      matched += this.probeInterfaces(false, wanted, specified);
      if (matched < specified) throw this.fail('ERR_NOT_FOUND', 'Cannot find the specified device');
      this.log('warning', `${VDEV_NETVSC_DRIVER_NAME}: non-netvsc device was probed as netvsc`);
    }
    return true;
  }

  /** vdev_netvsc_foreach_iface with vdev_netvsc_netvsc_probe; returns how many matched. */
  private probeInterfaces(netvsc: boolean, wanted: KvPair[], specified: number): number {
    let matched = 0;
    for (const iface of this.ethernetInterfaces(netvsc)) {
      if (specified > 0) {
        if (!wanted.some((p) => this.matchesArg(p, iface))) continue;
        matched++;
      }
      this.attach(iface, specified > 0);
    }
    return matched;
  }

  private matchesArg(p: KvPair, iface: SysfsInterface): boolean {
    if (p.key === 'iface') return p.value === iface.name;
    const mac = unformatEtherAddr(p.value);
    if (mac === null) throw this.fail('ERR_PARSE', `invalid MAC address format "${p.value}"`);
    return mac.equals(iface.mac);
  }

  private attach(iface: SysfsInterface, specified: boolean): void {
    if (this.ctxs.some((c) => c.ifIndex === iface.ifindex)) {
      if (specified) {
        this.log(
          'warning',
          `${VDEV_NETVSC_DRIVER_NAME}: interface "${iface.name}" (index ${iface.ifindex}) is already handled, skipping`,
        );
      }
      return;
    }
    if (this.routed(iface)) {
      if (!specified) return;
      this.log(
        'warning',
        `${VDEV_NETVSC_DRIVER_NAME}: probably using routed NetVSC interface "${iface.name}" (index ${iface.ifindex})`,
      );
    }
    const id = this.ctxCount;
    const { fd, pipe } = this.pipes.open();
    const devname = `net_failsafe_vsc${id}`;
    const devargs = `fd(${fd}),dev(net_tap_vsc${id},remote=${iface.name})`;
    this.log(
      'debug',
      `${VDEV_NETVSC_DRIVER_NAME}: generating virtual device "${devname}" with arguments "${devargs}"`,
    );
    const partial = {
      id,
      ifName: iface.name,
      ifIndex: iface.ifindex,
      mac: iface.mac,
      fd,
      devname,
      devargs,
      yield: '',
    };
    // The VF is announced before the fail-safe port exists, so it starts with it.
    this.discoverVf(partial, pipe);
    let port: EthDev;
    try {
      port = this.registry.probe(`${devname},${devargs}`);
    } catch (err) {
      this.pipes.close(fd);
      this.log('error', `${VDEV_NETVSC_DRIVER_NAME}: cannot create "${devname}": ${errText(err)}`);
      throw err;
    }
    const ctx: VdevNetvscContext = { ...partial, port };
    this.ctxs.push(ctx);
    this.pipeOf.set(ctx, pipe);
    this.ctxCount++;
    this.log(
      'debug',
      `${VDEV_NETVSC_DRIVER_NAME}: added NetVSC interface "${iface.name}" to context list`,
    );
  }

  /** vdev_netvsc_device_probe over the non-NetVSC interfaces: first match only. */
  private discoverVf(
    ctx: Omit<VdevNetvscContext, 'port'>,
    pipe: Pipe | undefined = this.pipeOf.get(ctx as VdevNetvscContext),
  ): void {
    if (pipe === undefined) return;
    for (const iface of this.ethernetInterfaces(false)) {
      if (iface.ifindex === ctx.ifIndex) {
        if (iface.name !== ctx.ifName) {
          this.log(
            'debug',
            `${VDEV_NETVSC_DRIVER_NAME}: NetVSC interface "${ctx.ifName}" (index ${ctx.ifIndex}) renamed "${iface.name}"`,
          );
          ctx.ifName = iface.name;
        }
        continue;
      }
      if (!iface.mac.equals(ctx.mac) || iface.subsystem !== 'pci' || !iface.device) continue;
      const addr = iface.device;
      if (addr !== ctx.yield) {
        this.log(
          'debug',
          `${VDEV_NETVSC_DRIVER_NAME}: associating PCI device "${addr}" with NetVSC interface "${ctx.ifName}" (index ${ctx.ifIndex})`,
        );
      }
      if (pipe.write(`${addr}\n`) === 0) {
        this.log(
          'warning',
          `${VDEV_NETVSC_DRIVER_NAME}: cannot associate PCI device name "${addr}" with interface "${ctx.ifName}": pipe full`,
        );
        return;
      }
      ctx.yield = addr;
      return;
    }
  }

  private ethernetInterfaces(netvsc: boolean): SysfsInterface[] {
    return this.sysfs.interfaces().filter((i) => isNetvsc(i) === netvsc && i.type === ARPHRD.ETHER);
  }

  /** Fixed: only addresses of global or site scope make an interface routed. */
  private routed(iface: SysfsInterface): boolean {
    return this.sysfs.addresses(iface.name).some((a) => a.scope === 'global' || a.scope === 'site');
  }

  private armAlarm(): void {
    if (this.timer !== null) return;
    this.timer = this.scheduler.runAfter(VDEV_NETVSC_PROBE_MS * NS_PER_MS, () => {
      this.timer = null;
      this.reprobe();
      if (this.ctxCount > 0) this.armAlarm();
    });
  }

  private cancelAlarm(): void {
    if (this.timer !== null) this.scheduler.cancel(this.timer);
    this.timer = null;
  }
}

// vdev_netvsc.c vdev_netvsc_iface_is_netvsc: device/class_id starts with the network class id
function isNetvsc(iface: SysfsInterface): boolean {
  return iface.classId !== null && iface.classId.startsWith(NETVSC_CLASS_ID);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
