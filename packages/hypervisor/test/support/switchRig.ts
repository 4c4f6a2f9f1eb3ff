import { PacketPool, dropReasonName } from '@bypass/core';
import { VirtualSwitch, type VirtualSwitchOptions } from '../../src/world/VirtualSwitch.js';

/** The VM NIC's MAC of {@link switchRig} (static on the paravirtual port). */
export const RIG_VM = 0x5254_0000_0001;
/** The local peer's MAC of {@link switchRig} (static on the peer port). */
export const RIG_PEER = 0x5254_0000_0002;

/** A host switch with one port of each kind, counting what each port and each drop reason gets. */
export interface SwitchRig {
  readonly pool: PacketPool;
  readonly sw: VirtualSwitch;
  /** Frames delivered per port name (`peer`, `pv`, `vf`, `up`). */
  readonly got: Map<string, number>;
  /** Frames dropped per reason name. */
  readonly drops: Map<string, number>;
  readonly port: Record<'peer' | 'pv' | 'vf' | 'up', number>;
  /** Frames `(source, destination)` enter by port `from` in one burst. */
  send(from: number, ...frames: [number, number][]): void;
}

/**
 * The switch the switch tests share: a local peer (`peer`), a VM NIC's paravirtual and VF ports
 * (`pv`, `vf`, paired), and the uplink (`up`); the VM's and the peer's MACs static on their
 * ports; frames are 64-byte Ethernet headers with the given addresses.
 *
 * @example
 * ```ts
 * const r = switchRig();
 * r.send(r.port.peer, [RIG_PEER, RIG_VM]);
 * r.got.get('pv'); // 1
 * ```
 */
export function switchRig(options: VirtualSwitchOptions = {}): SwitchRig {
  const pool = new PacketPool({ slots: 64 });
  const got = new Map<string, number>();
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pk, _s, n, reason) => {
    const k = dropReasonName(reason);
    drops.set(k, (drops.get(k) ?? 0) + n);
  };
  const sw = new VirtualSwitch('h', pool, options);
  const sink = (name: string) => (pkts: Int32Array, start: number, n: number) => {
    got.set(name, (got.get(name) ?? 0) + n);
    pool.freeBurst(pkts, start, n);
  };
  const port = {
    peer: sw.addPort('peer', 'client', sink('peer')),
    pv: sw.addPort('paravirt', 'vm-pv', sink('pv')),
    vf: sw.addPort('vf', 'vm-vf', sink('vf')),
    up: sw.addPort('uplink', 'uplink', sink('up')),
  };
  sw.pairPorts(port.pv, port.vf);
  sw.setStatic(RIG_PEER, port.peer);
  sw.setStatic(RIG_VM, port.pv);
  const burst = new Int32Array(16);
  const send = (from: number, ...frames: [number, number][]): void => {
    frames.forEach(([src, dst], i) => {
      const h = pool.alloc();
      const o = pool.start[h] as number;
      pool.view.setUint16(o, Math.floor(dst / 2 ** 32));
      pool.view.setUint32(o + 2, dst % 2 ** 32);
      pool.view.setUint16(o + 6, Math.floor(src / 2 ** 32));
      pool.view.setUint32(o + 8, src % 2 ** 32);
      pool.setLength(h, 64);
      burst[i] = h;
    });
    sw.ingress(from, burst, 0, frames.length);
  };
  return { pool, sw, got, drops, port, send };
}
