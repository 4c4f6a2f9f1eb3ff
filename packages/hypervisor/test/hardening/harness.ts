/**
 * Shared pieces of the hardening tests (issue #7): a run of a scenario that keeps its
 * {@link World} (the same loop as `runScenario`, with a hook after every tick), and the
 * invariants every run must satisfy, read from the world and from the report.
 */
import type { Report } from '../../src/report/Report.js';
import { DRAIN_NS } from '../../src/run/runScenario.js';
import { buildReport } from '../../src/run/ReportBuilder.js';
import type { Scenario } from '../../src/scenario/Scenario.js';
import { loadScenarioText } from '../../src/scenario/ScenarioLoader.js';
import { StepRunner } from '../../src/world/StepRunner.js';
import { World } from '../../src/world/World.js';
import { UNPLUG_POLL_NS } from '../../src/world/Migration.js';

/** A finished run with its world still there (nothing disposed). */
export interface Simulated {
  readonly scenario: Scenario;
  readonly world: World;
  readonly steps: StepRunner;
  readonly report: Report;
}

/**
 * Runs `scenario` exactly as `runScenario` does (boot, steps, ticks up to the duration, up to
 * 100 ms of drain, books closed) but keeps the world; `afterTick` runs after every tick.
 */
export function simulate(scenario: Scenario, afterTick?: (world: World) => void): Simulated {
  const world = new World(scenario);
  world.boot();
  const steps = new StepRunner(world);
  steps.schedule(scenario.steps);
  while (world.now < scenario.duration) {
    world.tick();
    afterTick?.(world);
  }
  const drainEnd = scenario.duration + DRAIN_NS;
  while (world.now < drainEnd && world.framesInFlight > 0) {
    world.tick(false);
    afterTick?.(world);
  }
  world.finish();
  return { scenario, world, steps, report: buildReport(world, steps.migrations) };
}

/** Loads a scenario from YAML text (named `hardening.yaml` in messages). */
export function scenarioOf(yaml: string): Scenario {
  return loadScenarioText(yaml, 'hardening.yaml');
}

/**
 * VF bookkeeping right now: every VF slot a host lends is held by exactly one NIC that knows
 * it holds it (no leaked slot, no shared slot), and every NIC with a VF plugged holds a slot.
 * Returns the problems found (empty when the books balance).
 */
export function vfBookProblems(world: World): string[] {
  const problems: string[] = [];
  const holders = new Map<string, string>();
  for (const nic of world.nics) {
    if (nic.vf !== null && nic.slot === null) problems.push(`${nic.id} has a VF but holds no slot`);
    if (nic.vf !== null && nic.slot !== null && nic.slot.host !== nic.currentHost)
      problems.push(
        `${nic.id} runs on ${nic.currentHost?.name} with a VF of ${nic.slot.host.name} plugged`,
      );
    // A VF libvirt prepared on a migration's destination is held too, only while QEMU's
    // migration runs (Prepare comes after management took the plain VFs out).
    const migration = world.vms.get(nic.vm.name)?.migration ?? null;
    if (nic.preparedSlot !== null && (migration === null || migration.states.length === 0))
      problems.push(
        `${nic.id} holds a VF prepared on ${nic.preparedSlot.host.name} with no migration under way`,
      );
    for (const slot of [nic.slot, nic.preparedSlot]) {
      if (slot === null) continue;
      const key = `${slot.host.name}:${slot.address}`;
      const other = holders.get(key);
      if (other !== undefined) problems.push(`${key} held by ${other} and ${nic.id}`);
      holders.set(key, nic.id);
      if (slot.owner !== nic.id)
        problems.push(`${nic.id} holds ${key} but the host lends it to ${slot.owner}`);
    }
  }
  for (const host of world.hosts.values()) {
    let held = 0;
    for (const slot of host.vfs) {
      if (slot.owner === null) continue;
      held++;
      const key = `${host.name}:${slot.address}`;
      if (holders.get(key) !== slot.owner)
        problems.push(`${key} lent to ${slot.owner}, which does not hold it (leaked VF)`);
    }
    if (held > host.spec.vfs) problems.push(`${host.name} lends ${held} VFs of ${host.spec.vfs}`);
    // No filter outlives its VF port (a released slot, a prepared VF given back).
    for (const [mac, port] of host.switch.vfFilters) {
      const p = host.switch.port(port);
      if (!p.enabled || p.kind !== 'vf')
        problems.push(
          `${host.name}: the filter of ${mac.toString(16)} steers to ${p.name}, a removed or non-VF port`,
        );
    }
  }
  return problems;
}

/** Every flow's books from the report alone: lost = sum(drops), sent = received - dup + lost + inFlight. */
export function flowBookProblems(report: Report): string[] {
  const problems: string[] = [...report.conservation.mismatches];
  if (!report.conservation.ok && problems.length === 0)
    problems.push('conservation not ok without a mismatch');
  for (const [name, f] of Object.entries(report.flows)) {
    const drops = Object.values(f.drops).reduce((s, v) => s + v, 0);
    if (f.lost !== drops) problems.push(`flow ${name}: lost ${f.lost} but drops sum to ${drops}`);
    if (f.sent !== f.received - f.duplicated + f.lost + f.inFlight)
      problems.push(
        `flow ${name}: sent ${f.sent} != received ${f.received} - duplicated ${f.duplicated} + lost ${f.lost} + in flight ${f.inFlight}`,
      );
    for (const [k, v] of Object.entries(f.drops))
      if (!Number.isInteger(v) || v <= 0) problems.push(`flow ${name}: drops.${k} = ${v}`);
  }
  return problems;
}

/**
 * Every NIC's datapath segments cover the run from 0 to its end without gap or overlap, and the
 * time per path adds up to the covered time.
 */
export function segmentProblems(world: World, report: Report): string[] {
  const problems: string[] = [];
  for (const nic of world.nics) {
    const segs = report.timeline.datapath[nic.id] ?? [];
    if (segs.length === 0) {
      problems.push(`${nic.id}: no datapath segment`);
      continue;
    }
    if (segs[0]?.[0] !== 0) problems.push(`${nic.id}: first segment starts at ${segs[0]?.[0]}`);
    for (let i = 0; i < segs.length; i++) {
      const [a, b] = segs[i] as [number, number, string];
      if (!(a < b)) problems.push(`${nic.id}: segment ${i} is [${a}, ${b}]`);
      const next = segs[i + 1];
      if (next !== undefined && next[0] !== b)
        problems.push(`${nic.id}: segment ${i} ends at ${b}, the next starts at ${next[0]}`);
      if (next !== undefined && next[2] === segs[i]?.[2])
        problems.push(`${nic.id}: segments ${i} and ${i + 1} are both ${next[2]}`);
    }
    // The run ends at the scenario's duration (or, counting the drain, at world.now).
    const end = segs.at(-1)?.[1] ?? 0;
    if (end !== world.now && end !== Math.min(world.now, world.scenario.duration))
      problems.push(`${nic.id}: segments end at ${end}, the run at ${world.now}`);
    const onPath = nic.onPath.active + nic.onPath.backup + nic.onPath.none;
    if (onPath !== end) problems.push(`${nic.id}: ${onPath} ns on paths for ${end} ns covered`);
  }
  return problems;
}

/** Where each migration was when it was cancelled (`active`, `wait-unplug`...). */
export function cancelledIn(report: Report): string[] {
  const out: string[] = [];
  for (const m of report.migrations) {
    const i = m.states.findIndex((s) => s.state === 'cancelling');
    if (i > 0) out.push(m.states[i - 1]?.state as string);
  }
  return out;
}

/** QEMU's state machine as the simulator runs it: the states each state may move to. */
const NEXT: Readonly<Record<string, readonly string[]>> = {
  // A refused migration (unplug: none with a plain VF) has no state at all, never failed.
  setup: ['wait-unplug', 'active', 'cancelling'],
  'wait-unplug': ['active', 'cancelling'],
  active: ['device', 'cancelling'],
  device: ['completed', 'cancelling'],
  cancelling: ['cancelled'],
};

/**
 * Every migration went through allowed transitions and ended, unless the run ended before it
 * could: a migration still under way must be waiting for something that had not happened yet
 * (a guest that does not eject, an eject or a timer due after the end of the run).
 */
export function migrationProblems(sim: Simulated): string[] {
  const { world, steps } = sim;
  const problems: string[] = [];
  const end = world.scheduler.now();
  for (const m of steps.migrations) {
    const names = m.states.map(([s]) => s);
    const where = `migration of ${m.vm.name} at ${m.step.at / 1e6}ms (${names.join(' -> ')})`;
    if (names.length === 0) {
      problems.push(...notStartedProblems(sim, m, where));
      continue;
    }
    if (names[0] !== 'setup') problems.push(`${where}: does not start in setup`);
    for (let i = 0; i + 1 < names.length; i++) {
      const a = names[i] as string;
      const b = names[i + 1] as string;
      if (!(NEXT[a] ?? []).includes(b)) problems.push(`${where}: ${a} -> ${b}`);
    }
    const last = m.states.at(-1);
    if (last === undefined) continue;
    const [state, since] = last;
    if (m.result !== 'in-progress') {
      if (state !== m.result) problems.push(`${where}: result ${m.result} in state ${state}`);
      if (m.vm.migration === m) problems.push(`${where}: finished but still the VM's migration`);
      continue;
    }
    const nics = m.vm.nics;
    const step = m.step;
    switch (state) {
      case 'wait-unplug': {
        const waitsForGuest = nics.some(
          (n) => n.vf !== null && (!n.spec.options.guest_ejects || n.ejectInProgress),
        );
        // QEMU looks every 250 ms (UNPLUG_POLL_NS): an eject that ended less than that ago may
        // not have been seen yet.
        let lastGone = since;
        for (const e of world.log.events) {
          if (e.vm === m.vm.name && e.kind === 'vf-unplug' && e.atNs > lastGone) lastGone = e.atNs;
        }
        const notSeenYet = world.scheduler.now() - lastGone < UNPLUG_POLL_NS;
        if (!waitsForGuest && !notSeenYet)
          problems.push(
            `${where}: stuck in wait-unplug since ${(since - world.origin) / 1e6}ms although no VF is waiting to be ejected (${nics.map((n) => `${n.id} vf=${n.vf !== null} unplugPending=${n.unplugPending}`).join(', ')})`,
          );
        break;
      }
      case 'active': {
        const precopy =
          step.precopy ?? Math.round((m.vm.spec.memory * 8 * 1e9) / (step.bandwidth ?? 10e9));
        if (since + precopy <= end) problems.push(`${where}: pre-copy should have ended`);
        break;
      }
      case 'device':
        if (since + (step.downtime ?? 300_000_000) <= end)
          problems.push(`${where}: stop-and-copy should have ended`);
        break;
      case 'cancelling': {
        // Only a cancel in wait-unplug lasts: QEMU's thread sees it at its next 250 ms poll,
        // then polls every 250 ms, up to unplug_timeout rounded up to whole polls.
        const timeout = Math.max(...nics.map((n) => n.spec.options.unplug_timeout));
        const limit = (Math.max(1, Math.ceil(timeout / UNPLUG_POLL_NS)) + 1) * UNPLUG_POLL_NS;
        if (since + limit <= end) problems.push(`${where}: cancelling should have ended`);
        break;
      }
      default:
        problems.push(`${where}: in progress in state ${state}`);
    }
  }
  return problems;
}

/**
 * A migration with no QEMU state: refused by QEMU (`failed`, with a reason), cancelled while
 * management was unplugging a plain VF, or still waiting for that unplug, which needs a VF
 * whose eject is under way or a guest that ignores the request.
 */
function notStartedProblems(
  sim: Simulated,
  m: Simulated['steps']['migrations'][number],
  where: string,
): string[] {
  if (m.result === 'in-progress') {
    const waits = m.vm.nics.some(
      (n) => n.vf !== null && (!n.spec.options.guest_ejects || n.ejectInProgress),
    );
    return waits ? [] : [`${where}: not started although no VF is being ejected`];
  }
  const problems: string[] = [];
  if (m.vm.migration === m) problems.push(`${where}: finished but still the VM's migration`);
  if (m.result === 'completed') problems.push(`${where}: completed without any state`);
  const refused = sim.world.log.events.some(
    (e) => e.vm === m.vm.name && e.kind === 'migration-refused',
  );
  if (m.result === 'failed' && !refused) problems.push(`${where}: failed without being refused`);
  return problems;
}
