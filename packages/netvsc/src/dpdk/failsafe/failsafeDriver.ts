import type { EthDev } from '../ethdev/EthDev.js';
import type { EthDevRegistry, EthDriver } from '../ethdev/EthDevRegistry.js';
import { FailsafePort, type FailsafePortOptions } from './FailsafePort.js';

/**
 * The fail-safe driver: probes `net_failsafe*` devices as {@link FailsafePort}s.
 *
 * @example
 * ```ts
 * registry.registerDriver(failsafeDriver({ pool, scheduler, fds: pipes }));
 * const fs = registry.probe('net_failsafe0,dev(net_tap0),hotplug_poll=500');
 * ```
 */
export function failsafeDriver(options: FailsafePortOptions): EthDriver {
  return {
    name: 'net_failsafe',
    matches: (devName) => devName.startsWith('net_failsafe') || devName.startsWith('eth_failsafe'),
    probe: (registry: EthDevRegistry, devName: string, args: string): EthDev =>
      new FailsafePort({ registry, name: devName, devargs: args }, options),
  };
}
