/**
 * Small factories shared by the core tests: a pool, a namespace with an event log, MAC
 * addresses, PCI parents, and frames. Each helper is a few lines on purpose; read it before
 * relying on a detail.
 */
import { BusDevice } from '../../src/bus/BusDevice.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import type { NetdevEvent } from '../../src/netdev/NetdevEvent.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import { PacketPool } from '../../src/packet/PacketPool.js';

/** A pool of `slots` 2048-byte slots (default 256). */
export function makePool(slots = 256): PacketPool {
  return new PacketPool({ slots });
}

/** `52:54:00:00:xx:yy` with `n` in the last two octets: a locally administered unicast MAC. */
export function mac(n: number): MacAddress {
  return MacAddress.fromNumber(0x5254_0000_0000 + n);
}

/** `01:00:5e:00:00:nn`: an IPv4 multicast group MAC. */
export function mcastMac(n = 1): MacAddress {
  return MacAddress.fromNumber(0x0100_5e00_0000 + n);
}

/** A PCI bus device at `0000:00:nn.0` (`nn` = `slot` in hex) with slot serial `slot`. */
export function pciDevice(slot: number, virtfn = true): BusDevice {
  const address = `0000:00:${slot.toString(16).padStart(2, '0')}.0`;
  return new BusDevice({ id: address, bus: 'pci', pci: { address, serial: slot, virtfn } });
}

/** Event log entry: `type:devname`, with `@ns` when the namespace is not `default`. */
export function describeEvent(e: NetdevEvent): string {
  return `${e.type}:${e.dev.name}${e.ns.name === 'default' ? '' : `@${e.ns.name}`}`;
}

/** A namespace and the log of its events (as {@link describeEvent} strings) and raw events. */
export function makeNs(name = 'default'): {
  ns: NetNamespace;
  log: string[];
  events: NetdevEvent[];
} {
  const ns = new NetNamespace(name);
  const log: string[] = [];
  const events: NetdevEvent[] = [];
  ns.events$.subscribe((e) => {
    log.push(describeEvent(e));
    events.push(e);
  });
  return { ns, log, events };
}

/**
 * Allocates `count` frames of `len` bytes whose destination MAC is `dst` (default broadcast)
 * and source `52:54:00:00:00:01`; returns their handles. Throws when the pool runs out.
 */
export function frames(
  pool: PacketPool,
  count: number,
  len = 64,
  dst: MacAddress = MacAddress.BROADCAST,
): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const h = pool.alloc();
    if (h < 0) throw new Error(`test pool exhausted after ${i} of ${count} frames`);
    pool.setLength(h, len);
    const at = pool.start[h] as number;
    dst.writeTo(pool.bytes, at);
    mac(1).writeTo(pool.bytes, at + 6);
    out[i] = h;
  }
  return out;
}
