import { DropReason, type PacketPool } from '@bypass/core';
import type { BurstSink } from '@bypass/hypervisor';
import type { ToyGuestNic } from './ToyGuestNic.js';

const HOST_BURST = 256;

/** What the host side of the toy device counted. */
export interface ToyHostStats {
  /** Frames the host took off the guest's TX ring and switched. */
  fromGuest: number;
  /** Frames the host put into the guest's RX ring. */
  toGuest: number;
  /** Frames for the guest dropped because its RX ring was full. */
  toGuestRingFull: number;
}

/**
 * The host's backend of the toy paravirtual NIC (what vhost-net or NetVSP are for the real
 * ones): it drains the guest's TX ring toward the virtual switch, and writes frames from the
 * switch into the guest's RX ring; when that ring is full the overflow is dropped as
 * `ring-full`.
 */
export class ToyHostBackend {
  readonly stats: ToyHostStats = { fromGuest: 0, toGuest: 0, toGuestRingFull: 0 };
  private readonly out = new Int32Array(HOST_BURST);

  constructor(
    private readonly pool: PacketPool,
    private readonly guest: ToyGuestNic,
    private readonly toSwitch: BurstSink,
  ) {}

  /** One backend pass: everything the guest queued goes to the switch. */
  service(): number {
    const out = this.out;
    let total = 0;
    for (let n; (n = this.guest.hostRing.dequeueBurst(out, 0, out.length)) > 0; total += n)
      this.toSwitch(out, 0, n);
    this.stats.fromGuest += total;
    return total;
  }

  /** Frames from the switch for the guest. */
  receive(pkts: Int32Array, start: number, count: number): void {
    const n = this.guest.rxRing.enqueueBurst(pkts, start, count);
    this.stats.toGuest += n;
    if (n < count) {
      this.stats.toGuestRingFull += count - n;
      this.pool.drop(pkts, start + n, count - n, DropReason.RING_FULL);
    }
  }
}
