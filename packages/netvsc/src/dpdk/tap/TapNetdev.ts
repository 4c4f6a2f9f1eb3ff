import { NetDevice, type NetDeviceOptions } from '@bypass/core';

/**
 * The kernel side of a DPDK TAP port: a netdev whose transmissions are handed to the PMD (what
 * a TUN/TAP character device does: the kernel's xmit becomes the application's read).
 *
 * @example
 * ```ts
 * const tapDev = new TapNetdev({ pool, permAddr }, (pkts, start, count) => toPmd(pkts, start, count));
 * ns.register(tapDev, 'dtap%d');
 * ```
 */
export class TapNetdev extends NetDevice {
  private readonly toPmd: (pkts: Int32Array, start: number, count: number) => void;

  constructor(
    options: NetDeviceOptions,
    toPmd: (pkts: Int32Array, start: number, count: number) => void,
  ) {
    super({ ...options, driver: options.driver ?? 'tun' });
    this.toPmd = toPmd;
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    _queue: number,
  ): number {
    this.stats.countTx(this.pool, pkts, start, count);
    this.toPmd(pkts, start, count);
    return count;
  }
}
