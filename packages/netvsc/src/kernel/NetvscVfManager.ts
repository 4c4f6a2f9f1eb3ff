import {
  ETH_HLEN,
  ETH_P,
  Ethernet,
  IFF,
  PRIV_FLAG,
  RX_HANDLER,
  type BypassInstance,
  type BypassOps,
  type BypassRegistry,
  type NetDevice,
  type NetdevEvent,
  type PacketPool,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import type { NvspClient } from '../nvsp/NvspClient.js';
import type { NetvscDatapath } from './NetvscDatapath.js';
import type { NetvscEthtoolStats } from './NetvscEthtoolStats.js';
import { lookupNetvscVf, vfNotice, type VfMatch } from './NetvscVfLookup.js';

/**
 * netvsc_drv.c VF_TAKEOVER_INT: the VF is set up 100 ms after it joined, ns.
 *
 * @example
 * ```ts
 * scheduler.advanceBy(VF_TAKEOVER_NS); // the takeover ran: VF MTU, flags, addresses, open
 * ```
 */
export const VF_TAKEOVER_NS = 100_000_000;

/**
 * What the stack has pulled off a received frame before an rx handler sees it: the Ethernet
 * header (the driver's eth_type_trans) and an in-band 802.1Q/802.1ad tag (skb_vlan_untag in
 * net/core/dev.c __netif_receive_skb_core), so netvsc's vf_rx_bytes counts skb->len without them.
 */
function l2HeaderLength(pool: PacketPool, h: number): number {
  const type = Ethernet.ethertype(pool, h);
  return type === ETH_P.VLAN || type === ETH_P.QINQ ? ETH_HLEN + 4 : ETH_HLEN;
}

/**
 * The VF half of netvsc (Linux `netvsc_drv.c` netvsc_register_vf, netvsc_vf_join,
 * __netvsc_vf_setup, netvsc_vf_changed, netvsc_unregister_vf), written as the core's
 * `BypassOps`: which device may be the VF, joining it, the 100 ms takeover, following its
 * state to drive the datapath, releasing it, and counting what it receives.
 *
 * - Which device is the VF: {@link lookupNetvscVf} (get_netvsc_byslot: a PCI function with a
 *   slot and netvsc's MAC; the announced slot serial is only tried first), then no VF present.
 *   A device refused is not offered again when an association arrives (netvsc.c netvsc_send_vf
 *   only records it); only its own `register` event, or netvsc's probe scan, pairs it.
 * - Join: IFF_SLAVE before anything else, the takeover timer (or, for a VF already present when
 *   netvsc probes, the takeover at once), a `join` event; joining never switches the datapath.
 * - Takeover: MTU (a refusal is only logged), IFF_SLAVE, promisc/allmulti (as increments of
 *   netvsc's own), IFF_UP as netvsc's (a VF up while netvsc is down is closed), unicast/multicast
 *   lists, and open when netvsc runs.
 * - State: `up`, `down`, `change` and `going-down` of the VF (the latter counting as down) are
 *   followed from netvsc's own notifier subscription too, because the registry drops slave
 *   events while the master is down and ignores `going-down`. A VF going down stays up until
 *   the host completed the switch back to synthetic (`holdClose`): its frames keep arriving
 *   meanwhile. One that leaves its namespace (unregister) goes at once.
 * - Release: datapath back to synthetic first, then the address lists; IFF_SLAVE and
 *   IFF_NO_ADDRCONF stay set (netvsc_unregister_vf leaves them).
 *
 * @example
 * ```ts
 * const vfs = new NetvscVfManager(netvsc, client, datapath, scheduler, ethtool, log, onVf);
 * registry.register(netvsc, vfs.ops());
 * ns.events$.subscribe((e) => vfs.onNetdevEvent(e));
 * ```
 */
export class NetvscVfManager {
  private vfDev: NetDevice | null = null;
  private takeover: TimerId | null = null;
  /** True while {@link NetvscVfManager.register} runs (the registry's scan at probe). */
  private inProbe = false;
  private promisc = 0;
  private allmulti = 0;
  private readonly netvsc: NetDevice;
  private readonly client: NvspClient;
  private readonly datapath: NetvscDatapath;
  private readonly scheduler: Scheduler;
  private readonly ethtool: NetvscEthtoolStats;
  private readonly log: (line: string) => void;
  private readonly logVf: (vf: NetDevice, line: string) => void;
  private readonly onVf: (joined: boolean, vf: NetDevice) => void;

  constructor(
    netvsc: NetDevice,
    client: NvspClient,
    datapath: NetvscDatapath,
    scheduler: Scheduler,
    ethtool: NetvscEthtoolStats,
    log: (line: string) => void,
    onVf: (joined: boolean, vf: NetDevice) => void,
    /** Lines Linux logs from the VF device (`netdev_info(vf_netdev, ...)`); default through `log`. */
    logVf: (vf: NetDevice, line: string) => void = (vf, line) => log(`${vf.name}: ${line}`),
  ) {
    this.netvsc = netvsc;
    this.client = client;
    this.datapath = datapath;
    this.scheduler = scheduler;
    this.ethtool = ethtool;
    this.log = log;
    this.logVf = logVf;
    this.onVf = onVf;
  }

  /** The enslaved VF, or null. */
  get vf(): NetDevice | null {
    return this.vfDev;
  }

  /** The ops netvsc registers with the bypass registry. */
  ops(): BypassOps {
    return {
      preRegister: (slave) => {
        const m = this.check(slave, true);
        return m.ok ? null : m.reason;
      },
      register: (slave) => this.join(slave),
      unregister: (slave) => this.release(slave),
      linkChange: (slave) => this.changed(slave, false),
      // netvsc_drv.c netvsc_vf_handle_frame: count, then deliver as netvsc.
      handleFrame: (dev, pkts, start, count) => {
        const pool = dev.pool;
        const len = pool.length;
        let bytes = 0;
        for (let i = start, end = start + count; i < end; i++) {
          const h = pkts[i] as number;
          bytes += Math.max(0, (len[h] as number) - l2HeaderLength(pool, h));
        }
        this.ethtool.vfRxPackets += count;
        this.ethtool.vfRxBytes += bytes;
        return RX_HANDLER.ANOTHER;
      },
    };
  }

  /** What get_netvsc_byslot says of `dev` for this netvsc ({@link lookupNetvscVf}); logs nothing. */
  lookup(dev: NetDevice): VfMatch {
    return lookupNetvscVf(this.netvsc, this.client, dev);
  }

  /**
   * Whether netvsc_register_vf would take `dev` now: the lookup leads here and no VF is present
   * (`vf-present` otherwise). With `log`, the lookup's notice is logged as Linux logs it.
   */
  check(dev: NetDevice, log = false): VfMatch {
    const m = this.lookup(dev);
    if (log) this.notice(dev, m);
    if (m.ok && this.vfDev !== null)
      return {
        ok: false,
        code: 'vf-present',
        reason: `${this.vfDev.name} is already the VF of ${this.netvsc.name}`,
      };
    return m;
  }

  /** True when `dev` would be taken as this netvsc's VF now ({@link NetvscVfManager.check}). */
  matches(dev: NetDevice): boolean {
    return this.check(dev).ok;
  }

  /**
   * netvsc_drv.c netvsc_prepare_bonding (NETDEV_POST_INIT): IFF_SLAVE and IFF_NO_ADDRCONF on a
   * device the lookup leads here, before anyone sees it register (no IPv6 addrconf on it). Linux does not look for a VF already present, so
   * a second one is flagged too (and then not joined).
   */
  prepare(dev: NetDevice): VfMatch {
    const m = this.lookup(dev);
    this.notice(dev, m);
    if (m.ok) {
      dev.flags |= IFF.SLAVE;
      dev.privFlags |= PRIV_FLAG.NO_ADDRCONF;
    }
    return m;
  }

  /** Follows the VF's state changes (netvsc's own notifier subscription). */
  onNetdevEvent(e: NetdevEvent): void {
    // netvsc_drv.c netvsc_netdev_event: NETDEV_POST_INIT -> netvsc_prepare_bonding.
    if (e.type === 'post-init') {
      this.prepare(e.dev);
      return;
    }
    if (e.dev !== this.vfDev) return;
    if (e.type === 'going-down') this.changed(e.dev, true);
    else if (e.type === 'up' || e.type === 'down' || e.type === 'change')
      this.changed(e.dev, false);
  }

  /** netvsc_drv.c netvsc_change_rx_flags: netvsc's promisc and allmulti as increments on the VF. */
  syncRxFlags(): void {
    const vf = this.vfDev;
    if (vf === null) return;
    const f = this.netvsc.flags;
    const p = f & IFF.PROMISC ? 1 : 0;
    const a = f & IFF.ALLMULTI ? 1 : 0;
    if (p !== this.promisc) vf.setPromiscuity(p - this.promisc);
    if (a !== this.allmulti) vf.setAllmulti(a - this.allmulti);
    this.promisc = p;
    this.allmulti = a;
  }

  /** Cancels the takeover timer (device removal). */
  cancel(): void {
    if (this.takeover !== null) this.scheduler.cancel(this.takeover);
    this.takeover = null;
  }

  // get_netvsc_byslot's netdev_notice lines. Linux logs them for every PCI netdev that registers;
  // here only for a device with this netvsc's MAC (permanent or current), the ones it considers.
  private notice(dev: NetDevice, m: VfMatch): void {
    const line = vfNotice(dev, m);
    const me = this.netvsc.permAddr;
    if (line !== null && (dev.permAddr.equals(me) || dev.devAddr.equals(me))) this.log(line);
  }

  /**
   * Registers netvsc with the bypass registry (at probe). A VF its scan finds is set up at once,
   * without the 100 ms takeover timer (netvsc_drv.c netvsc_probe: netvsc_register_vf with
   * VF_REG_IN_PROBE, then __netvsc_vf_setup).
   */
  register(registry: BypassRegistry): BypassInstance {
    this.inProbe = true;
    try {
      return registry.register(this.netvsc, this.ops());
    } finally {
      this.inProbe = false;
    }
  }

  // netvsc_drv.c netvsc_register_vf / netvsc_vf_join. Joining alone does not switch the
  // datapath: only the VF's up/down/change/going-down events do (netvsc_vf_changed).
  private join(vf: NetDevice): void {
    this.log(`VF registering: ${vf.name}`);
    // netvsc_vf_join: the slave flag before open, to prevent IPv6 addrconf.
    vf.flags |= IFF.SLAVE;
    this.vfDev = vf;
    if (!this.inProbe) this.takeover = this.scheduler.runAfter(VF_TAKEOVER_NS, this.setup);
    const ns = vf.ns;
    if (ns !== null) ns.notify({ type: 'join', dev: vf, ns });
    // netvsc_vf_join, __netvsc_vf_setup: these lines come from the VF device.
    this.logVf(vf, `joined to ${this.netvsc.name}`);
    this.onVf(true, vf);
    if (this.inProbe) this.setup();
  }

  // netvsc_drv.c __netvsc_vf_setup: the takeover.
  private readonly setup = (): void => {
    this.takeover = null;
    const vf = this.vfDev;
    if (vf === null) return;
    const me = this.netvsc;
    try {
      vf.setMtu(me.mtu);
    } catch {
      this.logVf(vf, `unable to change mtu to ${me.mtu}`);
    }
    vf.flags |= IFF.SLAVE;
    this.syncRxFlags();
    // netvsc_drv.c __netvsc_vf_setup: dev_change_flags(vf, netvsc's flags | IFF_SLAVE) also
    // copies IFF_UP, so a VF brought up in the takeover window is closed when netvsc is down.
    if (!me.isUp) vf.close();
    me.syncAddressesTo(vf);
    if (me.running) {
      try {
        vf.open();
      } catch (err) {
        this.logVf(vf, `unable to open: ${(err as Error).message}`);
      }
    }
  };

  private release(vf: NetDevice): void {
    this.cancel();
    this.log(`VF unregistering: ${vf.name}`);
    // Back to synthetic first (the 2021 "prevent packet loss" series), then release.
    this.datapath.reconcile(false, vf.name);
    // netvsc_drv.c netvsc_unregister_vf clears neither IFF_SLAVE nor IFF_NO_ADDRCONF.
    this.netvsc.unsyncAddressesFrom(vf);
    this.vfDev = null;
    this.promisc = 0;
    this.allmulti = 0;
    this.onVf(false, vf);
  }

  // netvsc_drv.c netvsc_vf_changed: GOING_DOWN counts as down; carrier is not considered. The
  // GOING_DOWN notifier waits for the host to complete the switch to synthetic (netvsc.c
  // netvsc_switch_datapath), the VF still up and receiving meanwhile.
  private changed(vf: NetDevice, goingDown: boolean): void {
    if (vf !== this.vfDev) return;
    const release = goingDown ? vf.holdClose() : null;
    this.datapath.reconcile(!goingDown && vf.running, vf.name);
    if (release !== null) this.datapath.whenSettled(release);
  }
}
