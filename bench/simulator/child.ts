/**
 * Child process of the simulator row: runs the bundled live-migration scenario for `seconds` of
 * simulated time at `pps` frames per second in total (see `scenario.ts`) and prints, as one JSON
 * line, the wall time of `runScenario` itself (not the process start), the frames the flows sent,
 * and the process's peak RSS. A separate process makes the peak RSS the simulator's own.
 *
 * Usage: node --import tsx [--conditions=@bypass/source] bench/simulator/child.ts <seconds> <pps>
 */
import { readFileSync } from 'node:fs';
import { loadScenarioText, runScenario } from '@bypass/hypervisor';
import { cpuNs, nowNs } from '../harness/clock.js';
import { liveMigrationScenarioText } from './scenario.js';

/** What the child prints. */
export interface SimulatorMeasurement {
  readonly seconds: number;
  readonly pps: number;
  /** Simulated time the scenario covers (its duration), ns. */
  readonly simulatedNs: number;
  /** Wall time of `runScenario` (boot, the run and the drain), ns. */
  readonly wallNs: number;
  /** CPU time of the child during `runScenario` (all threads: GC helpers count), ns. */
  readonly cpuNs: number;
  /** Frames sent and lost over every flow. */
  readonly frames: number;
  readonly lost: number;
  /** Result of the migration (`completed` expected). */
  readonly migration: string | null;
  /** Peak resident set size of the child, in bytes (`VmHWM`, else `maxRSS`). */
  readonly peakRss: number;
}

function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back to the portable figure
  }
  return process.resourceUsage().maxRSS * 1024;
}

function main(argv: readonly string[]): void {
  const seconds = Number(argv[0]);
  const pps = Number(argv[1]);
  if (!(seconds > 0) || !(pps > 0)) throw new Error('usage: child.ts <seconds> <pps>');
  const scenario = loadScenarioText(liveMigrationScenarioText(seconds, pps), 'bench-sim.yaml');
  const c0 = cpuNs();
  const t0 = nowNs();
  const report = runScenario(scenario);
  const wallNs = nowNs() - t0;
  const cpu = cpuNs() - c0;
  let frames = 0;
  let lost = 0;
  for (const f of Object.values(report.flows)) {
    frames += f.sent;
    lost += f.lost;
  }
  const out: SimulatorMeasurement = {
    seconds,
    pps,
    simulatedNs: scenario.duration,
    wallNs,
    cpuNs: cpu,
    frames,
    lost,
    migration: report.migrations[0]?.result ?? null,
    peakRss: peakRss(),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main(process.argv.slice(2));
