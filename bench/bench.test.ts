import test, { type ExecutionContext } from 'ava';
import {
  CONTROL_PLANE_BENCHMARKS,
  DATAPATH_BENCHMARKS,
  DATAPATH_RATIOS,
  IDLE_NETDEV_BENCHMARKS,
  SIMULATOR_BENCHMARKS,
} from './definitions.js';
import { loadScenarioFile, loadScenarioText } from '@bypass/hypervisor';
import { endToEnd } from './datapath/e2e.js';
import { PREWARM_PASSES, measureInterleaved } from './harness/interleave.js';
import { LIVE_MIGRATION_FILE, liveMigrationScenarioText } from './simulator/scenario.js';
import { median, quantile, summarize } from './harness/stats.js';
import { reportDocument } from './report.js';
import { SMOKE_OPTIONS, runSuite, type BenchRow } from './suite.js';
import { formatMarkdown, formatTable } from './table.js';

/**
 * Smoke run of every benchmark with tiny sizes, so the benchmark code cannot rot. It checks that
 * the results are well-formed and that every row is there; never anything about timing.
 */
const report = runSuite(SMOKE_OPTIONS);
const byId = new Map(report.rows.map((r) => [r.id, r]));

function expectedIds(): string[] {
  const ids: string[] = [];
  for (const d of DATAPATH_BENCHMARKS) ids.push(`datapath.${d.id}`);
  for (const r of DATAPATH_RATIOS) ids.push(`ratio.${r.id}`);
  for (const c of CONTROL_PLANE_BENCHMARKS) {
    for (const n of SMOKE_OPTIONS.control.sizes) ids.push(`control.${c.id}.${n}`);
    if (c.prepare !== null) ids.push(`control.${c.id}.cost-ratio`);
    if (c.prepare !== null && SMOKE_OPTIONS.control.sizes.length >= 3) {
      ids.push(`control.${c.id}.cost-ratio-upper`);
    }
  }
  for (const s of SIMULATOR_BENCHMARKS)
    ids.push(`simulator.${s.id}`, `simulator.${s.id}.cpu`, `memory.peak-rss.${s.id}`);
  for (const m of IDLE_NETDEV_BENCHMARKS)
    ids.push(`memory.${m.id}`, `memory.peak-rss.idle-${m.id}`);
  ids.push('memory.peak-rss.bench');
  return ids;
}

function wellFormed(t: ExecutionContext, r: BenchRow): void {
  if (r.status === 'n/a') {
    t.is(r.value, null, `${r.id}: n/a rows carry no number`);
    t.regex(r.note ?? '', /not available yet \(@bypass\/[a-z-]+ not landed\)/, r.id);
    return;
  }
  t.true(typeof r.value === 'number' && Number.isFinite(r.value) && r.value > 0, r.id);
  t.true(r.spread === null || (Number.isFinite(r.spread) && r.spread >= 0), r.id);
  t.true(['pass', 'fail', 'info'].includes(r.status), r.id);
  t.is(r.status === 'info', r.target === null, `${r.id}: a target gives pass/fail`);
}

test('every benchmark row is present, once, in catalogue order', (t) => {
  t.deepEqual(
    report.rows.map((r) => r.id),
    expectedIds(),
  );
});

test('every row is well-formed: a finite positive value, or n/a with the missing package', (t) => {
  for (const r of report.rows) wellFormed(t, r);
});

test('the rows the landed packages can measure are measured', (t) => {
  for (const id of [
    'datapath.limit',
    'datapath.direct',
    'datapath.master',
    'datapath.bond',
    'datapath.netvsc',
    'datapath.pmd',
    'datapath.failsafe',
    'ratio.master/direct',
    'ratio.netvsc/direct',
    'ratio.failsafe/direct',
    'ratio.bond/direct',
    'control.pairing.10',
    'control.pairing.100',
    'control.pairing.cost-ratio',
    'control.pairing.cost-ratio-upper',
    'memory.netdev',
    'datapath.e2e',
    'ratio.e2e/limit',
    'simulator.live-migration',
    'simulator.live-migration.cpu',
    'memory.peak-rss.live-migration',
  ]) {
    t.not(byId.get(id)?.value ?? null, null, id);
  }
  t.deepEqual(
    report.rows.filter((r) => r.status === 'n/a').map((r) => r.id),
    [],
    'every package has landed: no row is n/a',
  );
});

test('the simulator row ran the live migration for the simulated time asked, at the rate asked', (t) => {
  const r = report.samples.simulatorRuns['live-migration'];
  if (r === undefined) return t.fail('no simulator run');
  const { seconds, pps } = SMOKE_OPTIONS.simulator;
  t.is(r.simulatedNs, seconds * 1e9);
  // Frames sent: the rate over the duration, less what a paused source did not send.
  t.true(r.frames <= seconds * pps && r.frames >= 0.8 * seconds * pps, `${r.frames} frames`);
  t.true(r.wallNs > 0 && r.cpuNs > 0 && r.peakRss > 0);
  t.is(r.migration, 'completed');
});

test('the simulator scenario is the bundled live migration with the total rate and duration asked', (t) => {
  const s = loadScenarioText(liveMigrationScenarioText(60, 1e6), 'bench-sim.yaml');
  const file = loadScenarioFile(LIVE_MIGRATION_FILE);
  t.is(s.duration, 60e9);
  t.is(Math.round(s.flows.reduce((a, f) => a + f.pps, 0)), 1e6);
  // Each flow keeps its share of the file's rate; the rest is the file's.
  t.is(Math.round((s.flows[0]?.pps ?? 0) / (s.flows[1]?.pps ?? 1)), 2);
  t.deepEqual(s.steps, file.steps);
  t.deepEqual(s.vms, file.vms);
  t.deepEqual(s.expect, []);
});

test('the end-to-end subject delivers every frame to the peer sink on the VF path', (t) => {
  const s = endToEnd({ burst: 32, frameLength: 64 });
  s.run(50);
  t.notThrows(() => s.verify());
});

test('the fail-safe ratio compares DPDK ownership with DPDK ownership (txBurst on the VF PMD)', (t) => {
  const r = DATAPATH_RATIOS.find((x) => x.id === 'failsafe/direct');
  t.is(r?.numerator, 'failsafe');
  t.is(r?.denominator, 'pmd');
});

test('samples: one pps value per round for each measured datapath subject', (t) => {
  for (const d of DATAPATH_BENCHMARKS) {
    const s = report.samples.datapathPps[d.id];
    if (d.create === null) t.is(s, undefined);
    else t.is(s?.length, SMOKE_OPTIONS.datapath.rounds);
  }
  // register, pair and unregister of two devices: at least their register and unregister events.
  const perPair = report.samples.controlEventsPerPair['pairing'] ?? 0;
  t.true(Number.isInteger(perPair) && perPair >= 4, `${perPair} events per pair`);
});

test('the table, the Markdown table and the JSON document render every row', (t) => {
  const text = formatTable(report.rows);
  const md = formatMarkdown(report.rows);
  for (const r of report.rows) {
    t.true(text.includes(r.name), r.id);
    t.true(md.includes(r.name.replace(/\|/g, '\\|')), r.id);
  }
  const doc = JSON.parse(JSON.stringify(reportDocument(report, SMOKE_OPTIONS))) as {
    rows: unknown[];
  };
  t.is(doc.rows.length, report.rows.length);
});

test('harness: every subject runs once a few times over, then interleaved rounds rotate and collect one sample per subject and round', (t) => {
  const order: string[] = [];
  const m = measureInterleaved(
    ['a', 'b', 'c'].map((id) => ({ id, run: (n: number) => void order.push(`${id}${n}`) })),
    { rounds: 3, warmupRounds: 0, roundNs: 1, iterations: 5 },
  );
  const prewarm = Array.from({ length: PREWARM_PASSES }, () => ['a1', 'b1', 'c1']).flat();
  t.true(PREWARM_PASSES > 0);
  t.deepEqual(order, [...prewarm, 'a5', 'b5', 'c5', 'b5', 'c5', 'a5', 'c5', 'a5', 'b5']);
  for (const id of ['a', 'b', 'c']) t.is(m.nsPerOp.get(id)?.length, 3);
});

test('harness: quantiles and summaries', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(quantile([0, 10], 0.25), 2.5);
  const s = summarize([1, 2, 3, 4, 5]);
  t.is(s.median, 3);
  t.is(s.spread, (4 - 2) / 3);
  t.throws(() => median([]));
});
