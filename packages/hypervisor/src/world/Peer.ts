import type { PacketPool } from '@bypass/core';
import type { LinkSpec } from '../scenario/Scenario.js';
import { DelayLink, ETHERNET_OVERHEAD_BYTES, type LinkSink, type WireClock } from './DelayLink.js';
import type { Host } from './Host.js';

/**
 * A traffic endpoint plugged into a host's virtual switch (a client VM, a load generator): one
 * port, an Ethernet wire each way (each frame costs {@link ETHERNET_OVERHEAD_BYTES} more on it),
 * and a receiver that counts what arrives.
 *
 * @example
 * ```ts
 * const peer = new Peer('client', mac, host, pool, DEFAULT_LINKS.peer, wire, world.receiver(0));
 * peer.send(frames, n);
 * ```
 */
export class Peer {
  readonly port: number;
  private readonly up: DelayLink;
  private readonly down: DelayLink;

  constructor(
    readonly name: string,
    readonly mac: number,
    readonly host: Host,
    pool: PacketPool,
    spec: LinkSpec,
    private readonly wire: WireClock,
    receive: LinkSink,
  ) {
    this.down = new DelayLink(pool, spec, receive, 1 << 14, wire, ETHERNET_OVERHEAD_BYTES);
    this.port = host.switch.addPort('peer', name, (p, s, n) => this.down.push(p, s, n, wire.now));
    this.up = new DelayLink(
      pool,
      spec,
      (p, s, n) => host.switch.ingress(this.port, p, s, n),
      1 << 14,
      wire,
      ETHERNET_OVERHEAD_BYTES,
    );
    host.switch.setStatic(mac, this.port);
  }

  /** The peer transmits `pkts[0..n)` now. */
  send(pkts: Int32Array, n: number): void {
    this.up.push(pkts, 0, n, this.wire.now);
  }

  /** The peer's two wires. */
  get links(): DelayLink[] {
    return [this.up, this.down];
  }
}
