import { fileURLToPath } from 'node:url';
import { formatReportText, loadScenarioFile, runScenario, type Report } from '@bypass/hypervisor';
import { TOY_MODEL, ToyNicModel } from './ToyNicModel.js';

/** The bundled scenario the new driver is put through (written for virtio-net + VF). */
export const TOY_DRIVER_SCENARIO = fileURLToPath(
  new URL('../../scenarios/virtio-live-migration.yaml', import.meta.url),
);

/** What the example observed. */
export interface NewDriverExampleResult {
  report: Report;
  /** The human-readable report. */
  text: string;
  /** The model instances the run built, one per VM NIC (their state is the end of the run). */
  models: ToyNicModel[];
}

/**
 * Runs the virtio live-migration scenario with every VM NIC replaced by the toy paravirtual
 * NIC ({@link ToyNicModel}): a custom mechanism goes through the same migration, with the same
 * books, as the built-in ones.
 */
export function runNewDriverExample(): NewDriverExampleResult {
  const scenario = loadScenarioFile(TOY_DRIVER_SCENARIO);
  const models: ToyNicModel[] = [];
  const report = runScenario(scenario, {
    model: TOY_MODEL,
    models: {
      [TOY_MODEL]: (ctx) => {
        const m = new ToyNicModel(ctx);
        models.push(m);
        return m;
      },
    },
  });
  return { report, text: formatReportText(report), models };
}
