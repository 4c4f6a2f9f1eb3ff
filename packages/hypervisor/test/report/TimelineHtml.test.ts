import test from 'ava';
import { HTML_DROP_EVENTS, renderTimelineHtml } from '../../src/report/TimelineHtml.js';
import { renderTimelineSvg } from '../../src/report/TimelineSvg.js';
import type { ReportEvent } from '../../src/report/Report.js';
import { flow, migrationReport, report } from './fixtures.js';
import { tags, xmlProblems } from './xmlCheck.js';

const VOID = ['meta'];

/** The cells of the table row whose first cell is `first`. */
function row(html: string, first: string): string[] {
  const tr = html
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`<tr><td>${first}</td>`) || l.startsWith(`<tr><td class="dim">${first}</td>`),
    );
  if (tr === undefined) throw new Error(`no row ${first}`);
  return [...tr.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]!);
}

test('a standalone page: doctype, charset, inline CSS, the SVG, no scripts or links', (t) => {
  const r = migrationReport();
  const html = renderTimelineHtml(r);
  t.true(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  t.true(html.endsWith('</html>\n'));
  t.true(html.includes('<meta charset="utf-8">'));
  t.true(html.includes(renderTimelineSvg(r)));
  t.false(/<script|<link|src=|@import/i.test(html));
  t.deepEqual(xmlProblems(html.replace('<!DOCTYPE html>', ''), { voidElements: VOID }), []);
  t.true(html.includes('<title>virtio VF failover across a live migration: bypass report</title>'));
  t.true(html.includes('<span class="badge good">OK</span>'));
});

test('the flows, NICs, migrations and expectations are HTML tables', (t) => {
  const html = renderTimelineHtml(migrationReport());
  t.deepEqual(row(html, 'f1'), [
    'f1',
    'client -&gt; vm1/eth0',
    'unicast',
    '1000000',
    '969988',
    '30012',
    '0',
    '0',
    '0',
    '300.1ms',
    'vm-paused=30000 vf-ring-flushed=12',
  ]);
  t.deepEqual(row(html, 'vm1/eth0'), [
    'vm1/eth0',
    'virtio-backup',
    '6.0001s (60%)',
    '3.6999s (37%)',
    '300ms (3%)',
    '4',
  ]);
  t.deepEqual(row(html, 'vm1'), [
    'vm1',
    'src -&gt; dst',
    'completed',
    '300ms',
    'setup@2s wait-unplug@2s active@2.005s device@4s completed@4.3s',
  ]);
  t.true(html.includes('<td class="good">PASS</td><td>flows.f1.lost</td>'));
  t.true(html.includes('<td class="num bad">30012</td>'));
  t.true(html.includes('<th class="num">SENT</th>'));
  t.true(html.includes('Expectations (2/2 passed)'));
  t.true(html.includes('every frame sent was received, lost or in flight'));
});

test('events: the key events in a table, the drops in a collapsed, capped section', (t) => {
  const drops: ReportEvent[] = Array.from({ length: HTML_DROP_EVENTS + 7 }, (_, i) => ({
    at: `${i + 1}us`,
    kind: 'drop',
    detail: 'vm-paused',
  }));
  const r = migrationReport({ events: [...migrationReport().events, ...drops] });
  const html = renderTimelineHtml(r);
  t.true(html.includes('<h2>Events (7)</h2>'));
  t.true(html.includes('<td>datapath-switched</td><td>to backup</td>'));
  const details = html.slice(html.indexOf('<details>'));
  t.true(details.startsWith(`<details>\n<summary>${HTML_DROP_EVENTS + 8} drop events</summary>`));
  t.is((details.match(/<td class="bad">drop<\/td>/g) ?? []).length, HTML_DROP_EVENTS);
  t.true(details.includes('... 8 more'));
  t.false(renderTimelineHtml(report()).includes('<details>'));
});

test('a failed run shows FAIL and the conservation mismatches', (t) => {
  const html = renderTimelineHtml(
    migrationReport({
      ok: false,
      conservation: { ok: false, mismatches: ['f1: 3 frames <missing>'] },
    }),
  );
  t.true(html.includes('<span class="badge bad">FAIL</span>'));
  t.true(html.includes('<li>f1: 3 frames &lt;missing&gt;</li>'));
});

test('names are escaped and the page is deterministic', (t) => {
  const r = report({
    scenario: '<x & y>',
    file: '"q".yaml',
    flows: { '<f>': flow({ to: "it's" }) },
  });
  const html = renderTimelineHtml(r);
  t.deepEqual(xmlProblems(html.replace('<!DOCTYPE html>', ''), { voidElements: VOID }), []);
  t.true(html.includes('<h1>&lt;x &amp; y&gt; '));
  t.true(html.includes('&quot;q&quot;.yaml · seed 1'));
  t.true(html.includes('<td>&lt;f&gt;</td><td>client -&gt; it&#39;s</td>'));
  t.false(html.includes('<f>'));
  t.is(html, renderTimelineHtml(r));
  // Only the flows table: no NICs and no events are said in words, not empty tables.
  t.is(tags(html, 'table').length, 1);
  t.true(html.includes('<p class="dim">no VM NICs</p>'));
});
