import { DropReason, PacketRing } from '@bypass/core';
import { ToyParavirtNic } from '../core-bypass/ToyParavirtNic.js';

const NAPI_BURST = 64;

/**
 * The guest driver of the toy paravirtual NIC: {@link ToyParavirtNic} (the bypass ops, the TX
 * path choice by `BypassPolicy`, stats folding) plus the receive side a real driver needs: a
 * ring the host fills (shared memory, like a virtqueue or a VMBus ring) and a NAPI-style poll
 * that counts and hands the frames to the stack.
 *
 * Frames the host sends while the NIC is down wait in the ring; {@link ToyGuestNic.shutdown}
 * drops whatever is left, with a reason, when the device goes away.
 */
export class ToyGuestNic extends ToyParavirtNic {
  /** Host -> guest frames, waiting for the next poll. */
  readonly rxRing = new PacketRing(1024);
  private readonly napi = new Int32Array(NAPI_BURST);

  /** Takes up to `budget` frames off the RX ring and delivers them (Linux `napi_poll`). */
  napiPoll(budget: number): number {
    if (!this.running || !this.present) return 0;
    const burst = this.napi;
    let done = 0;
    while (done < budget) {
      const n = this.rxRing.dequeueBurst(burst, 0, Math.min(NAPI_BURST, budget - done));
      if (n === 0) break;
      this.stats.countRx(this.pool, burst, 0, n);
      done += n;
      // The rx handler and the bound listener take it from here; an unbound NIC drops them
      // as rx-nohandler (NetDevice.deliver), never silently.
      this.receive(burst, 0, n);
    }
    return done;
  }

  /** The device is removed: frames still in either ring are dropped as `no-device`. */
  shutdown(): number {
    const burst = this.napi;
    let dropped = 0;
    for (const ring of [this.rxRing, this.hostRing]) {
      for (let n; (n = ring.dequeueBurst(burst, 0, burst.length)) > 0; dropped += n)
        this.pool.drop(burst, 0, n, DropReason.NO_DEVICE);
    }
    return dropped;
  }
}
