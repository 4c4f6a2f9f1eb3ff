import test from 'ava';
import { Container } from 'inversify';
import { DeviceBus } from '../../src/bus/DeviceBus.js';
import { BypassRegistry } from '../../src/bypass/BypassRegistry.js';
import { bypassCoreModule } from '../../src/di/BypassCoreModule.js';
import { BYPASS_CORE } from '../../src/di/tokens.js';
import { NetNamespace } from '../../src/netdev/NetNamespace.js';
import type { PacketPool } from '../../src/packet/PacketPool.js';
import type { Scheduler } from '../../src/time/Scheduler.js';
import type { SeededRandom } from '../../src/time/SeededRandom.js';
import { VirtualScheduler } from '../../src/time/VirtualScheduler.js';

test('the core module binds every service as a singleton under Symbol.for tokens', (t) => {
  const c = new Container();
  c.load(bypassCoreModule({ seed: 7, poolSlots: 64 }));
  const registry = c.get<BypassRegistry>(BYPASS_CORE.BypassRegistry);
  t.true(registry instanceof BypassRegistry);
  t.is(c.get(BYPASS_CORE.BypassRegistry), registry);
  t.true(c.get(BYPASS_CORE.Scheduler) instanceof VirtualScheduler);
  t.true(c.get(BYPASS_CORE.NetNamespace) instanceof NetNamespace);
  t.true(c.get(BYPASS_CORE.DeviceBus) instanceof DeviceBus);
  t.is(c.get<PacketPool>(BYPASS_CORE.PacketPool).capacity, 64);
  t.is(BYPASS_CORE.Scheduler, Symbol.for('@bypass/core:Scheduler'));
});

test('the seeded random source from the container repeats the same sequence for the same seed', (t) => {
  const a = new Container();
  a.load(bypassCoreModule({ seed: 'run-1' }));
  const b = new Container();
  b.load(bypassCoreModule({ seed: 'run-1' }));
  const ra = a.get<SeededRandom>(BYPASS_CORE.Random);
  const rb = b.get<SeededRandom>(BYPASS_CORE.Random);
  t.deepEqual([ra.next(), ra.next()], [rb.next(), rb.next()]);
});

test('a real-time clock can be chosen and unloading the module disposes the services', async (t) => {
  const c = new Container();
  const mod = bypassCoreModule({ clock: 'real' });
  c.load(mod);
  const s = c.get<Scheduler>(BYPASS_CORE.Scheduler);
  t.false(s instanceof VirtualScheduler);
  const registry = c.get<BypassRegistry>(BYPASS_CORE.BypassRegistry);
  let completed = false;
  registry.events$.subscribe({ complete: () => (completed = true) });
  await c.unload(mod);
  t.true(completed);
});
