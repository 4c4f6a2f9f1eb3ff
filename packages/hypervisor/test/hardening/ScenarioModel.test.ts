/**
 * Model-based test of whole simulations (issue #7): random worlds and choreographies (see
 * `scenarioModel.ts`), each run to the end with its world kept, then checked:
 * - nothing throws (a valid scenario never makes the runner crash);
 * - every flow's books balance (`conservation.ok`, lost = sum of drops, sent = received -
 *   duplicated + lost + in flight);
 * - VF bookkeeping after every tick: no VF lent twice, none leaked, no VF of another host;
 * - every migration went through QEMU's allowed transitions and ended, unless the run ended
 *   before it could (see `migrationProblems`);
 * - every NIC's datapath segments cover the run without gap or overlap;
 * - determinism: `runScenario` on the same scenario gives the same JSON (one run in three).
 */
import fc from 'fast-check';
import { modelTest, DEEP } from '../../../../test/support/modelTest.js';
import { runScenario } from '../../src/run/runScenario.js';
import { loadScenarioText } from '../../src/scenario/ScenarioLoader.js';
import {
  cancelledIn,
  flowBookProblems,
  migrationProblems,
  segmentProblems,
  simulate,
  vfBookProblems,
} from './harness.js';
import { KNOWN_BUGS } from './knownBugs.js';
import { LARGE, SMALL, scenarioObject } from './scenarioModel.js';

// A failing case shows what broke, not only the counterexample.
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

modelTest(
  'random scenarios: books balance, VFs are never leaked or shared, migrations end, runs repeat',
  () => {
    const seen = new Map<string, number>();
    const count = (k: string): void => {
      seen.set(k, (seen.get(k) ?? 0) + 1);
    };
    const property = fc.property(scenarioObject(DEEP ? LARGE : SMALL), fc.nat(2), (obj, replay) => {
      const text = JSON.stringify(obj);
      const scenario = loadScenarioText(text, 'model.json');
      let vfProblem: string[] = [];
      const sim = simulate(scenario, (world) => {
        if (vfProblem.length > 0) return;
        const p = vfBookProblems(world);
        if (p.length > 0) vfProblem = p.map((s) => `at ${world.now / 1e6}ms: ${s}`);
      });
      const problems = [
        ...vfProblem,
        ...flowBookProblems(sim.report),
        ...migrationProblems(sim),
        ...segmentProblems(sim.world, sim.report),
      ];
      const unknown = problems.filter((p) => {
        const bug = KNOWN_BUGS.find((b) => b.matches(p, sim));
        if (bug !== undefined) count(`known bug ${bug.id}`);
        return bug === undefined;
      });
      if (unknown.length > 0) throw new Error(`${unknown.join('\n')}\nscenario: ${text}`);
      if (replay === 0 && JSON.stringify(runScenario(scenario)) !== JSON.stringify(sim.report))
        throw new Error(`runScenario gave another report\nscenario: ${text}`);
      // coverage
      count('runs');
      for (const s of scenario.steps) count(`step ${s.action}`);
      for (const state of cancelledIn(sim.report)) count(`cancelled in ${state}`);
      for (const m of sim.report.migrations) count(`migration ${m.result}`);
      for (const f of Object.values(sim.report.flows)) {
        count('flows');
        seen.set('frames sent', (seen.get('frames sent') ?? 0) + f.sent);
        for (const k of Object.keys(f.drops)) count(`drop ${k}`);
      }
      return true;
    });
    return {
      property,
      log: () => [...seen.entries()].map(([k, v]) => `${k}: ${v}`).join(', '),
    };
  },
  { runs: 12, seed: 0x7a11, deepRuns: 1200, deepChunks: 60 },
);
