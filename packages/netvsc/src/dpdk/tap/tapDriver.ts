import { BypassError, MacAddress, type NetNamespace, type PacketPool } from '@bypass/core';
import type { EthDev } from '../ethdev/EthDev.js';
import type { EthDevRegistry, EthDriver } from '../ethdev/EthDevRegistry.js';
import { parseKvargs } from '../ethdev/Kvargs.js';
import { TapPort, type TapPortOptions } from './TapPort.js';

/** Devargs keys of the TAP PMD this model understands. */
const TAP_KEYS = ['iface', 'remote', 'mac'] as const;

/**
 * The TAP PMD driver: probes `net_tap*` devices (`net_tap0`, `net_tap_vsc0`...) with devargs
 * `iface=<name>`, `remote=<ifname>`, `mac=<aa:bb:cc:dd:ee:ff>` (or `mac=fixed`) as
 * {@link TapPort}s in the simulated kernel namespace `ns`.
 *
 * @example
 * ```ts
 * registry.registerDriver(tapDriver({ ns, pool }));
 * const tap = registry.probe('net_tap_vsc0,remote=eth1');
 * ```
 */
export function tapDriver(options: { ns: NetNamespace; pool: PacketPool }): EthDriver {
  return {
    name: 'net_tap',
    matches: (devName) => devName.startsWith('net_tap') || devName.startsWith('eth_tap'),
    probe(registry: EthDevRegistry, devName: string, args: string): EthDev {
      const pairs = parseKvargs(args, TAP_KEYS);
      if (pairs === null) {
        throw new BypassError(
          'ERR_PARSE',
          `TAP Unable to initialize ${devName}: cannot parse ${JSON.stringify(args)} (keys: ${TAP_KEYS.join(', ')})`,
        );
      }
      const o: TapPortOptions = { ns: options.ns, pool: options.pool };
      for (const { key, value } of pairs) {
        if (key === 'iface') o.iface = value;
        else if (key === 'remote') o.remote = value;
        else if (value !== 'fixed') {
          try {
            o.mac = MacAddress.parse(value);
          } catch {
            throw new BypassError(
              'ERR_PARSE',
              `TAP Unable to initialize ${devName}: invalid mac ${JSON.stringify(value)}`,
            );
          }
        }
      }
      return new TapPort({ registry, name: devName, devargs: args }, o);
    },
  };
}
