import type { NicModelName } from '../scenario/Scenario.js';
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
    default:
      throw new Error(`model ${name} not wired yet`);
  }
}
