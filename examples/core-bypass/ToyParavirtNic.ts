import {
  BypassPolicy,
  DatapathPath,
  DropReason,
  IFF,
  NetDevice,
  PacketRing,
  RX_HANDLER,
  SlaveStatsFolder,
  type BypassOps,
  type NetDeviceStats,
} from '@bypass/core';

/**
 * A toy paravirtual NIC written against the bypass ops, in the 2-netdev style (like Hyper-V
 * netvsc: the paravirtual netdev is itself the master of its VF). Its "synthetic" path is a ring
 * the host side drains; when a same-MAC PCI VF appears it is enslaved and carries the traffic
 * while it is ready, chosen by the core's shared selection policy.
 */
export class ToyParavirtNic extends NetDevice {
  /** Frames sent on the synthetic (paravirtual) path, waiting for the host. */
  readonly hostRing = new PacketRing(1024);
  private vf: NetDevice | null = null;
  private readonly policy = new BypassPolicy();
  private readonly folder = new SlaveStatsFolder();
  private readonly total = this.stats.clone();

  /** The enslaved VF, if any. */
  get activeVf(): NetDevice | null {
    return this.vf;
  }

  /** The bypass ops this driver plugs into the registry. */
  bypassOps(): BypassOps {
    return {
      preRegister: (slave) => {
        if (this.vf !== null) return `${this.vf.name} is already the VF of ${this.name}`;
        return slave.parent?.isPci === true ? null : `${slave.name} is not a PCI VF`;
      },
      register: (slave) => {
        slave.setMtu(this.mtu);
        if (this.running) slave.open();
        slave.flags |= IFF.SLAVE;
        this.vf = slave;
        this.folder.attach(slave);
      },
      unregister: (slave) => {
        slave.close();
        slave.flags &= ~IFF.SLAVE;
        this.folder.detach(slave);
        this.vf = null;
      },
      // Frames the VF receives are delivered as if received on this NIC.
      handleFrame: () => RX_HANDLER.ANOTHER,
    };
  }

  protected override ndoOpen(): void {
    this.vf?.open();
  }

  protected override ndoStop(): void {
    this.vf?.close();
  }

  protected override ndoStartXmit(
    pkts: Int32Array,
    start: number,
    count: number,
    queue: number,
  ): number {
    const vf = this.vf;
    // One decision per burst, by the policy every bypass consumer shares.
    if (vf !== null && this.policy.unicastPath(vf.isReady, true) === DatapathPath.ACTIVE) {
      return vf.xmit(pkts, start, count, queue);
    }
    const n = this.hostRing.enqueueBurst(pkts, start, count);
    for (let i = start; i < start + n; i++)
      this.stats.txBytes += this.pool.length[pkts[i] as number] as number;
    this.stats.txPackets += n;
    if (n < count) {
      this.stats.txDropped += count - n;
      this.pool.drop(pkts, start + n, count - n, DropReason.RING_FULL);
    }
    return n;
  }

  protected override ndoGetStats64(): NetDeviceStats {
    // Own (synthetic) counters plus what the VF did while enslaved.
    return this.total.copyFrom(this.stats).add(this.folder.fold());
  }
}
