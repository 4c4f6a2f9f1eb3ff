/**
 * Child process of the memory row (run with `--expose-gc`): registers N idle netdevs of one kind
 * in a fresh namespace and prints, as one JSON line, the heap growth after a full GC divided by N
 * and the process's peak RSS. A separate process keeps the measurement clear of the benchmark's
 * own heap.
 *
 * Usage: node --expose-gc --import tsx --conditions=@bypass/source bench/memory/child.ts <id> <n>
 */
import { NetNamespace, PacketPool, type NetDevice } from '@bypass/core';
import { IDLE_NETDEV_BENCHMARKS } from '../definitions.js';

/** What the child prints. */
export interface IdleNetdevMeasurement {
  readonly id: string;
  readonly n: number;
  /** Heap used after GC, before and after creating the devices. */
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** (heapAfter - heapBefore) / n. */
  readonly bytesPerNetdev: number;
  /** Peak resident set size of the child, in bytes. */
  readonly peakRss: number;
}

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the memory child with --expose-gc');
  // Several rounds: weak references and finalizers settle over more than one.
  for (let i = 0; i < 4; i++) gc();
}

function main(argv: readonly string[]): void {
  const [id, nText] = argv;
  const def = IDLE_NETDEV_BENCHMARKS.find((b) => b.id === id);
  const n = Number(nText);
  if (def === undefined || !Number.isInteger(n) || n < 1) {
    throw new Error(`usage: child.ts <${IDLE_NETDEV_BENCHMARKS.map((b) => b.id).join('|')}> <n>`);
  }
  const pool = new PacketPool({ slots: 1 });
  const ns = new NetNamespace('mem');
  // Warm the code paths (and their one-off allocations) with one device, then remove it.
  const probe = def.create(pool, n);
  ns.register(probe, def.nameOf(n));
  ns.unregister(probe);
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  const keep: NetDevice[] = [];
  for (let i = 0; i < n; i++) {
    const dev = def.create(pool, i);
    ns.register(dev, def.nameOf(i));
    keep.push(dev);
  }
  // `keep` is an array of n pointers that a real system would not have: take it out.
  const keepBytes = keep.length * 8;
  fullGc();
  const heapAfter = process.memoryUsage().heapUsed;
  if (ns.size !== n) throw new Error(`expected ${n} devices, found ${ns.size}`);
  const out: IdleNetdevMeasurement = {
    id: def.id,
    n,
    heapBefore,
    heapAfter,
    bytesPerNetdev: (heapAfter - heapBefore - keepBytes) / n,
    peakRss: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  keep.length = 0;
}

main(process.argv.slice(2));
