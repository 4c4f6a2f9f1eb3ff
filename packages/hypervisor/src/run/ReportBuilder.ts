import { dropReasonName, formatDuration } from '@bypass/core';
import type {
  ConservationResult,
  DatapathInUse,
  FlowReport,
  MigrationReport,
  MigrationState,
  NicReport,
  Report,
  Timeline,
} from '../report/Report.js';
import type { Migration } from '../world/Migration.js';
import type { World } from '../world/World.js';
import { evaluateExpectations } from './Expectations.js';

/** Counters indexed by drop reason code, by name; zeros left out. */
function namedCounts(byCode: readonly (number | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  byCode.forEach((v, code) => {
    if (v !== undefined && v > 0) out[dropReasonName(code)] = v;
  });
  return out;
}

const fmt = (ns: number): string => formatDuration(Math.max(0, Math.round(ns)));

/**
 * Builds the {@link Report} of a finished run: flows (with the conservation check per flow),
 * NICs, migrations, events, timeline data, and the `expect` results.
 *
 * @example
 * ```ts
 * world.finish();
 * const report = buildReport(world, steps.migrations);
 * ```
 */
export function buildReport(world: World, migrations: readonly Migration[]): Report {
  const scenario = world.scenario;
  const inFlight = world.inFlightPerFlow();
  const flows: Record<string, FlowReport> = {};
  const mismatches: string[] = [];
  for (const f of world.flows) {
    const drops = namedCounts(f.drops);
    const lost = f.lost;
    const flight = inFlight[f.index] ?? 0;
    const balance = f.sent - f.uniqueReceived - lost - flight;
    if (balance !== 0) {
      mismatches.push(
        `flow ${f.spec.name}: sent ${f.sent} but received ${f.uniqueReceived} + dropped ${lost} + in flight ${flight} = ${f.sent - balance}; ${Math.abs(balance)} frames ${balance > 0 ? 'vanished without a counter' : 'were counted twice'}`,
      );
    }
    const unique = f.uniqueReceived;
    flows[f.spec.name] = {
      from: f.spec.from.id,
      to: f.spec.to.id,
      cast: f.spec.cast,
      sent: f.sent,
      received: f.received,
      lost,
      duplicated: f.duplicated,
      reordered: f.reordered,
      inFlight: flight,
      longestGap: fmt(f.sent === 0 ? 0 : f.longestGapNs),
      drops,
      latency:
        unique === 0
          ? { min: '0s', mean: '0s', max: '0s' }
          : { min: fmt(f.latencyMin), mean: fmt(f.latencySum / unique), max: fmt(f.latencyMax) },
    };
  }
  const nics: Record<string, NicReport> = {};
  for (const n of world.nics) {
    nics[n.id] = {
      model: n.model.model,
      onActive: fmt(n.onPath.active),
      onBackup: fmt(n.onPath.backup),
      onNone: fmt(n.onPath.none),
      switches: n.switches,
      stats: n.model.stats(),
    };
  }
  const migs: MigrationReport[] = migrations.map((m) => {
    const r: { -readonly [K in keyof MigrationReport]: MigrationReport[K] } = {
      vm: m.vm.name,
      from: m.from.name,
      to: m.to.name,
      result: m.result,
      states: m.states.map(([state, at]) => ({ state, at: fmt(at - world.origin) })),
      downtime: fmt(m.downtimeApplied),
    };
    if (m.reason !== undefined) r.reason = m.reason;
    return r;
  });
  const timeline: Timeline = {
    bucketNs: world.bucketNs,
    buckets: world.buckets,
    flows: Object.fromEntries(world.flows.map((f) => [f.spec.name, Array.from(f.perBucket)])),
    datapath: Object.fromEntries(
      world.nics.map((n) => [
        n.id,
        n.segments.map(([a, b, p]) => [a, b, p] as [number, number, DatapathInUse]),
      ]),
    ),
    migrations: migrations.map((m) => {
      const segs: [number, number, MigrationState][] = [];
      m.states.forEach(([state, abs], i) => {
        const at = abs - world.origin;
        const next = m.states[i + 1];
        segs.push([
          at,
          next === undefined ? Math.max(at, world.now) : next[1] - world.origin,
          state,
        ]);
      });
      return segs;
    }),
  };
  const conservation: ConservationResult = { ok: mismatches.length === 0, mismatches };
  const partial = {
    scenario: scenario.name,
    file: scenario.file,
    seed: scenario.seed,
    simulated: fmt(scenario.duration),
    flows,
    nics,
    migrations: migs,
    events: world.log.toReport(world.origin),
    conservation,
    timeline,
  };
  const expect = evaluateExpectations(scenario.expect, partial);
  return {
    scenario: partial.scenario,
    file: partial.file,
    seed: partial.seed,
    simulated: partial.simulated,
    flows,
    nics,
    migrations: migs,
    events: partial.events,
    expect,
    conservation,
    otherDrops: namedCounts(world.otherDrops),
    timeline,
    ok: conservation.ok && expect.every((e) => e.ok),
  };
}
