/**
 * Dependency-injection tokens of `@bypass/core`. `Symbol.for` keys, so two copies of the package
 * loaded in one process still agree on them.
 *
 * - `Scheduler`: the {@link Scheduler} every timer goes through.
 * - `Random`: the seeded {@link SeededRandom}.
 * - `PacketPool`: the shared {@link PacketPool}.
 * - `BypassRegistry`: the {@link BypassRegistry} (one per simulated kernel).
 * - `DeviceBus`: the {@link DeviceBus} of the machine.
 * - `NetNamespace`: the initial {@link NetNamespace}.
 * - `Options`: the {@link BypassCoreOptions} the module was built with.
 *
 * @example
 * ```ts
 * const registry = container.get<BypassRegistry>(BYPASS_CORE.BypassRegistry);
 * ```
 */
export const BYPASS_CORE = {
  Scheduler: Symbol.for('@bypass/core:Scheduler'),
  Random: Symbol.for('@bypass/core:Random'),
  PacketPool: Symbol.for('@bypass/core:PacketPool'),
  BypassRegistry: Symbol.for('@bypass/core:BypassRegistry'),
  DeviceBus: Symbol.for('@bypass/core:DeviceBus'),
  NetNamespace: Symbol.for('@bypass/core:NetNamespace'),
  Options: Symbol.for('@bypass/core:Options'),
} as const;
