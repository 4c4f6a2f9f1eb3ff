/**
 * Control-plane subject: register + pair + unregister of N same-MAC pairs in one namespace with
 * one {@link BypassRegistry}, each pair a {@link BypassMaster} and a {@link VfDevice}.
 *
 * The four phases run one after the other over all N, so the namespace and the registry hold up
 * to 2N devices and N masters while pairs are made and released: any per-event walk over the
 * devices or the masters shows up as a per-event cost growing with N.
 *
 * 1. N masters created (`BypassMaster.create`: netdev registered, then registered as a bypass
 *    master, whose scan finds no VF yet);
 * 2. N VFs registered: each `register` event pairs the VF with its master in O(1);
 * 3. N VFs unregistered: each `unregister` event releases the VF;
 * 4. N masters destroyed.
 *
 * The VF and backup objects and every name are built before the clock starts (the driver's
 * allocation is not the framework's business); everything from `BypassMaster.create` on is
 * timed. Names are explicit (udev-style), because a `%d` pattern makes every registration scan
 * the names in use, as Linux's `dev_alloc_name` does. VFs have one queue pair of 64-slot rings: ring memory is not
 * what this row measures.
 */
import {
  BypassMaster,
  BypassRegistry,
  NetNamespace,
  PacketPool,
  VfDevice,
  type NetdevEvent,
} from '@bypass/core';
import type { ControlPlaneRun } from '../definitions.js';
import { StandbyNic, benchMac, vfFunction, virtioFunction } from '../datapath/fixtures.js';

/** Prepares one pairing run over `n` same-MAC master + VF pairs. */
export function bypassMasterPairing(n: number): ControlPlaneRun {
  const pool = new PacketPool({ slots: 1 });
  const ns = new NetNamespace('ctl');
  const registry = new BypassRegistry();
  let events = 0;
  ns.events$.subscribe((_e: NetdevEvent) => {
    events++;
  });
  let paired = 0;
  let released = 0;
  registry.events$.subscribe((e) => {
    if (e.type === 'slave-registered') paired++;
    else if (e.type === 'slave-unregistered') released++;
  });
  const backups: StandbyNic[] = [];
  const vfs: VfDevice[] = [];
  const masterNames: string[] = [];
  for (let i = 0; i < n; i++) {
    masterNames.push(`bp${i}`);
    const permAddr = benchMac(i);
    backups.push(new StandbyNic({ pool, permAddr, parent: virtioFunction(i) }));
    vfs.push(
      new VfDevice({
        pool,
        permAddr,
        parent: vfFunction(i),
        numQueues: 1,
        ringSize: 64,
        name: `enP${i}s0`,
      }),
    );
  }
  const masters: BypassMaster[] = [];
  let ran = false;
  return {
    run(): number {
      for (let i = 0; i < n; i++) {
        masters.push(
          BypassMaster.create({
            registry,
            backup: backups[i] as StandbyNic,
            ns,
            name: masterNames[i] as string,
          }),
        );
      }
      for (let i = 0; i < n; i++) ns.register(vfs[i] as VfDevice);
      for (let i = 0; i < n; i++) ns.unregister(vfs[i] as VfDevice);
      for (let i = 0; i < n; i++) (masters[i] as BypassMaster).destroy();
      ran = true;
      return events;
    },
    verify(): void {
      if (!ran) throw new Error('pairing bench: not run');
      if (paired !== n || released !== n) {
        throw new Error(`pairing bench: ${paired} paired, ${released} released, expected ${n}`);
      }
      if (ns.size !== 0 || registry.instances().length !== 0 || ns.leakedLinks !== 0) {
        throw new Error('pairing bench: devices or masters left behind');
      }
    },
  };
}
