import type { IdleNetdevBenchmark } from '../definitions.js';
import { IdleNic, benchMac } from '../datapath/fixtures.js';

/**
 * The "idle netdev" of the memory row: a plain core {@link IdleNic} (a `NetDevice` with no state
 * of its own), registered in a namespace with an explicit name and a unique permanent MAC, never
 * opened. Its cost is the netdev object, its stats, its name and MAC, and its entries in the
 * namespace's ifindex, name and permanent-MAC indexes.
 */
export const plainNetdev: IdleNetdevBenchmark = {
  id: 'netdev',
  name: 'registered core NetDevice',
  provider: '@bypass/core',
  create: (pool, i) => new IdleNic({ pool, permAddr: benchMac(i) }),
  nameOf: (i) => `eth${i}`,
};
