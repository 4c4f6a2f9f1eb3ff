import type { Report } from '../report/Report.js';
import type { Scenario } from '../scenario/Scenario.js';
import { StepRunner } from '../world/StepRunner.js';
import { World } from '../world/World.js';
import { buildReport } from './ReportBuilder.js';
import type { RunOptions } from './RunOptions.js';

/**
 * After the scenario's duration, how long the wires may drain before the books close (ns).
 *
 * @example
 * ```ts
 * console.log(DRAIN_NS / 1e6); // 100 (ms)
 * ```
 */
export const DRAIN_NS = 100_000_000;

/**
 * Simulates a validated scenario and returns its report. Deterministic: the same scenario
 * (and seed) always gives the same report. The guests boot first (drivers probe, boot-time VFs
 * are plugged and taken over; no traffic), and the scenario's time 0 is when every NIC has
 * settled. Flows send until `duration` (or their `stop`);
 * the world then runs up to 100 ms more without new traffic so frames on the wires arrive;
 * what is still in a ring or on a wire after that is reported as `inFlight`. Every flow's books
 * are checked: sent = received - duplicated + lost + inFlight (`conservation`).
 *
 * @example
 * ```ts
 * const report = runScenario(loadScenarioFile('scenarios/virtio-live-migration.yaml'));
 * console.log(report.flows['f1']?.lost, report.ok);
 * ```
 */
export function runScenario(scenario: Scenario, options: RunOptions = {}): Report {
  const world = new World(scenario, {
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.capture === undefined ? {} : { capture: options.capture }),
    ...(options.models === undefined ? {} : { models: options.models }),
  });
  world.boot();
  const steps = new StepRunner(world);
  steps.schedule(scenario.steps);
  const total = scenario.duration;
  const progressEvery = Math.max(scenario.tick, Math.floor(total / 200));
  let nextProgress = progressEvery;
  while (world.now < total) {
    world.tick();
    if (options.onProgress !== undefined && world.now >= nextProgress) {
      options.onProgress(Math.min(world.now, total), total);
      nextProgress += progressEvery;
    }
  }
  const drainEnd = total + DRAIN_NS;
  while (world.now < drainEnd && world.framesInFlight > 0) world.tick(false);
  world.finish();
  const report = buildReport(world, steps.migrations);
  options.onProgress?.(total, total);
  return report;
}
