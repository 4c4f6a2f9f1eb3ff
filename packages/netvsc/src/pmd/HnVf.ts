import {
  ARPHRD,
  BypassError,
  NS_PER_S,
  NS_PER_US,
  isBypassError,
  type BusEvent,
  type DeviceBus,
  type Scheduler,
  type TimerId,
} from '@bypass/core';
import type { Subscription } from 'rxjs';
import type { DpdkLogger } from '../dpdk/ethdev/DpdkLog.js';
import type { EthDev } from '../dpdk/ethdev/EthDev.js';
import type { EthDevRegistry } from '../dpdk/ethdev/EthDevRegistry.js';
import type { EthConf } from '../dpdk/ethdev/EthTypes.js';
import type { SysfsView } from '../dpdk/sysfs/SysfsView.js';
import { EthStatsFolder } from './NetvscPmdStats.js';

/** hn_ethdev.c NETVSC_HOTADD_RETRY_INTERVAL and NETVSC_MAX_MAC_RETRY. */
const HOTADD_RETRY_NS = NS_PER_S;
const HOTADD_MAX_RETRY = 120;
/** hn_vf.c: removal and recovery callbacks run from a 1 us EAL alarm. */
const ALARM_NS = NS_PER_US;

/**
 * The state of the VF as the netvsc PMD tracks it (hn_var.h enum vf_device_state).
 *
 * @example
 * ```ts
 * if (port.vfState === 'started' && port.vfSwitched) console.log('traffic on the VF');
 * ```
 */
export type HnVfState = 'unknown' | 'removed' | 'configured' | 'started' | 'stopped';

/** What the VF half needs from its netvsc port. */
export interface HnVfOwner {
  readonly registry: EthDevRegistry;
  readonly scheduler: Scheduler;
  readonly log: DpdkLogger;
  /** The netvsc port itself. */
  readonly port: EthDev;
  /** Sends NVSP SWITCH_DATA_PATH (0 synthetic, 1 VF); false when the send failed. */
  setDatapath(vf: boolean): boolean;
}

/**
 * The VF half of the netvsc PMD (hn_vf.c): the VF is another ethdev port with the same MAC that
 * the netvsc port owns and drives itself (no fail-safe, no TAP).
 *
 * - Attach (hn_vf_attach): the port with the netvsc MAC; one owned by someone else is refused
 *   ("Port N already owned by other device X"); then it is owned and its removal event watched
 *   (the VF raises it once configured with `rmv`, which hn_vf_configure always asks for; a VF
 *   attached but not yet configured goes silently, as in DPDK).
 * - Add (hn_vf_add_unlocked): only after the host reported the VF (NVSP 128) and while not
 *   switched; attach, and if the netvsc port is started configure the VF like it (queues, conf, MTU),
 *   start it, then switch the datapath to the VF (NVSP 129, 1). Triggered by the association
 *   message, at init, and by a PCI hot-add (retried every 1 s, up to 120 times, until the PCI
 *   device has a network interface with the netvsc MAC).
 * - Association withdrawn (hn_vf_remove_unlocked): back to synthetic, the VF stays attached.
 * - Start/stop (hn_vf_start / hn_vf_stop): stop switches to synthetic before stopping the VF
 *   (still switched if that message could not be sent); start starts it and switches back when
 *   the host reports it, and fails (VF stopped again) when the switch cannot be sent.
 * - Hot-add gate: a PCI add is looked at only while the VF state is `unknown` or `removed`.
 * - Removal (the VF's `intr_rmv`, hn_remove_delayed, 1 us later): synthetic, release ownership,
 *   stop, close (the port id is released). Recovering: synthetic, VF kept; recovered: back to the
 *   VF if the netvsc port is started; recovery failed: removal.
 */
export class HnVf {
  /** The attached VF port, or null. */
  vfPort: EthDev | null = null;
  /** The host reported a VF (last NVSP 128 said allocated). */
  vspReported = false;
  /** The datapath was switched to the VF. */
  switched = false;
  /**
   * hn_var.h vf_state as DPDK assigns it: `unknown` at init, `configured` by hn_vf_configure,
   * `started` on the hot-add path only, `removed` by hn_remove_delayed; never `stopped`.
   */
  state: HnVfState = 'unknown';
  /** The VF's counters while it belonged to the port. */
  readonly folder = new EthStatsFolder();
  private readonly owner: HnVfOwner;
  private readonly hotplug: { bus: DeviceBus; sysfs: SysfsView } | null;
  private busSub: Subscription | null = null;
  private readonly timers = new Set<TimerId>();
  private readonly onRmv = (p: EthDev): void => {
    this.owner.log('info', `Removing VF portid ${p.portId}`);
    this.alarm(() => this.removeDelayed());
  };

  constructor(owner: HnVfOwner, hotplug: { bus: DeviceBus; sysfs: SysfsView } | null) {
    this.owner = owner;
    this.hotplug = hotplug;
  }

  /** TX and RX may use the VF: switched, attached and started (hn_xmit_pkts / hn_recv_pkts). */
  get ready(): boolean {
    const vf = this.vfPort;
    return this.switched && vf !== null && vf.started;
  }

  /** NVSP 128 from the host (hn_nvs_handle_vfassoc). */
  onAssociation(allocated: boolean): void {
    this.vspReported = allocated;
    if (this.owner.port.state !== 'attached') return;
    if (allocated) this.add();
    else this.switchToSynthetic();
  }

  /** hn_vf_add_unlocked. */
  add(): void {
    if (!this.vspReported || this.switched) return;
    const fresh = this.vfPort === null;
    if (fresh && !this.attach()) return;
    const vf = this.vfPort as EthDev;
    const self = this.owner.port;
    if (self.started) {
      if (vf.started) this.owner.log('error', 'VF already started on hot add');
      else {
        try {
          this.owner.log('info', `configuring VF port ${vf.portId}`);
          vf.configure(self.nbRxQueues, self.nbTxQueues, vfConf(self.devConf));
          this.state = 'configured';
          vf.setMtu(self.mtu);
          this.owner.log('info', `Starting VF port ${vf.portId}`);
          vf.start();
          this.state = 'started';
        } catch (err) {
          this.owner.log('error', `Failed to configure VF port ${vf.portId}: ${text(err)}`);
          if (fresh) this.detach();
          return;
        }
      }
      // only while started: otherwise hn_vf_start switches
      this.switchTo(true);
    }
  }

  /**
   * hn_vf_configure: the VF gets the netvsc port's queue counts and `dev_conf` (the one being
   * configured: `EthDev` sets it before `devConfigure`), as {@link vfConf} adapts it.
   */
  configure(nbRxq: number, nbTxq: number): void {
    const vf = this.vfPort;
    if (vf === null) return;
    vf.configure(nbRxq, nbTxq, vfConf(this.owner.port.devConf));
    this.state = 'configured';
  }

  /**
   * hn_vf_start; a VF that fails to start fails the netvsc start (the error is rethrown), and so
   * does a datapath switch that cannot be sent: the VF is stopped again and the start refused
   * with `ERR_BUSY` (hn_vf_start returns hn_nvs_set_datapath's error).
   */
  start(): void {
    const vf = this.vfPort;
    if (vf !== null) {
      // hn_vf.c hn_vf_start leaves vf_state alone (only configure, hot-add and removal set it)
      vf.start();
      if (this.vspReported && !this.switched && !this.switchTo(true)) {
        vf.stop();
        throw new BypassError(
          'ERR_BUSY',
          `Port ${this.owner.port.portId}: Failed to switch to VF (NVSP SWITCH_DATA_PATH not sent); ` +
            'start the port again once the VMBus channel drains',
        );
      }
    }
    const hp = this.hotplug;
    if (hp !== null && this.busSub === null)
      this.busSub = hp.bus.events$.subscribe((e) => this.onBusEvent(e));
  }

  /** hn_vf_stop: synthetic first, then the VF stops. */
  stop(): void {
    this.busSub?.unsubscribe();
    this.busSub = null;
    const vf = this.vfPort;
    if (vf === null) return;
    // hn_vf.c hn_vf_stop: vf_vsc_switched is cleared only when the switch message went out
    if (this.switched) {
      if (this.owner.setDatapath(false)) this.switched = false;
      else this.owner.log('error', 'Failed to switch to synthetic');
    }
    vf.stop();
  }

  /** hn_vf_close (with hn_dev_close's cancelling of the hot-add retries). */
  close(): void {
    for (const t of this.timers) this.owner.scheduler.cancel(t);
    this.timers.clear();
    this.busSub?.unsubscribe();
    this.busSub = null;
    const vf = this.vfPort;
    if (vf === null) return;
    this.folder.detach();
    vf.off('intr_rmv', this.onRmv);
    vf.stop();
    vf.close();
    this.vfPort = null;
    this.switched = false;
  }

  /**
   * hn_vf_mtu_set, applied whenever a VF is attached and configured (see {@link NetvscPmdPort});
   * a VF not configured yet gets the port's MTU right after its configure.
   */
  setMtu(mtu: number): void {
    const vf = this.vfPort;
    if (vf !== null && vf.configured) vf.setMtu(mtu);
  }

  /** RTE_ETH_EVENT_ERR_RECOVERING from the VF: synthetic, VF kept (hn_recovering_delayed). */
  recovering(): void {
    this.owner.log('info', `VF port ${this.vfPort?.portId ?? -1} recovering from error`);
    this.alarm(() => this.switchToSynthetic());
  }

  /**
   * RTE_ETH_EVENT_RECOVERY_SUCCESS: back to the VF if started (hn_recovery_success_delayed) and
   * the host still reports the VF (a withdrawal read meanwhile wins; found by the model test).
   */
  recovered(): void {
    this.owner.log('info', `VF port ${this.vfPort?.portId ?? -1} recovery succeeded`);
    this.alarm(() => {
      if (this.owner.port.started && this.vfPort !== null && this.vspReported && !this.switched)
        this.switchTo(true);
    });
  }

  /** RTE_ETH_EVENT_RECOVERY_FAILED: the VF is unusable, removed. */
  recoveryFailed(): void {
    this.owner.log('info', `VF port ${this.vfPort?.portId ?? -1} recovery failed, removing`);
    this.alarm(() => this.removeDelayed());
  }

  // ---------------------------------------------------------------- internals

  /** hn_vf_attach. */
  private attach(): boolean {
    const self = this.owner.port;
    const mac = self.macAddr;
    const vf = this.owner.registry.ports().find((p) => p !== self && p.macAddr.equals(mac));
    if (vf === undefined) {
      this.owner.log('info', "Couldn't find port for VF");
      return false;
    }
    this.owner.log('info', `found matching VF port ${vf.portId}`);
    const other = vf.owner;
    if (other !== null && other !== self.name) {
      this.owner.log('error', `Port ${vf.portId} already owned by other device ${other}`);
      return false;
    }
    vf.setOwner(self.name);
    vf.on('intr_rmv', this.onRmv);
    this.vfPort = vf;
    this.folder.attach(vf);
    return true;
  }

  /** Undoes a fresh attach after a failed configure or start (hn_vf_detach). */
  private detach(): void {
    const vf = this.vfPort;
    if (vf === null) return;
    this.folder.detach();
    vf.off('intr_rmv', this.onRmv);
    vf.unsetOwner(this.owner.port.name);
    this.vfPort = null;
  }

  /** hn_remove_delayed: synthetic, give back, stop, close. */
  private removeDelayed(): void {
    const vf = this.vfPort;
    if (vf === null) return;
    this.owner.log('info', `Start to remove port ${vf.portId}`);
    this.switchToSynthetic();
    this.detach();
    vf.stop();
    vf.close();
    this.state = 'removed';
  }

  private switchToSynthetic(): void {
    if (!this.switched) {
      this.owner.log('error', 'VF path not active');
      return;
    }
    if (!this.owner.setDatapath(false)) this.owner.log('error', 'Failed to switch to synthetic');
    this.switched = false; // cleared regardless: the VF is going away or stopping
  }

  private switchTo(vf: boolean): boolean {
    if (!this.owner.setDatapath(vf)) {
      this.owner.log('error', 'Failed to switch to VF');
      return false;
    }
    this.switched = vf;
    return true;
  }

  /**
   * netvsc_hotadd_callback: a PCI device appeared while started; ignored only when the VF state
   * is past `removed` (configured or started), as DPDK gates it, so a VF attached but never
   * configured does not stop the retry loop.
   */
  private onBusEvent(e: BusEvent): void {
    if (e.kind !== 'add' || e.device.pci === null) return;
    // hn_ethdev.c netvsc_hotadd_callback: skipped when vf_state > vf_removed
    if (this.state !== 'unknown' && this.state !== 'removed') return;
    const address = e.device.pci.address;
    let retries = 0;
    const retry = (): void => {
      const hp = this.hotplug as { bus: DeviceBus; sysfs: SysfsView };
      retries++;
      if (hp.bus.byPciAddress(address) === undefined) {
        this.owner.log(
          'info',
          `PCI device ${address} no longer exists, giving up after ${retries} retries`,
        );
        return;
      }
      const mac = this.owner.port.macAddr;
      const found = hp.sysfs
        .interfaces()
        .some((i) => i.device === address && i.type === ARPHRD.ETHER && i.mac.equals(mac));
      if (!found) {
        if (retries < HOTADD_MAX_RETRY) this.later(HOTADD_RETRY_NS, retry);
        else this.owner.log('info', `no matching MAC found after ${retries} retries, giving up`);
        return;
      }
      this.owner.log('info', `Found matching MAC address, adding device ${address}`);
      try {
        this.owner.registry.probe(address);
      } catch (err) {
        if (!isBypassError(err, 'ERR_ALREADY_REGISTERED'))
          this.owner.log('error', `Failed to add PCI device ${address}: ${text(err)}`);
      }
      this.add();
    };
    this.later(HOTADD_RETRY_NS, retry);
  }

  private alarm(fn: () => void): void {
    this.later(ALARM_NS, fn);
  }

  private later(ns: number, fn: () => void): void {
    const id: TimerId = this.owner.scheduler.runAfter(ns, () => {
      this.timers.delete(id);
      fn();
    });
    this.timers.add(id);
  }
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * hn_vf.c hn_vf_configure: the VF is configured with the netvsc port's conf, except that its link
 * interrupt is not wanted (`lsc` off) and its removal interrupt is (`rmv` on): a VF whose PMD
 * lacks `RTE_ETH_DEV_INTR_RMV` is refused by its own configure.
 */
function vfConf(conf: Readonly<Required<EthConf>>): EthConf {
  return { ...conf, lsc: false, rmv: true };
}
