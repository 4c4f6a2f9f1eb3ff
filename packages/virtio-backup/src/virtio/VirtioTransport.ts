import type { VirtioNetConfig } from './VirtioNetConfig.js';

/**
 * What a device calls on its driver (Linux: `vring_interrupt` and `virtio_config_changed`).
 *
 * @example
 * ```ts
 * transport.bindDriver({
 *   vringInterrupt: (index) => poll(index),
 *   configChanged: () => readLinkStatus(),
 * });
 * ```
 */
export interface VirtioDriverCallbacks {
  /** Used-buffer notification of virtqueue `index`. */
  vringInterrupt(index: number): void;
  /** Configuration change notification (link, announce, NEEDS_RESET). */
  configChanged(): void;
}

/**
 * The driver's view of a virtio-net device, like Linux's `struct virtio_config_ops` over the
 * virtio-pci modern transport: features, the status byte, config space, queue setup and
 * notification. {@link VirtioNetBackend} implements it; a hypervisor may wrap it.
 *
 * Memory: descriptor addresses are byte offsets into {@link VirtioTransport.guestMemory} (the
 * guest's RAM; in this project the guest's `PacketPool` buffer). The rings of queue `i`
 * live in the ArrayBuffer the driver passes to {@link VirtioTransport.setupQueue}.
 *
 * @example
 * ```ts
 * const t: VirtioTransport = backend;
 * t.setStatus(0);
 * t.setStatus(VIRTIO_STATUS.ACKNOWLEDGE);
 * t.setStatus(VIRTIO_STATUS.ACKNOWLEDGE | VIRTIO_STATUS.DRIVER);
 * const offer = t.getFeatures();
 * ```
 */
export interface VirtioTransport {
  /** Virtio device id (1 = network). */
  readonly deviceId: number;
  /** The guest memory descriptor addresses point into. */
  readonly guestMemory: Uint8Array;
  /** The device configuration space (the driver only reads it). */
  readonly config: VirtioNetConfig;
  /** Number of virtqueues the device has (rx/tx pairs, then the control queue). */
  readonly numQueues: number;
  /** Device features (the offer). */
  getFeatures(): bigint;
  /** Writes the driver's accepted features (before FEATURES_OK). */
  setDriverFeatures(features: bigint): void;
  /** Reads the status byte. */
  getStatus(): number;
  /** Writes the status byte; 0 resets the device. */
  setStatus(status: number): void;
  /** Largest queue size the device supports for queue `index` (`queue_num_max`). */
  queueMaxSize(index: number): number;
  /** Gives the device queue `index`: its ring memory (split layout) and size. */
  setupQueue(index: number, ring: ArrayBuffer, size: number): void;
  /** The driver's available-buffer notification (the kick) for queue `index`. */
  notify(index: number): void;
  /** Installs (or with null removes) the driver's interrupt handlers. */
  bindDriver(callbacks: VirtioDriverCallbacks | null): void;
}
