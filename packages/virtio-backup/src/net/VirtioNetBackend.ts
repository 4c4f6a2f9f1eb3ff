import { EventEmitter } from 'eventemitter3';
import {
  BypassError,
  DropReason,
  PacketRing,
  type MacAddress,
  type PacketPool,
} from '@bypass/core';
import { validateNetFeatures } from '../virtio/FeatureNegotiation.js';
import { VIRTIO_F, VIRTIO_NET_F, featureMask, hasFeature } from '../virtio/VirtioFeatures.js';
import { VIRTIO_NET_S, VirtioNetConfig } from '../virtio/VirtioNetConfig.js';
import { VirtioDeviceBase } from '../virtio/VirtioDeviceBase.js';
import type { VirtqueueDeviceSide } from '../virtqueue/VirtqueueDeviceSide.js';
import type { VirtqueueFault } from '../virtqueue/VirtqueueFault.js';
import type {
  VirtioNetBackendEvents,
  VirtioNetBackendOptions,
  VirtioNetBackendStats,
} from './VirtioNetBackendOptions.js';
import { VIRTIO_DROP } from './VirtioDropReasons.js';
import { VIRTIO_NET_CTRL as C } from './VirtioNetCtrl.js';
import { VIRTIO_NET_HDR_GSO, VIRTIO_NET_HDR_LEN, VirtioNetHeader } from './VirtioNetHeader.js';
import { VirtioNetRxFilter } from './VirtioNetRxFilter.js';
import { copyFromGuest, copyToGuest, guestAddrAt } from './GuestCopy.js';

const DEFAULT_QUEUE_SIZE = 256;
/** Payload bytes copied up front: every command but MAC_TABLE_SET reads at most 6 of them. */
const CTRL_HEAD = 16;

/**
 * The device side of a virtio-net device (QEMU `hw/net/virtio-net.c` with the vhost-like
 * datapath of `hw/virtio/virtio.c`): it implements {@link VirtioTransport} for the guest driver
 * and offers the host side (the hypervisor's backend) a datapath in bursts.
 *
 * - Transport: feature offer, status byte (sequence checked; FEATURES_OK refused for a set the
 *   device did not offer or that fails virtio-net's dependencies), config space, queue setup,
 *   kicks; interrupts and config changes go to the bound driver (synchronously, or after
 *   `notifyLatencyNs` on the scheduler).
 * - Guest TX (queue `2p+1`): each chain is validated, its 12-byte header checked, the frame copied
 *   into a host-owned pool slot (as vhost-net copies into a socket buffer) and queued for
 *   {@link VirtioNetBackend.drainTx} or the `txSink`; the chain is returned at once. When the host
 *   ring is full the device stops popping (back-pressure) until the host drains it.
 * - Guest RX: {@link VirtioNetBackend.receive} filters (QEMU's receive filter), pops a posted
 *   buffer, writes header and frame, returns it used; with no buffer the frame is dropped
 *   (`virtio-no-rx-buffer`).
 * - Control queue: RX mode, MAC tables and address, VLAN filter, ANNOUNCE ack, MQ pairs; its
 *   kicks are always served synchronously (the driver spins on the answer, as Linux does).
 * - Link: {@link VirtioNetBackend.setLink} and {@link VirtioNetBackend.announce} change config
 *   `status` and raise a config interrupt.
 * - A driver that writes a bad ring, or a chain virtio-net cannot use (TX or control chain
 *   without room for its header, RX chain with nothing writable): the queue fault is counted,
 *   NEEDS_RESET is set, every queue stops (QEMU `virtio_error`), the driver gets a config
 *   interrupt. A reset (status 0) recovers.
 * - Reset (QEMU `virtio_net_reset`): one queue pair, the filter back to promiscuous with empty
 *   64-entry MAC tables, no pending ANNOUNCE, the configured MAC back.
 *
 * @example
 * ```ts
 * const backend = new VirtioNetBackend({ pool, mac, backup: true });
 * const nic = VirtioNetDevice.probe({ pool, transport: backend, ns, parent, registry, name: 'ens10' });
 * backend.receive(0, fromWire, 0, n);     // host -> guest
 * const m = backend.drainTx(0, out, 0, 64); // guest -> host
 * backend.setLink(false);                 // config change: the guest's carrier goes off
 * ```
 */
export class VirtioNetBackend extends VirtioDeviceBase {
  readonly deviceId = 1;
  readonly config = new VirtioNetConfig();
  readonly maxQueuePairs: number;
  readonly events = new EventEmitter<VirtioNetBackendEvents>();
  readonly stats: VirtioNetBackendStats = {
    txPackets: 0,
    txBytes: 0,
    txMalformed: 0,
    txNoMemory: 0,
    txLinkDown: 0,
    rxPackets: 0,
    rxBytes: 0,
    rxNoBuffer: 0,
    rxFiltered: 0,
    rxTooBig: 0,
    rxDropped: 0,
    ctrlOk: 0,
    ctrlErr: 0,
  };
  readonly filter = new VirtioNetRxFilter();
  /** Queue pairs in use (set by the driver through MQ_VQ_PAIRS_SET). */
  curQueuePairs = 1;
  /** Times the driver acknowledged an announcement. */
  announceAcks = 0;

  private readonly pool: PacketPool;
  /** The MAC the device was configured with (QEMU `conf->macaddr`), restored by a reset. */
  private readonly configuredMac: MacAddress;
  private readonly hostTx: PacketRing[] = [];
  private readonly txSink: VirtioNetBackendOptions['txSink'] | null;
  private readonly scratch = new Int32Array(64);
  private readonly one = new Int32Array(1);
  private readonly ctrlBuf = new Uint8Array(2 + CTRL_HEAD);
  /** Reads the payload of the control chain being served (after its 2-byte class and command). */
  private readonly readCtrl = (at: number, out: Uint8Array, len: number): void => {
    const vq = this.queue(2 * this.maxQueuePairs);
    if (vq !== null) copyFromGuest(this.guestMemory, vq, 2 + at, out, 0, len);
  };

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for queue pairs outside 1..0x8000, a queue
   * size that is not a power of two in 2..32768, or a config MTU outside 0..65535.
   */
  constructor(options: VirtioNetBackendOptions) {
    const pairs = options.maxQueuePairs ?? 1;
    const qs = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    checkOptions(pairs, qs, options.mtu);
    let offer =
      options.features ??
      featureMask(
        VIRTIO_F.VERSION_1,
        VIRTIO_F.RING_EVENT_IDX,
        VIRTIO_NET_F.MAC,
        VIRTIO_NET_F.STATUS,
        VIRTIO_NET_F.CTRL_VQ,
        VIRTIO_NET_F.CTRL_RX,
        VIRTIO_NET_F.CTRL_VLAN,
        VIRTIO_NET_F.GUEST_ANNOUNCE,
      ) |
        (pairs > 1 ? featureMask(VIRTIO_NET_F.MQ) : 0n) |
        (options.mtu !== undefined ? featureMask(VIRTIO_NET_F.MTU) : 0n);
    if (options.backup === true) offer |= featureMask(VIRTIO_NET_F.BACKUP);
    const ctrl = hasFeature(offer, VIRTIO_NET_F.CTRL_VQ);
    super({
      memory: options.pool.bytes,
      offer,
      numQueues: 2 * pairs + (ctrl ? 1 : 0),
      queueSize: qs,
      scheduler: options.scheduler ?? null,
      latencyNs: options.notifyLatencyNs ?? 0,
      ...(options.interruptGate !== undefined ? { interruptGate: options.interruptGate } : {}),
      // The driver spins on the control queue (as Linux does), so its kicks are served at once.
      ...(ctrl ? { syncQueue: 2 * pairs } : {}),
    });
    this.pool = options.pool;
    this.maxQueuePairs = pairs;
    this.configuredMac = options.mac;
    this.config.mac = options.mac;
    this.config.status = options.linkUp === false ? 0 : VIRTIO_NET_S.LINK_UP;
    this.config.maxVirtqueuePairs = pairs;
    this.config.mtu = options.mtu ?? 0;
    const ringSize = options.hostTxRingSize ?? 1024;
    for (let p = 0; p < pairs; p++) this.hostTx.push(new PacketRing(ringSize));
    this.txSink = options.txSink ?? null;
  }

  protected override acceptFeatures(features: bigint): boolean {
    return validateNetFeatures(features) === null;
  }

  protected override onFeaturesAccepted(features: bigint): void {
    this.filter.reset(hasFeature(features, VIRTIO_NET_F.CTRL_VLAN));
  }

  protected override onStatus(status: number): void {
    this.events.emit('status', status);
  }

  protected override onNeedsReset(fault: VirtqueueFault): void {
    this.events.emit('needs-reset', fault);
  }

  protected override onReset(): void {
    // hw/net/virtio-net.c virtio_net_reset: one queue pair, filter back to promiscuous with
    // empty tables, no pending ANNOUNCE, and the configured MAC back (a MAC_ADDR_SET is undone).
    this.curQueuePairs = 1;
    this.filter.reset(false);
    this.config.status = this.config.status & ~VIRTIO_NET_S.ANNOUNCE;
    if (this.config.mac.value !== this.configuredMac.value) this.config.mac = this.configuredMac;
  }

  // ---------------------------------------------------------------- host side

  /** The link state in config space. */
  get linkUp(): boolean {
    return (this.config.status & VIRTIO_NET_S.LINK_UP) !== 0;
  }

  /** Sets the link (config `status` LINK_UP) and raises a config interrupt when it changed. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    const s = this.config.status;
    this.config.status = up ? s | VIRTIO_NET_S.LINK_UP : s & ~VIRTIO_NET_S.LINK_UP;
    if (hasFeature(this.negotiated, VIRTIO_NET_F.STATUS)) this.raiseConfig();
  }

  /**
   * Asks the guest to announce itself (config `status` ANNOUNCE + config interrupt), as QEMU
   * does after a migration. Returns false when GUEST_ANNOUNCE and CTRL_VQ were not both
   * negotiated. Before DRIVER_OK the bit is set without an interrupt: a driver reads it when it
   * runs its config work at DRIVER_OK. (QEMU sends its RARP for the NIC every round either way;
   * the guest announce is in addition to it.)
   */
  announce(): boolean {
    // virtio_net_announce_notify sets ANNOUNCE whatever the device status, and
    // hw/virtio/virtio.c virtio_notify_config only interrupts once DRIVER_OK is set.
    if (!this.canAnnounce) return false;
    this.config.status = this.config.status | VIRTIO_NET_S.ANNOUNCE;
    this.raiseConfig();
    return true;
  }

  /**
   * True when the guest can be asked to announce itself: GUEST_ANNOUNCE and CTRL_VQ negotiated
   * (`hw/net/virtio-net.c` virtio_net_announce; the ack travels on the control queue).
   */
  get canAnnounce(): boolean {
    const f = this.negotiated;
    return hasFeature(f, VIRTIO_NET_F.GUEST_ANNOUNCE) && hasFeature(f, VIRTIO_NET_F.CTRL_VQ);
  }

  /** True while an announce request waits for the guest's ack (config status ANNOUNCE). */
  get announcePending(): boolean {
    return (this.config.status & VIRTIO_NET_S.ANNOUNCE) !== 0;
  }

  /** Frames the guest sent on pair `pair` that the host has not drained. */
  txPending(pair: number): number {
    return this.hostTx[pair]?.count ?? 0;
  }

  /**
   * The host takes up to `max` frames the guest sent on queue pair `pair` into `out[start..]`;
   * the caller owns them. Draining resumes a TX queue stopped by a full host ring.
   */
  drainTx(pair: number, out: Int32Array, start: number, max: number): number {
    const ring = this.hostTx[pair];
    if (ring === undefined || start < 0) return 0;
    const room = out.length - start;
    const n = ring.dequeueBurst(out, start, max < room ? max : room);
    if (n > 0 && this.queue(2 * pair + 1)?.availCount) this.processTx(pair);
    return n;
  }

  /**
   * The host delivers `pkts[start .. start+count)` to the guest on RX queue `queue` (wrapped to
   * the pairs in use). The device owns every frame; returns how many reached guest buffers.
   * Dropped (with a counter): device not running or broken, link down, filtered, larger than the
   * posted buffer, or no buffer posted.
   */
  receive(queue: number, pkts: Int32Array, start: number, count: number): number {
    if (count <= 0) return 0;
    const pool = this.pool;
    const vq =
      this.running && !this.broken ? this.queue(2 * ((queue >>> 0) % this.curQueuePairs)) : null;
    if (vq === null || vq === undefined || !this.linkUp) {
      this.stats.rxDropped += count;
      pool.drop(
        pkts,
        start,
        count,
        vq === null || vq === undefined
          ? this.broken
            ? DropReason.NO_DEVICE
            : DropReason.DEV_DOWN
          : DropReason.NO_CARRIER,
      );
      return 0;
    }
    const bytes = pool.bytes;
    const mac = this.config.mac.value;
    let packets = 0;
    let nbytes = 0;
    const end = start + count;
    for (let i = start; i < end; i++) {
      const h = pkts[i] as number;
      const o = pool.start[h] as number;
      const len = pool.length[h] as number;
      if (!this.filter.accepts(bytes, o, len, mac)) {
        this.stats.rxFiltered++;
        pool.drop(pkts, i, 1, DropReason.MAC_FILTER_MISS);
        continue;
      }
      let head = vq.pop();
      if (head >= 0 && vq.inCount === 0) {
        // hw/net/virtio-net.c virtio_net_receive_rcu: an RX chain with nothing to write into is
        // virtio_error; the device stops and drops the rest like any broken device.
        head = vq.deviceFault(
          'rx-no-in-buffers',
          'virtio-net receive queue contains no in buffers',
        );
      }
      if (head < 0) {
        const rest = end - i;
        if (head === -1) this.stats.rxNoBuffer += rest;
        else this.stats.rxDropped += rest;
        pool.drop(pkts, i, rest, head === -1 ? VIRTIO_DROP.NO_RX_BUFFER : DropReason.NO_DEVICE);
        break;
      }
      const need = VIRTIO_NET_HDR_LEN + len;
      if (vq.inBytes < need) {
        // QEMU (without mergeable buffers) puts the buffer back and drops the packet.
        vq.unpop();
        this.stats.rxTooBig++;
        pool.drop(pkts, i, 1, DropReason.MTU_EXCEEDED);
        continue;
      }
      const first = vq.outCount;
      const hdrAddr = vq.segAddr[first] as number;
      let dataAddr = hdrAddr + VIRTIO_NET_HDR_LEN;
      if ((vq.segLen[first] as number) >= need && len > 0) {
        // Header and frame in the first writable buffer (each buffer Linux posts without
        // mergeable buffers): the same bytes and flow tags as the walk below, without walking.
        VirtioNetHeader.writeEmpty(bytes, hdrAddr, 1);
        bytes.copyWithin(dataAddr, o, o + len);
      } else {
        if ((vq.segLen[first] as number) >= VIRTIO_NET_HDR_LEN)
          VirtioNetHeader.writeEmpty(bytes, hdrAddr, 1);
        else copyToGuest(bytes, vq, first, 0, HDR_ONE, 0, VIRTIO_NET_HDR_LEN);
        copyToGuest(bytes, vq, first, VIRTIO_NET_HDR_LEN, bytes, o, len);
        dataAddr = guestAddrAt(vq, first, VIRTIO_NET_HDR_LEN);
      }
      // The simulator's flow tags travel with the bytes into the guest's buffer.
      const g = pool.slotAt(dataAddr);
      if (g >= 0) pool.copyMeta(h, g);
      vq.push(head, need);
      packets++;
      nbytes += len;
      pool.free(h);
    }
    const stats = this.stats;
    stats.rxPackets += packets;
    stats.rxBytes += nbytes;
    this.flushAndInterrupt(vq);
    return packets;
  }

  // ---------------------------------------------------------------- device internals

  protected override process(index: number): void {
    if (index === 2 * this.maxQueuePairs) this.processCtrl();
    else if ((index & 1) === 1) this.processTx(index >>> 1);
    // An RX kick only says buffers were posted: nothing is queued on the host side.
  }

  private processTx(pair: number): void {
    const vq = this.queue(2 * pair + 1);
    const ring = this.hostTx[pair];
    if (vq === null || vq === undefined || ring === undefined || !this.running || this.broken)
      return;
    const pool = this.pool;
    const bytes = pool.bytes;
    const scratch = this.scratch;
    let n = 0;
    let headerFault = false;
    while (ring.free - n > 0) {
      const head = vq.pop();
      if (head < 0) break;
      // hw/net/virtio-net.c virtio_net_flush_tx (with a vnet-header backend such as tap): a chain
      // without a readable buffer or shorter than the header is virtio_error (below, after the
      // chains before it were returned); it is not returned and the device stops.
      if (vq.outCount === 0 || vq.outBytes < VIRTIO_NET_HDR_LEN) {
        headerFault = true;
        break;
      }
      const frameLen = vq.outBytes - VIRTIO_NET_HDR_LEN;
      const addr0 = vq.segAddr[0] as number;
      const len0 = vq.segLen[0] as number;
      // The guest's buffer holding the frame: its flow tags go with the copy, or with the drop.
      const g = pool.slotAt(
        len0 > VIRTIO_NET_HDR_LEN
          ? addr0 + VIRTIO_NET_HDR_LEN
          : guestAddrAt(vq, 0, VIRTIO_NET_HDR_LEN),
      );
      if (frameLen < 14 || frameLen > pool.maxFrameLength || !this.plainHeader(vq)) {
        // QEMU hands these to its peer, which drops them (tap: tun_get_user refuses a runt or a
        // GSO header it cannot build); the host side here needs an Ethernet frame in one slot.
        this.stats.txMalformed++;
        this.reportGuestDrop(g, VIRTIO_DROP.TX_MALFORMED);
      } else if (!this.linkUp) {
        this.stats.txLinkDown++;
        this.reportGuestDrop(g, VIRTIO_DROP.HOST_LINK_DOWN);
      } else {
        const h = pool.alloc();
        if (h < 0) {
          this.stats.txNoMemory++;
          this.reportGuestDrop(g, VIRTIO_DROP.HOST_NO_MEMORY);
        } else {
          const to = pool.start[h] as number;
          // Header and frame in one buffer (as the Linux driver sends them): one copy, no walk.
          if (len0 >= VIRTIO_NET_HDR_LEN + frameLen) {
            const from = addr0 + VIRTIO_NET_HDR_LEN;
            bytes.copyWithin(to, from, from + frameLen);
          } else copyFromGuest(bytes, vq, VIRTIO_NET_HDR_LEN, bytes, to, frameLen);
          pool.length[h] = frameLen;
          if (g >= 0) pool.copyMeta(g, h);
          scratch[n++] = h;
          this.stats.txPackets++;
          this.stats.txBytes += frameLen;
          if (n === scratch.length) {
            this.emitTx(pair, ring, n);
            n = 0;
          }
        }
      }
      vq.push(head, 0);
    }
    if (n > 0) this.emitTx(pair, ring, n);
    this.flushAndInterrupt(vq);
    if (!headerFault) return;
    // The segment counts still describe the bad chain: nothing was popped after it.
    if (vq.outCount === 0) vq.deviceFault('tx-no-header', 'virtio-net header not in first element');
    else
      vq.deviceFault(
        'tx-short-header',
        `virtio-net header incorrect: ${vq.outBytes} readable bytes, the header is ${VIRTIO_NET_HDR_LEN}`,
      );
  }

  /** The guest's frame in slot `g` is discarded by the host (the guest frees its buffer). */
  private reportGuestDrop(g: number, reason: number): void {
    if (g < 0) return;
    this.one[0] = g;
    this.pool.reportDrop(this.one, 0, 1, reason);
  }

  private emitTx(pair: number, ring: PacketRing, n: number): void {
    if (this.txSink !== null && this.txSink !== undefined) this.txSink(pair, this.scratch, 0, n);
    else ring.enqueueBurst(this.scratch, 0, n); // room was checked before popping
  }

  private plainHeader(vq: VirtqueueDeviceSide): boolean {
    // No offloads are offered: a header asking for GSO is malformed.
    if ((vq.segLen[0] as number) < VIRTIO_NET_HDR_LEN) return true;
    return (
      VirtioNetHeader.gsoType(this.guestMemory, vq.segAddr[0] as number) === VIRTIO_NET_HDR_GSO.NONE
    );
  }

  private processCtrl(): void {
    const vq = this.queue(2 * this.maxQueuePairs);
    if (vq === null) return;
    const mem = this.guestMemory;
    for (let head; (head = vq.pop()) >= 0;) {
      // hw/net/virtio-net.c virtio_net_handle_ctrl_iov: no room for class + command or for the
      // ack is virtio_error; the chain is not returned and the device stops.
      if (vq.inBytes < 1 || vq.outBytes < 2) {
        vq.deviceFault(
          'ctrl-missing-headers',
          `virtio-net ctrl missing headers: ${vq.outBytes} readable bytes (class and command need 2), ${vq.inBytes} writable (the ack needs 1)`,
        );
        break;
      }
      const len = vq.outBytes - 2;
      copyFromGuest(mem, vq, 0, this.ctrlBuf, 0, 2 + Math.min(len, CTRL_HEAD));
      const cls = this.ctrlBuf[0] as number;
      const cmd = this.ctrlBuf[1] as number;
      const ok = this.command(cls, cmd, this.ctrlBuf.subarray(2), len);
      if (ok) this.stats.ctrlOk++;
      else this.stats.ctrlErr++;
      // The ack goes to the first writable byte (QEMU iov_from_buf at offset 0).
      copyToGuest(mem, vq, vq.outCount, 0, ok ? ACK_OK : ACK_ERR, 0, 1);
      vq.push(head, 1);
      this.events.emit('ctrl', cls, cmd, ok);
    }
    this.flushAndInterrupt(vq);
  }

  private command(cls: number, cmd: number, d: Uint8Array, len: number): boolean {
    const f = this.negotiated;
    const filtered = this.filter.command(cls, cmd, d, len, f, this.readCtrl);
    if (filtered !== null) return filtered;
    if (cls === C.MAC && cmd === C.MAC_ADDR_SET) {
      if (!hasFeature(f, VIRTIO_NET_F.CTRL_MAC_ADDR) || len !== 6) return false;
      this.config.bytes.set(d.subarray(0, 6), 0);
      this.config.generation++;
      return true;
    }
    if (cls === C.ANNOUNCE) {
      // hw/net/virtio-net.c virtio_net_handle_announce: an ack with no announce pending is an error.
      if (
        cmd !== C.ANNOUNCE_ACK ||
        !hasFeature(f, VIRTIO_NET_F.GUEST_ANNOUNCE) ||
        (this.config.status & VIRTIO_NET_S.ANNOUNCE) === 0
      )
        return false;
      this.config.status = this.config.status & ~VIRTIO_NET_S.ANNOUNCE;
      this.announceAcks++;
      return true;
    }
    if (cls === C.MQ) {
      if (cmd !== C.MQ_VQ_PAIRS_SET || !hasFeature(f, VIRTIO_NET_F.MQ) || len !== 2) return false;
      const n = (d[0] as number) | ((d[1] as number) << 8);
      if (n < C.MQ_VQ_PAIRS_MIN || n > this.maxQueuePairs) return false;
      this.curQueuePairs = n;
      return true;
    }
    return false;
  }
}

const HDR_ONE = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
const ACK_OK = new Uint8Array([C.OK]);
const ACK_ERR = new Uint8Array([C.ERR]);

function checkOptions(pairs: number, qs: number, mtu: number | undefined): void {
  if (!(Number.isInteger(pairs) && pairs >= C.MQ_VQ_PAIRS_MIN && pairs <= C.MQ_VQ_PAIRS_MAX)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `max queue pairs must be an integer in 1..32768, got ${pairs}`,
    );
  }
  if (!(Number.isInteger(qs) && qs >= 2 && qs <= 32768 && (qs & (qs - 1)) === 0)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `queue size must be a power of two in 2..32768, got ${qs}`,
    );
  }
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 0 && mtu <= 0xffff)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `config MTU must be an integer in 0..65535, got ${mtu}`,
    );
  }
}
