import type { NetDevice, NetNamespace } from '@bypass/core';
import type { Subscription } from 'rxjs';

/**
 * Moves a netvsc's VF into netvsc's namespace when it shows up in another one (Linux
 * `netvsc_drv.c` netvsc_register_vf: "if synthetic interface is a different namespace, then move
 * the VF to that namespace; join will be done again in that context"). The core's registry pairs
 * only inside one namespace, so this is an explicit option of {@link NetvscDevice}: it follows the
 * given namespaces and moves a matching device (named `eth%d` there, as Linux does); the
 * registry then pairs it on its `register` event in the target namespace.
 *
 * @example
 * ```ts
 * const w = new NetvscVfWatcher(vmNs, [hostNs], (d) => d.permAddr.equals(mac), console.log);
 * hostNs.register(vf);   // moved into vmNs at once
 * w.dispose();
 * ```
 */
export class NetvscVfWatcher {
  /** Devices moved so far. */
  moved = 0;
  private readonly subs: Subscription[];
  private readonly target: NetNamespace;
  private readonly sources: readonly NetNamespace[];
  private readonly matches: (dev: NetDevice) => boolean;
  private readonly log: (line: string) => void;

  constructor(
    target: NetNamespace,
    sources: readonly NetNamespace[],
    matches: (dev: NetDevice) => boolean,
    log: (line: string) => void,
  ) {
    this.target = target;
    this.sources = sources.filter((s) => s !== target);
    this.matches = matches;
    this.log = log;
    this.subs = this.sources.map((ns) =>
      ns.events$.subscribe((e) => {
        if (e.type === 'register' && e.dev.ns === ns) this.consider(e.dev);
      }),
    );
    this.rescan();
  }

  /**
   * Looks at every device already in the source namespaces (done once when the watch starts;
   * a VF association does not re-run it: Linux moves a VF only at its own NETDEV_REGISTER).
   */
  rescan(): void {
    for (const ns of this.sources) for (const d of ns.devices()) this.consider(d);
  }

  /** Stops following the source namespaces. */
  dispose(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
  }

  private consider(dev: NetDevice): void {
    const from = dev.ns;
    if (from === null || from === this.target || !this.matches(dev)) return;
    try {
      from.moveDevice(dev, this.target, 'eth%d');
      this.moved++;
      this.log(`VF moved to namespace ${this.target.name}: ${dev.name}`);
    } catch (err) {
      this.log(
        `could not move ${dev.name} to namespace ${this.target.name}: ${(err as Error).message}`,
      );
    }
  }
}
