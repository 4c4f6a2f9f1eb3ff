import {
  BusDevice,
  BypassError,
  BypassPolicy,
  DatapathPath,
  DropReason,
  Ethernet,
  MacAddress,
  NetDevice,
  type BypassInstance,
  type BypassRegistry,
  type NetDeviceStats,
  type NetNamespace,
  type PacketPool,
  type Scheduler,
  type SeededRandom,
} from '@bypass/core';
import { EventEmitter } from 'eventemitter3';
import type { Subscription } from 'rxjs';
import { NETVSC_RING_AVAIL, NVSP_VERSION } from '../nvsp/NvspConstants.js';
import type { NvspConnectResult } from '../nvsp/NvspHandshake.js';
import { NvspClient } from '../nvsp/NvspClient.js';
import { networkAddressParameter } from '../rndis/RndisConfigParameter.js';
import { NDIS_PACKET_TYPE, RNDIS_MSG, RNDIS_OID, RNDIS_STATUS } from '../rndis/RndisConstants.js';
import type { RndisMessage } from '../rndis/RndisMessage.js';
import type { VmbusChannel } from '../vmbus/VmbusChannel.js';
import { NetvscDatapath } from './NetvscDatapath.js';
import { NetvscEthtoolStats } from './NetvscEthtoolStats.js';
import { NetvscLinkEvents, type NetvscLinkAction } from './NetvscLinkEvents.js';
import { NetvscReattach, type NetvscReattachDriver } from './NetvscReattach.js';
import { NetvscTxQueues, type NetvscQueueXmit } from './NetvscTxQueues.js';
import { NetvscVfManager } from './NetvscVfManager.js';
import { NetvscVfWatcher } from './NetvscVfWatcher.js';
import { rndisRxFilter } from './rndisRxFilter.js';

/** hyperv_net.h NETVSC_MTU - ETH_HLEN. */
const NETVSC_MAX_MTU = 65535 - 14;
const VRSS_CHANNEL_MAX = 64;
const VRSS_CHANNEL_DEFAULT = 16;

/**
 * Options of {@link NetvscDevice.probe}.
 *
 * @example
 * ```ts
 * const o: NetvscDeviceOptions = { channel, pool, scheduler, registry, ns, name: 'eth0' };
 * ```
 */
export interface NetvscDeviceOptions {
  /** The primary VMBus channel offered by the host (class {@link HV_NIC_CLASS_ID}). */
  channel: VmbusChannel;
  pool: PacketPool;
  scheduler: Scheduler;
  /** The bypass registry that pairs the VF (same permanent MAC) with this device. */
  registry: BypassRegistry;
  /** The namespace the netdev is registered in. */
  ns: NetNamespace;
  /** Name or pattern; default `eth%d`. */
  name?: string;
  /** Channels (queues) to ask for, 1..64; default 16. */
  channels?: number;
  /** Initial MTU; default 1500. */
  mtu?: number;
  /** IPv4 addresses announced by gratuitous ARP when peers must be notified. */
  ipv4Addresses?: readonly number[];
  /**
   * Namespaces where a matching VF may appear: it is moved into `ns` (Linux moves the VF into
   * netvsc's namespace) and then paired by the registry on its `register` event.
   */
  vfNamespaces?: readonly NetNamespace[];
  /** Jitter source of the datapath-switch retries. */
  random?: SeededRandom;
  /** The VMBus bus device the netdev hangs from; default one made from the channel's ids. */
  parent?: BusDevice;
}

/**
 * Typed events of a {@link NetvscDevice} (its `netdev_info` lines and state changes).
 *
 * @example
 * ```ts
 * netvsc.events.on('log', (line) => console.log(line)); // "Data path switched to VF: enP1s2"
 * netvsc.events.on('datapath', (vf) => console.log(vf ? 'VF' : 'synthetic'));
 * ```
 */
export interface NetvscDeviceEvents {
  /** A log line, worded as Linux netvsc logs it. */
  log: (line: string) => void;
  /** The host completed a datapath switch. */
  datapath: (vf: boolean, vfName: string) => void;
  /** A VF joined (`true`) or left. */
  vf: (joined: boolean, vf: NetDevice) => void;
  /** Peers were notified (gratuitous ARP) after a reconnect. */
  'notify-peers': (frames: number) => void;
  /**
   * An MTU change detached netvsc from its channel and attaches it again
   * ({@link NetvscDevice.nvdevState}): `detached` once the channel is closed, `attached` when it
   * is back (with `mtu`), `failed` when the change failed (`mtu` is then the MTU in force).
   */
  reattach: (state: 'detached' | 'attached' | 'failed', mtu: number) => void;
  /**
   * The host refused a MAC change (RNDIS SET_C `status` other than SUCCESS, -1 without an
   * answer): netvsc failed it with -EIO and set the address and the VF's back.
   */
  'address-refused': (mac: MacAddress, status: number) => void;
  /**
   * The VMBus channel was rescinded (the synthetic NIC was hot-removed): emitted just before the
   * device removes itself ({@link NetvscDevice.remove}, Linux netvsc_remove); the VF, if any, is
   * left standalone.
   */
  rescind: () => void;
}

/**
 * The Hyper-V NetVSC guest driver with transparent VF (Linux `drivers/net/hyperv/netvsc_drv.c`,
 * seed 002), the 2-netdev bypass model: netvsc is itself the master of its VF, on the same core
 * as virtio's 3-netdev master.
 *
 * - Probe ({@link NetvscDevice.probe}): NVSP/RNDIS bring-up over the channel, then the netdev is
 *   registered (MAC from the host, MTU 68..65521, 16 channels by default) and made a bypass master.
 * - VF (BypassOps): a PCI function with a slot and netvsc's permanent MAC is enslaved (Linux
 *   get_netvsc_byslot: the slot serial the host announced is tried first, a different one still
 *   matches by MAC): IFF_SLAVE first, `join`, and 100 ms later the takeover: MTU, flags
 *   (promisc, allmulti), address lists, and open when netvsc runs. netvsc's up/down, MTU, MAC,
 *   promisc/allmulti and address lists follow to the VF. A device refused (no slot, a VF already
 *   there) is not paired later when an association arrives: Linux only records it.
 * - Datapath: VF up → NVSP SWITCH_DATA_PATH to the VF (after the VF association), completion
 *   awaited; VF going down or leaving → synthetic first ({@link NetvscDatapath}).
 * - TX: the VF when present, running, with carrier and switched (the core's `BypassPolicy`
 *   with "always ready" for the synthetic path: the VF never causes a drop), else the synthetic
 *   path. RX on the VF is counted (`vf_rx_*`) and delivered as netvsc.
 * - Stats: own synthetic counters plus the VF traffic netvsc counted itself (`vf_rx_*`,
 *   `vf_tx_*`, `vf_tx_dropped`), not the VF's own counters;
 *   {@link NetvscDevice.ethtoolStats} as `ethtool -S` shows them.
 * - Link: host indications rate-limited to one per 2 s; GARP on reconnect ({@link NetvscLinkEvents}).
 *
 * @example
 * ```ts
 * NetvscDevice.probe({ channel, pool, scheduler, registry, ns, name: 'eth0' }, (err, netvsc) => {
 *   if (err) throw err;
 *   netvsc!.open();
 * });
 * scheduler.runUntilIdle();            // the host answered: eth0 is registered
 * ns.register(vf, 'enP1s2');           // same MAC, PCI: enslaved, taken over 100 ms later
 * ```
 */
export class NetvscDevice extends NetDevice {
  readonly events = new EventEmitter<NetvscDeviceEvents>();
  readonly client: NvspClient;
  readonly ethtool = new NetvscEthtoolStats(VRSS_CHANNEL_MAX);
  readonly link: NetvscLinkEvents;
  readonly datapath: NetvscDatapath;
  /** The NVSP version negotiated with the host. */
  readonly nvspVersion: number;
  /**
   * Link speed reported by the host, Mb/s (0 unknown): queried at probe from NVSP 5
   * (rndis_filter_query_link_speed), then LINK_SPEED_CHANGE indications. Linux 6.x
   * netvsc_get_link_ksettings reports the VF's settings instead while a VF is enslaved; the
   * core's devices have no link settings, so that is not modelled.
   */
  speedMbps = 0;
  /** Gratuitous ARP frames sent on peer notifications. */
  garpFrames = 0;
  /** Peer notifications (netdev_notify_peers). */
  peerNotifications = 0;
  /** The TX queues: stopped states, `tx_disable` and the qdisc holding frames meanwhile. */
  readonly txQueues: NetvscTxQueues;
  /**
   * Whether netvsc has its VMBus device (Linux `ndev_ctx->nvdev`): `attached`; `changing` while an
   * MTU change detaches and attaches it again (Linux holds RTNL throughout, so other changes wait:
   * here they are refused with `ERR_BUSY`); `detached` when an attach failed and so did the
   * restore (no nvdev: changes fail with `ERR_NO_DEVICE`, frames wait in the stopped queues).
   */
  nvdevState: 'attached' | 'changing' | 'detached' = 'attached';

  /** The VF half (bypass ops, takeover, release). */
  readonly vfs: NetvscVfManager;
  private readonly policy = new BypassPolicy();
  /** The VF while the policy routes TX to it (decided at each state change), else null. */
  private txVf: NetDevice | null = null;
  private readonly total = this.stats.clone();
  private readonly registry: BypassRegistry;
  private readonly ipv4: readonly number[];
  private instance: BypassInstance | null = null;
  private filter = -1;
  private sub: Subscription | null = null;
  private watcher: NetvscVfWatcher | null = null;
  private readonly reattach: NetvscReattach;
  /** Channels in use (`nvdev->num_chn`), kept while the channel is closed. */
  private numChn: number;
  /** Frames handed to the VF or written to a ring, summed (what `ndoStartXmit` reports). */
  private txSent = 0;

  private constructor(
    options: NetvscDeviceOptions,
    client: NvspClient,
    mac: number,
    version: number,
    channels: number,
    linkUp: boolean,
  ) {
    super({
      pool: options.pool,
      permAddr: MacAddress.fromNumber(mac),
      name: options.name ?? 'eth%d',
      driver: 'hv_netvsc',
      parent:
        options.parent ??
        new BusDevice({
          id: options.channel.instanceId,
          bus: 'vmbus',
          vmbus: { classId: options.channel.classId, instanceId: options.channel.instanceId },
          driver: 'hv_netvsc',
        }),
      minMtu: 68,
      // netvsc_drv.c netvsc_probe: MTU range 68..1500, or 65521 from NVSP 2.
      maxMtu: version >= NVSP_VERSION.V2 ? NETVSC_MAX_MTU : 1500,
      mtu: options.mtu ?? 1500,
      numTxQueues: VRSS_CHANNEL_MAX,
      numRxQueues: VRSS_CHANNEL_MAX,
    });
    this.setRealNumTxQueues(channels);
    this.realNumRxQueues = channels;
    this.numChn = channels;
    this.txQueues = new NetvscTxQueues(options.pool, VRSS_CHANNEL_MAX);
    this.client = client;
    this.nvspVersion = version;
    this.registry = options.registry;
    this.ipv4 = options.ipv4Addresses ?? [];
    this.link = new NetvscLinkEvents(
      options.scheduler,
      (a) => this.onLinkAction(a),
      !linkUp,
      () => this.nvdevState === 'changing',
    );
    this.reattach = new NetvscReattach({
      client,
      scheduler: options.scheduler,
      instanceId: options.channel.instanceId,
      driver: this.reattachDriver(),
    });
    this.datapath = new NetvscDatapath(
      client,
      (m) => this.log(m),
      (vf, name) => this.events.emit('datapath', vf, name),
      () => this.reroute(),
    );
    this.vfs = new NetvscVfManager(
      this,
      client,
      this.datapath,
      options.scheduler,
      this.ethtool,
      (m) => this.log(m),
      (joined, vf) => {
        this.reroute();
        this.events.emit('vf', joined, vf);
      },
      (vf, line) => this.events.emit('log', `${vf.name}: ${line}`),
    );
    const h = client.handlers;
    h.onFrames = (pkts, start, count, queue) => this.receiveSynthetic(pkts, start, count, queue);
    h.onTxCompleted = (queue, packets, bytes) => this.txCompleted(queue, packets, bytes);
    h.onStatus = (status, buf) => this.onStatus(status, buf);
    // netvsc.c netvsc_send_vf: the association is recorded and logged (and ends the datapath's
    // wait for it); no device is looked at again.
    h.onVfAssociation = (allocated, serial) => {
      this.log(`VF slot ${serial} ${allocated ? 'added' : 'removed'}`);
      this.datapath.associationChanged();
    };
    // vmbus rescind of the primary channel: the hv_device goes away and netvsc_remove runs (VF
    // released without a datapath message, netdev unregistered).
    h.onRescind = () => {
      this.carrierOff();
      this.events.emit('rescind');
      this.remove();
    };
  }

  /**
   * Probes a netvsc channel: runs the NVSP/RNDIS bring-up (on the scheduler), then creates the
   * netdev, registers it in `options.ns` and with the bypass registry (which enslaves a matching
   * VF already present). `done` gets the device, or a `BypassError` (`ERR_REFUSED` when the
   * host refused the bring-up, or a registration error).
   */
  static probe(
    options: NetvscDeviceOptions,
    done: (err: BypassError | null, dev: NetvscDevice | null) => void,
  ): void {
    const channels = Math.max(
      1,
      Math.min(VRSS_CHANNEL_MAX, Math.floor(options.channels ?? VRSS_CHANNEL_DEFAULT)),
    );
    const client = new NvspClient(
      options.random === undefined
        ? { channel: options.channel, pool: options.pool, scheduler: options.scheduler }
        : {
            channel: options.channel,
            pool: options.pool,
            scheduler: options.scheduler,
            random: options.random,
          },
    );
    client.connect({ mtu: options.mtu ?? 1500, channels, linkSpeed: true }, (r) => {
      if (r.error !== '') {
        done(
          new BypassError(
            'ERR_REFUSED',
            `netvsc probe failed: ${r.error}; check the host side of the channel`,
          ),
          null,
        );
        return;
      }
      let dev: NetvscDevice;
      try {
        dev = new NetvscDevice(options, client, r.mac, r.version, r.channels, r.linkUp);
        dev.speedMbps = r.speedMbps;
        options.ns.register(dev);
        dev.attachToCore(options);
      } catch (err) {
        done(err instanceof BypassError ? err : new BypassError('ERR_STATE', String(err)), null);
        return;
      }
      done(null, dev);
    });
  }

  /** The enslaved VF, or null. */
  get vf(): NetDevice | null {
    return this.vfs.vf;
  }

  /** True while TX goes to the VF (VF present, running, carrier, and the host switched). */
  get txOnVf(): boolean {
    const vf = this.vfs.vf;
    return vf !== null && vf.running && vf.carrier && vf.present && this.datapath.dataPathIsVf;
  }

  /**
   * Re-decides where TX goes with the core's shared policy (the synthetic path is always ready,
   * so a VF problem never causes a drop). Runs at every change of the inputs: the VF joining or
   * leaving, a netdev event of the VF (up, down, carrier, presence), the datapath switching; a
   * burst then reads one field.
   */
  private reroute(): void {
    const vf = this.vfs?.vf ?? null;
    this.txVf = this.policy.unicastPath(this.txOnVf, true) === DatapathPath.ACTIVE ? vf : null;
  }

  /** Channels in use. */
  get channels(): number {
    return this.numChn;
  }

  /** `ethtool -S`: the counters by name, in the driver's order. */
  ethtoolStats(): Record<string, number> {
    this.ethtool.rxNoMemory = this.client.stats.rxNoMemory; // counted where RX allocates
    return this.ethtool.toRecord(this.channels);
  }

  /**
   * Sets IFF_SLAVE on a device that is about to register when the VF lookup leads to this netvsc
   * (Linux `netvsc_prepare_bonding` on NETDEV_POST_INIT, which does not look for a VF already
   * present), so nothing that sees its `register` event (udev, a bonding script, addrconf) takes
   * it for a free device. Returns true when it matched.
   */
  prepareVf(dev: NetDevice): boolean {
    return this.vfs.prepare(dev).ok;
  }

  /** Removes the device (the VMBus device went away): VF released, bypass instance and netdev unregistered. */
  remove(): void {
    this.link.cancel();
    this.reattach.cancel();
    this.txQueues.flush(DropReason.NO_DEVICE);
    this.vfs.cancel();
    this.datapath.dispose(); // a switch still waiting for the host leaves no timer behind
    this.watcher?.dispose();
    if (this.vfs.vf !== null) this.registry.slaveUnregister(this.vfs.vf);
    if (this.instance !== null) this.registry.unregister(this.instance);
    this.instance = null;
    this.sub?.unsubscribe();
    // netvsc_remove closes the channel: what the host sent before and the guest reads later
    // (a link indication, frames, an association) no longer reaches the removed device, so it
    // re-arms no timer (found by the model-based test: a NETWORK_CHANGE in flight left the 2 s
    // link timer pending after removal).
    const h = this.client.handlers;
    delete h.onFrames;
    delete h.onTxCompleted;
    delete h.onStatus;
    delete h.onVfAssociation;
    delete h.onRescind;
    this.ns?.unregister(this);
  }

  // ---------------------------------------------------------------- bypass ops

  private attachToCore(options: NetvscDeviceOptions): void {
    const ns = this.ns as NetNamespace;
    this.sub = ns.events$.subscribe((e) => {
      this.vfs.onNetdevEvent(e);
      if (e.dev === this.vfs.vf) this.reroute();
    });
    if (options.vfNamespaces !== undefined && options.vfNamespaces.length > 0)
      this.watcher = new NetvscVfWatcher(
        ns,
        options.vfNamespaces,
        (d) => this.vfs.matches(d),
        (m) => this.log(m),
      );
    this.instance = this.vfs.register(this.registry);
  }

  // ---------------------------------------------------------------- link

  private onStatus(status: number, buf: Uint8Array): void {
    if (status === RNDIS_STATUS.LINK_SPEED_CHANGE) {
      // netvsc_linkstatus_callback: the speed is in 100 b/s units; a short buffer is refused.
      if (buf.length >= 4)
        this.speedMbps = Math.floor(
          new DataView(buf.buffer, buf.byteOffset).getUint32(0, true) / 10000,
        );
      return;
    }
    this.link.indicate(status);
  }

  private onLinkAction(a: NetvscLinkAction): void {
    if (a === 'carrier-on') {
      // netvsc_link_change: carrier on, then netvsc_tx_enable.
      this.carrierOn();
      this.txEnable();
    } else if (a === 'carrier-off') {
      // netvsc_link_change: carrier off, then netvsc_tx_disable. Linux's link watch then
      // deactivates the qdisc (dropping what it held): the frames waiting go as `no-carrier`.
      this.carrierOff();
      this.txDisable();
      this.txQueues.flush(DropReason.NO_CARRIER);
    } else this.notifyPeers();
  }

  /** netvsc_tx_enable: `tx_disable` cleared, every queue woken (their backlog goes out). */
  private txEnable(): void {
    this.txQueues.txDisable = false;
    this.txQueues.wakeAll(this.xmitRun);
  }

  /** netvsc_tx_disable: `tx_disable` set, every queue stopped. */
  private txDisable(): void {
    this.txQueues.txDisable = true;
    this.txQueues.stopAll();
  }

  /** Sends a gratuitous ARP for each configured IPv4 address (Linux `netdev_notify_peers`). */
  notifyPeers(): void {
    this.peerNotifications++;
    let sent = 0;
    const one = new Int32Array(1);
    for (const ip of this.ipv4) {
      const h = this.pool.alloc();
      if (h < 0) break;
      Ethernet.writeGratuitousArp(this.pool, h, this.devAddr.value, ip);
      one[0] = h;
      if (this.xmit(one, 0, 1) === 1) sent++;
    }
    this.garpFrames += sent;
    this.events.emit('notify-peers', sent);
  }

  // ---------------------------------------------------------------- netdev hooks

  protected override ndoOpen(): void {
    this.requireNvdev('open');
    // rndis_filter.c rndis_filter_open_device: this filter first; ndo_set_rx_mode then sets
    // what rndis_set_multicast computes.
    this.setFilter(
      NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.DIRECTED,
    );
    this.carrierOff();
    // netvsc_open: carrier on and TX enabled only when the host says the link is up.
    if (!this.link.linkDown) {
      this.carrierOn();
      this.txEnable();
    }
    const vf = this.vfs.vf;
    if (vf !== null) {
      // netvsc_open: opening the VF may fail; it then stays unused.
      try {
        vf.open();
      } catch (err) {
        this.log(`unable to open slave: ${vf.name}: ${(err as Error).message}`);
      }
    }
  }

  protected override ndoStop(): void {
    // netvsc_close: TX disabled first; the qdisc is reset as the device goes down.
    this.txDisable();
    this.txQueues.flush(DropReason.DEV_DOWN);
    if (this.nvdevState === 'attached') this.setFilter(0);
    this.vfs.vf?.close();
  }

  /**
   * netvsc_change_mtu: the VF's MTU first (a refusal fails the change), then netvsc detaches from
   * its channel and attaches again with the new MTU ({@link NetvscReattach}): TX waits in the
   * stopped queues, the synthetic path carries nothing meanwhile and the carrier drops while the
   * filter is set again. A failed attach is retried with the old MTU ("restoring mtu failed" if
   * that fails too) and the VF's MTU is set back. The change completes on the scheduler: the MTU
   * reads as new at once and is set back (another `changemtu`) if the change fails. The datapath
   * switch state survives (Linux keeps `data_path_is_vf`; the host keeps its datapath across the
   * guest's close and open); VF events meanwhile are acted on once attached.
   */
  protected override ndoChangeMtu(mtu: number): void {
    this.requireNvdev('change the MTU of');
    const old = this.mtu;
    this.vfs.vf?.setMtu(mtu);
    this.nvdevState = 'changing';
    this.datapath.whenSettled(() => {
      if (this.nvdevState !== 'changing') return;
      this.datapath.suspend();
      this.reattach.detach((err) => {
        if (err !== null) return this.mtuChangeFailed(old, mtu, 'attached');
        this.events.emit('reattach', 'detached', mtu);
        this.reattach.attach(mtu, (err2) => {
          if (err2 === null) return this.mtuChangeDone('attached', mtu);
          // Rollback to the old MTU, then the VF's.
          this.setMtuBack(old, mtu);
          this.reattach.attach(old, (err3) => {
            if (err3 !== null) this.log('restoring mtu failed');
            this.mtuChangeFailed(old, old, err3 === null ? 'attached' : 'detached');
          });
        });
      });
    });
  }

  /** The MTU in force is `old` again (it read as `now` since the change began). */
  private setMtuBack(old: number, now: number): void {
    if (this.mtu === old || this.mtu !== now) return;
    this.mtu = old;
    this.emit({ type: 'changemtu', oldMtu: now });
  }

  private mtuChangeFailed(old: number, now: number, state: 'attached' | 'detached'): void {
    this.setMtuBack(old, now);
    const vf = this.vfs.vf;
    if (vf !== null) {
      try {
        vf.setMtu(old);
      } catch {
        // netvsc_change_mtu ignores the result of the VF's rollback.
      }
    }
    this.mtuChangeDone(state, old, true);
  }

  private mtuChangeDone(state: 'attached' | 'detached', mtu: number, failed = false): void {
    // A rescind during the change: the device is being removed (netvsc_remove), nothing resumes.
    if (this.client.rescinded) {
      this.nvdevState = 'detached';
      return;
    }
    this.nvdevState = state;
    this.datapath.resume();
    this.events.emit('reattach', failed ? 'failed' : 'attached', mtu);
  }

  /**
   * Throws when netvsc has no usable VMBus device for `what`: the channel rescinded or, after a
   * failed MTU change, gone (`ERR_NO_DEVICE`, Linux -ENODEV), or an MTU change in progress
   * (`ERR_BUSY`: Linux would wait for RTNL).
   */
  private requireNvdev(what: string): void {
    if (this.client.rescinded)
      throw new BypassError(
        'ERR_NO_DEVICE',
        `cannot ${what} ${this.name}: the VMBus channel was rescinded`,
      );
    if (this.nvdevState === 'changing')
      throw new BypassError(
        'ERR_BUSY',
        `cannot ${what} ${this.name} while its MTU change is in progress; retry once it completes`,
      );
    if (this.nvdevState === 'detached')
      throw new BypassError(
        'ERR_NO_DEVICE',
        `cannot ${what} ${this.name}: its VMBus device is gone after a failed MTU change`,
      );
  }

  /** What the detach and attach act on (see {@link NetvscReattachDriver}). */
  private reattachDriver(): NetvscReattachDriver {
    return {
      running: () => this.running,
      txDisable: () => this.txDisable(),
      setFilter: (f, done) => this.setFilter(f, done),
      deviceDetach: () => this.txQueues.stopAll(),
      deviceAttach: (r) => this.attachedWith(r),
      carrierOff: () => this.carrierOff(),
      carrierOn: () => this.carrierOn(),
      linkDown: () => this.link.linkDown,
      channels: () => this.numChn,
      log: (line) => this.log(line),
    };
  }

  /**
   * netvsc_attach after the bring-up: the channels granted become the queues in use (frames
   * waiting on a queue no longer in use are dropped as its qdisc is reset), the new RNDIS
   * device's link state and speed are taken, `tx_disable` is cleared and, when running, the
   * queues wake (netif_device_attach).
   */
  private attachedWith(r: NvspConnectResult): void {
    if (r.channels < this.numChn)
      for (let q = r.channels; q < this.numChn; q++) this.txQueues.flush(DropReason.NO_DEVICE, q);
    this.numChn = r.channels;
    this.setRealNumTxQueues(r.channels);
    this.realNumRxQueues = r.channels;
    this.link.linkDown = !r.linkUp;
    this.speedMbps = r.speedMbps;
    this.txQueues.txDisable = false;
    if (this.running) this.txQueues.wakeAll(this.xmitRun);
  }

  /**
   * netvsc_set_mac_addr: the VF's address first (a refusal fails the change), then
   * `rndis_filter.c` rndis_filter_set_device_mac: an RNDIS SET of the `NetworkAddress`
   * configuration parameter, its SET_C awaited. A request that cannot be sent fails the change at
   * once (the VF set back). The address reads as new at once (the core commits when this returns;
   * Linux commits after the SET_C, its caller blocked under RTNL); a SET_C other than SUCCESS (or
   * none, the channel gone) is -EIO: the address and the VF's are set back (another
   * `changeaddr`) and `address-refused` is emitted.
   */
  protected override ndoSetMacAddress(mac: MacAddress): void {
    this.requireNvdev('set the address of');
    const vf = this.vfs.vf;
    const old = this.devAddr;
    vf?.setMacAddress(mac);
    let sync = true;
    let sent = true;
    this.client.rndisRequest(
      {
        kind: RNDIS_MSG.SET,
        requestId: 0,
        oid: RNDIS_OID.CONFIG_PARAMETER,
        info: networkAddressParameter(mac),
      },
      // A callback while still sending: the request could not be sent at all.
      (m) => {
        if (sync) sent = false;
        else this.addressAnswered(mac, old, m);
      },
    );
    sync = false;
    if (!sent) {
      this.restoreVfAddress(old);
      throw new BypassError(
        this.client.open ? 'ERR_BUSY' : 'ERR_NO_DEVICE',
        `${this.name}: the NetworkAddress request could not be sent (VMBus ring ${this.client.open ? 'full; retry' : 'gone'})`,
      );
    }
  }

  /** The host answered the `NetworkAddress` SET for `mac` (null: the channel went away). */
  private addressAnswered(mac: MacAddress, old: MacAddress, m: RndisMessage | null): void {
    if (m !== null && m.kind === RNDIS_MSG.SET_C && m.status === RNDIS_STATUS.SUCCESS) return;
    const status = m !== null && 'status' in m ? m.status : -1;
    // netvsc_set_mac_addr on -EIO: the VF back to the address still in force.
    if (this.devAddr.equals(mac)) {
      this.devAddr = old;
      this.emit({ type: 'changeaddr', oldAddress: mac });
      this.restoreVfAddress(old);
    }
    this.events.emit('address-refused', mac, status);
  }

  private restoreVfAddress(old: MacAddress): void {
    const vf = this.vfs.vf;
    if (vf === null || vf.devAddr.equals(old)) return;
    try {
      vf.setMacAddress(old);
    } catch {
      // netvsc_set_mac_addr ignores the result of the VF's rollback.
    }
  }

  protected override ndoSetRxMode(): void {
    const vf = this.vfs.vf;
    if (vf !== null) {
      this.vfs.syncRxFlags();
      this.syncAddressesTo(vf);
    }
    if (!this.running || this.nvdevState !== 'attached') return;
    this.setFilter(rndisRxFilter(this.flags, this.mc.size));
  }

  // netvsc_drv.c netvsc_vlan_rx_add_vid / kill_vid: VLAN filters follow to the VF.
  protected override ndoVlanRxAddVid(vid: number): void {
    this.vfs.vf?.vlanVidAdd(vid);
  }

  protected override ndoVlanRxKillVid(vid: number): void {
    this.vfs.vf?.vlanVidDel(vid);
  }

  // netvsc_drv.c netvsc_get_stats64: own counters plus only what netvsc itself moved through the
  // VF (vf_stats: rx/tx packets and bytes, tx_dropped), not the VF's own counters.
  protected override ndoGetStats64(): NetDeviceStats {
    const t = this.total.copyFrom(this.stats);
    const e = this.ethtool;
    t.rxPackets += e.vfRxPackets;
    t.rxBytes += e.vfRxBytes;
    t.txPackets += e.vfTxPackets;
    t.txBytes += e.vfTxBytes;
    t.txDropped += e.vfTxDropped;
    return t;
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    const txq = this.txQueues;
    const before = this.txSent;
    if (txq.isStopped(queue) || txq.backlog(queue) > 0) {
      // Behind a stopped queue or frames already waiting: the qdisc keeps them in order.
      txq.enqueue(pkts, start, count, queue);
      if (!txq.isStopped(queue)) txq.run(queue, this.xmitRun);
      return this.txSent - before;
    }
    const taken = this.xmitRun(pkts, start, count, queue);
    if (taken < count) {
      txq.stats.requeues++;
      txq.enqueue(pkts, start + taken, count - taken, queue);
    }
    return this.txSent - before;
  }

  /**
   * netvsc_xmit for a run of frames on one queue: through the VF when the policy routes TX there
   * (the VF's drops are counted in `vf_tx_dropped`), else the synthetic path. Returns how many it
   * took.
   */
  private readonly xmitRun: NetvscQueueXmit = (pkts, start, count, queue) => {
    // The route the core's policy chose at the last state change (see reroute).
    const vf = this.txVf;
    if (vf !== null) {
      const stats = vf.stats;
      const bytesBefore = stats.txBytes;
      const sent = vf.xmit(pkts, start, count, queue);
      const e = this.ethtool;
      e.vfTxPackets += sent;
      e.vfTxBytes += stats.txBytes - bytesBefore;
      e.vfTxDropped += count - sent;
      this.txSent += sent;
      return count;
    }
    return this.sendSynthetic(pkts, start, count, queue % this.channels);
  };

  /**
   * The synthetic half of netvsc_xmit, frame after frame as `netvsc.c` netvsc_send_pkt sends:
   * each frame asks for a completion (counted sent then, {@link NetvscDevice.txCompleted}); a
   * frame written while the ring was below LOWATER stops the queue after it (`stop_queue`); a
   * frame that does not fit stops the queue (`stop_queue`) and is handed back (-EAGAIN:
   * `tx_busy`, NETDEV_TX_BUSY, the qdisc keeps it), unless nothing is outstanding on the channel:
   * then the queue is woken at once (`wake_queue`) and the frame dropped (-ENOSPC: `tx_no_space`,
   * `tx_dropped`, `ring-full`). On a channel gone (-ENODEV) the frames are dropped (`no-device`).
   * Returns how many frames it took.
   */
  private sendSynthetic(pkts: Int32Array, start: number, count: number, q: number): number {
    const client = this.client;
    const txq = this.txQueues;
    const e = this.ethtool;
    let i = 0;
    while (i < count) {
      const n = client.sendFrames(pkts, start + i, count - i, q);
      // The bytes are in the ring now; the frames count as sent at their completion.
      this.pool.freeBurst(pkts, start + i, n);
      this.txSent += n;
      i += n;
      const why = client.txStop;
      if (why === 'none') break;
      if (why === 'lowater') {
        txq.stop(q);
        e.stopQueue++;
        break;
      }
      if (why === 'closed') {
        this.stats.txDropped += count - i;
        this.pool.drop(pkts, start + i, count - i, DropReason.NO_DEVICE);
        i = count;
        break;
      }
      txq.stop(q);
      e.stopQueue++;
      if (client.queueSends(q) < 1 && !txq.txDisable) {
        txq.restart(q);
        e.wakeQueue++;
        e.txNoSpace++;
        this.stats.txDropped++;
        this.pool.drop(pkts, start + i, 1, DropReason.RING_FULL);
        i++;
        continue;
      }
      e.txBusy++;
      break;
    }
    return i;
  }

  /**
   * `netvsc.c` netvsc_send_tx_complete for a batch of completions of queue `q`: the frames count
   * as sent (stats64 and `tx_queue_<q>_*`), and a stopped queue wakes (`wake_queue`) unless TX is
   * disabled, once more than HIWATER percent of the ring is free or nothing is outstanding.
   */
  private txCompleted(q: number, packets: number, bytes: number): void {
    this.stats.txPackets += packets;
    this.stats.txBytes += bytes;
    const e = this.ethtool;
    e.txQueuePackets[q] = (e.txQueuePackets[q] as number) + packets;
    e.txQueueBytes[q] = (e.txQueueBytes[q] as number) + bytes;
    const txq = this.txQueues;
    if (
      txq.isStopped(q) &&
      !txq.txDisable &&
      (this.client.ringAvailPercent(q) > NETVSC_RING_AVAIL.HIWATER || this.client.queueSends(q) < 1)
    ) {
      e.wakeQueue++;
      txq.wake(q, this.xmitRun);
    }
  }

  private receiveSynthetic(pkts: Int32Array, start: number, count: number, queue: number): void {
    const bytes = this.stats.countRx(this.pool, pkts, start, count);
    const q = queue < VRSS_CHANNEL_MAX ? queue : 0;
    this.ethtool.rxQueuePackets[q] = (this.ethtool.rxQueuePackets[q] as number) + count;
    this.ethtool.rxQueueBytes[q] = (this.ethtool.rxQueueBytes[q] as number) + bytes;
    if (!this.running) {
      this.stats.rxDropped += count;
      this.pool.drop(pkts, start, count, DropReason.DEV_DOWN);
      return;
    }
    this.receive(pkts, start, count);
  }

  /**
   * rndis_filter_set_packet_filter: nothing is sent for the filter already set; `done` (when
   * given) hears of the SET_C, or false when the request could not be sent.
   */
  private setFilter(f: number, done?: (ok: boolean) => void): void {
    if (f === this.filter) {
      done?.(true);
      return;
    }
    if (!this.client.open) {
      done?.(false);
      return;
    }
    this.filter = f;
    const info = new Uint8Array(4);
    new DataView(info.buffer).setUint32(0, f, true);
    this.client.rndisRequest(
      { kind: RNDIS_MSG.SET, requestId: 0, oid: RNDIS_OID.CURRENT_PACKET_FILTER, info },
      (m) => done?.(m !== null),
    );
  }

  private log(line: string): void {
    this.events.emit('log', `${this.name}: ${line}`);
  }
}
