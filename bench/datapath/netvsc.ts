/**
 * The datapath subjects of `@bypass/netvsc`, built the way its tests and examples/netvsc-direct
 * build them, on the same conventions as the core ones (bench/datapath/core.ts): each subject
 * sends the same burst of 64-byte frames again and again, and a "wire" takes the burst back from
 * the VF's TX ring 0 after every send, so no ring fills and nothing is allocated or freed inside
 * the measurement.
 *
 * - `netvsc`: the kernel driver (the 2-netdev model) with its VF enslaved, taken over, up, with
 *   carrier, and the datapath switched to it by the host; compared with `direct` (`vf.xmit`).
 * - `pmd` and `failsafe`: DPDK ownership (`txBurst` returns how many the port took, the caller
 *   keeps the rest). `pmd` is `txBurst` directly on a VF PMD port; `failsafe` is `txBurst` on a
 *   fail-safe port whose preferred sub-device is such a VF PMD port (and whose other one is a TAP
 *   over a kernel netdev, the layout vdev_netvsc generates).
 */
import {
  BypassRegistry,
  DeviceBus,
  NS_PER_MS,
  NetNamespace,
  PacketPool,
  VfDevice,
  VirtualScheduler,
  type BusDevice,
  type MacAddress,
} from '@bypass/core';
import {
  EthDevRegistry,
  FailsafePort,
  NetvscDevice,
  NetvspHost,
  VfPmdPort,
  VmbusChannel,
  failsafeDriver,
  tapDriver,
  vfPmdDriver,
} from '@bypass/netvsc';
import type { BurstSubject, DatapathConfig } from '../definitions.js';
import { StandbyNic, benchMac, makeBurst, vfFunction, virtioFunction } from './fixtures.js';
import { xmitSubject } from './xmitSubject.js';

const PEER = benchMac(0xfffff);

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`datapath bench: ${what}`);
}

/** A VF with link, not registered anywhere yet (ring size as in the core rows). */
function newVf(pool: PacketPool, mac: MacAddress, parent: BusDevice): VfDevice {
  const vf = new VfDevice({ pool, permAddr: mac, parent, ringSize: 512 });
  vf.setLink(true);
  return vf;
}

/**
 * Sending through a {@link NetvscDevice} whose VF is present, running, with carrier and switched
 * (`txOnVf`): netvsc probed over a VMBus channel with the NetVSP host on its other end, opened,
 * the VF association announced by the host, the VF registered (enslaved), and 101 ms of virtual
 * time for the takeover and the host's completion of the datapath switch.
 */
export function netvscSwitched(config: DatapathConfig): BurstSubject {
  const i = 4;
  const mac = benchMac(i);
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: config.burst + 256 });
  const ns = new NetNamespace('netvsc');
  const registry = new BypassRegistry();
  const channel = new VmbusChannel({ scheduler, signalLatencyNs: 20_000 });
  const host = new NetvspHost({ channel, pool, scheduler, mac });
  host.vfSink = (pkts, s, n) => pool.freeBurst(pkts, s, n);
  let probed: NetvscDevice | null = null;
  NetvscDevice.probe({ channel, pool, scheduler, registry, ns, name: 'eth4' }, (err, dev) => {
    if (err !== null) throw err;
    probed = dev;
  });
  scheduler.runUntilIdle();
  const netvsc = probed as NetvscDevice | null;
  if (netvsc === null) throw new Error('datapath bench: netvsc probe did not finish');
  netvsc.bindSink((_d, pkts, s, n) => pool.freeBurst(pkts, s, n));
  netvsc.open();
  const fn = vfFunction(i);
  host.sendVfAssociation(true, fn.pci?.serial ?? 0);
  const vf = newVf(pool, mac, fn);
  ns.register(vf, `enP${i}s0`);
  scheduler.advanceBy(101 * NS_PER_MS);
  check(netvsc.vf === vf, 'the VF was not enslaved by netvsc');
  check(netvsc.txOnVf, 'netvsc TX is not on the VF (present, running, carrier, switched)');
  const inUse = pool.inUse;
  const pkts = makeBurst(pool, config.burst, config.frameLength, PEER);
  const synthetic = host.stats.fromGuestFrames;
  const b = config.burst;
  return xmitSubject(netvsc, vf, pkts, b, (frames) => {
    const s = vf.stats;
    check(s.txPackets === frames, `${vf.name} sent ${s.txPackets} frames, expected ${frames}`);
    check(s.txDropped === 0 && pool.dropped === 0, 'frames were dropped');
    check(vf.txPending(0) === 0, `${vf.name} TX ring not drained`);
    check(netvsc.ethtool.vfTxPackets === frames, 'netvsc vf_tx_packets does not match');
    check(host.stats.fromGuestFrames === synthetic, 'the synthetic path carried frames');
    check(pool.inUse === inUse + b, `frames leaked or lost: ${pool.inUse} in use`);
  });
}

/** The DPDK side of one VM: an ethdev registry with the VF PMD, TAP and fail-safe drivers. */
interface DpdkSide {
  readonly pool: PacketPool;
  readonly registry: EthDevRegistry;
  readonly bus: DeviceBus;
  /** PCI address of the VF the VF PMD can probe. */
  readonly address: string;
  readonly vf: VfDevice;
  readonly ns: NetNamespace;
}

function dpdkSide(config: DatapathConfig, i: number): DpdkSide {
  const pool = new PacketPool({ slots: config.burst + 64 });
  const scheduler = new VirtualScheduler();
  const ns = new NetNamespace(`dpdk${i}`);
  const bus = new DeviceBus();
  const registry = new EthDevRegistry();
  const fn = vfFunction(i);
  bus.add(fn);
  // Bound to the PMD: the VF has no kernel netdev (it is never registered).
  const vf = newVf(pool, benchMac(i), fn);
  const address = fn.id;
  registry.registerDriver(tapDriver({ ns, pool }));
  registry.registerDriver(failsafeDriver({ pool, scheduler }));
  registry.registerDriver(vfPmdDriver({ resolve: (a) => (a === address ? vf : undefined), bus }));
  return { pool, registry, bus, address, vf, ns };
}

/**
 * `txBurst` on a subject port whose frames all end in `vf`'s TX ring 0: counts what the port
 * took (DPDK ownership: the caller keeps the rest; the ring never fills, so it takes all).
 */
function txBurstSubject(
  side: DpdkSide,
  port: { txBurst(q: number, pkts: Int32Array, start: number, count: number): number },
  config: DatapathConfig,
  extra: () => void,
): BurstSubject {
  const { pool, vf } = side;
  const pkts = makeBurst(pool, config.burst, config.frameLength, PEER);
  const b = config.burst;
  let took = 0;
  let frames = 0;
  return {
    run(bursts: number): void {
      for (let k = 0; k < bursts; k++) {
        took += port.txBurst(0, pkts, 0, b);
        frames += vf.drainTx(0, pkts, 0, b);
      }
    },
    verify(): void {
      const s = vf.stats;
      check(took === frames, `the port took ${took} frames, the wire saw ${frames}`);
      check(s.txPackets === frames, `${vf.name} sent ${s.txPackets} frames, expected ${frames}`);
      check(s.txDropped === 0 && pool.dropped === 0, 'frames were dropped');
      check(vf.txPending(0) === 0, `${vf.name} TX ring not drained`);
      check(pool.inUse === b, `frames leaked or lost: ${pool.inUse} in use, ${b} expected`);
      extra();
    },
  };
}

/** `txBurst` directly on a started VF PMD port (the baseline of the fail-safe row). */
export function vfPmdDirect(config: DatapathConfig): BurstSubject {
  const side = dpdkSide(config, 5);
  const port = side.registry.probe(side.address);
  check(port instanceof VfPmdPort, `${side.address} was not probed by the VF PMD`);
  port.configure(1, 1);
  port.start();
  return txBurstSubject(side, port, config, () => {});
}

/**
 * `txBurst` on a started fail-safe port over two sub-devices: the VF PMD port (preferred, first
 * declared) and a TAP whose remote is a paravirtual stand-in netdev, TX on the VF.
 */
export function failsafeVfPreferred(config: DatapathConfig): BurstSubject {
  const i = 6;
  const side = dpdkSide(config, i);
  const remote = new StandbyNic({
    pool: side.pool,
    permAddr: benchMac(i),
    parent: virtioFunction(i),
  });
  side.ns.register(remote, `eth${i}`);
  remote.carrierOn();
  remote.open();
  const fs = side.registry.probe(
    `net_failsafe_bench${i},dev(${side.address}),dev(net_tap_bench${i},remote=eth${i})`,
  );
  check(fs instanceof FailsafePort, 'the fail-safe port was not probed by its driver');
  const failsafe = fs as FailsafePort;
  failsafe.configure(1, 1);
  failsafe.start();
  const vfPort = side.registry.getByName(side.address);
  check(vfPort instanceof VfPmdPort, 'the VF PMD port is not a sub-device');
  check(failsafe.txSubDevice?.port === vfPort, 'fail-safe TX is not on the VF sub-device');
  const tap = failsafe.subDevices[1]?.port ?? null;
  check(tap !== null && tap.started, 'the TAP sub-device is not started');
  return txBurstSubject(side, failsafe, config, () => {
    check(failsafe.txSubDevice?.port === vfPort, 'fail-safe TX left the VF');
    check(remote.stats.rxPackets === 0 && remote.stats.txPackets === 0, 'the TAP carried frames');
    check(tap?.statsGet().opackets === 0, 'the TAP sub-device sent frames');
  });
}
