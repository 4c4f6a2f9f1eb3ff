import test from 'ava';
import { BypassError } from '@bypass/core';
import { formatReportText, KEY_EVENT_LINES } from '../../src/report/ReportText.js';
import type { ReportEvent } from '../../src/report/Report.js';
import { flow, migrationReport, nic, report } from './fixtures.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** The line of `text` that starts (after indentation) with `start`. */
function lineOf(text: string, start: string): string {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(start));
  if (line === undefined) throw new Error(`no line starts with ${start}:\n${text}`);
  return line;
}

test('the header names the scenario, file, seed and simulated time', (t) => {
  const text = formatReportText(migrationReport({ seed: 7 }));
  const [first, second] = text.split('\n');
  t.is(first, 'virtio VF failover across a live migration');
  t.is(second, '  file: migrate.yaml  seed: 7  simulated: 10s');
});

test('the flows table has one row per flow with counts, gap and top drops, and a total', (t) => {
  const text = formatReportText(migrationReport());
  const header = lineOf(text, 'FLOW');
  for (const h of [
    'FROM -> TO',
    'SENT',
    'RECEIVED',
    'LOST',
    'DUP',
    'REORD',
    'IN-FLIGHT',
    'LONGEST GAP',
    'DROPS',
  ]) {
    t.true(header.includes(h), h);
  }
  const f1 = lineOf(text, 'f1 ');
  t.regex(
    f1,
    /client -> vm1\/eth0 +unicast +1000000 +969988 +30012 +0 +0 +0 +300\.1ms +vm-paused=30000 vf-ring-flushed=12$/,
  );
  const f2 = lineOf(text, 'f2 ');
  t.regex(f2, /vm1\/eth0 -> client .* 500000 +485000 +15000 .* 300ms +vm-paused=15000$/);
  t.regex(lineOf(text, 'total'), /1500000 +1454988 +45012/);
  // Right-aligned numbers end in the same column as their header.
  t.is(f1.indexOf('1000000') + '1000000'.length, header.indexOf('SENT') + 'SENT'.length);
  t.is(f2.indexOf('15000') + 5, header.indexOf('LOST') + 4);
});

test('more than three drop counters show the top three and how many more', (t) => {
  const r = report({
    flows: { f1: flow({ drops: { a: 1, b: 5, c: 3, d: 5, e: 2 } }) },
  });
  t.regex(formatReportText(r), /b=5 d=5 c=3 \+2 more$/m);
});

test('the NICs table shows the time on each path with its share of the run', (t) => {
  const text = formatReportText(migrationReport());
  t.regex(lineOf(text, 'NIC '), /MODEL +ON VF +ON BACKUP +NONE +SWITCHES/);
  t.regex(
    lineOf(text, 'vm1/eth0 '),
    /virtio-backup +6\.0001s \(60%\) +3\.6999s \(37%\) +300ms \(3%\) +4$/,
  );
});

test('migrations list the result, downtime and the states with their times', (t) => {
  const text = formatReportText(migrationReport());
  t.regex(
    lineOf(text, 'vm1 '),
    /src -> dst +completed +300ms +setup@2s wait-unplug@2s active@2\.005s device@4s completed@4\.3s$/,
  );
  const cancelled = migrationReport({
    migrations: [
      {
        vm: 'vm1',
        from: 'src',
        to: 'dst',
        result: 'cancelled',
        reason: 'guest did not eject the VF',
        states: [],
        downtime: '0s',
      },
    ],
  });
  t.regex(formatReportText(cancelled), /cancelled \(guest did not eject the VF\) +0s/);
  t.false(formatReportText(report()).includes('Migrations'));
});

test('key events leave out drops and say how many they hid; all shows them; none hides the section', (t) => {
  const r = migrationReport();
  const key = formatReportText(r);
  t.true(key.includes('Key events'));
  t.regex(lineOf(key, '2.0001s'), /src vm1\/eth0 +datapath-switched +to backup$/);
  t.false(/ drop +vf-ring-flushed/.test(key));
  t.true(key.includes('(1 drop event not shown)'));
  const all = formatReportText(r, { events: 'all' });
  t.regex(all, /2\.0001s +src vm1\/eth0 +drop +vf-ring-flushed/);
  t.false(all.includes('not shown'));
  const none = formatReportText(r, { events: 'none' });
  t.false(none.includes('events'));
  t.false(none.includes('datapath-switched'));
});

test('key events stop after the cap with "... N more"; all does not cap', (t) => {
  const events: ReportEvent[] = Array.from({ length: KEY_EVENT_LINES + 25 }, (_, i) => ({
    at: `${i}ms`,
    kind: 'link-up',
    dev: `eth${i}`,
  }));
  const r = report({ events });
  const key = formatReportText(r);
  t.is((key.match(/link-up/g) ?? []).length, KEY_EVENT_LINES);
  t.true(key.includes('... 25 more'));
  const all = formatReportText(r, { events: 'all' });
  t.is((all.match(/link-up/g) ?? []).length, KEY_EVENT_LINES + 25);
  t.false(all.includes('more'));
});

test('expectations show PASS and FAIL with the value, the bound and why', (t) => {
  const r = migrationReport({
    ok: false,
    expect: [
      { metric: 'flows.f1.lost', value: 30012, ok: true, max: 40000 },
      { metric: 'flows.f2.lost', value: 15000, ok: false, max: 100, message: '15000 is above 100' },
      { metric: 'flows.nope.lost', value: null, ok: false, min: 1, message: 'no such flow' },
    ],
  });
  const text = formatReportText(r);
  t.true(text.includes('Expectations (1/3 passed)'));
  t.regex(lineOf(text, 'PASS'), /flows\.f1\.lost +30012 +max 40000$/);
  t.regex(text, /FAIL +flows\.f2\.lost +15000 +max 100 +15000 is above 100/);
  t.regex(text, /FAIL +flows\.nope\.lost +\(none\) +min 1 +no such flow/);
  t.true(text.endsWith('Result: FAIL (2 expectations failed)'));
});

test('conservation: ok, or every mismatch on its own line', (t) => {
  t.true(formatReportText(migrationReport()).includes('Conservation: ok'));
  t.true(formatReportText(migrationReport()).endsWith('Result: OK'));
  const bad = migrationReport({
    ok: false,
    conservation: {
      ok: false,
      mismatches: ['f1: 3 frames unaccounted for', 'f2: 1 frame counted twice'],
    },
  });
  const text = formatReportText(bad);
  t.regex(
    text,
    /Conservation: MISMATCH\n {2}f1: 3 frames unaccounted for\n {2}f2: 1 frame counted twice/,
  );
  t.true(text.endsWith('Result: FAIL (conservation mismatch)'));
});

test('an empty report says there are no flows and no NICs', (t) => {
  const text = formatReportText(report());
  t.true(text.includes('(no flows)'));
  t.true(text.includes('(no VM NICs)'));
  t.true(text.includes('(no events)'));
});

test('no ANSI escapes unless color is on; with color, the same text once they are removed', (t) => {
  const r = migrationReport({ ok: false, expect: [{ metric: 'x', value: 1, ok: false, max: 0 }] });
  const plain = formatReportText(r);
  t.false(plain.includes('\x1b'));
  const colored = formatReportText(r, { color: true });
  t.true(colored.includes('\x1b[31mFAIL\x1b[0m'));
  t.true(colored.includes('\x1b[32m'));
  t.is(colored.replace(ANSI, ''), plain);
});

test('the same report gives the same text', (t) => {
  t.is(formatReportText(migrationReport()), formatReportText(migrationReport()));
});

test('bad input gets a BypassError', (t) => {
  const mode = t.throws(() => formatReportText(report(), { events: 'some' as 'all' }), {
    instanceOf: BypassError,
  });
  t.is(mode.code, 'ERR_INVALID_ARGUMENT');
  const r = report({ nics: { n: nic({ onActive: 'fast' }) } });
  const dur = t.throws(() => formatReportText(r), { instanceOf: BypassError });
  t.is(dur.code, 'ERR_INVALID_ARGUMENT');
  t.regex(dur.message, /nics\.n\.onActive is "fast"/);
});

test('names from the scenario file cannot inject terminal escapes or lines', (t) => {
  const text = formatReportText(report({ scenario: 'evil\x1b[2J\nname', file: 'a\rb.yaml' }));
  t.false(text.includes('\x1b'));
  t.true(text.startsWith('evil?[2J name\n  file: a b.yaml  seed: 1'));
});
