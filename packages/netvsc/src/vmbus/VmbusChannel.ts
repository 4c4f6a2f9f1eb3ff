import { BypassError, type Scheduler } from '@bypass/core';
import { Subject, type Observable } from 'rxjs';
import { VmbusEndpoint } from './VmbusEndpoint.js';
import { HV_PAGE_SIZE, VmbusRingBuffer } from './VmbusRingBuffer.js';

/**
 * The Hyper-V synthetic network device class id (Linux `include/linux/hyperv.h` HV_NIC_GUID).
 *
 * @example
 * ```ts
 * if (offer.classId === HV_NIC_CLASS_ID) probeNetvsc(offer);
 * ```
 */
export const HV_NIC_CLASS_ID = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';

/**
 * Most channels (primary + subchannels) of one netvsc device (hyperv_net.h VRSS_CHANNEL_MAX).
 *
 * @example
 * ```ts
 * const subchannels = Math.min(wanted, VMBUS_MAX_CHANNELS) - 1;
 * ```
 */
export const VMBUS_MAX_CHANNELS = 64;

/**
 * Options of a {@link VmbusChannel}.
 *
 * @example
 * ```ts
 * const o: VmbusChannelOptions = { scheduler, ringPages: 128, instanceId: 'b7e0...' };
 * const paused: VmbusChannelOptions = { scheduler, guestScheduler: vm.clock }; // guest IRQs wait
 * ```
 */
export interface VmbusChannelOptions {
  /** Drives signal delivery. */
  scheduler: Scheduler;
  /**
   * Runs the guest endpoint's signal handlers (the guest's VMBus interrupt); default
   * `scheduler`. A simulator passes a clock that holds them while the VM does not run.
   */
  guestScheduler?: Scheduler;
  /** Pages per direction, header page included; default 128 (netvsc's `ring_size`). */
  ringPages?: number;
  /** Device class UUID; default {@link HV_NIC_CLASS_ID}. */
  classId?: string;
  /** Instance UUID; default a fixed one. */
  instanceId?: string;
  /** Delay between a signal and the peer's handler, ns; default 0 (next scheduler step). */
  signalLatencyNs?: number;
  /** 0 for a primary channel; 1.. for subchannels. */
  subchannelIndex?: number;
}

/**
 * A VMBus channel (Linux `struct vmbus_channel`): identified by class and instance UUID, with
 * two rings in one shared buffer (guest-to-host first, then host-to-guest, as `vmbus_open` lays
 * them out), a guest and a host {@link VmbusEndpoint}, and subchannels for multiqueue (the host
 * offers them after an NVSP subchannel request; up to 64 channels per device).
 *
 * A rescind (host servicing, device removal) closes both endpoints of the channel and of its
 * subchannels and is announced on {@link VmbusChannel.rescind$}.
 *
 * The guest may also close the channel and open it again ({@link VmbusChannel.close},
 * {@link VmbusChannel.open}: Linux `vmbus_close` / `vmbus_open`, what netvsc's detach and attach
 * do around an MTU change): the host is told first ({@link VmbusChannel.closing$}, it reads what
 * the guest left in the rings), the subchannels go with the primary channel (the host offers new
 * ones on the next subchannel request) and the rings start empty when it opens again.
 *
 * @example
 * ```ts
 * const ch = new VmbusChannel({ scheduler });
 * ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, msg, 0, msg.length);
 * const sub = ch.offerSubchannel();     // sub.subchannelIndex === 1
 * ch.rescind$.subscribe(() => console.log('channel gone'));
 * ch.rescind();
 * ```
 */
export class VmbusChannel {
  readonly classId: string;
  readonly instanceId: string;
  readonly subchannelIndex: number;
  /** The shared memory: both rings. */
  readonly memory: ArrayBuffer;
  readonly guest: VmbusEndpoint;
  readonly host: VmbusEndpoint;
  /** Subchannels offered so far (primary channel only). */
  readonly subchannels: VmbusChannel[] = [];
  private readonly options: VmbusChannelOptions;
  private readonly rescinded = new Subject<VmbusChannel>();
  private readonly closingSubject = new Subject<VmbusChannel>();
  private readonly openedSubject = new Subject<VmbusChannel>();
  private rescindedFlag = false;
  private openFlag = true;

  /** Fires once when the host rescinds the channel. */
  readonly rescind$: Observable<VmbusChannel> = this.rescinded.asObservable();
  /**
   * Fires when the guest closes the channel, before the endpoints close: the host's last chance
   * to read what the guest wrote (the CLOSECHANNEL message reaches it after the ring contents).
   */
  readonly closing$: Observable<VmbusChannel> = this.closingSubject.asObservable();
  /** Fires when the guest opens the channel again after a close. */
  readonly opened$: Observable<VmbusChannel> = this.openedSubject.asObservable();

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a ring size outside 2..4096 pages.
   */
  constructor(options: VmbusChannelOptions) {
    const pages = options.ringPages ?? 128;
    if (!Number.isInteger(pages) || pages < 2 || pages > 4096) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `VMBus ring size must be 2..4096 pages per direction, got ${pages}`,
      );
    }
    this.options = options;
    this.classId = options.classId ?? HV_NIC_CLASS_ID;
    this.instanceId = options.instanceId ?? '00000000-0000-0000-0000-000000000001';
    this.subchannelIndex = options.subchannelIndex ?? 0;
    const bytes = pages * HV_PAGE_SIZE;
    this.memory = new ArrayBuffer(2 * bytes);
    const latency = options.signalLatencyNs ?? 0;
    const g2h = () => new VmbusRingBuffer(this.memory, 0, bytes);
    const h2g = () => new VmbusRingBuffer(this.memory, bytes, bytes);
    const out = g2h();
    const inb = h2g();
    // netvsc.c and DPDK hn_rxtx.c never set pending_send_sz on the guest's outbound ring.
    out.pendingOnFull = false;
    out.init();
    inb.init();
    const guestScheduler = options.guestScheduler ?? options.scheduler;
    this.guest = new VmbusEndpoint('guest', out, inb, guestScheduler, latency);
    this.host = new VmbusEndpoint('host', h2g(), g2h(), options.scheduler, latency);
    this.guest.link(this.host);
    this.host.link(this.guest);
  }

  /** True once rescinded. */
  get isRescinded(): boolean {
    return this.rescindedFlag;
  }

  /** True while neither rescinded nor closed by the guest. */
  get isOpen(): boolean {
    return this.openFlag && !this.rescindedFlag;
  }

  /** Every channel of the device: this one, then its subchannels in index order. */
  get all(): VmbusChannel[] {
    return [this, ...this.subchannels];
  }

  /**
   * The host offers one more subchannel (same ring size, next index).
   *
   * @throws `BypassError` `ERR_STATE` on a subchannel or a rescinded or closed channel,
   * `ERR_INVALID_ARGUMENT` beyond 64 channels.
   */
  offerSubchannel(): VmbusChannel {
    if (this.subchannelIndex !== 0 || !this.isOpen) {
      throw new BypassError('ERR_STATE', 'only an open primary channel offers subchannels');
    }
    if (this.subchannels.length + 1 >= VMBUS_MAX_CHANNELS) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `a device has at most ${VMBUS_MAX_CHANNELS} channels`,
      );
    }
    const sub = new VmbusChannel({
      ...this.options,
      instanceId: this.instanceId,
      subchannelIndex: this.subchannels.length + 1,
    });
    this.subchannels.push(sub);
    return sub;
  }

  /**
   * The guest closes the channel (Linux `vmbus_close`): the host hears of it first
   * ({@link VmbusChannel.closing$}), then both endpoints close; the subchannels are closed with
   * it and forgotten (the host offers new ones after the next subchannel request). Nothing
   * happens on a channel already closed or rescinded.
   */
  close(): void {
    if (!this.isOpen) return;
    this.closingSubject.next(this);
    for (const s of this.subchannels) {
      s.openFlag = false;
      s.guest.close();
      s.host.close();
    }
    this.subchannels.length = 0;
    this.openFlag = false;
    this.guest.close();
    this.host.close();
  }

  /**
   * The guest opens a channel it closed (Linux `vmbus_open`): both rings start empty and both
   * endpoints accept sends again; announced on {@link VmbusChannel.opened$}.
   *
   * @throws `BypassError` `ERR_NO_DEVICE` on a rescinded channel.
   */
  open(): void {
    if (this.rescindedFlag)
      throw new BypassError(
        'ERR_NO_DEVICE',
        `VMBus channel ${this.instanceId} was rescinded; it cannot be opened again`,
      );
    if (this.openFlag) return;
    this.guest.tx.init();
    this.guest.rx.init();
    this.guest.reopen();
    this.host.reopen();
    this.openFlag = true;
    this.openedSubject.next(this);
  }

  /** The host takes the channel (and its subchannels) away. */
  rescind(): void {
    if (this.rescindedFlag) return;
    this.rescindedFlag = true;
    for (const s of this.subchannels) s.rescind();
    this.guest.close();
    this.host.close();
    this.rescinded.next(this);
    this.rescinded.complete();
  }
}
