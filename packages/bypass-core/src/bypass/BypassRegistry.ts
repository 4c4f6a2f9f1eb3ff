import type { Observable, Subscription } from 'rxjs';
import { EventChannel } from '../events/EventChannel.js';
import { BypassError } from '../errors/BypassError.js';
import type { NetDevice } from '../netdev/NetDevice.js';
import { ARPHRD, PRIV_FLAG } from '../netdev/NetDeviceFlags.js';
import type { NetdevEvent } from '../netdev/NetdevEvent.js';
import type { NetNamespace } from '../netdev/NetNamespace.js';
import { RX_HANDLER, type RxHandler } from '../netdev/RxHandler.js';
import { BypassInstance } from './BypassInstance.js';
import type { BypassOps } from './BypassOps.js';

/**
 * What the registry did with a device, for logs, tests and `bypass watch`.
 *
 * - `slave-registered` / `slave-unregistered`: a slave joined / left `master`.
 * - `slave-rejected`: a same-MAC candidate was not enslaved; `reason` says why (`pre-register:
 *   ...`, `rx-handler-busy`, `has-master`, `register-failed: ...`).
 * - `unregister-refused`: `preUnregister` kept the slave.
 * - `event-dropped`: a link or name event of a slave was ignored because its master is down.
 * - `op-failed`: a link or name hook threw; the error is in `reason`, the chain went on.
 *
 * @example
 * ```ts
 * registry.events$.subscribe((e: BypassRegistryEvent) => console.log(e.type, e.slave.name, e.reason ?? ''));
 * ```
 */
export interface BypassRegistryEvent {
  readonly type:
    | 'slave-registered'
    | 'slave-unregistered'
    | 'slave-rejected'
    | 'unregister-refused'
    | 'event-dropped'
    | 'op-failed';
  readonly slave: NetDevice;
  readonly master: NetDevice;
  readonly reason?: string;
}

const deliverOnMaster: RxHandler = () => RX_HANDLER.ANOTHER;

/** The private flags `failover_slave_register` sets on a slave (Linux 6.2 and later). */
const SLAVE_FLAGS = PRIV_FLAG.FAILOVER_SLAVE | PRIV_FLAG.NO_ADDRCONF;

/**
 * The bypass registry (Linux `net/core/failover.c`, generalized): pairs devices with registered
 * masters by **permanent** MAC through an O(1) index, listens to the notifier chain of each
 * namespace that has a master, and drives the masters' {@link BypassOps}.
 *
 * Rules, as in Linux:
 * - a master must be an Ethernet device; registering one scans the existing devices of its
 *   namespace and enslaves each same-MAC device;
 * - a candidate slave is ignored unless Ethernet; `preRegister` may refuse it; it is refused when
 *   it already has an rx handler or a master; `register` failing rolls everything back;
 * - link (`up`, `down`, `change`) and name events of a slave reach the ops only while its master
 *   is running; events of masters themselves are ignored; `going-down`, `changemtu`,
 *   `changeaddr` and the rest are not bypass business;
 * - unregistering an instance does not release its slaves (the driver does that first).
 *
 * Deliberate difference: Linux pairs a newly registered device with a master of any namespace
 * (its MAC lookup ignores namespaces) although its existing-device scan looks only at the
 * master's namespace; here pairing always stays inside the master's namespace, so both paths
 * agree. A VF moved into the master's namespace is paired on arrival.
 *
 * @example
 * ```ts
 * const registry = new BypassRegistry();
 * registry.events$.subscribe((e) => console.log(e.type, e.slave.name));
 * const inst = registry.register(master, ops); // scans master.ns for same-MAC devices
 * ns.register(vf);                             // vf has master's permanent MAC: enslaved
 * registry.unregister(inst);
 * ```
 */
export class BypassRegistry {
  /**
   * Instances by their master's {@link NetDevice.permKey}: the first of a chain through
   * {@link BypassInstance.nextSameKey}, in registration order (addresses checked exactly).
   */
  private readonly byMac = new Map<number, BypassInstance>();
  private readonly watched = new Map<NetNamespace, { sub: Subscription; instances: number }>();
  private readonly subject = new EventChannel<BypassRegistryEvent>();

  /** What happened to candidate slaves, synchronously. */
  readonly events$: Observable<BypassRegistryEvent> = this.subject.observable;

  /**
   * Registers a master (Linux `failover_register`): flags it, indexes it by permanent MAC (after
   * any earlier master with the same MAC: first registered wins), starts following its
   * namespace, and enslaves existing same-MAC devices of that namespace in registration order.
   *
   * @throws {@link BypassError} `ERR_NOT_ETHERNET`, `ERR_NOT_REGISTERED` (register the master
   * netdev in a namespace first), `ERR_ALREADY_REGISTERED`.
   */
  register(master: NetDevice, ops: BypassOps): BypassInstance {
    if (master.type !== ARPHRD.ETHER) {
      throw new BypassError(
        'ERR_NOT_ETHERNET',
        `${master.name} is not an Ethernet device and cannot be a bypass master`,
      );
    }
    const ns = master.ns;
    if (ns === null) {
      throw new BypassError(
        'ERR_NOT_REGISTERED',
        `register ${master.name} in a namespace before making it a bypass master`,
      );
    }
    const key = master.permKey;
    const first = this.byMac.get(key);
    if (first !== undefined && instanceOf(first, master) !== undefined) {
      throw new BypassError('ERR_ALREADY_REGISTERED', `${master.name} is already a bypass master`);
    }
    const inst = new BypassInstance(master, ops);
    master.privFlags |= PRIV_FLAG.FAILOVER;
    if (first === undefined) {
      this.byMac.set(key, inst);
    } else {
      let last = first;
      while (last.nextSameKey !== null) last = last.nextSameKey;
      last.nextSameKey = inst;
    }
    this.follow(ns);
    // A snapshot: a driver's register hook may register or unregister devices meanwhile.
    const same = ns.getByPermAddr(inst.mac);
    for (let i = 0; i < same.length; i++) {
      const dev = same[i] as NetDevice;
      if (dev !== master) this.slaveRegister(dev);
    }
    return inst;
  }

  /**
   * Unregisters a master (Linux `failover_unregister`): clears its flag and stops pairing on its
   * MAC. Its slaves stay linked: release them first with {@link BypassRegistry.slaveUnregister}.
   *
   * @throws {@link BypassError} `ERR_NOT_FOUND` for an instance that is not registered.
   */
  unregister(inst: BypassInstance): void {
    const key = inst.master.permKey;
    let prev: BypassInstance | null = null;
    let cur = this.byMac.get(key) ?? null;
    while (cur !== null && cur !== inst) {
      prev = cur;
      cur = cur.nextSameKey;
    }
    if (cur === null) {
      throw new BypassError('ERR_NOT_FOUND', `bypass master ${inst.master.name} is not registered`);
    }
    const next = inst.nextSameKey;
    inst.nextSameKey = null;
    if (prev !== null) prev.nextSameKey = next;
    else if (next !== null) this.byMac.set(key, next);
    else this.byMac.delete(key);
    inst.active = false;
    inst.master.privFlags &= ~PRIV_FLAG.FAILOVER;
    const ns = inst.master.ns;
    if (ns !== null) this.unfollow(ns);
  }

  /** The instance of `master`, or undefined. */
  findByMaster(master: NetDevice): BypassInstance | undefined {
    const first = this.byMac.get(master.permKey);
    return first === undefined ? undefined : instanceOf(first, master);
  }

  /** Every registered instance. */
  instances(): BypassInstance[] {
    const out: BypassInstance[] = [];
    for (const first of this.byMac.values()) {
      for (let i: BypassInstance | null = first; i !== null; i = i.nextSameKey) out.push(i);
    }
    return out;
  }

  /** Namespaces whose notifier chain the registry currently follows. */
  get followedNamespaces(): number {
    return this.watched.size;
  }

  /**
   * Tries to enslave `slave` to the master with its permanent MAC (Linux
   * `failover_slave_register`). Returns true when it was enslaved. Called for every `register`
   * event; drivers may call it directly.
   */
  slaveRegister(slave: NetDevice): boolean {
    if (slave.type !== ARPHRD.ETHER || (slave.privFlags & PRIV_FLAG.FAILOVER) !== 0) return false;
    const inst = this.lookup(slave);
    if (inst === undefined) return false;
    const { master, ops } = inst;
    const refusal = ops.preRegister?.(slave, master);
    if (refusal !== null && refusal !== undefined) {
      this.report('slave-rejected', slave, master, `pre-register: ${refusal}`);
      return false;
    }
    try {
      slave.registerRxHandler(ops.handleFrame ?? deliverOnMaster, master);
    } catch {
      this.report('slave-rejected', slave, master, 'rx-handler-busy');
      return false;
    }
    try {
      slave.linkMaster(master);
    } catch {
      slave.unregisterRxHandler();
      this.report('slave-rejected', slave, master, 'has-master');
      return false;
    }
    // net/core/failover.c failover_slave_register (6.2+): IFF_FAILOVER_SLAVE | IFF_NO_ADDRCONF
    // (IFF_LIVE_RENAME_OK went away with bd039b5ea2a9: any up device may be renamed).
    slave.privFlags |= SLAVE_FLAGS;
    try {
      ops.register(slave, master);
    } catch (err) {
      slave.unlinkMaster();
      slave.privFlags &= ~SLAVE_FLAGS;
      slave.unregisterRxHandler();
      this.report('slave-rejected', slave, master, `register-failed: ${errorText(err)}`);
      return false;
    }
    this.report('slave-registered', slave, master);
    return true;
  }

  /**
   * Releases a bypass slave (Linux `failover_slave_unregister`). Returns true when released;
   * false when it was not a bypass slave or `preUnregister` kept it.
   */
  slaveUnregister(slave: NetDevice): boolean {
    if ((slave.privFlags & PRIV_FLAG.FAILOVER_SLAVE) === 0) return false;
    const master = slave.master;
    const inst = master === null ? undefined : this.findByMaster(master);
    if (master === null || inst === undefined) return false;
    const refusal = inst.ops.preUnregister?.(slave, master);
    if (refusal !== null && refusal !== undefined) {
      this.report('unregister-refused', slave, master, refusal);
      return false;
    }
    slave.unregisterRxHandler();
    slave.unlinkMaster();
    slave.privFlags &= ~SLAVE_FLAGS;
    inst.ops.unregister(slave, master);
    this.report('slave-unregistered', slave, master);
    return true;
  }

  /** Stops following every namespace and completes {@link BypassRegistry.events$}. */
  dispose(): void {
    for (const w of this.watched.values()) w.sub.unsubscribe();
    this.watched.clear();
    this.subject.complete();
  }

  private lookup(slave: NetDevice): BypassInstance | undefined {
    const mac = slave.permAddr.value;
    for (let i = this.byMac.get(slave.permKey) ?? null; i !== null; i = i.nextSameKey) {
      if (i.pairsOn(mac) && i.master.ns === slave.ns && i.master !== slave) return i;
    }
    return undefined;
  }

  private follow(ns: NetNamespace): void {
    const w = this.watched.get(ns);
    if (w !== undefined) {
      w.instances++;
      return;
    }
    const sub = ns.events$.subscribe((e) => this.onNetdevEvent(e));
    this.watched.set(ns, { sub, instances: 1 });
  }

  private unfollow(ns: NetNamespace): void {
    const w = this.watched.get(ns);
    if (w === undefined) return;
    if (--w.instances === 0) {
      w.sub.unsubscribe();
      this.watched.delete(ns);
    }
  }

  private onNetdevEvent(e: NetdevEvent): void {
    const dev = e.dev;
    if ((dev.privFlags & PRIV_FLAG.FAILOVER) !== 0) return;
    switch (e.type) {
      case 'register':
        this.slaveRegister(dev);
        return;
      case 'unregister':
        this.slaveUnregister(dev);
        return;
      case 'up':
      case 'down':
      case 'change':
        this.slaveEvent(dev, 'linkChange');
        return;
      case 'changename':
        this.slaveEvent(dev, 'nameChange');
        return;
      default:
        return;
    }
  }

  private slaveEvent(slave: NetDevice, hook: 'linkChange' | 'nameChange'): void {
    if ((slave.privFlags & PRIV_FLAG.FAILOVER_SLAVE) === 0) return;
    const master = slave.master;
    const inst = master === null ? undefined : this.findByMaster(master);
    if (master === null || inst === undefined) return;
    if (!master.running) {
      this.report('event-dropped', slave, master, hook);
      return;
    }
    try {
      inst.ops[hook]?.(slave, master);
    } catch (err) {
      this.report('op-failed', slave, master, `${hook}: ${errorText(err)}`);
    }
  }

  private report(
    type: BypassRegistryEvent['type'],
    slave: NetDevice,
    master: NetDevice,
    reason?: string,
  ): void {
    this.subject.next(
      reason === undefined ? { type, slave, master } : { type, slave, master, reason },
    );
  }
}

/** The instance of `master` in the chain that starts at `first`, or undefined. */
function instanceOf(first: BypassInstance, master: NetDevice): BypassInstance | undefined {
  for (let i: BypassInstance | null = first; i !== null; i = i.nextSameKey) {
    if (i.master === master) return i;
  }
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
