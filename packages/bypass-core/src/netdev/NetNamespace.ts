import type { Observable } from 'rxjs';
import { BypassError } from '../errors/BypassError.js';
import { EventChannel } from '../events/EventChannel.js';
import { InterfaceName } from './InterfaceName.js';
import { PermAddrHash } from './PermAddrHash.js';
import type { MacAddress } from './MacAddress.js';
import type { NetDevice } from './NetDevice.js';
import { NETIF_F } from './NetDeviceFlags.js';
import type { NetdevEvent } from './NetdevEvent.js';

const EMPTY: readonly NetDevice[] = Object.freeze([]);

/**
 * A network namespace (Linux `struct net`): the registry of its devices with lookup by ifindex,
 * name and permanent MAC (all O(1)), and its notifier chain, {@link NetNamespace.events$}: an
 * rxjs Observable that delivers {@link NetdevEvent}s synchronously and in order, like netdev
 * notifiers under RTNL.
 *
 * Interface indexes are allocated per namespace, from 1 upwards, never reused while the
 * namespace lives (a device moved in keeps its index when it is free, as in Linux).
 *
 * @example
 * ```ts
 * const ns = new NetNamespace('vm1');
 * ns.events$.subscribe((e) => console.log(e.type, e.dev.name));
 * const nic = new MyNic({ pool, permAddr: MacAddress.parse('52:54:00:00:00:01') });
 * ns.register(nic);                       // "register eth0"
 * ns.getByName('eth0') === nic;           // true
 * ns.getByPermAddr(nic.permAddr)[0] === nic; // true
 * ```
 */
export class NetNamespace {
  readonly name: string;
  /**
   * Devices by ifindex: an array, since indexes are small integers allocated upwards (a `Map`
   * costs two cache misses per lookup once it is large). Unlisted slots hold `undefined`.
   */
  private readonly byIndex: (NetDevice | undefined)[] = [];
  private count = 0;
  private listed = 0;
  private readonly byName = new Map<string, NetDevice>();
  /** Devices by permanent address: chains through the devices, no allocation per device. */
  private readonly byPerm = new PermAddrHash();
  private readonly subject = new EventChannel<NetdevEvent>();
  private nextIndex = 1;
  /**
   * Devices that were unregistered while still linked to a master or to slaves (Linux would
   * WARN). The links are cut; a correct driver keeps this at 0.
   */
  leakedLinks = 0;

  /** The notifier chain: synchronous, ordered netdev events of this namespace. */
  readonly events$: Observable<NetdevEvent> = this.subject.observable;

  constructor(name = 'default') {
    this.name = name;
  }

  /** Number of registered devices. */
  get size(): number {
    return this.count;
  }

  /**
   * True while something is subscribed to {@link NetNamespace.events$} (a driver, a registry,
   * a watcher). Teardown checks use it: after every component is disposed it must be false.
   */
  get observed(): boolean {
    return this.subject.observed;
  }

  /**
   * Registers a device (Linux `register_netdevice`): resolves a `%d` name pattern, assigns an
   * ifindex, emits `post-init` (for drivers that claim a device before anyone else sees it, as
   * netvsc marks its VF a slave) and then `register`.
   *
   * @param name - overrides the device's requested name or pattern
   * @throws {@link BypassError} `ERR_ALREADY_REGISTERED` (here or elsewhere), `ERR_NAME_INVALID`,
   * `ERR_NAME_EXISTS`.
   */
  register(dev: NetDevice, name?: string): void {
    if (dev.ns !== null) {
      throw new BypassError(
        'ERR_ALREADY_REGISTERED',
        `${dev.name} is already registered in namespace ${dev.ns.name}; unregister or move it instead`,
      );
    }
    const resolved = this.resolveName(name ?? dev.name);
    this.list(dev, resolved, this.allocIndex(0));
    // net/core/dev.c register_netdevice: NETDEV_POST_INIT before NETDEV_REGISTER.
    this.notify({ type: 'post-init', dev, ns: this });
    this.notify({ type: 'register', dev, ns: this });
  }

  /**
   * Unregisters a device (Linux `unregister_netdevice`): closes it if up, unlists it, emits
   * `unregister` (listeners release it: a bypass master drops its slave here).
   *
   * @throws {@link BypassError} `ERR_NOT_REGISTERED` or `ERR_WRONG_NAMESPACE`.
   */
  unregister(dev: NetDevice): void {
    this.requireMine(dev, 'unregister');
    dev.closeNow();
    this.unlist(dev);
    this.notify({ type: 'unregister', dev, ns: this });
    this.cutLeftoverLinks(dev);
    dev.ns = null;
  }

  /**
   * Moves a device to another namespace (Linux `dev_change_net_namespace`): it is closed,
   * `unregister` is emitted here and `register` there. It keeps its ifindex when that is free in
   * the target.
   *
   * @param newName - name or pattern to use in the target (needed when the name is taken there)
   * @throws {@link BypassError} `ERR_WRONG_NAMESPACE`, `ERR_NOT_SUPPORTED` for devices that must
   * stay (`NETIF_F.NETNS_LOCAL`, like bypass masters), `ERR_NAME_EXISTS`, `ERR_NAME_INVALID`.
   */
  moveDevice(dev: NetDevice, target: NetNamespace, newName?: string): void {
    this.requireMine(dev, 'move');
    if (target === this) return;
    if (dev.features & NETIF_F.NETNS_LOCAL) {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `${dev.name} is local to namespace ${this.name} and cannot move`,
      );
    }
    const name = target.resolveName(newName ?? dev.name);
    dev.closeNow();
    this.unlist(dev);
    this.notify({ type: 'unregister', dev, ns: this });
    this.cutLeftoverLinks(dev);
    dev.ns = null;
    target.list(dev, name, target.allocIndex(dev.ifindex));
    target.notify({ type: 'register', dev, ns: target });
  }

  /**
   * Renames a device (Linux `dev_change_name`), emitting `changename`. A device that is up may be
   * renamed too: Linux 6.2 dropped the IFF_UP refusal (bd039b5ea2a9 "net/core: Allow live
   * renaming when an interface is up"), and with it the IFF_LIVE_RENAME_OK exception.
   *
   * @throws {@link BypassError} `ERR_WRONG_NAMESPACE`, `ERR_NAME_INVALID`, `ERR_NAME_EXISTS`.
   */
  renameDevice(dev: NetDevice, newName: string): void {
    this.requireMine(dev, 'rename');
    if (newName === dev.name) return;
    // net/core/dev.c netif_change_name (6.2+): no check of the admin state.
    const name = this.resolveName(newName);
    const oldName = dev.name;
    this.byName.delete(oldName);
    dev.name = name;
    this.byName.set(name, dev);
    this.notify({ type: 'changename', dev, ns: this, oldName });
  }

  /** The device with that ifindex, or undefined. */
  get(ifindex: number): NetDevice | undefined {
    return Number.isInteger(ifindex) && ifindex > 0 ? this.byIndex[ifindex] : undefined;
  }

  /** The device with that name, or undefined. */
  getByName(name: string): NetDevice | undefined {
    return this.byName.get(name);
  }

  /**
   * The device with that name.
   *
   * @throws {@link BypassError} `ERR_NOT_FOUND`
   */
  require(name: string): NetDevice {
    const d = this.byName.get(name);
    if (d === undefined) {
      throw new BypassError('ERR_NOT_FOUND', `no device named ${name} in namespace ${this.name}`);
    }
    return d;
  }

  /**
   * Devices whose permanent address is `mac`, in registration order (O(1) lookup). The list is
   * a snapshot: registering or unregistering devices afterwards does not change it.
   */
  getByPermAddr(mac: MacAddress | number): readonly NetDevice[] {
    const same = this.byPerm.find(typeof mac === 'number' ? mac : mac.value);
    return same.length === 0 ? EMPTY : same;
  }

  /** Registered devices in registration order (Linux `for_each_netdev`). */
  devices(): NetDevice[] {
    const out: NetDevice[] = [];
    let sorted = true;
    for (const d of this.byIndex) {
      if (d === undefined) continue;
      if (out.length > 0 && (out[out.length - 1] as NetDevice).listOrder > d.listOrder)
        sorted = false;
      out.push(d);
    }
    // ifindex order is listing order unless a device moved in kept a lower index
    return sorted ? out : out.sort((a, b) => a.listOrder - b.listOrder);
  }

  /** True when `dev` is registered here. */
  has(dev: NetDevice): boolean {
    return dev.ns === this && this.byIndex[dev.ifindex] === dev;
  }

  /**
   * Publishes an event on the notifier chain (Linux `call_netdevice_notifiers`). Drivers use it
   * for events such as `join`.
   *
   * @throws {@link BypassError} `ERR_WRONG_NAMESPACE` when the device is registered elsewhere or
   * the event names another namespace.
   */
  notify(event: NetdevEvent): void {
    if (event.ns !== this || (event.dev.ns !== this && event.type !== 'unregister')) {
      throw new BypassError(
        'ERR_WRONG_NAMESPACE',
        `event ${event.type} for ${event.dev.name} does not belong to namespace ${this.name}`,
      );
    }
    this.subject.next(event);
  }

  /** Ends the event stream; subscribers complete. */
  dispose(): void {
    this.subject.complete();
  }

  private resolveName(name: string): string {
    InterfaceName.validate(name, true);
    if (InterfaceName.isPattern(name)) return InterfaceName.expand(name, (n) => this.byName.has(n));
    if (this.byName.has(name)) {
      throw new BypassError(
        'ERR_NAME_EXISTS',
        `a device named ${name} already exists in namespace ${this.name}; pick another name`,
      );
    }
    return name;
  }

  private allocIndex(wanted: number): number {
    if (wanted > 0 && this.byIndex[wanted] === undefined) {
      if (wanted >= this.nextIndex) this.nextIndex = wanted + 1;
      return wanted;
    }
    while (this.byIndex[this.nextIndex] !== undefined) this.nextIndex++;
    return this.nextIndex++;
  }

  private list(dev: NetDevice, name: string, ifindex: number): void {
    dev.name = name;
    dev.ifindex = ifindex;
    dev.ns = this;
    dev.listOrder = ++this.listed;
    this.byIndex[ifindex] = dev;
    this.count++;
    this.byName.set(name, dev);
    this.byPerm.add(dev);
  }

  private unlist(dev: NetDevice): void {
    if (this.byIndex[dev.ifindex] === dev) {
      this.byIndex[dev.ifindex] = undefined;
      this.count--;
    }
    this.byName.delete(dev.name);
    this.byPerm.remove(dev);
  }

  private requireMine(dev: NetDevice, what: string): void {
    if (dev.ns === null) {
      throw new BypassError(
        'ERR_NOT_REGISTERED',
        `cannot ${what} ${dev.name}: it is not registered`,
      );
    }
    if (dev.ns !== this) {
      throw new BypassError(
        'ERR_WRONG_NAMESPACE',
        `cannot ${what} ${dev.name} through namespace ${this.name}: it belongs to ${dev.ns.name}`,
      );
    }
  }

  private cutLeftoverLinks(dev: NetDevice): void {
    if (dev.master !== null) {
      this.leakedLinks++;
      dev.unlinkMaster();
    }
    const lowers = dev.lowers;
    if (lowers.length > 0) {
      for (const lower of [...lowers]) {
        this.leakedLinks++;
        lower.unlinkMaster();
      }
    }
    if (dev.rxHandler !== null) {
      this.leakedLinks++;
      dev.unregisterRxHandler();
    }
  }
}
