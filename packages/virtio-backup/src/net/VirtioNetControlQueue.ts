import { BypassError, writeMac48, type MacAddress, type PacketPool } from '@bypass/core';
import type { VirtioTransport } from '../virtio/VirtioTransport.js';
import type { VirtqueueDriverSide } from '../virtqueue/VirtqueueDriverSide.js';
import { VIRTIO_NET_CTRL } from './VirtioNetCtrl.js';

const DATA_OFFSET = 8;

/**
 * The driver side of the virtio-net control queue (`drivers/net/virtio_net.c`
 * `virtnet_send_command`): one command at a time, in one pool slot used as the command buffer
 * (class/command header, data, then the ack byte the device writes). Linux spins until the device
 * answers; here the device serves control kicks synchronously, so an answer that is not in the
 * used ring right after the kick is a failure (counted in `timeouts`), never an endless wait.
 *
 * @example
 * ```ts
 * const cvq = new VirtioNetControlQueue(vq, transport, pool);
 * cvq.send(VIRTIO_NET_CTRL.ANNOUNCE, VIRTIO_NET_CTRL.ANNOUNCE_ACK, null); // true on VIRTIO_NET_OK
 * ```
 */
export class VirtioNetControlQueue {
  /** Commands the device answered OK / with an error / not at all. */
  ok = 0;
  errors = 0;
  timeouts = 0;
  private readonly vq: VirtqueueDriverSide;
  private readonly transport: VirtioTransport;
  private readonly pool: PacketPool;
  private slot: number;
  private readonly base: number;
  private readonly ackAt: number;

  /** @throws `BypassError` `ERR_INVALID_ARGUMENT` when the pool has no free slot for the command buffer. */
  constructor(vq: VirtqueueDriverSide, transport: VirtioTransport, pool: PacketPool) {
    this.vq = vq;
    this.transport = transport;
    this.pool = pool;
    this.slot = pool.alloc();
    if (this.slot < 0) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        'the packet pool has no free slot for the virtio-net control queue buffer; make the pool larger',
      );
    }
    this.base = this.slot * pool.slotSize;
    this.ackAt = this.base + pool.slotSize - 1;
  }

  /** Largest command payload. */
  get maxData(): number {
    return this.pool.slotSize - DATA_OFFSET - 1;
  }

  /** Sends one command; true when the device answered VIRTIO_NET_OK. */
  send(cls: number, cmd: number, data: Uint8Array | null): boolean {
    if (this.slot < 0 || this.vq.broken !== null) return false;
    // Reap a late answer to an earlier command first.
    while (this.vq.getBuf() >= 0);
    const bytes = this.pool.bytes;
    const len = data === null ? 0 : data.length;
    if (len > this.maxData) return false;
    bytes[this.base] = cls;
    bytes[this.base + 1] = cmd;
    if (data !== null) bytes.set(data, this.base + DATA_OFFSET);
    bytes[this.ackAt] = 0xff;
    const added =
      len === 0
        ? this.vq.addChain(this.slot, [this.base, this.ackAt], [2, 1], 1)
        : this.vq.addChain(
            this.slot,
            [this.base, this.base + DATA_OFFSET, this.ackAt],
            [2, len, 1],
            2,
          );
    if (!added) return false;
    if (this.vq.kickPrepare()) this.transport.notify(this.vq.index);
    if (this.vq.getBuf() < 0) {
      this.timeouts++;
      return false;
    }
    const ok = bytes[this.ackAt] === VIRTIO_NET_CTRL.OK;
    if (ok) this.ok++;
    else this.errors++;
    return ok;
  }

  /** MQ_VQ_PAIRS_SET: the queue pairs the device should use. */
  setQueuePairs(n: number): boolean {
    return this.send(
      VIRTIO_NET_CTRL.MQ,
      VIRTIO_NET_CTRL.MQ_VQ_PAIRS_SET,
      new Uint8Array([n & 0xff, n >>> 8]),
    );
  }

  /** ANNOUNCE_ACK: the announcement was sent. */
  ackAnnounce(): boolean {
    return this.send(VIRTIO_NET_CTRL.ANNOUNCE, VIRTIO_NET_CTRL.ANNOUNCE_ACK, null);
  }

  /** VLAN_ADD / VLAN_DEL of `vid`. */
  vlan(add: boolean, vid: number): boolean {
    const cmd = add ? VIRTIO_NET_CTRL.VLAN_ADD : VIRTIO_NET_CTRL.VLAN_DEL;
    return this.send(VIRTIO_NET_CTRL.VLAN, cmd, new Uint8Array([vid & 0xff, vid >>> 8]));
  }

  /** MAC_ADDR_SET. */
  setMac(mac: MacAddress): boolean {
    const d = new Uint8Array(6);
    mac.writeTo(d, 0);
    return this.send(VIRTIO_NET_CTRL.MAC, VIRTIO_NET_CTRL.MAC_ADDR_SET, d);
  }

  /**
   * The RX mode (`virtnet_set_rx_mode`): PROMISC, ALLMULTI, then MAC_TABLE_SET with the unicast
   * and multicast lists (48-bit integers). Returns how many of the three commands failed.
   */
  setRxMode(
    promisc: boolean,
    allmulti: boolean,
    uc: readonly number[],
    mc: readonly number[],
  ): number {
    let failed = 0;
    if (
      !this.send(VIRTIO_NET_CTRL.RX, VIRTIO_NET_CTRL.RX_PROMISC, new Uint8Array([promisc ? 1 : 0]))
    )
      failed++;
    if (
      !this.send(
        VIRTIO_NET_CTRL.RX,
        VIRTIO_NET_CTRL.RX_ALLMULTI,
        new Uint8Array([allmulti ? 1 : 0]),
      )
    )
      failed++;
    const d = new Uint8Array(8 + 6 * (uc.length + mc.length));
    const dv = new DataView(d.buffer);
    dv.setUint32(0, uc.length, true);
    uc.forEach((a, i) => writeMac48(d, 4 + 6 * i, a));
    const mcAt = 4 + 6 * uc.length;
    dv.setUint32(mcAt, mc.length, true);
    mc.forEach((a, i) => writeMac48(d, mcAt + 4 + 6 * i, a));
    if (!this.send(VIRTIO_NET_CTRL.MAC, VIRTIO_NET_CTRL.MAC_TABLE_SET, d)) failed++;
    return failed;
  }

  /** Frees the command buffer (device removal, after the reset). */
  release(): void {
    while (this.vq.detachUnused() >= 0);
    if (this.slot >= 0) this.pool.free(this.slot);
    this.slot = -1;
  }
}
