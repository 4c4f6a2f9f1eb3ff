import type { MacAddress, PacketPool, Scheduler } from '@bypass/core';
import type { InterruptGate } from '../virtio/InterruptGate.js';
import type { VirtqueueFault } from '../virtqueue/VirtqueueFault.js';

/**
 * Options of a {@link VirtioNetBackend}.
 *
 * @example
 * ```ts
 * const o: VirtioNetBackendOptions = { pool, mac: MacAddress.parse('52:54:00:00:00:01'), backup: true, maxQueuePairs: 4 };
 * ```
 */
export interface VirtioNetBackendOptions {
  /** The guest's packet pool: its buffer is guest memory, and host-side frames are slots of it. */
  pool: PacketPool;
  /** The MAC in config space (offered with VIRTIO_NET_F_MAC). */
  mac: MacAddress;
  /**
   * Feature offer; default VERSION_1, RING_EVENT_IDX, MAC, STATUS, CTRL_VQ, CTRL_RX, CTRL_VLAN,
   * GUEST_ANNOUNCE, plus MQ when `maxQueuePairs > 1`, MTU when `mtu` is set, BACKUP when `backup`.
   */
  features?: bigint;
  /** Offer VIRTIO_NET_F_BACKUP (QEMU's `failover=on`). */
  backup?: boolean;
  /** `max_virtqueue_pairs`; default 1. */
  maxQueuePairs?: number;
  /** `queue_num_max` of every queue; default 256. */
  queueSize?: number;
  /** Config-space MTU (offered with VIRTIO_NET_F_MTU). */
  mtu?: number;
  /** Initial link state; default up. */
  linkUp?: boolean;
  /** Frames a TX queue may hold on the host side before the device stops popping; default 1024. */
  hostTxRingSize?: number;
  /** Scheduler for delayed kicks and interrupts. */
  scheduler?: Scheduler;
  /** Latency of kicks and interrupts, ns (needs `scheduler`); default 0 = synchronous. */
  notifyLatencyNs?: number;
  /**
   * The guest's vCPUs: interrupts (a link change, an announce request, used buffers) raised
   * while the guest is stopped are delivered when it runs again. Default: always delivered.
   */
  interruptGate?: InterruptGate;
  /** Called with every burst of frames the guest sent (host-owned handles); default: kept for {@link VirtioNetBackend.drainTx}. */
  txSink?: (pair: number, pkts: Int32Array, start: number, count: number) => void;
}

/**
 * Typed events of a {@link VirtioNetBackend}.
 *
 * @example
 * ```ts
 * backend.events.on('needs-reset', (f) => console.error(f.message));
 * ```
 */
export interface VirtioNetBackendEvents {
  /** A virtqueue fault: the device set NEEDS_RESET and stopped. */
  'needs-reset': [fault: VirtqueueFault];
  /** The driver wrote the status byte. */
  status: [status: number];
  /** A control command ran (`ok` = VIRTIO_NET_OK). */
  ctrl: [cls: number, cmd: number, ok: boolean];
}

/**
 * Host-side counters of a {@link VirtioNetBackend} (frames moved and every reason one was not).
 *
 * @example
 * ```ts
 * const s: VirtioNetBackendStats = backend.stats;
 * console.log(s.rxNoBuffer, s.txMalformed);
 * ```
 */
export interface VirtioNetBackendStats {
  txPackets: number;
  txBytes: number;
  /**
   * Guest TX frames dropped after a valid header: shorter than an Ethernet header, longer than a
   * pool slot, or asking for an offload not negotiated. (A chain without room for the header
   * stops the device instead: a queue fault, as QEMU's `virtio_error`.)
   */
  txMalformed: number;
  /** Guest TX frames lost because the host had no free slot to copy them into. */
  txNoMemory: number;
  /** Guest TX frames discarded while the link was down (QEMU drops the TX queue's data). */
  txLinkDown: number;
  rxPackets: number;
  rxBytes: number;
  /** Host frames dropped because the guest had no RX buffer posted. */
  rxNoBuffer: number;
  /** Host frames refused by the receive filter. */
  rxFiltered: number;
  /** Host frames larger than the posted buffer. */
  rxTooBig: number;
  /** Host frames dropped because the device was not running, broken or without link. */
  rxDropped: number;
  ctrlOk: number;
  ctrlErr: number;
}
