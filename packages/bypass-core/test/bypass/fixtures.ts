import { BusDevice } from '../../src/bus/BusDevice.js';
import { BypassRegistry } from '../../src/bypass/BypassRegistry.js';
import { BypassError } from '../../src/errors/BypassError.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { NetDevice, type NetDeviceOptions } from '../../src/netdev/NetDevice.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { PacketPool } from '../../src/packet/PacketPool.js';

/** A NIC for bypass tests: records what it sent (by frame mark), can be told to refuse things. */
export class ToyNic extends NetDevice {
  readonly sentMarks: number[] = [];
  refuseOpen: BypassError | null = null;
  refuseMtu = false;
  refuseVlan = false;

  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    for (let i = start; i < start + count; i++) {
      const h = pkts[i] as number;
      this.sentMarks.push(this.pool.mark[h] as number);
      this.stats.txBytes += this.pool.length[h] as number;
    }
    this.stats.txPackets += count;
    this.pool.freeBurst(pkts, start, count);
    return count;
  }

  protected override ndoOpen(): void {
    if (this.refuseOpen !== null) throw this.refuseOpen;
  }

  protected override ndoChangeMtu(): void {
    if (this.refuseMtu) throw new BypassError('ERR_REFUSED', `${this.name} refuses MTU changes`);
  }

  protected override ndoVlanRxAddVid(vid: number): void {
    if (this.refuseVlan) throw new BypassError('ERR_REFUSED', `${this.name} refuses VLAN ${vid}`);
  }

  /** Simulates frames arriving from the wire: counts them and hands them to the stack. */
  rx(pkts: Int32Array, count: number): void {
    this.stats.rxPackets += count;
    this.receive(pkts, 0, count);
  }
}

export const MAC = MacAddress.parse('52:54:00:00:00:01');
export const OTHER_MAC = MacAddress.parse('52:54:00:00:00:02');

/** A small world: pool, namespace, registry, and parents for a virtio NIC and PCI VFs. */
export function world() {
  const pool = new PacketPool({ slots: 256 });
  const ns = new NetNamespace('vm');
  const registry = new BypassRegistry();
  const virtioParent = new BusDevice({ id: 'virtio0', bus: 'virtio' });
  let nextSlot = 2;
  const pci = (): BusDevice => {
    const slot = (nextSlot++).toString(16).padStart(2, '0');
    const address = `0000:00:${slot}.0`;
    return new BusDevice({ id: address, bus: 'pci', pci: { address, virtfn: true } });
  };
  const nic = (opts: Partial<NetDeviceOptions> & { parent?: BusDevice | null } = {}): ToyNic =>
    new ToyNic({ pool, permAddr: MAC, maxMtu: 9000, ...opts });
  const virtio = (opts: Partial<NetDeviceOptions> = {}): ToyNic =>
    nic({ parent: virtioParent, driver: 'virtio_net', ...opts });
  const vf = (opts: Partial<NetDeviceOptions> = {}): ToyNic =>
    nic({ parent: pci(), driver: 'vf', ...opts });
  /** Allocates `n` frames with marks 1..n, unicast to MAC (or to `dst`). */
  const frames = (n: number, dst = MAC.value, len = 64): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const h = pool.alloc();
      if (h < 0) throw new Error('pool exhausted in test');
      pool.setLength(h, len);
      MacAddress.fromNumber(dst).writeTo(pool.bytes, pool.start[h]);
      pool.mark[h] = i + 1;
      out[i] = h;
    }
    return out;
  };
  /** Binds a counting sink on `dev`; returns the array of marks received. */
  const listen = (dev: NetDevice, exact = false): number[] => {
    const got: number[] = [];
    dev.bindSink((_d, pkts, start, count) => {
      for (let i = start; i < start + count; i++) got.push(pool.mark[pkts[i] as number] as number);
      pool.freeBurst(pkts, start, count);
    }, exact);
    return got;
  };
  return { pool, ns, registry, virtioParent, pci, nic, virtio, vf, frames, listen };
}

/** Brings a NIC fully up: registered (if needed), carrier on, open. */
export function upWithCarrier(dev: NetDevice): void {
  dev.carrierOn();
  dev.open();
}
