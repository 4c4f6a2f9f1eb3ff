import type { PacketPool } from '@bypass/core';
import {
  BusDevice,
  DropReason,
  MacAddress,
  NetDevice,
  PacketRing,
  type NetDeviceOptions,
} from '@bypass/core';

/**
 * A minimal paravirtual stand-in (what a virtio-net netdev is to the bypass master): sends into a
 * host ring, drops what does not fit. In the datapath rows it is the backup and carries nothing.
 */
export class StandbyNic extends NetDevice {
  /** Frames sent on the paravirtual path, waiting for the host. */
  readonly hostRing = new PacketRing(64);

  constructor(options: NetDeviceOptions) {
    super(options);
  }

  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    const n = this.hostRing.enqueueBurst(pkts, start, count);
    this.stats.txPackets += n;
    if (n < count) {
      this.stats.txDropped += count - n;
      this.pool.drop(pkts, start + n, count - n, DropReason.RING_FULL);
    }
    return n;
  }
}

/** A plain registered netdev for control-plane and memory rows: it never sends anything. */
export class IdleNic extends NetDevice {
  constructor(options: NetDeviceOptions) {
    super(options);
  }

  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    this.stats.txDropped += count;
    this.pool.drop(pkts, start, count, DropReason.DEV_DOWN);
    return 0;
  }
}

/** A locally administered unicast MAC numbered `i` (02:xx:...). */
export function benchMac(i: number): MacAddress {
  return MacAddress.fromNumber(0x02_00_00_00_00_00 + i);
}

/** The PCI function of VF number `i` (a valid `dddd:bb:dd.f` address, unique for i < 2^24). */
export function vfFunction(i: number): BusDevice {
  const hex = (v: number, w: number): string => v.toString(16).padStart(w, '0');
  const address = `${hex((i >>> 13) & 0xffff, 4)}:${hex((i >>> 5) & 0xff, 2)}:${hex(i & 0x1f, 2)}.0`;
  return new BusDevice({ id: address, bus: 'pci', pci: { address, virtfn: true, serial: i } });
}

/** The virtio device of paravirtual NIC number `i`. */
export function virtioFunction(i: number): BusDevice {
  return new BusDevice({ id: `virtio${i}`, bus: 'virtio' });
}

/**
 * Allocates `count` frames of `length` bytes with a unicast destination, for a burst that is sent
 * over and over (the wire hands the same handles back every time).
 *
 * @throws Error when the pool is too small.
 */
export function makeBurst(
  pool: PacketPool,
  count: number,
  length: number,
  dst: MacAddress,
): Int32Array {
  const pkts = new Int32Array(count);
  if (pool.allocBurst(pkts, 0, count) !== count) throw new Error('bench pool too small');
  for (let i = 0; i < count; i++) {
    const h = pkts[i] as number;
    pool.setLength(h, length);
    dst.writeTo(pool.bytes, pool.start[h] as number);
  }
  return pkts;
}
