/**
 * The benchmark catalogue: every row `npm run bench` reports is defined here, in lists that the
 * other packages add to when they land. A definition whose `create`/`run` is null is a
 * registration point: its row is printed as "not available yet (<provider> not landed)" and its
 * targets as n/a, never with a made-up number.
 *
 * To plug a package in, write its subject next to the core ones (e.g.
 * `bench/datapath/netvsc.ts`) and replace the `null` of its entry below by the factory.
 */
import type { NetDevice, PacketPool } from '@bypass/core';
import { bondActiveBackup, bypassMaster, ringLimit, vfDirect } from './datapath/core.js';
import { failsafeVfPreferred, netvscSwitched, vfPmdDirect } from './datapath/netvsc.js';
import { bypassMasterPairing } from './control/pairing.js';
import { plainNetdev } from './memory/idle.js';
import { endToEnd } from './datapath/e2e.js';
import { runLiveMigration } from './simulator/measure.js';

/** A pass/fail threshold on a value: `value op threshold`. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

/** The fixed shape of the datapath measurement (the issue: 64-byte frames, bursts of 32). */
export interface DatapathConfig {
  /** Frames per burst. */
  readonly burst: number;
  /** Frame length in bytes. */
  readonly frameLength: number;
}

/**
 * One datapath subject, ready to run: it sends bursts on its path, and a "wire" takes every burst
 * back at once so rings never fill and no frame is allocated or freed inside the measurement.
 */
export interface BurstSubject {
  /** Sends `bursts` bursts (each one taken back by the wire). */
  run(bursts: number): void;
  /** Throws unless every frame sent so far went the way the row claims (no drop, right path). */
  verify(): void;
}

/** A datapath row: packets per second through one path. */
export interface DatapathBenchmark {
  /** Stable id (JSON key, ratio operand). */
  readonly id: string;
  /** What the table shows. */
  readonly name: string;
  /** Package that provides the path. */
  readonly provider: string;
  /** Absolute target on packets per second, if the issue sets one. */
  readonly target?: Target;
  /** Builds the subject; null until the provider has landed. */
  readonly create: ((config: DatapathConfig) => BurstSubject) | null;
}

/** A datapath ratio row: `numerator pps / denominator pps`, taken per round, median reported. */
export interface DatapathRatio {
  readonly id: string;
  readonly name: string;
  readonly numerator: string;
  readonly denominator: string;
  readonly target?: Target;
}

/** One timed control-plane run over `n` same-MAC pairs, prepared untimed. */
export interface ControlPlaneRun {
  /** Performs the timed part; returns the number of notifier events it caused. */
  run(): number;
  /** Throws unless every pair was made and released. */
  verify(): void;
}

/** A control-plane row family (one row per N, plus rate and scaling rows). */
export interface ControlPlaneBenchmark {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  /** Prepares a run over `n` pairs; null until the provider has landed. */
  readonly prepare: ((n: number) => ControlPlaneRun) | null;
}

/** What a simulator scenario reports after a run. */
export interface SimulatorRunResult {
  /** Simulated time covered, in ns. */
  readonly simulatedNs: number;
  /** Frames the simulated traffic carried (a sanity check: about pps x seconds). */
  readonly frames: number;
  /** Wall time of the simulation itself, ns (measured where it ran: a child process). */
  readonly wallNs: number;
  /** CPU time of that process during the simulation (all its threads), ns. */
  readonly cpuNs: number;
  /** Peak RSS of the process that ran the simulation, bytes. */
  readonly peakRss: number;
  /** Frames lost over every flow (the migration's downtime costs some). */
  readonly lost: number;
  /** Result of the scenario's migration, or null when it has none. */
  readonly migration: string | null;
}

/** A bundled simulator scenario measured for speed (simulated seconds per wall second). */
export interface SimulatorBenchmark {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  /** Runs the scenario for `seconds` of simulated time at `pps` offered load; null until landed. */
  readonly run: ((options: { seconds: number; pps: number }) => SimulatorRunResult) | null;
}

/** An "idle netdev" kind for the memory row: built, registered, never used. */
export interface IdleNetdevBenchmark {
  readonly id: string;
  readonly name: string;
  readonly provider: string;
  /** Builds the `i`-th device (unique permanent MAC), not yet registered. */
  readonly create: (pool: PacketPool, i: number) => NetDevice;
  /** Name to register it under (explicit: `%d` patterns cost a scan per registration). */
  readonly nameOf: (i: number) => string;
}

/** Datapath rows in table order. The first is the baseline every ratio ultimately refers to. */
export const DATAPATH_BENCHMARKS: DatapathBenchmark[] = [
  {
    id: 'limit',
    name: 'limit: bare power-of-two ring',
    provider: '@bypass/core',
    create: ringLimit,
  },
  { id: 'direct', name: 'direct on a VfDevice', provider: '@bypass/core', create: vfDirect },
  {
    id: 'master',
    name: 'BypassMaster (VF active)',
    provider: '@bypass/core',
    create: bypassMaster,
  },
  {
    id: 'bond',
    name: 'BondMaster active-backup (VF active)',
    provider: '@bypass/core',
    create: bondActiveBackup,
  },
  {
    id: 'netvsc',
    name: 'NetvscDevice (VF switched)',
    provider: '@bypass/netvsc',
    create: netvscSwitched,
  },
  {
    id: 'pmd',
    name: 'txBurst on a VF PMD port',
    provider: '@bypass/netvsc',
    create: vfPmdDirect,
  },
  {
    id: 'failsafe',
    name: 'fail-safe PMD (VF preferred)',
    provider: '@bypass/netvsc',
    create: failsafeVfPreferred,
  },
  {
    id: 'e2e',
    name: 'end-to-end guest -> NIC -> vswitch -> sink',
    provider: '@bypass/hypervisor',
    target: { op: '>=', value: 10e6 },
    create: endToEnd,
  },
];

/** Datapath ratio rows. */
export const DATAPATH_RATIOS: DatapathRatio[] = [
  {
    id: 'master/direct',
    name: 'master / direct',
    numerator: 'master',
    denominator: 'direct',
    target: { op: '>=', value: 0.95 },
  },
  {
    id: 'netvsc/direct',
    name: 'netvsc / direct',
    numerator: 'netvsc',
    denominator: 'direct',
    target: { op: '>=', value: 0.95 },
  },
  // DPDK ownership (txBurst: the caller keeps what the port did not take) on both sides, so the
  // baseline is txBurst on the VF PMD port, not the kernel-style `direct` (xmit drops the rest).
  {
    id: 'failsafe/direct',
    name: 'failsafe / direct (txBurst on the VF PMD port)',
    numerator: 'failsafe',
    denominator: 'pmd',
  },
  { id: 'e2e/limit', name: 'end-to-end / limit', numerator: 'e2e', denominator: 'limit' },
  {
    id: 'bond/direct',
    name: 'bond / direct (comparison)',
    numerator: 'bond',
    denominator: 'direct',
  },
  { id: 'direct/limit', name: 'direct / limit', numerator: 'direct', denominator: 'limit' },
];

/** Control-plane row families. */
export const CONTROL_PLANE_BENCHMARKS: ControlPlaneBenchmark[] = [
  {
    id: 'pairing',
    name: 'BypassMaster + VF pairing',
    provider: '@bypass/core',
    prepare: bypassMasterPairing,
  },
];

/** Control-plane targets: rate at the largest N, and per-event cost at the largest vs smallest N. */
export const CONTROL_PLANE_TARGETS = {
  eventsPerSecond: { op: '>=', value: 1e6 },
  costRatio: { op: '<=', value: 1.5 },
} as const satisfies Record<string, Target>;

/** Simulator scenarios measured for speed. */
export const SIMULATOR_BENCHMARKS: SimulatorBenchmark[] = [
  {
    id: 'live-migration',
    name: 'live migration, 1 Mpps, 60 s simulated',
    provider: '@bypass/hypervisor',
    run: runLiveMigration,
  },
];

/** Simulator target: simulated seconds per wall second. */
export const SIMULATOR_TARGET: Target = { op: '>=', value: 10 };

/** Idle-netdev kinds for the memory rows; the first one carries the target. */
export const IDLE_NETDEV_BENCHMARKS: IdleNetdevBenchmark[] = [plainNetdev];

/** Memory target: bytes per idle netdev. */
export const IDLE_NETDEV_TARGET: Target = { op: '<=', value: 2048 };

/** True when `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  return target.op === '>=' ? value >= target.value : value <= target.value;
}
