/**
 * A small simulated guest for the virtio-net tests: a pool, a namespace, a bypass registry, a
 * virtio bus device, a backend (the host side), helpers to make frames, listen on a netdev and
 * plug VFs.
 */
import {
  BusDevice,
  BypassRegistry,
  MacAddress,
  NetNamespace,
  PacketPool,
  VfDevice,
  dropReasonName,
  type NetDevice,
} from '@bypass/core';
import {
  VirtioNetBackend,
  VirtioNetDevice,
  type VirtioNetBackendOptions,
  type VirtioNetDeviceOptions,
} from '../../src/index.js';

export const MAC = MacAddress.parse('52:54:00:00:00:01');
export const PEER = MacAddress.parse('52:54:00:00:00:99');

export function world(slots = 2048, slotSize = 2048) {
  const pool = new PacketPool({ slots, slotSize });
  const ns = new NetNamespace('vm');
  const registry = new BypassRegistry();
  const parent = new BusDevice({ id: 'virtio0', bus: 'virtio' });
  const drops: Record<string, number> = {};
  pool.onDrop = (_p, _pk, _s, count, reason) => {
    const n = dropReasonName(reason);
    drops[n] = (drops[n] ?? 0) + count;
  };
  let nextSlot = 4;
  const backend = (o: Partial<VirtioNetBackendOptions> = {}): VirtioNetBackend =>
    new VirtioNetBackend({ pool, mac: MAC, queueSize: 64, ...o });
  const probe = (b: VirtioNetBackend, o: Partial<VirtioNetDeviceOptions> = {}): VirtioNetDevice =>
    VirtioNetDevice.probe({ pool, transport: b, ns, parent, registry, name: 'ens10', ...o });
  const vf = (register = true, mac = MAC): VfDevice => {
    const address = `0000:00:${(nextSlot++).toString(16).padStart(2, '0')}.0`;
    const fn = new BusDevice({ id: address, bus: 'pci', pci: { address, virtfn: true } });
    const v = new VfDevice({ pool, permAddr: mac, parent: fn, ringSize: 256, numQueues: 2 });
    if (register) {
      ns.register(v, 'ens11');
      v.setLink(true);
    }
    return v;
  };
  /** `n` frames of `len` bytes to `dst` with marks `first..`; payload byte i = mark & 0xff. */
  const frames = (n: number, dst = PEER.value, len = 64, first = 1): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const h = pool.alloc();
      if (h < 0) throw new Error('pool exhausted in test');
      pool.setLength(h, len);
      const o = pool.start[h] as number;
      MacAddress.fromNumber(dst).writeTo(pool.bytes, o);
      MAC.writeTo(pool.bytes, o + 6);
      pool.bytes[o + 12] = 0x08;
      pool.bytes[o + 13] = 0x00;
      pool.bytes.fill((first + i) & 0xff, o + 14, o + len);
      pool.mark[h] = first + i;
      out[i] = h;
    }
    return out;
  };
  /** Binds a sink on `dev`; returns the received frames' first payload bytes (the mark's low byte). */
  const listen = (dev: NetDevice): number[] => {
    const got: number[] = [];
    dev.bindSink((_d, pkts, start, count) => {
      for (let i = start; i < start + count; i++) {
        const h = pkts[i] as number;
        got.push(pool.bytes[(pool.start[h] as number) + 14] as number);
      }
      pool.freeBurst(pkts, start, count);
    });
    return got;
  };
  /** Drains every TX pair of the backend; returns the frames' payload bytes. */
  const drainHost = (b: VirtioNetBackend): number[] => {
    const out = new Int32Array(256);
    const got: number[] = [];
    for (let p = 0; p < b.maxQueuePairs; p++) {
      for (let n; (n = b.drainTx(p, out, 0, out.length)) > 0;) {
        for (let i = 0; i < n; i++) {
          const h = out[i] as number;
          got.push(pool.bytes[(pool.start[h] as number) + 14] as number);
        }
        pool.freeBurst(out, 0, n);
      }
    }
    return got;
  };
  /** Drains every TX ring of a VF; returns the frames' payload bytes. */
  const drainVf = (v: VfDevice): number[] => {
    const out = new Int32Array(256);
    const got: number[] = [];
    for (let q = 0; q < v.numTxQueues; q++) {
      for (let n; (n = v.drainTx(q, out, 0, out.length)) > 0;) {
        for (let i = 0; i < n; i++)
          got.push(pool.bytes[(pool.start[out[i] as number] as number) + 14] as number);
        pool.freeBurst(out, 0, n);
      }
    }
    return got;
  };
  return {
    pool,
    ns,
    registry,
    parent,
    drops,
    backend,
    probe,
    vf,
    frames,
    listen,
    drainHost,
    drainVf,
  };
}

/** 1..n */
export function seq(n: number, from = 1): number[] {
  return Array.from({ length: n }, (_, i) => (from + i) & 0xff);
}
