/**
 * Runs every benchmark of {@link ../definitions.ts} and turns the measurements into table rows.
 * `bench/run.ts` calls it with the full sizes, `bench/bench.test.ts` with tiny ones.
 */
import { cpuNs, nowNs } from './harness/clock.js';
import { forceGc } from './harness/gc.js';
import { measureInterleaved, type Repeatable } from './harness/interleave.js';
import { median, summarize } from './harness/stats.js';
import { runControlSection } from './control/measure.js';
import { measureIdleNetdevs } from './memory/measure.js';
import {
  CONTROL_PLANE_BENCHMARKS,
  CONTROL_PLANE_TARGETS,
  DATAPATH_BENCHMARKS,
  DATAPATH_RATIOS,
  IDLE_NETDEV_BENCHMARKS,
  IDLE_NETDEV_TARGET,
  SIMULATOR_BENCHMARKS,
  SIMULATOR_TARGET,
  meets,
  type BurstSubject,
  type SimulatorRunResult,
  type Target,
} from './definitions.js';

/** Sizes and round counts of one suite run. */
export interface SuiteOptions {
  readonly datapath: {
    readonly burst: number;
    readonly frameLength: number;
    readonly rounds: number;
    readonly warmupRounds: number;
    /** Wall time per subject per round, ns (iterations are calibrated to it). */
    readonly roundNs: number;
    /** Fixed bursts per round instead of calibrating. */
    readonly iterations?: number;
  };
  readonly control: {
    /** N values, ascending; the cost ratio compares the last with the first. */
    readonly sizes: readonly number[];
    readonly rounds: number;
    /** Small N are repeated inside a round until about this many pairs were done. */
    readonly minPairsPerSample: number;
  };
  readonly memory: { readonly n: number };
  readonly simulator: { readonly seconds: number; readonly pps: number };
}

/** The sizes of the issue: bursts of 32 64-byte frames; N = 1k, 10k, 100k; 1 Mpps for 60 s. */
export const FULL_OPTIONS: SuiteOptions = {
  datapath: { burst: 32, frameLength: 64, rounds: 2001, warmupRounds: 200, roundNs: 2e5 },
  control: { sizes: [1_000, 10_000, 100_000], rounds: 5, minPairsPerSample: 100_000 },
  memory: { n: 100_000 },
  simulator: { seconds: 60, pps: 1e6 },
};

/** Tiny sizes for the smoke test: every code path, no meaningful numbers. */
export const SMOKE_OPTIONS: SuiteOptions = {
  datapath: {
    burst: 32,
    frameLength: 64,
    rounds: 1,
    warmupRounds: 1,
    roundNs: 1e5,
    iterations: 16,
  },
  control: { sizes: [10, 30, 100], rounds: 1, minPairsPerSample: 1 },
  // Enough devices (about 1.4 MB) that the heap's own noise between the two measurements (a
  // collected cache, 100 KB or more) cannot make the difference zero or negative.
  memory: { n: 2000 },
  // Long enough for the migration at 2 s to run (pre-copy, downtime) at a trivial rate.
  simulator: { seconds: 4, pps: 1e3 },
};

/** pass / fail against a target, `info` without one, `n/a` when not measurable yet. */
export type RowStatus = 'pass' | 'fail' | 'info' | 'n/a';

/** One line of the table (and of `latest.json`). */
export interface BenchRow {
  readonly id: string;
  readonly section: 'datapath' | 'ratio' | 'control' | 'simulator' | 'memory';
  readonly name: string;
  /** null when not available yet. */
  readonly value: number | null;
  readonly unit: string;
  /** Interquartile range / median over the rounds, when there were rounds. */
  readonly spread: number | null;
  /** Human-readable target, e.g. `>= 0.95`. */
  readonly target: string | null;
  readonly status: RowStatus;
  readonly note?: string;
}

/** Raw per-round samples, for `latest.json`. */
export interface BenchSamples {
  /** Packets per second per round, by datapath id. */
  readonly datapathPps: Record<string, number[]>;
  /** Bursts per round chosen by calibration, by datapath id. */
  readonly datapathIterations: Record<string, number>;
  /** CPU nanoseconds per notifier event per round, by `<id>@<n>`. */
  readonly controlNsPerEvent: Record<string, number[]>;
  /** Wall-clock nanoseconds per notifier event per round, by `<id>@<n>`. */
  readonly controlWallNsPerEvent: Record<string, number[]>;
  /** Notifier events per pair, by control-plane id. */
  readonly controlEventsPerPair: Record<string, number>;
  /** What each simulator run reported, by simulator id. */
  readonly simulatorRuns: Record<string, SimulatorRunResult>;
}

/** Everything a suite run produced. */
export interface BenchReport {
  readonly rows: BenchRow[];
  readonly samples: BenchSamples;
}

function targetText(t: Target | undefined, scale = 1, suffix = ''): string | null {
  if (t === undefined) return null;
  return `${t.op} ${t.value / scale}${suffix}`;
}

function judge(value: number | null, t: Target | undefined): RowStatus {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (t === undefined) return 'info';
  return meets(value, t) ? 'pass' : 'fail';
}

function notLanded(provider: string): string {
  return `not available yet (${provider} not landed)`;
}

function runDatapath(
  o: SuiteOptions['datapath'],
  rows: BenchRow[],
  samples: BenchSamples,
  log: (line: string) => void,
): void {
  const config = { burst: o.burst, frameLength: o.frameLength };
  const subjects = new Map<string, BurstSubject>();
  for (const def of DATAPATH_BENCHMARKS) {
    if (def.create !== null) subjects.set(def.id, def.create(config));
  }
  const repeatables: Repeatable[] = [...subjects].map(([id, s]) => ({
    id,
    run: (n: number) => s.run(n),
  }));
  log(`datapath: ${repeatables.length} subjects, ${o.rounds} interleaved rounds`);
  const m = measureInterleaved(repeatables, {
    rounds: o.rounds,
    warmupRounds: o.warmupRounds,
    roundNs: o.roundNs,
    ...(o.iterations === undefined ? {} : { iterations: o.iterations }),
  });
  for (const s of subjects.values()) s.verify();
  const pps = new Map<string, number[]>();
  for (const [id, ns] of m.nsPerOp) {
    const series = ns.map((x) => (o.burst * 1e9) / x);
    pps.set(id, series);
    samples.datapathPps[id] = series;
    samples.datapathIterations[id] = m.iterations.get(id) as number;
  }
  for (const def of DATAPATH_BENCHMARKS) {
    const series = pps.get(def.id);
    const tText = targetText(def.target, 1e6, ' Mpps');
    if (series === undefined) {
      rows.push({
        id: `datapath.${def.id}`,
        section: 'datapath',
        name: def.name,
        value: null,
        unit: 'pps',
        spread: null,
        target: tText,
        status: 'n/a',
        note: notLanded(def.provider),
      });
      continue;
    }
    const s = summarize(series);
    rows.push({
      id: `datapath.${def.id}`,
      section: 'datapath',
      name: def.name,
      value: s.median,
      unit: 'pps',
      spread: s.spread,
      target: tText,
      status: judge(s.median, def.target),
    });
  }
  for (const r of DATAPATH_RATIOS) {
    const a = pps.get(r.numerator);
    const b = pps.get(r.denominator);
    const tText = targetText(r.target);
    if (a === undefined || b === undefined) {
      const missing = DATAPATH_BENCHMARKS.find(
        (d) => (d.id === r.numerator || d.id === r.denominator) && !pps.has(d.id),
      );
      rows.push({
        id: `ratio.${r.id}`,
        section: 'ratio',
        name: r.name,
        value: null,
        unit: 'x',
        spread: null,
        target: tText,
        status: 'n/a',
        note: notLanded(missing?.provider ?? 'a package'),
      });
      continue;
    }
    // Per round: the two measurements were taken next to each other.
    const per = a.map((x, i) => x / (b[i] as number));
    const s = summarize(per);
    rows.push({
      id: `ratio.${r.id}`,
      section: 'ratio',
      name: r.name,
      value: s.median,
      unit: 'x',
      spread: s.spread,
      target: tText,
      status: judge(s.median, r.target),
    });
  }
}

/**
 * The control-plane section in this process (what `bench/control/child.ts` runs): pairing rows
 * per N, the cost ratios, and their samples.
 */
export function runControl(
  o: SuiteOptions['control'],
  rows: BenchRow[],
  samples: BenchSamples,
  log: (line: string) => void,
): void {
  const sizes = o.sizes;
  const first = sizes[0] as number;
  const last = sizes[sizes.length - 1] as number;
  const rateText = targetText(CONTROL_PLANE_TARGETS.eventsPerSecond, 1e6, ' M');
  const ratioText = targetText(CONTROL_PLANE_TARGETS.costRatio);
  for (const def of CONTROL_PLANE_BENCHMARKS) {
    const prepare = def.prepare;
    if (prepare === null) {
      for (const n of sizes) {
        rows.push({
          id: `control.${def.id}.${n}`,
          section: 'control',
          name: `${def.name}, N=${n}`,
          value: null,
          unit: 'events/s',
          spread: null,
          target: rateText,
          status: 'n/a',
          note: notLanded(def.provider),
        });
      }
      continue;
    }
    // CPU time of the process (all threads, GC helpers included), not wall time: another
    // tenant's load on a shared machine then does not count as our cost. Wall time is kept too.
    const perEvent = new Map<number, number[]>(sizes.map((n) => [n, []]));
    const wallPerEvent = new Map<number, number[]>(sizes.map((n) => [n, []]));
    let eventsPerPair = 0;
    // One untimed warm-up run at the smallest size.
    prepare(first).run();
    for (let r = 0; r < o.rounds; r++) {
      for (const n of sizes) {
        const reps = Math.max(1, Math.round(o.minPairsPerSample / n));
        let ns = 0;
        let wall = 0;
        let events = 0;
        // Start each sample from a collected heap; inside it, runs follow each other without a
        // forced GC, so small N see the same steady-state collection work as large N.
        forceGc();
        for (let k = 0; k < reps; k++) {
          const run = prepare(n);
          const c0 = cpuNs();
          const w0 = nowNs();
          const e = run.run();
          wall += nowNs() - w0;
          ns += cpuNs() - c0;
          run.verify();
          events += e;
        }
        eventsPerPair = events / (reps * n);
        (perEvent.get(n) as number[]).push(ns / events);
        (wallPerEvent.get(n) as number[]).push(wall / events);
      }
      log(`control ${def.id}: round ${r + 1}/${o.rounds}`);
    }
    samples.controlEventsPerPair[def.id] = eventsPerPair;
    for (const n of sizes) {
      const series = perEvent.get(n) as number[];
      samples.controlNsPerEvent[`${def.id}@${n}`] = series;
      samples.controlWallNsPerEvent[`${def.id}@${n}`] = wallPerEvent.get(n) as number[];
      const s = summarize(series.map((x) => 1e9 / x));
      rows.push({
        id: `control.${def.id}.${n}`,
        section: 'control',
        name: `${def.name}, N=${n}`,
        value: s.median,
        unit: 'events/s',
        spread: s.spread,
        target: rateText,
        status: judge(s.median, CONTROL_PLANE_TARGETS.eventsPerSecond),
        note: `${eventsPerPair} notifier events per pair; per CPU second`,
      });
    }
    const ratio = median(perEvent.get(last) as number[]) / median(perEvent.get(first) as number[]);
    rows.push({
      id: `control.${def.id}.cost-ratio`,
      section: 'control',
      name: `${def.name}: cost/event N=${last} vs N=${first}`,
      value: ratio,
      unit: 'x',
      spread: null,
      target: ratioText,
      status: judge(ratio, CONTROL_PLANE_TARGETS.costRatio),
    });
    // The same ratio between the two largest sizes: neither fits in a cache, so what is left of
    // the growth is algorithmic (a walk would show here as ~10x).
    if (sizes.length >= 3) {
      const prev = sizes[sizes.length - 2] as number;
      const upper = median(perEvent.get(last) as number[]) / median(perEvent.get(prev) as number[]);
      rows.push({
        id: `control.${def.id}.cost-ratio-upper`,
        section: 'control',
        name: `${def.name}: cost/event N=${last} vs N=${prev}`,
        value: upper,
        unit: 'x',
        spread: null,
        target: null,
        status: 'info',
      });
    }
  }
}

function runSimulator(
  o: SuiteOptions['simulator'],
  rows: BenchRow[],
  samples: BenchSamples,
  log: (line: string) => void,
): void {
  for (const def of SIMULATOR_BENCHMARKS) {
    const tText = targetText(SIMULATOR_TARGET, 1, 'x real time');
    const run = def.run;
    if (run === null) {
      rows.push({
        id: `simulator.${def.id}`,
        section: 'simulator',
        name: def.name,
        value: null,
        unit: 'sim s / wall s',
        spread: null,
        target: tText,
        status: 'n/a',
        note: notLanded(def.provider),
      });
      rows.push({
        id: `simulator.${def.id}.cpu`,
        section: 'simulator',
        name: `${def.name}, per CPU second`,
        value: null,
        unit: 'sim s / CPU s',
        spread: null,
        target: null,
        status: 'n/a',
        note: notLanded(def.provider),
      });
      rows.push({
        id: `memory.peak-rss.${def.id}`,
        section: 'memory',
        name: `peak RSS, ${def.name}`,
        value: null,
        unit: 'bytes',
        spread: null,
        target: null,
        status: 'n/a',
        note: notLanded(def.provider),
      });
      continue;
    }
    log(`simulator ${def.id}: ${o.seconds} s simulated at ${o.pps} pps in a child process`);
    const r = run({ seconds: o.seconds, pps: o.pps });
    samples.simulatorRuns[def.id] = r;
    const speed = r.simulatedNs / r.wallNs;
    rows.push({
      id: `simulator.${def.id}`,
      section: 'simulator',
      name: def.name,
      value: speed,
      unit: 'sim s / wall s',
      spread: null,
      target: tText,
      status: judge(speed, SIMULATOR_TARGET),
      note: `${r.frames} frames sent, ${r.lost} lost, migration ${r.migration ?? 'none'}; wall ${(r.wallNs / 1e9).toFixed(1)} s`,
    });
    // Per CPU second of the child too: on a shared machine another tenant's load slows the wall
    // clock, not the simulator (the control-plane rows are per CPU second for the same reason).
    rows.push({
      id: `simulator.${def.id}.cpu`,
      section: 'simulator',
      name: `${def.name}, per CPU second`,
      value: r.simulatedNs / r.cpuNs,
      unit: 'sim s / CPU s',
      spread: null,
      target: null,
      status: 'info',
      note: `CPU ${(r.cpuNs / 1e9).toFixed(1)} s (all threads of the child)`,
    });
    rows.push({
      id: `memory.peak-rss.${def.id}`,
      section: 'memory',
      name: `peak RSS, ${def.name}`,
      value: r.peakRss,
      unit: 'bytes',
      spread: null,
      target: null,
      status: 'info',
      note: 'peak RSS of the child process that ran the simulation',
    });
  }
}

function runMemory(o: SuiteOptions['memory'], rows: BenchRow[], log: (line: string) => void): void {
  IDLE_NETDEV_BENCHMARKS.forEach((def, i) => {
    log(`memory ${def.id}: ${o.n} idle netdevs in a child process`);
    const m = measureIdleNetdevs(def.id, o.n);
    const target = i === 0 ? IDLE_NETDEV_TARGET : undefined;
    rows.push({
      id: `memory.${def.id}`,
      section: 'memory',
      name: `bytes per idle netdev (${def.name}), N=${o.n}`,
      value: m.bytesPerNetdev,
      unit: 'bytes',
      spread: null,
      target: targetText(target),
      status: judge(m.bytesPerNetdev, target),
    });
    rows.push({
      id: `memory.peak-rss.idle-${def.id}`,
      section: 'memory',
      name: `peak RSS of that child process`,
      value: m.peakRss,
      unit: 'bytes',
      spread: null,
      target: null,
      status: 'info',
    });
  });
}

/** The parts of the suite, for running only some of them (`--only`). */
export type SuiteSection = 'datapath' | 'control' | 'simulator' | 'memory';

/** Raw samples of no section yet (what a section fills in). */
export function emptySamples(): BenchSamples {
  return {
    datapathPps: {},
    datapathIterations: {},
    controlNsPerEvent: {},
    controlWallNsPerEvent: {},
    controlEventsPerPair: {},
    simulatorRuns: {},
  };
}

/** Runs the benchmarks of `sections` (default all) with `options`; `log` gets progress lines. */
export function runSuite(
  options: SuiteOptions,
  log: (line: string) => void = () => {},
  sections: ReadonlySet<SuiteSection> = new Set(['datapath', 'control', 'simulator', 'memory']),
): BenchReport {
  const rows: BenchRow[] = [];
  const samples = emptySamples();
  if (sections.has('datapath')) runDatapath(options.datapath, rows, samples, log);
  if (sections.has('control')) {
    // In a process of its own, like the memory and simulator rows (see bench/control/measure.ts).
    const c = runControlSection(options.control, log);
    rows.push(...c.rows);
    Object.assign(samples.controlNsPerEvent, c.samples.controlNsPerEvent);
    Object.assign(samples.controlWallNsPerEvent, c.samples.controlWallNsPerEvent);
    Object.assign(samples.controlEventsPerPair, c.samples.controlEventsPerPair);
  }
  if (sections.has('simulator')) runSimulator(options.simulator, rows, samples, log);
  if (sections.has('memory')) runMemory(options.memory, rows, log);
  rows.push({
    id: 'memory.peak-rss.bench',
    section: 'memory',
    name: 'peak RSS of the benchmark process',
    value: process.resourceUsage().maxRSS * 1024,
    unit: 'bytes',
    spread: null,
    target: null,
    status: 'info',
  });
  return { rows, samples };
}
