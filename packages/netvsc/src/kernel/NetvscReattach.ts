import { BypassError, SeededRandom, type Scheduler, type TimerId } from '@bypass/core';
import type { NvspClient } from '../nvsp/NvspClient.js';
import { NETVSC_BUFFERS, NETVSC_RETRY, NVSP_MSG } from '../nvsp/NvspConstants.js';
import type { NvspConnectResult } from '../nvsp/NvspHandshake.js';
import { NDIS_PACKET_TYPE, RNDIS_MSG } from '../rndis/RndisConstants.js';

/**
 * What {@link NetvscReattach} needs from the netdev it detaches and attaches again (the
 * `NetvscDevice` implements it).
 *
 * @example
 * ```ts
 * const reattach = new NetvscReattach({ client, scheduler, instanceId, driver });
 * ```
 */
export interface NetvscReattachDriver {
  /** `netif_running`. */
  running(): boolean;
  /** netvsc_tx_disable: `tx_disable` set, every TX queue stopped (their frames wait). */
  txDisable(): void;
  /**
   * rndis_filter_set_packet_filter: sends the RNDIS SET and calls `done` with the SET_C's arrival
   * (`ok` false: the request could not be sent or the channel went away).
   */
  setFilter(filter: number, done: (ok: boolean) => void): void;
  /** netif_device_detach: every TX queue stopped. */
  deviceDetach(): void;
  /**
   * The channel is up again with `r`: `tx_disable` cleared, the queues in use set from the
   * channels granted, and netif_device_attach (the queues wake, their backlog goes out).
   */
  deviceAttach(r: NvspConnectResult): void;
  /** netif_carrier_off / netif_carrier_on. */
  carrierOff(): void;
  carrierOn(): void;
  /** The new RNDIS device's link state (`rdev->link_state`): true when the host says down. */
  linkDown(): boolean;
  /** Channels in use now (`nvdev->num_chn`, what netvsc_devinfo_get carries over). */
  channels(): number;
  /** A `netdev_err` / `netdev_info` line. */
  log(line: string): void;
}

/**
 * Options of a {@link NetvscReattach}.
 *
 * @example
 * ```ts
 * const o: NetvscReattachOptions = { client, scheduler, instanceId: channel.instanceId, driver };
 * ```
 */
export interface NetvscReattachOptions {
  client: NvspClient;
  scheduler: Scheduler;
  /** The VMBus instance id: seeds the 5-10 ms retry jitter. */
  instanceId: string;
  driver: NetvscReattachDriver;
}

/**
 * netvsc's detach and attach around a change the host must see from a fresh connection
 * (`netvsc_drv.c` netvsc_detach / netvsc_attach, used by netvsc_change_mtu; the channel and ring
 * changes of ethtool go the same way):
 *
 * - detach: when the device runs, TX disabled (queues stopped: frames wait in their qdisc), the
 *   RNDIS packet filter set to 0 with its completion awaited (the host indicates nothing more),
 *   then the rings waited on until empty (5-10 ms apart, 2000 tries, else -ETIMEDOUT and the
 *   change fails with TX left disabled, as in Linux); the device detached; RNDIS HALT and every
 *   send completion awaited; the receive and send buffers revoked (NVSP 103, 106); the channel
 *   closed.
 * - attach: the channel opened again and the whole NVSP/RNDIS bring-up redone with the new MTU
 *   and the channels in use; TX enabled and the device attached (the held frames go out, through
 *   the VF when the datapath is on it); carrier off; when the device runs, the default packet
 *   filter (DIRECTED | BROADCAST | ALL_MULTICAST, as rndis_filter_open sets it) with its
 *   completion awaited, then carrier on if the host says the link is up.
 *
 * Linux does all of it synchronously under RTNL; here each wait is a callback on the scheduler,
 * so time passes and frames keep being offered meanwhile (they wait in the stopped queues).
 *
 * @example
 * ```ts
 * reattach.detach((err) => {
 *   if (err !== null) return fail(err);
 *   reattach.attach(9000, (err2) => console.log(err2 === null ? 'attached' : err2.message));
 * });
 * ```
 */
export class NetvscReattach {
  private readonly client: NvspClient;
  private readonly scheduler: Scheduler;
  private readonly driver: NetvscReattachDriver;
  private readonly random: SeededRandom;
  private timer: TimerId = -1;
  /** Bumped by {@link NetvscReattach.cancel}: callbacks of an older generation do nothing. */
  private generation = 0;

  constructor(options: NetvscReattachOptions) {
    this.client = options.client;
    this.scheduler = options.scheduler;
    this.driver = options.driver;
    this.random = new SeededRandom(`netvsc-reattach:${options.instanceId}`);
  }

  /** Detaches (see the class doc); `done` gets null, or why it failed. */
  detach(done: (err: BypassError | null) => void): void {
    const d = this.driver;
    const gen = this.generation;
    if (!d.running()) {
      this.remove(gen, done);
      return;
    }
    d.txDisable();
    // rndis_filter.c rndis_filter_close_device: filter 0, completion awaited.
    d.setFilter(0, (ok) => {
      if (gen !== this.generation) return;
      if (!ok) {
        done(this.noDevice('the host did not complete the packet filter'));
        return;
      }
      this.waitUntilEmpty(gen, 0, (empty) => {
        if (empty) this.remove(gen, done);
        else {
          d.log('Ring buffer not empty after closing rndis');
          done(
            new BypassError(
              'ERR_BUSY',
              'the VMBus rings did not drain within 2000 tries; the host stopped reading them',
            ),
          );
        }
      });
    });
  }

  /**
   * Attaches with `mtu` (see the class doc); `done` gets null, or why it failed (the channel is
   * then closed again and the device stays detached).
   */
  attach(mtu: number, done: (err: BypassError | null) => void): void {
    const d = this.driver;
    const gen = this.generation;
    try {
      this.client.reopen();
    } catch (err) {
      done(err instanceof BypassError ? err : new BypassError('ERR_NO_DEVICE', String(err)));
      return;
    }
    this.client.connect({ mtu, channels: d.channels(), linkSpeed: true }, (r) => {
      if (gen !== this.generation) return;
      if (r.error !== '') {
        this.client.close();
        done(new BypassError('ERR_REFUSED', `netvsc attach failed: ${r.error}`));
        return;
      }
      d.deviceAttach(r);
      // netvsc_attach: carrier off until the filter is set and the link is known.
      d.carrierOff();
      if (!d.running()) {
        done(null);
        return;
      }
      d.setFilter(
        NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.DIRECTED,
        (ok) => {
          if (gen !== this.generation) return;
          if (!ok) {
            d.deviceDetach();
            this.client.close();
            done(this.noDevice('the packet filter could not be set after the attach'));
            return;
          }
          if (!d.linkDown()) d.carrierOn();
          done(null);
        },
      );
    });
  }

  /** Abandons what is in progress (the device goes away): no callback, no timer left. */
  cancel(): void {
    this.generation++;
    if (this.timer !== -1) this.scheduler.cancel(this.timer);
    this.timer = -1;
  }

  /**
   * rndis_filter_device_remove: RNDIS HALT, every send completion awaited
   * (rndis_filter_halt_device), then netvsc_device_remove: both buffers revoked, the channel
   * closed.
   */
  private remove(gen: number, done: (err: BypassError | null) => void): void {
    this.driver.deviceDetach();
    const c = this.client;
    c.rndisSend({ kind: RNDIS_MSG.HALT, requestId: 0 });
    c.whenTxIdle(() => {
      if (gen !== this.generation) return;
      c.post({ type: NVSP_MSG.REVOKE_RECV_BUF, id: NETVSC_BUFFERS.RECV_BUFFER_ID });
      c.post({ type: NVSP_MSG.REVOKE_SEND_BUF, id: NETVSC_BUFFERS.SEND_BUFFER_ID });
      c.close();
      done(null);
    });
  }

  /**
   * netvsc_wait_until_empty: every channel's inbound and outbound ring empty; else again 5-10 ms
   * later, 2000 tries at most.
   */
  private waitUntilEmpty(gen: number, tries: number, done: (empty: boolean) => void): void {
    this.timer = -1;
    if (gen !== this.generation) return;
    if (this.ringsEmpty()) return done(true);
    if (tries >= NETVSC_RETRY.MAX) return done(false);
    this.timer = this.scheduler.runAfter(
      this.random.range(NETVSC_RETRY.LO_NS, NETVSC_RETRY.HI_NS),
      () => this.waitUntilEmpty(gen, tries + 1, done),
    );
  }

  private ringsEmpty(): boolean {
    for (const ep of this.client.endpoints)
      if (ep.rx.bytesToRead() !== 0 || ep.tx.bytesToRead() !== 0) return false;
    return true;
  }

  private noDevice(why: string): BypassError {
    return new BypassError('ERR_NO_DEVICE', `${why}: the VMBus channel is gone`);
  }
}
