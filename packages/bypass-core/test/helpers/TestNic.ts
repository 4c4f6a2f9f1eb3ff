import type { BypassError } from '../../src/errors/BypassError.js';
import type { MacAddress } from '../../src/netdev/MacAddress.js';
import { NetDevice, type NetDeviceOptions } from '../../src/netdev/NetDevice.js';

/**
 * The smallest concrete {@link NetDevice} for tests: it "sends" a burst by recording the handles
 * (in `sent`, with the queue in `sentQueues`) and freeing them, counting `txPackets`/`txBytes`.
 * Every driver hook is recorded in `calls` (`open`, `stop`, `mtu:9000`, `mac:…`, `rxmode`,
 * `vid+:10`, `vid-:10`), and each refusable hook refuses when its `refuse*` field holds an error.
 *
 * @example
 * ```ts
 * const nic = new TestNic({ pool, permAddr: mac(1) });
 * ns.register(nic);
 * nic.carrierOn();
 * nic.open();
 * nic.xmit(pkts, 0, 4);      // nic.sent has the 4 handles, pool slots are free again
 * nic.refuseOpen = new BypassError('ERR_REFUSED', 'no');
 * ```
 */
export class TestNic extends NetDevice {
  /** Handles transmitted, in order (already freed). */
  readonly sent: number[] = [];
  /** The queue each transmitted burst used, one entry per burst. */
  readonly sentQueues: number[] = [];
  /** Driver hook calls, in order. */
  readonly calls: string[] = [];
  refuseOpen: BypassError | null = null;
  refuseMtu: BypassError | null = null;
  refuseMac: BypassError | null = null;
  refuseVlan: BypassError | null = null;

  constructor(options: NetDeviceOptions) {
    super(options);
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    this.sentQueues.push(queue);
    for (let i = start; i < start + count; i++) {
      const h = pkts[i] as number;
      this.sent.push(h);
      this.stats.txBytes += this.pool.length[h] as number;
    }
    this.stats.txPackets += count;
    this.pool.freeBurst(pkts, start, count);
    return count;
  }

  protected override ndoOpen(): void {
    this.calls.push('open');
    if (this.refuseOpen !== null) throw this.refuseOpen;
  }

  protected override ndoStop(): void {
    this.calls.push('stop');
  }

  protected override ndoChangeMtu(mtu: number): void {
    this.calls.push(`mtu:${mtu}`);
    if (this.refuseMtu !== null) throw this.refuseMtu;
  }

  protected override ndoSetMacAddress(mac: MacAddress): void {
    this.calls.push(`mac:${mac.toString()}`);
    if (this.refuseMac !== null) throw this.refuseMac;
  }

  protected override ndoSetRxMode(): void {
    this.calls.push('rxmode');
  }

  protected override ndoVlanRxAddVid(vid: number): void {
    this.calls.push(`vid+:${vid}`);
    if (this.refuseVlan !== null) throw this.refuseVlan;
  }

  protected override ndoVlanRxKillVid(vid: number): void {
    this.calls.push(`vid-:${vid}`);
  }
}
