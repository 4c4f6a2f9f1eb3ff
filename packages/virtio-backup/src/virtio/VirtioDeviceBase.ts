import { BypassError, type Scheduler } from '@bypass/core';
import { VirtqueueDeviceSide } from '../virtqueue/VirtqueueDeviceSide.js';
import type { VirtqueueFault } from '../virtqueue/VirtqueueFault.js';
import { VIRTIO_STATUS, statusTransitionError } from './DeviceStatus.js';
import { Doorbell } from './Doorbell.js';
import type { InterruptGate } from './InterruptGate.js';
import { VIRTIO_F, hasFeature } from './VirtioFeatures.js';
import type { VirtioNetConfig } from './VirtioNetConfig.js';
import type { VirtioDriverCallbacks, VirtioTransport } from './VirtioTransport.js';

/**
 * Construction options of a {@link VirtioDeviceBase}.
 *
 * @example
 * ```ts
 * const o: VirtioDeviceBaseOptions = { memory: pool.bytes, offer, numQueues: 3, queueSize: 256, syncQueue: 2 };
 * ```
 */
export interface VirtioDeviceBaseOptions {
  /** Guest memory. */
  memory: Uint8Array;
  /** The feature offer. */
  offer: bigint;
  numQueues: number;
  /** `queue_num_max` of every queue. */
  queueSize: number;
  scheduler?: Scheduler | null;
  /** Latency of kicks and interrupts, ns (needs `scheduler`). */
  latencyNs?: number;
  /** A queue whose kicks are always served synchronously (a control queue the driver spins on). */
  syncQueue?: number;
  /** Holds interrupts (vring and config) raised while the guest is stopped until it runs. */
  interruptGate?: InterruptGate;
}

/**
 * The device-independent half of a virtio device (QEMU `hw/virtio/virtio.c`, the virtio-pci
 * modern transport): feature offer and acceptance, the status byte and its sequence, queue setup
 * between FEATURES_OK and DRIVER_OK, kick and interrupt doorbells, and `virtio_error`: a queue
 * fault sets NEEDS_RESET, stops every queue and (virtio 1.x) raises a config interrupt. Writing
 * status 0 resets everything. A write that sets FEATURES_OK for features the device refuses
 * leaves the whole status unchanged (QEMU `virtio_set_status`): an offered ACCESS_PLATFORM that
 * the driver drops, a set failing {@link VirtioDeviceBase.acceptFeatures}, or bits that were
 * not offered (QEMU masks those at the feature write and accepts; we refuse, as the spec's
 * "valid subset" rule reads). A status write out of sequence throws `ERR_STATE` (QEMU stores any
 * byte): it is a bug in the driver model, not a guest behaviour. Device types implement {@link VirtioDeviceBase.process} (a kick) and
 * {@link VirtioDeviceBase.acceptFeatures}.
 *
 * @example
 * ```ts
 * class MyDevice extends VirtioDeviceBase {
 *   readonly deviceId = 1;
 *   readonly config = new VirtioNetConfig();
 *   protected process(index: number): void { drain(this.queue(index)); }
 *   protected acceptFeatures(f: bigint): boolean { return validateNetFeatures(f) === null; }
 * }
 * ```
 */
export abstract class VirtioDeviceBase implements VirtioTransport {
  abstract readonly deviceId: number;
  abstract readonly config: VirtioNetConfig;
  readonly guestMemory: Uint8Array;
  readonly numQueues: number;
  readonly queueSize: number;

  /** The offer. */
  protected readonly offer: bigint;
  /** The features accepted at FEATURES_OK (0 before). */
  protected negotiated = 0n;
  protected status = 0;
  /** True after a queue fault, until reset. */
  protected broken = false;
  private driverFeatures = 0n;
  private readonly queues: (VirtqueueDeviceSide | null)[];
  private readonly kicks: Doorbell[] = [];
  private readonly irqs: Doorbell[] = [];
  private readonly configIrq: Doorbell;
  private driver: VirtioDriverCallbacks | null = null;
  private readonly onFault = (f: VirtqueueFault): void => this.queueFault(f);

  constructor(options: VirtioDeviceBaseOptions) {
    this.guestMemory = options.memory;
    this.offer = options.offer;
    this.numQueues = options.numQueues;
    this.queueSize = options.queueSize;
    const bell = { scheduler: options.scheduler ?? null, latencyNs: options.latencyNs ?? 0 };
    const irq = { ...bell, gate: options.interruptGate ?? null };
    this.queues = new Array<VirtqueueDeviceSide | null>(this.numQueues).fill(null);
    for (let i = 0; i < this.numQueues; i++) {
      this.kicks.push(new Doorbell(() => this.kicked(i), i === options.syncQueue ? {} : bell));
      this.irqs.push(new Doorbell(() => this.driver?.vringInterrupt(i), irq));
    }
    this.configIrq = new Doorbell(() => this.driver?.configChanged(), irq);
  }

  /** Serves a kick of queue `index` (only called while DRIVER_OK and not broken). */
  protected abstract process(index: number): void;
  /** Whether the device accepts the driver's features at FEATURES_OK (a subset of the offer). */
  protected abstract acceptFeatures(features: bigint): boolean;
  /** Called after FEATURES_OK was accepted. */
  protected onFeaturesAccepted(_features: bigint): void {}
  /** Called on every status write (after it took effect; 0 = reset). */
  protected onStatus(_status: number): void {}
  /** Called once per reset, after the generic state was cleared. */
  protected onReset(): void {}
  /** Called when a queue fault stopped the device. */
  protected onNeedsReset(_fault: VirtqueueFault): void {}

  getFeatures(): bigint {
    return this.offer;
  }

  /** The features the driver acknowledged at FEATURES_OK (0 before). */
  get negotiatedFeatures(): bigint {
    return this.negotiated;
  }

  /** True once a queue fault stopped the device (until reset). */
  get needsReset(): boolean {
    return this.broken;
  }

  /** The kick doorbell of a queue (its counters). */
  kickDoorbell(index: number): Doorbell | undefined {
    return this.kicks[index];
  }

  /** @throws `BypassError` `ERR_STATE` after FEATURES_OK or before DRIVER. */
  setDriverFeatures(features: bigint): void {
    const S = VIRTIO_STATUS;
    if ((this.status & S.DRIVER) === 0 || (this.status & S.FEATURES_OK) !== 0) {
      throw new BypassError(
        'ERR_STATE',
        'driver features are written after DRIVER and before FEATURES_OK; reset the device first',
      );
    }
    this.driverFeatures = features;
  }

  getStatus(): number {
    return this.status;
  }

  /** @throws `BypassError` `ERR_STATE` for a status write out of sequence. */
  setStatus(status: number): void {
    if (status === 0) {
      this.reset();
      this.onStatus(0);
      return;
    }
    const err = statusTransitionError(this.status, status);
    if (err !== null) throw new BypassError('ERR_STATE', `virtio status write refused: ${err}`);
    const s = status & ~VIRTIO_STATUS.NEEDS_RESET;
    if ((s & ~this.status & VIRTIO_STATUS.FEATURES_OK) !== 0) {
      const f = this.driverFeatures;
      // hw/virtio/virtio.c virtio_set_status: a refused FEATURES_OK leaves the status as it was
      // (the driver re-reads it, virtio spec 3.1.1); virtio_validate_features refuses a driver
      // that drops an offered ACCESS_PLATFORM.
      const dropsPlatform =
        hasFeature(this.offer, VIRTIO_F.ACCESS_PLATFORM) &&
        !hasFeature(f, VIRTIO_F.ACCESS_PLATFORM);
      if ((f & ~this.offer) !== 0n || dropsPlatform || !this.acceptFeatures(f)) return;
      this.negotiated = f;
      this.onFeaturesAccepted(f);
    }
    this.status = s | (this.status & VIRTIO_STATUS.NEEDS_RESET);
    this.onStatus(this.status);
  }

  queueMaxSize(index: number): number {
    return Number.isInteger(index) && index >= 0 && index < this.numQueues ? this.queueSize : 0;
  }

  /**
   * @throws `BypassError` `ERR_STATE` before FEATURES_OK or after DRIVER_OK,
   * `ERR_INVALID_ARGUMENT` for a bad index or size.
   */
  setupQueue(index: number, ring: ArrayBuffer, size: number): void {
    const S = VIRTIO_STATUS;
    if ((this.status & S.FEATURES_OK) === 0 || (this.status & S.DRIVER_OK) !== 0) {
      throw new BypassError(
        'ERR_STATE',
        'queues are set up after FEATURES_OK and before DRIVER_OK',
      );
    }
    if (this.queueMaxSize(index) === 0 || !(size >= 1 && size <= this.queueSize)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `queue ${index} of size ${size}: the device has queues 0..${this.numQueues - 1} of at most ${this.queueSize} entries`,
      );
    }
    const vq = new VirtqueueDeviceSide({
      index,
      size,
      ring,
      memory: this.guestMemory,
      eventIdx: hasFeature(this.negotiated, VIRTIO_F.RING_EVENT_IDX),
    });
    vq.onFault = this.onFault;
    this.queues[index] = vq;
  }

  /** The device side of queue `index`, once set up. */
  queue(index: number): VirtqueueDeviceSide | null {
    return this.queues[index] ?? null;
  }

  notify(index: number): void {
    this.kicks[index]?.ring();
  }

  bindDriver(callbacks: VirtioDriverCallbacks | null): void {
    this.driver = callbacks;
  }

  /** True while DRIVER_OK is set. */
  protected get running(): boolean {
    return (this.status & VIRTIO_STATUS.DRIVER_OK) !== 0;
  }

  /** Publishes the used ring of `vq` and interrupts the driver when it wants one. */
  protected flushAndInterrupt(vq: VirtqueueDeviceSide): void {
    if (vq.flush()) this.irqs[vq.index]?.ring();
  }

  /** Raises a configuration change interrupt (only while the driver is running). */
  protected raiseConfig(): void {
    if (this.running) this.configIrq.ring();
  }

  private kicked(index: number): void {
    if (this.running && !this.broken) this.process(index);
  }

  private queueFault(fault: VirtqueueFault): void {
    if (this.broken) return;
    // hw/virtio/virtio.c virtio_error: NEEDS_RESET, the device stops, a modern driver is told.
    this.broken = true;
    this.status |= VIRTIO_STATUS.NEEDS_RESET;
    this.onNeedsReset(fault);
    if (hasFeature(this.negotiated, VIRTIO_F.VERSION_1)) this.raiseConfig();
  }

  private reset(): void {
    this.status = 0;
    this.driverFeatures = 0n;
    this.negotiated = 0n;
    this.broken = false;
    this.queues.fill(null);
    for (const b of this.kicks) b.cancel();
    for (const b of this.irqs) b.cancel();
    this.configIrq.cancel();
    this.onReset();
  }
}
