import {
  BusDevice,
  BypassRegistry,
  DeviceBus,
  MacAddress,
  NetNamespace,
  PacketPool,
  SeededRandom,
  VfDevice,
  VirtualScheduler,
  dropReasonName,
} from '@bypass/core';
import type { NicModelContext } from '../../src/guest/NicModel.js';
import { DEFAULT_NIC_OPTIONS, type NicOptions } from '../../src/scenario/Scenario.js';

/** A NicModelContext outside the world, recording what crosses each wire. */
export interface NicModelHarness {
  ctx: NicModelContext;
  scheduler: VirtualScheduler;
  pool: PacketPool;
  ns: NetNamespace;
  bus: DeviceBus;
  /** Frames the guest sent on the paravirtual path (freed once counted). */
  toHostParavirt: number;
  /** Frames the host sent toward the VF wire (netvsc models), freed once counted. */
  toGuestVf: number;
  /** Frames the application received. */
  delivered: number;
  /** Drops by reason name. */
  drops: Map<string, number>;
  events: { kind: string; detail?: string; dev?: string }[];
  /** Creates a VF with the NIC's MAC on a new PCI function added to the VM's bus. */
  makeVf(index?: number): { vf: VfDevice; fn: BusDevice };
  /** Builds `n` frames addressed to the NIC (for fromHostParavirt / injectRx). */
  framesToNic(n: number): Int32Array;
  /** Builds `n` frames from the NIC to a peer (for send). */
  framesFromNic(n: number): Int32Array;
}

const PEER = MacAddress.parse('02:00:00:00:00:fe');

/**
 * Builds a harness for one NIC model test (options override the defaults; `groups` are the
 * application's multicast groups, `NicModelContext.groups`).
 */
export function nicModelHarness(
  options: Partial<NicOptions> = {},
  groups: readonly MacAddress[] = [],
): NicModelHarness {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 8192 });
  const ns = new NetNamespace('vm1');
  const bus = new DeviceBus();
  const mac = MacAddress.parse('52:54:00:00:00:01');
  const h: NicModelHarness = {
    scheduler,
    pool,
    ns,
    bus,
    toHostParavirt: 0,
    toGuestVf: 0,
    delivered: 0,
    drops: new Map(),
    events: [],
    ctx: undefined as unknown as NicModelContext,
    makeVf(index = 0) {
      const address = `0000:3b:02.${index}`;
      const fn = new BusDevice({
        id: address,
        bus: 'pci',
        pci: { address, virtfn: true, serial: index + 1 },
      });
      bus.add(fn);
      const vf = new VfDevice({
        pool,
        permAddr: mac,
        parent: fn,
        driver: 'mlx5_core',
        ringSize: 256,
      });
      return { vf, fn };
    },
    framesToNic(n) {
      return build(n, mac.value, PEER.value);
    },
    framesFromNic(n) {
      return build(n, PEER.value, mac.value);
    },
  };
  const build = (n: number, dst: number, src: number): Int32Array => {
    const out = new Int32Array(n);
    const got = pool.allocBurst(out, 0, n);
    for (let i = 0; i < got; i++) {
      const f = out[i] as number;
      pool.setLength(f, 64);
      MacAddress.fromNumber(dst).writeTo(pool.bytes, pool.start[f] as number);
      MacAddress.fromNumber(src).writeTo(pool.bytes, (pool.start[f] as number) + 6);
      pool.bytes[(pool.start[f] as number) + 12] = 0x08;
      pool.bytes[(pool.start[f] as number) + 13] = 0x00;
    }
    return out.subarray(0, got);
  };
  pool.onDrop = (_p, _pk, _s, count, reason) => {
    const name = dropReasonName(reason);
    h.drops.set(name, (h.drops.get(name) ?? 0) + count);
  };
  h.ctx = {
    scheduler,
    // A guest that always runs: its clock is the world's.
    guestClock: scheduler,
    guestStopped: () => false,
    pool,
    random: new SeededRandom(1),
    vm: 'vm1',
    nic: 'eth0',
    mac,
    ipv4: 0x0a00_0002,
    groups,
    options: { ...DEFAULT_NIC_OPTIONS, ...options },
    ns,
    bus,
    registry: new BypassRegistry(),
    toHostParavirt: (pkts, s, n) => {
      h.toHostParavirt += n;
      pool.freeBurst(pkts, s, n);
    },
    toGuestVf: (pkts, s, n) => {
      h.toGuestVf += n;
      pool.freeBurst(pkts, s, n);
    },
    deliver: (pkts, s, n) => {
      h.delivered += n;
      pool.freeBurst(pkts, s, n);
    },
    event: (kind, detail, dev) => {
      const e: { kind: string; detail?: string; dev?: string } = { kind };
      if (detail !== undefined) e.detail = detail;
      if (dev !== undefined) e.dev = dev;
      h.events.push(e);
    },
  };
  return h;
}
