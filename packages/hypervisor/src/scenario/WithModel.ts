import { BypassError } from '@bypass/core';
import { NIC_MODELS } from './Scenario.js';
import type { NicModelName, Scenario, ScenarioNic } from './Scenario.js';

/**
 * A copy of `scenario` where every VM NIC uses `model` (what `bypass compare` runs). The VF
 * rule: `virtio` never has a VF, so switching to `virtio` sets `vf` false; switching a NIC whose
 * model is `virtio` to another model sets `vf` true (its "no VF" came from the model, not from
 * the file); any other NIC keeps its `vf` flag (a `vf: false` in the file stays false). Options,
 * MACs and everything else are unchanged.
 *
 * @throws BypassError `ERR_INVALID_ARGUMENT` for a model that is not one of {@link NIC_MODELS}.
 * @example
 * ```ts
 * for (const model of NIC_MODELS) reports.push(runScenario(withModel(scenario, model)));
 * ```
 */
export function withModel(scenario: Scenario, model: NicModelName): Scenario {
  if (!NIC_MODELS.includes(model)) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `unknown NIC model ${JSON.stringify(model)}: use one of ${NIC_MODELS.join(', ')}`,
    );
  }
  const swap = (nic: ScenarioNic): ScenarioNic => {
    const vf = model === 'virtio' ? false : nic.model === 'virtio' ? true : nic.vf;
    return { ...nic, model, vf };
  };
  return {
    ...scenario,
    vms: scenario.vms.map((vm) => ({ ...vm, nics: vm.nics.map(swap) })),
  };
}
