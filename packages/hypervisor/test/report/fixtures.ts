import type {
  DatapathInUse,
  FlowReport,
  MigrationReport,
  MigrationState,
  NicReport,
  Report,
  ReportEvent,
  Timeline,
} from '../../src/report/Report.js';

/** A flow report with sensible defaults; `lost` is the sum of `drops` unless given. */
export function flow(over: Partial<FlowReport> = {}): FlowReport {
  const drops = over.drops ?? {};
  const lost = over.lost ?? Object.values(drops).reduce((a, b) => a + b, 0);
  const received = over.received ?? (over.sent ?? 1000) - lost;
  return {
    from: 'client',
    to: 'vm1/eth0',
    cast: 'unicast',
    sent: 1000,
    duplicated: 0,
    reordered: 0,
    inFlight: 0,
    longestGap: '10ms',
    latency: { min: '5us', mean: '7us', max: '20us' },
    ...over,
    drops,
    lost,
    received,
  };
}

/** A NIC report with sensible defaults (on the VF the whole 10 s). */
export function nic(over: Partial<NicReport> = {}): NicReport {
  return {
    model: 'virtio-backup',
    onActive: '10s',
    onBackup: '0s',
    onNone: '0s',
    switches: 0,
    stats: {},
    ...over,
  };
}

/** Frames per bucket: `rate` per bucket, zero in the `[gapFrom, gapTo)` bucket range. */
export function series(buckets: number, rate: number, gapFrom = -1, gapTo = -1): number[] {
  return Array.from({ length: buckets }, (_, i) => (i >= gapFrom && i < gapTo ? 0 : rate));
}

/** A timeline with defaults: 10 ms buckets over 10 s, nothing in it. */
export function timeline(over: Partial<Timeline> = {}): Timeline {
  return { bucketNs: 10_000_000, buckets: 1000, flows: {}, datapath: {}, migrations: [], ...over };
}

/** An empty report of a 10 s run; override what the test is about. */
export function report(over: Partial<Report> = {}): Report {
  return {
    scenario: 'empty',
    file: 'empty.yaml',
    seed: 1,
    simulated: '10s',
    flows: {},
    nics: {},
    migrations: [],
    events: [],
    expect: [],
    conservation: { ok: true, mismatches: [] },
    otherDrops: {},
    timeline: timeline(),
    ok: true,
    ...over,
  };
}

const S = 1_000_000_000;
const MS = 1_000_000;

/** The datapath of vm1/eth0 in {@link migrationReport}: VF, backup during the migration, VF. */
export const MIGRATION_DATAPATH: readonly (readonly [number, number, DatapathInUse])[] = [
  [0, 2 * S + 100_000, 'active'],
  [2 * S + 100_000, 4 * S, 'backup'],
  [4 * S, 4 * S + 300 * MS, 'none'],
  [4 * S + 300 * MS, 6 * S, 'backup'],
  [6 * S, 10 * S, 'active'],
];

/** The migration phases in {@link migrationReport}. */
export const MIGRATION_PHASES: readonly (readonly [number, number, MigrationState])[] = [
  [2 * S, 2 * S, 'setup'],
  [2 * S, 2 * S + 5 * MS, 'wait-unplug'],
  [2 * S + 5 * MS, 4 * S, 'active'],
  [4 * S, 4 * S + 300 * MS, 'device'],
  [4 * S + 300 * MS, 10 * S, 'completed'],
];

/**
 * A realistic run: two flows through vm1/eth0, a live migration at 2 s with a 300 ms pause at
 * 4 s (f1 loses 30000 frames to vm-paused and 12 to vf-ring-flushed), events, expectations.
 */
export function migrationReport(over: Partial<Report> = {}): Report {
  const migration: MigrationReport = {
    vm: 'vm1',
    from: 'src',
    to: 'dst',
    result: 'completed',
    downtime: '300ms',
    states: [
      { state: 'setup', at: '2s' },
      { state: 'wait-unplug', at: '2s' },
      { state: 'active', at: '2.005s' },
      { state: 'device', at: '4s' },
      { state: 'completed', at: '4.3s' },
    ],
  };
  const events: ReportEvent[] = [
    { at: '0s', vm: 'vm1', dev: 'eth0', kind: 'netdev-register' },
    { at: '2s', host: 'src', vm: 'vm1', kind: 'migration-state', detail: 'wait-unplug' },
    { at: '2s', host: 'src', vm: 'vm1', dev: 'eth0', kind: 'unplug-request' },
    { at: '2.0001s', host: 'src', vm: 'vm1', dev: 'eth0', kind: 'drop', detail: 'vf-ring-flushed' },
    {
      at: '2.0001s',
      host: 'src',
      vm: 'vm1',
      dev: 'eth0',
      kind: 'datapath-switched',
      detail: 'to backup',
    },
    { at: '4s', host: 'src', vm: 'vm1', kind: 'migration-state', detail: 'device' },
    { at: '4.3s', host: 'dst', vm: 'vm1', kind: 'migration-state', detail: 'completed' },
    {
      at: '6s',
      host: 'dst',
      vm: 'vm1',
      dev: 'eth0',
      kind: 'datapath-switched',
      detail: 'to active',
    },
  ];
  return report({
    scenario: 'virtio VF failover across a live migration',
    file: 'migrate.yaml',
    flows: {
      f1: flow({
        sent: 1_000_000,
        longestGap: '300.1ms',
        drops: { 'vf-ring-flushed': 12, 'vm-paused': 30000 },
      }),
      f2: flow({
        from: 'vm1/eth0',
        to: 'client',
        sent: 500_000,
        longestGap: '300ms',
        drops: { 'vm-paused': 15000 },
      }),
    },
    nics: {
      'vm1/eth0': nic({ onActive: '6.0001s', onBackup: '3.6999s', onNone: '300ms', switches: 4 }),
    },
    migrations: [migration],
    events,
    expect: [
      { metric: 'flows.f1.lost', value: 30012, ok: true, max: 40000 },
      { metric: 'migrations.0.result', value: 'completed', ok: true, equals: 'completed' },
    ],
    timeline: timeline({
      flows: { f1: series(1000, 1000, 400, 430), f2: series(1000, 500, 400, 430) },
      datapath: { 'vm1/eth0': MIGRATION_DATAPATH },
      migrations: [MIGRATION_PHASES],
    }),
    ...over,
  });
}
