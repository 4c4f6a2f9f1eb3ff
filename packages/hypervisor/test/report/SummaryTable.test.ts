import test from 'ava';
import { formatSummaryTable } from '../../src/report/SummaryTable.js';
import { flow, migrationReport, report } from './fixtures.js';

const entries = () => [
  { file: 'scenarios/migrate.yaml', report: migrationReport() },
  {
    file: 'idle.yaml',
    report: report({ scenario: 'idle', flows: { f: flow({ sent: 10, longestGap: '1ms' }) } }),
  },
  {
    file: 'bad.yaml',
    report: migrationReport({
      scenario: 'strict',
      ok: false,
      expect: [
        { metric: 'flows.f1.lost', value: 30012, ok: false, max: 0 },
        { metric: 'flows.f2.lost', value: 15000, ok: true, max: 20000 },
      ],
      migrations: [
        { vm: 'vm1', from: 'src', to: 'dst', result: 'completed', states: [], downtime: '1s' },
        { vm: 'vm1', from: 'dst', to: 'src', result: 'cancelled', states: [], downtime: '0s' },
      ],
    }),
  },
];

test('one row per run with totals, worst gap, migrations, expectations and the verdict', (t) => {
  const lines = formatSummaryTable(entries()).split('\n');
  t.is(lines.length, 5);
  t.regex(
    lines[0]!,
    /^SCENARIO +FILE +FLOWS +SENT +RECEIVED +LOST +WORST GAP +MIGRATIONS +EXPECT +RESULT$/,
  );
  t.regex(
    lines[1]!,
    /^virtio VF failover across a live migration +scenarios\/migrate\.yaml +2 +1500000 +1454988 +45012 +300\.1ms +completed +2\/2 +OK$/,
  );
  t.regex(lines[2]!, /^idle +idle\.yaml +1 +10 +10 +0 +1ms +- +- +OK$/);
  t.regex(lines[3]!, /^strict +bad\.yaml +2 .* 300\.1ms +completed cancelled +1\/2 +FAIL$/);
  t.is(lines[4], '3 runs: 2 OK, 1 FAIL');
});

test('columns line up: each header starts or ends where its cells do', (t) => {
  const lines = formatSummaryTable(entries()).split('\n').slice(0, 4);
  const header = lines[0]!;
  const resultAt = header.indexOf('RESULT');
  const fileAt = header.indexOf('FILE');
  const lostEnd = header.indexOf('LOST') + 4;
  for (const line of lines.slice(1)) {
    t.regex(line.slice(resultAt), /^(OK|FAIL)$/);
    t.regex(line.slice(fileAt), /^[\w/]+\.yaml /);
    t.regex(line.slice(0, lostEnd), /\d$/);
    t.is(line[lostEnd], ' ');
  }
});

test('one run says "1 run"; the same entries give the same table', (t) => {
  const one = formatSummaryTable([{ file: 'a.yaml', report: report() }]);
  t.true(one.endsWith('\n1 run: 1 OK, 0 FAIL'));
  t.is(formatSummaryTable(entries()), formatSummaryTable(entries()));
});
