import {
  BusDevice,
  BypassPolicy,
  Ethernet,
  datapathName,
  type BypassInstance,
  type NetDevice,
  type VfDevice,
} from '@bypass/core';
import type { Subscription } from 'rxjs';
import {
  joinKernelGroups,
  type DatapathInUse,
  type NicModel,
  type NicModelContext,
} from '@bypass/hypervisor';
import { ToyGuestNic } from './ToyGuestNic.js';
import { ToyHostBackend } from './ToyHostBackend.js';

/** The name the example registers the model under (`runScenario(..., { models })`). */
export const TOY_MODEL = 'toy-paravirt';

const POLL_BUDGET = 256;

/**
 * The toy paravirtual NIC as a simulator mechanism: the guest driver ({@link ToyGuestNic}, a
 * 2-netdev bypass master), its host backend ({@link ToyHostBackend}), and the hooks the world
 * calls when the host plugs or removes the VF and after a migration.
 *
 * The host steers RX to the VF by its MAC filter as soon as the VF is plugged (`filter`), and
 * may plug one at any time (`acceptsVf`).
 */
export class ToyNicModel implements NicModel {
  readonly model = TOY_MODEL;
  readonly vfSteering = 'filter' as const;
  readonly acceptsVf = true;
  readonly nic: ToyGuestNic;
  readonly backend: ToyHostBackend;
  /** Gratuitous ARPs sent after migrations. */
  garpSent = 0;
  private readonly bypass: BypassInstance;
  private readonly registryLog: Subscription;
  private readonly policy = new BypassPolicy();
  private vf: VfDevice | null = null;
  private fn: BusDevice | null = null;

  constructor(private readonly ctx: NicModelContext) {
    this.nic = new ToyGuestNic({
      pool: ctx.pool,
      permAddr: ctx.mac,
      parent: new BusDevice({ id: `toy-${ctx.vm}-${ctx.nic}`, bus: 'virtual' }),
      driver: 'toy_pv',
      maxMtu: 9000,
    });
    this.backend = new ToyHostBackend(ctx.pool, this.nic, ctx.toHostParavirt);
    // The driver's probe: register the netdev, bind the application, then become a bypass
    // master; from now on a same-MAC VF registered in the namespace is enslaved.
    ctx.ns.register(this.nic, ctx.nic);
    this.nic.bindSink((_dev, pkts, start, count) => ctx.deliver(pkts, start, count));
    this.nic.carrierOn();
    this.nic.open();
    // The guest's IPv4 stack joins 224.0.0.1, the application its flows' groups.
    joinKernelGroups(this.nic, ctx);
    this.registryLog = ctx.registry.events$.subscribe((e) => {
      if (e.master !== this.nic) return;
      const why = e.reason === undefined ? '' : `: ${e.reason}`;
      ctx.event(`bypass-${e.type}`, `${e.slave.name}${why}`);
    });
    this.bypass = ctx.registry.register(this.nic, this.nic.bypassOps());
  }

  fromHostParavirt(pkts: Int32Array, start: number, count: number): void {
    this.backend.receive(pkts, start, count);
  }

  send(pkts: Int32Array, start: number, count: number): void {
    this.nic.xmit(pkts, start, count);
  }

  service(): void {
    this.backend.service();
    this.nic.napiPoll(POLL_BUDGET);
    this.vf?.pollAll(POLL_BUDGET);
  }

  plugVf(vf: VfDevice, fn: BusDevice): void {
    this.vf = vf;
    this.fn = fn;
    vf.setLink(true);
    // The VF driver registers its netdev: the registry sees the same MAC and enslaves it.
    this.ctx.ns.register(vf, `${this.ctx.nic}vf`);
  }

  drainVfRx(): void {
    this.vf?.pollAll(1 << 20);
  }

  removeVf(surprise: boolean): void {
    const vf = this.vf;
    if (vf === null) return;
    this.vf = null;
    // Unregistering the netdev releases it from the master (BypassOps.unregister).
    vf.hotUnplug({ surprise });
    if (this.fn !== null) this.ctx.bus.remove(this.fn, { surprise });
    this.fn = null;
  }

  announce(): void {
    const h = this.ctx.pool.alloc();
    if (h < 0) {
      this.ctx.event('announce', 'no free frame for the gratuitous ARP');
      return;
    }
    Ethernet.writeGratuitousArp(this.ctx.pool, h, this.ctx.mac.value, this.ctx.ipv4);
    const one = new Int32Array([h]);
    // Through the NIC, like any frame: the VF if it is back already, else the paravirtual path.
    this.nic.xmit(one, 0, 1);
    this.garpSent++;
    this.ctx.event('announce', 'guest gratuitous ARP');
  }

  datapath(): DatapathInUse {
    const vf = this.nic.activeVf;
    return datapathName(this.policy.unicastPath(vf !== null && vf.isReady, this.nic.isReady));
  }

  device(role: string): NetDevice | null {
    if (role === 'master' || role === 'backup') return this.nic;
    if (role === 'vf') return this.nic.activeVf;
    return this.ctx.ns.getByName(role) ?? null;
  }

  stats(): Record<string, number> {
    // The master's counters fold in what every VF did while enslaved (SlaveStatsFolder).
    const s = this.nic.getStats64();
    const own = this.nic.stats;
    const out: Record<string, number> = {
      rx_packets: s.rxPackets,
      tx_packets: s.txPackets,
      rx_dropped: s.rxDropped,
      tx_dropped: s.txDropped,
      pv_rx_packets: own.rxPackets,
      pv_tx_packets: own.txPackets,
      garp_sent: this.garpSent,
      host_from_guest: this.backend.stats.fromGuest,
      host_to_guest: this.backend.stats.toGuest,
      host_to_guest_ring_full: this.backend.stats.toGuestRingFull,
    };
    // What went through VFs (every one enslaved so far) is the folded part.
    out['vf_rx_packets'] = s.rxPackets - own.rxPackets;
    out['vf_tx_packets'] = s.txPackets - own.txPackets;
    return out;
  }

  dispose(): void {
    this.removeVf(false);
    this.ctx.registry.unregister(this.bypass);
    this.nic.shutdown();
    if (this.nic.registered) this.ctx.ns.unregister(this.nic);
    this.registryLog.unsubscribe();
  }
}
