import test from 'ava';
import { compareRows, formatCompareTable } from '../../src/report/CompareTable.js';
import { flow, migrationReport, nic, report } from './fixtures.js';

const entries = () => [
  { model: 'virtio-backup', report: migrationReport() },
  {
    model: 'netvsc',
    report: migrationReport({
      flows: {
        f1: flow({
          sent: 1_000_000,
          longestGap: '1.2s',
          drops: { 'no-vf': 7, 'vm-paused': 30000 },
        }),
      },
      nics: {
        'vm1/eth0': nic({ model: 'netvsc', onActive: '5s', onBackup: '5s', switches: 2 }),
        'vm1/eth1': nic({ model: 'netvsc', onActive: '2.5s', onBackup: '7.5s', switches: 1 }),
      },
      ok: false,
    }),
  },
  { model: 'bonding', report: report({ scenario: 'virtio VF failover across a live migration' }) },
];

test('compareRows gives the numbers per model', (t) => {
  const [virtio, netvsc, bonding] = compareRows(entries());
  t.like(virtio, {
    model: 'virtio-backup',
    sent: 1_500_000,
    received: 1_454_988,
    lost: 45012,
    worstGapNs: 300_100_000,
    worstGap: '300.1ms',
    worstGapFlow: 'f1',
    onActiveNs: 6_000_100_000,
    onActive: '6.0001s',
    onActivePercent: 60,
    switches: 4,
    migrations: ['completed'],
    downtimes: ['300ms'],
    ok: true,
  });
  t.deepEqual(Object.entries(virtio!.drops), [
    ['vm-paused', 45000],
    ['vf-ring-flushed', 12],
  ]);
  t.like(netvsc, {
    lost: 30007,
    worstGap: '1.2s',
    onActiveNs: 7_500_000_000,
    onActive: '7.5s',
    onActivePercent: 37.5,
    switches: 3,
    ok: false,
  });
  t.like(bonding, {
    sent: 0,
    lost: 0,
    worstGap: '0s',
    worstGapFlow: null,
    onActivePercent: 0,
    migrations: [],
  });
});

test('the table has one aligned row per model with lost, gap, time on VF, switches, result and drops', (t) => {
  const lines = formatCompareTable(entries()).split('\n');
  t.is(lines.length, 4);
  t.regex(lines[0]!, /^MODEL +LOST +WORST GAP +ON VF +SWITCHES +MIGRATION +RESULT +TOP DROPS$/);
  t.regex(
    lines[1]!,
    /^virtio-backup +45012 +300\.1ms +6\.0001s \(60%\) +4 +completed +OK +vm-paused=45000 vf-ring-flushed=12$/,
  );
  t.regex(
    lines[2]!,
    /^netvsc +30007 +1\.2s +7\.5s \(37\.5%\) +3 +completed +FAIL +vm-paused=30000 no-vf=7$/,
  );
  t.regex(lines[3]!, /^bonding +0 +0s +0s \(0%\) +0 +- +OK +-$/);
  const header = lines[0]!;
  for (const col of ['LOST', 'WORST GAP', 'ON VF', 'SWITCHES']) {
    const end = header.indexOf(col) + col.length;
    for (const line of lines.slice(1)) {
      t.not(line[end - 1], ' ', `${col} ends at ${end} in ${line}`);
      t.is(line[end], ' ');
    }
  }
  const resultAt = header.indexOf('RESULT');
  for (const line of lines.slice(1)) t.regex(line.slice(resultAt), /^(OK|FAIL) /);
  t.is(formatCompareTable(entries()), formatCompareTable(entries()));
});
