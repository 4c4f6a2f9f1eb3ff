import {
  BypassError,
  IFF,
  MacAddress,
  NetDevice,
  PRIV_FLAG,
  STATS64_FIELDS,
  defineDropReason,
  type PacketPool,
} from '@bypass/core';
import type { LinkRecord, LinkStats } from '../netlink/LinkRecord.js';

/** Flags whose changes are reported as their own events (up/down, carrier), not as `change`/flags. */
const OWN_EVENT_FLAGS = IFF.UP | IFF.RUNNING | IFF.LOWER_UP | IFF.DORMANT;

function macOf(text: string | null): MacAddress | null {
  if (text === null || text.length !== 17) return null;
  return MacAddress.parse(text);
}

/**
 * A kernel network interface mirrored into a core `NetNamespace`: a `NetDevice` whose state
 * (name, flags, carrier, MTU, address, master) follows what rtnetlink reports, kept up to date
 * by {@link LinuxNetNamespace}. It lets every consumer of the core (the bypass registry, pair
 * discovery, the simulator's reports) look at real interfaces.
 *
 * It is an observer, not a driver:
 * - the data plane refuses cleanly: frames given to `xmit` (or `receive`) are dropped through
 *   the pool with the reason `linux-mirror` ({@link LinuxNetDevice.DROP_REASON}) and counted in
 *   {@link LinuxNetDevice.refusedFrames}; no frame reaches the kernel;
 * - operations with a driver hook (`open`, `setMtu`, `setMacAddress`, `vlanVidAdd`) throw
 *   `ERR_NOT_SUPPORTED` (change the kernel with `ip link` instead). Operations without a hook
 *   (`close`, `carrierOn`, `rename`...) change only the mirror, until the next kernel update
 *   overwrites them;
 * - `ifindex` is the kernel's, `permAddr` is `IFLA_PERM_ADDRESS` when the driver sets one, else
 *   the address seen first; `stats` are the kernel's stats64, refreshed on demand
 *   ({@link LinuxNetNamespace.refreshStats}). Renames are accepted while up (`LIVE_RENAME_OK`),
 *   as current kernels do.
 *
 * @example
 * ```ts
 * const lns = new LinuxNetNamespace({ source: new RtnlLinkSource(), scheduler });
 * lns.start();
 * await lns.whenSynced(2000);
 * const eth0 = lns.ns.require('eth0') as LinuxNetDevice;
 * console.log(eth0.link.operstate, eth0.mtu, eth0.master?.name);
 * ```
 */
export class LinuxNetDevice extends NetDevice {
  /** Drop reason of frames handed to a mirror device. */
  static readonly DROP_REASON = defineDropReason('linux-mirror');

  /** The latest kernel record of this link. */
  link: LinkRecord;
  /** Frames refused by the data plane (dropped with {@link LinuxNetDevice.DROP_REASON}). */
  refusedFrames = 0;

  /**
   * @param pool - any pool (the mirror never holds frames; refused frames are freed to it)
   * @param link - the kernel record the device starts from
   * @param driver - the driver of the device's sysfs parent (`device/driver`), else the link
   *   kind, else `unknown`. A net_failover master shares its standby's parent, so it shows
   *   `virtio_net` here where `ethtool -i` says `net_failover` (net_failover.c
   *   net_failover_create sets the standby's parent; nfo_ethtool_get_drvinfo names itself)
   */
  constructor(pool: PacketPool, link: LinkRecord, driver?: string | null) {
    const mtu = link.mtu;
    super({
      pool,
      permAddr: macOf(link.permAddress) ?? macOf(link.address) ?? MacAddress.ZERO,
      name: link.name,
      type: link.type,
      driver: driver ?? link.kind ?? 'unknown',
      mtu,
      minMtu: Math.min(link.minMtu, mtu),
      maxMtu: Math.max(link.maxMtu === 0 ? 0x7fff_ffff : link.maxMtu, mtu),
      privFlags: PRIV_FLAG.LIVE_RENAME_OK,
    });
    this.link = link;
    this.devAddr = macOf(link.address) ?? MacAddress.ZERO;
    this.flags = link.flags & ~OWN_EVENT_FLAGS;
  }

  /**
   * Mirrors the kernel's state of this link (except the name and the master, which need the
   * namespace), emitting the core events in this order: `changemtu`, `changeaddr`, `going-down` +
   * `down` or `up`, `change` (carrier), `change` (flags).
   */
  applyLink(next: LinkRecord): void {
    this.link = next;
    if (next.mtu !== this.mtu) {
      const oldMtu = this.mtu;
      this.minMtu = Math.min(next.minMtu, next.mtu);
      this.maxMtu = Math.max(next.maxMtu === 0 ? 0x7fff_ffff : next.maxMtu, next.mtu);
      this.mtu = next.mtu;
      this.emit({ type: 'changemtu', oldMtu });
    }
    const addr = macOf(next.address) ?? MacAddress.ZERO;
    if (!addr.equals(this.devAddr)) {
      const oldAddress = this.devAddr;
      this.devAddr = addr;
      this.emit({ type: 'changeaddr', oldAddress });
    }
    if (next.up !== this.isUp) {
      if (next.up) {
        this.running = true;
        this.flags |= IFF.UP;
        this.emit({ type: 'up' });
      } else {
        this.emit({ type: 'going-down' });
        this.running = false;
        this.flags &= ~IFF.UP;
        this.emit({ type: 'down' });
      }
    }
    if (next.carrier) this.carrierOn();
    else this.carrierOff();
    const keep = IFF.UP | IFF.LOWER_UP;
    const wanted = (next.flags & ~OWN_EVENT_FLAGS) | (this.flags & keep);
    if (wanted !== this.flags) {
      this.flags = wanted;
      this.emit({ type: 'change', detail: 'flags' });
    }
  }

  /** Copies kernel stats64 counters into {@link NetDevice.stats}. */
  applyStats(stats: LinkStats): void {
    for (const f of STATS64_FIELDS) this.stats[f] = stats[f];
  }

  /** Refused: a mirror does not move frames (see the class documentation). */
  override receive(pkts: Int32Array, start: number, count: number): void {
    this.refuse(pkts, start, count);
  }

  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    this.refuse(pkts, start, count);
    return 0;
  }

  protected override ndoOpen(): void {
    throw this.notSupported('open');
  }

  protected override ndoChangeMtu(mtu: number): void {
    throw this.notSupported(`set the MTU to ${mtu} of`, `ip link set ${this.name} mtu ${mtu}`);
  }

  protected override ndoSetMacAddress(mac: MacAddress): void {
    throw this.notSupported(
      'change the address of',
      `ip link set ${this.name} address ${mac.toString()}`,
    );
  }

  protected override ndoVlanRxAddVid(vid: number): void {
    throw this.notSupported(`add VLAN ${vid} to`);
  }

  private refuse(pkts: Int32Array, start: number, count: number): void {
    if (count <= 0) return;
    this.refusedFrames += count;
    this.pool.drop(pkts, start, count, LinuxNetDevice.DROP_REASON);
  }

  private notSupported(what: string, hint?: string): BypassError {
    return new BypassError(
      'ERR_NOT_SUPPORTED',
      `cannot ${what} ${this.name}: it mirrors a kernel interface and is read-only${hint === undefined ? '' : `; use '${hint}'`}`,
    );
  }
}
