import { ContainerModule } from 'inversify';
import { DeviceBus } from '../bus/DeviceBus.js';
import { BypassRegistry } from '../bypass/BypassRegistry.js';
import { NetNamespace } from '../netdev/NetNamespace.js';
import { PacketPool } from '../packet/PacketPool.js';
import { RealTimeScheduler } from '../time/RealTimeScheduler.js';
import type { Scheduler } from '../time/Scheduler.js';
import { SeededRandom } from '../time/SeededRandom.js';
import { VirtualScheduler } from '../time/VirtualScheduler.js';
import { BYPASS_CORE } from './tokens.js';

/**
 * Options of {@link bypassCoreModule}.
 *
 * @example
 * ```ts
 * const o: BypassCoreOptions = { clock: 'virtual', seed: 7, poolSlots: 8192 };
 * ```
 */
export interface BypassCoreOptions {
  /** `virtual` (default: deterministic simulation) or `real`. */
  clock?: 'virtual' | 'real';
  /** Seed of the random source; default 1. */
  seed?: number | string;
  /** Frames in the shared packet pool; default 4096. */
  poolSlots?: number;
  /** Bytes per pool slot; default 2048. */
  poolSlotSize?: number;
  /** Name of the initial namespace; default `init_net`. */
  namespace?: string;
}

/**
 * An inversify ContainerModule binding the core services as singletons under the
 * {@link BYPASS_CORE} tokens. Every service is an ordinary class: the framework works the same
 * without a container (construct them yourself). Bindings use factories, so no decorators or
 * reflection metadata are needed. Unloading the module disposes what it created.
 *
 * @example
 * ```ts
 * import { Container } from 'inversify';
 * const container = new Container();
 * container.load(bypassCoreModule({ seed: 42 }));
 * const ns = container.get<NetNamespace>(BYPASS_CORE.NetNamespace);
 * const registry = container.get<BypassRegistry>(BYPASS_CORE.BypassRegistry);
 * ```
 */
export function bypassCoreModule(options: BypassCoreOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<BypassCoreOptions>(BYPASS_CORE.Options).toConstantValue(options);
    bind<Scheduler>(BYPASS_CORE.Scheduler)
      .toDynamicValue(() =>
        options.clock === 'real' ? new RealTimeScheduler() : new VirtualScheduler(),
      )
      .inSingletonScope()
      .onDeactivation((s) => {
        if (s instanceof RealTimeScheduler) s.dispose();
      });
    bind<SeededRandom>(BYPASS_CORE.Random)
      .toDynamicValue(() => new SeededRandom(options.seed ?? 1))
      .inSingletonScope();
    bind<PacketPool>(BYPASS_CORE.PacketPool)
      .toDynamicValue(
        () =>
          new PacketPool({
            slots: options.poolSlots ?? 4096,
            slotSize: options.poolSlotSize ?? 2048,
          }),
      )
      .inSingletonScope();
    bind<BypassRegistry>(BYPASS_CORE.BypassRegistry)
      .toDynamicValue(() => new BypassRegistry())
      .inSingletonScope()
      .onDeactivation((r) => r.dispose());
    bind<DeviceBus>(BYPASS_CORE.DeviceBus)
      .toDynamicValue(() => new DeviceBus())
      .inSingletonScope()
      .onDeactivation((b) => b.dispose());
    bind<NetNamespace>(BYPASS_CORE.NetNamespace)
      .toDynamicValue(() => new NetNamespace(options.namespace ?? 'init_net'))
      .inSingletonScope()
      .onDeactivation((ns) => ns.dispose());
  });
}
