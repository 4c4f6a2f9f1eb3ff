import type { NicModelName } from '../scenario/Scenario.js';
import { BondingNicModel } from './BondingNicModel.js';
import { FailsafeNicModel } from './FailsafeNicModel.js';
import { NetvscNicModel } from './NetvscNicModel.js';
import { NetvscPmdNicModel } from './NetvscPmdNicModel.js';
import type { NicModel, NicModelContext } from './NicModel.js';
import { VirtioNicModel } from './VirtioNicModel.js';

/**
 * Creates the {@link NicModel} of mechanism `name` for one VM NIC.
 *
 * @example
 * ```ts
 * const model = createNicModel('virtio-backup', ctx);
 * ```
 */
export function createNicModel(name: NicModelName, ctx: NicModelContext): NicModel {
  switch (name) {
    case 'virtio-backup':
    case 'virtio':
      return new VirtioNicModel(name, ctx);
    case 'netvsc':
      return new NetvscNicModel(ctx);
    case 'netvsc-pmd':
      return new NetvscPmdNicModel(ctx);
    case 'failsafe':
      return new FailsafeNicModel(ctx);
    case 'bonding':
      return new BondingNicModel(ctx, { enslaveDelay: ctx.options.enslave_delay });
  }
}
