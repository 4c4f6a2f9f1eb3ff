import { DropReason, NS_PER_US } from '@bypass/core';
import { NetvspHost, RNDIS_STATUS, VmbusChannel } from '@bypass/netvsc';
import type { NicModelContext } from '../NicModel.js';

/**
 * How long a VMBus signal takes to reach the peer (guest <-> host), ns. A Hyper-V interrupt or
 * hypercall costs a few microseconds; 20 us is what the netvsc examples and tests use, and every
 * NVSP round trip (probe, SWITCH_DATA_PATH) costs two of them.
 *
 * @example
 * ```ts
 * scheduler.advanceBy(2 * VMBUS_SIGNAL_LATENCY_NS); // a SWITCH_DATA_PATH round trip
 * ```
 */
export const VMBUS_SIGNAL_LATENCY_NS = 20 * NS_PER_US;

/**
 * Options of a {@link NetvspHostSide}.
 *
 * @example
 * ```ts
 * const o: NetvspHostSideOptions = { maxChannels: 1 };
 * ```
 */
export interface NetvspHostSideOptions {
  /** Channels (queues) the host grants at most (the guest asks for its own number). */
  readonly maxChannels: number;
}

/**
 * The Hyper-V host side of one synthetic NIC for the netvsc NIC models: a {@link VmbusChannel}
 * (signal latency {@link VMBUS_SIGNAL_LATENCY_NS}, instance id derived from the VM and NIC
 * names) with the {@link NetvspHost} on its host end, wired to the world: frames the guest sends
 * on the synthetic path go to `ctx.toHostParavirt` (the host's `onGuestFrames` hook), host RX
 * after SWITCH_DATA_PATH goes to `ctx.toGuestVf` (the host's `vfSink`), and the host NIC is told
 * to steer the MAC's unicast to the VF itself (`ctx.steerVf`), so frames from the wire skip
 * the synthetic path; what still reaches the NetVSP host goes to the VF wire.
 *
 * It also keeps what the host knows about the VF: the association it sent (slot serial), and
 * the host's own switch back to synthetic when it takes the VF away (Hyper-V moves host RX back
 * to the synthetic path before it revokes the VF; the guest's later SWITCH_DATA_PATH to
 * synthetic then only confirms it).
 *
 * @example
 * ```ts
 * const side = new NetvspHostSide(ctx, { maxChannels: 1 });
 * side.associate(1);                   // NVSP SEND_VF_ASSOCIATION, allocated, serial 1
 * side.deliver(pkts, 0, n);            // host RX: VMBus, or the VF wire once switched
 * side.withdraw();                     // association withdrawn, host RX back on VMBus
 * side.close();
 * ```
 */
export class NetvspHostSide {
  readonly channel: VmbusChannel;
  readonly host: NetvspHost;
  /** The slot serial of the VF association the host announced, or -1. */
  serial = -1;
  private readonly ctx: NicModelContext;
  private closed = false;

  constructor(ctx: NicModelContext, options: NetvspHostSideOptions) {
    this.ctx = ctx;
    this.channel = new VmbusChannel({
      scheduler: ctx.scheduler,
      guestScheduler: ctx.guestClock,
      signalLatencyNs: VMBUS_SIGNAL_LATENCY_NS,
      instanceId: instanceIdFor(ctx.vm, ctx.nic),
    });
    this.host = new NetvspHost({
      channel: this.channel,
      pool: ctx.pool,
      scheduler: ctx.scheduler,
      mac: ctx.mac,
      maxChannels: options.maxChannels,
    });
    this.host.onGuestFrames = (pkts, start, count) => ctx.toHostParavirt(pkts, start, count);
    this.host.vfSink = (pkts, start, count) => ctx.toGuestVf(pkts, start, count);
    this.host.events.on('datapath', (vf) => {
      ctx.event('host-datapath', vf ? 'host RX to the VF' : 'host RX on VMBus');
      ctx.steerVf?.(vf);
    });
  }

  /** True while the host RX of this NIC goes to the VF wire. */
  get onVf(): boolean {
    return this.host.dataPath === 'vf';
  }

  /**
   * Host RX for the guest. Dropped (`no-device`) once the channel is gone; dropped (`dev-down`)
   * while it would go over VMBus to a guest that has not set an RNDIS packet filter (not probed
   * yet, or its netdev/port is down): a NetVSP host indicates nothing before that.
   */
  deliver(pkts: Int32Array, start: number, count: number): void {
    if (count <= 0) return;
    const host = this.host;
    if (this.closed || this.channel.isRescinded) {
      this.ctx.pool.drop(pkts, start, count, DropReason.NO_DEVICE);
      return;
    }
    if (host.dataPath !== 'vf' && host.packetFilter === 0) {
      this.ctx.pool.drop(pkts, start, count, DropReason.DEV_DOWN);
      return;
    }
    host.deliver(pkts, start, count);
  }

  /** Sends NVSP SEND_VF_ASSOCIATION (allocated) for the VF in slot `serial`. */
  associate(serial: number): void {
    if (this.closed) return;
    this.serial = serial;
    this.host.sendVfAssociation(true, serial);
    this.ctx.event('vf-association', `host: VF slot ${serial} allocated`);
  }

  /**
   * The host takes the VF away: host RX back to VMBus at once, then the association withdrawn
   * (SEND_VF_ASSOCIATION, not allocated). Does nothing when no association is outstanding.
   */
  withdraw(): void {
    if (this.closed || this.serial < 0) return;
    const serial = this.serial;
    this.serial = -1;
    this.switchHostToSynthetic();
    this.host.sendVfAssociation(false, serial);
    this.ctx.event('vf-association', `host: VF slot ${serial} removed`);
  }

  /** The host stops forwarding to the VF (it is about to take it away or already has). */
  switchHostToSynthetic(): void {
    if (this.host.dataPath === 'synthetic') return;
    this.host.dataPath = 'synthetic';
    this.ctx.steerVf?.(false);
    this.ctx.event('host-datapath', 'host RX on VMBus (VF being removed)');
  }

  /** RNDIS media connect / disconnect indication to the guest; false once closed. */
  indicateLink(up: boolean): boolean {
    if (this.closed || this.channel.isRescinded) return false;
    this.host.indicateStatus(up ? RNDIS_STATUS.MEDIA_CONNECT : RNDIS_STATUS.MEDIA_DISCONNECT);
    return true;
  }

  /** The host's counters, `host_` prefixed, into `out`. */
  statsInto(out: Record<string, number>): void {
    const s = this.host.stats;
    out['host_from_guest_frames'] = s.fromGuestFrames;
    out['host_from_guest_dropped'] = s.fromGuestDropped;
    out['host_to_guest_frames'] = s.toGuestFrames;
    out['host_to_guest_dropped'] = s.toGuestDropped;
    out['host_to_vf_frames'] = s.toVfFrames;
    out['host_switch_requests'] = s.switchRequests;
    out['host_malformed'] = s.malformed;
  }

  /** Closes the channel (the VMBus device is gone): both ends refuse further sends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.vfSink = null;
    this.host.onGuestFrames = null;
    this.channel.rescind();
  }
}

/**
 * A VMBus instance UUID for a NIC, stable for a VM and NIC name (Hyper-V gives each synthetic
 * NIC its own; DPDK names the netvsc port after it). FNV-1a over the name, spread over 128 bits.
 *
 * @example
 * ```ts
 * instanceIdFor('vm1', 'eth0'); // the same 8-4-4-4-12 hex id on every run
 * ```
 */
export function instanceIdFor(vm: string, nic: string): string {
  const name = `${vm}/${nic}`;
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    let h = (0x811c9dc5 ^ w) >>> 0;
    for (let i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    words.push(h.toString(16).padStart(8, '0'));
  }
  const hex = words.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
