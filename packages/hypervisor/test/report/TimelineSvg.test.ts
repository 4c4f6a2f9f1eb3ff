import test from 'ava';
import { BypassError } from '@bypass/core';
import {
  DATAPATH_COLORS,
  MIGRATION_COLORS,
  renderTimelineSvg,
} from '../../src/report/TimelineSvg.js';
import {
  flow,
  migrationReport,
  MIGRATION_DATAPATH,
  MIGRATION_PHASES,
  nic,
  report,
  series,
  timeline,
} from './fixtures.js';
import { attr, tags, xmlProblems } from './xmlCheck.js';

/** The x of the axis label `label` (e.g. `4s`). */
function tickX(svg: string, label: string): string | undefined {
  return new RegExp(`<text x="([\\d.]+)"[^>]*>${label}</text>`).exec(svg)?.[1];
}

test('the SVG is well-formed, self-contained and titled', (t) => {
  const svg = renderTimelineSvg(migrationReport());
  t.deepEqual(xmlProblems(svg), []);
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="960" '));
  t.true(svg.includes('font-family="sans-serif"'));
  t.false(/<script|href=|@import|url\(|@font-face/i.test(svg));
  t.true(svg.includes('>virtio VF failover across a live migration</text>'));
  t.true(svg.includes('migrate.yaml · seed 1 · 10s simulated · OK'));
});

test('one throughput path per flow, a step line that drops to zero in the pause', (t) => {
  const svg = renderTimelineSvg(migrationReport());
  const paths = tags(svg, 'path', { class: 'throughput' });
  t.deepEqual(
    paths.map((p) => attr(p, 'data-flow')),
    ['f1', 'f2'],
  );
  // f1: 100 kpps except buckets 400..429 (4 s to 4.3 s): up, down at 4 s, up at 4.3 s.
  const d = attr(paths[0]!, 'd')!;
  t.regex(d, /^M[\d.]+ [\d.]+H([\d.]+)V[\d.]+H([\d.]+)V[\d.]+H[\d.]+$/);
  const [, down, up] = /H([\d.]+)V[\d.]+H([\d.]+)V/.exec(d)!;
  t.is(down, tickX(svg, '4s'));
  t.true(Number(up) > Number(down));
  t.true(svg.includes('>100kpps</text>'));
  t.true(svg.includes('>50kpps</text>'));
});

test('a band per NIC shaded by the datapath in use, with one rect per segment', (t) => {
  const svg = renderTimelineSvg(migrationReport());
  const rects = tags(svg, 'rect').filter((r) => /class="dp dp-/.test(r));
  t.is(rects.length, MIGRATION_DATAPATH.length);
  MIGRATION_DATAPATH.forEach(([, , path], i) => {
    t.is(attr(rects[i]!, 'class'), `dp dp-${path}`);
    t.is(attr(rects[i]!, 'fill'), DATAPATH_COLORS[path]);
  });
  const none = rects[2]!;
  t.is(attr(none, 'x'), tickX(svg, '4s'));
  t.true(svg.includes('>vm1/eth0</text>'));
  // The flow lanes are tinted by their NIC's datapath too.
  t.is(tags(svg, 'rect', { class: 'lane-dp lane-dp-none' }).length, 2);
  for (const label of ['VF (active)', 'paravirt (backup)', 'no path']) {
    t.true(svg.includes(`>${label}</text>`), label);
  }
});

test('migration phases are segments with labels, spans across the lanes and markers', (t) => {
  const svg = renderTimelineSvg(migrationReport());
  const migs = tags(svg, 'rect').filter((r) => /class="mig mig-/.test(r));
  t.deepEqual(
    migs.map((r) => attr(r, 'class')),
    MIGRATION_PHASES.map(([, , s]) => `mig mig-${s}`),
  );
  for (const r of migs)
    t.is(attr(r, 'fill'), MIGRATION_COLORS[attr(r, 'class')!.slice(8) as 'device']);
  const labels = [...svg.matchAll(/class="mig-label"[^>]*>([^<]+)</g)].map((m) => m[1]);
  for (const l of ['wait-unplug', 'active', 'device', 'completed']) t.true(labels.includes(l), l);
  t.is(tags(svg, 'rect', { class: 'mig-span mig-span-device' }).length, 1);
  t.is(tags(svg, 'rect', { class: 'mig-span mig-span-wait-unplug' }).length, 1);
  // Markers at 2 s (setup and wait-unplug share it), 2.005 s, 4 s and 4.3 s.
  t.is(tags(svg, 'line', { class: 'mig-marker' }).length, 4);
  t.true(svg.includes('>device (stop-and-copy pause)</text>'));
  t.true(svg.includes('<title>vm1 src -&gt; dst: device 4s - 4.3s</title>'));
});

test('names with markup characters are escaped', (t) => {
  const evil = `<b>&"x'`;
  const r = report({
    scenario: `a<b & "c">`,
    file: 'x&y.yaml',
    flows: { [evil]: flow({ from: evil, to: 'vm<1>/e&0' }) },
    nics: { 'vm<1>/e&0': nic() },
    migrations: [{ vm: evil, from: '<', to: '>', result: 'completed', states: [], downtime: '0s' }],
    timeline: timeline({
      flows: { [evil]: series(10, 5) },
      datapath: { 'vm<1>/e&0': [[0, 10e9, 'active']] },
      migrations: [[[1e9, 2e9, 'device']]],
    }),
  });
  const svg = renderTimelineSvg(r);
  t.deepEqual(xmlProblems(svg), []);
  t.true(svg.includes('>a&lt;b &amp; &quot;c&quot;&gt;</text>'));
  t.true(svg.includes('data-flow="&lt;b&gt;&amp;&quot;x&#39;"'));
  t.true(svg.includes('>vm&lt;1&gt;/e&amp;0</text>'));
  t.false(svg.includes('<b>'));
  t.is(tags(svg, 'rect', { class: 'lane-dp lane-dp-active' }).length, 1);
});

test('the same report gives the same bytes', (t) => {
  t.is(renderTimelineSvg(migrationReport()), renderTimelineSvg(migrationReport()));
  t.is(
    renderTimelineSvg(migrationReport(), { width: 1500 }),
    renderTimelineSvg(migrationReport(), { width: 1500 }),
  );
  t.not(
    renderTimelineSvg(migrationReport(), { width: 1500 }),
    renderTimelineSvg(migrationReport()),
  );
});

test('a huge timeline is summed down to at most 1000 points and stays small', (t) => {
  // 100 s of 1 ms buckets; the rate steps every 100 buckets so every summed point differs.
  const counts = Array.from({ length: 100_000 }, (_, i) => Math.floor(i / 100) % 5);
  const r = report({
    simulated: '100s',
    flows: { f1: flow({ sent: counts.reduce((a, b) => a + b, 0) }) },
    timeline: timeline({ bucketNs: 1_000_000, buckets: 100_000, flows: { f1: counts } }),
  });
  const svg = renderTimelineSvg(r);
  const d = attr(tags(svg, 'path', { class: 'throughput' })[0]!, 'd')!;
  const steps = (d.match(/H/g) ?? []).length;
  t.true(steps <= 1000, `${steps} steps`);
  t.true(steps >= 900, `${steps} steps`);
  t.true(svg.includes('>4kpps</text>')); // peak 4 frames/ms = 4 kpps
  t.true(svg.length < 40_000, `${svg.length} bytes`);
  t.deepEqual(xmlProblems(svg), []);
});

test('edge cases: no flows, zero traffic, one bucket, nothing simulated', (t) => {
  const empty = renderTimelineSvg(report());
  t.deepEqual(xmlProblems(empty), []);
  t.true(empty.includes('no flows in this scenario'));
  t.is(tags(empty, 'path', { class: 'throughput' }).length, 0);

  const idle = renderTimelineSvg(
    report({
      flows: { f1: flow({ sent: 0 }) },
      timeline: timeline({ flows: { f1: series(1000, 0) } }),
    }),
  );
  const flat = attr(tags(idle, 'path', { class: 'throughput' })[0]!, 'd')!;
  t.regex(flat, /^M[\d.]+ [\d.]+H[\d.]+$/);
  t.true(idle.includes('>no frames received</text>'));

  const missing = renderTimelineSvg(report({ flows: { f1: flow() } }));
  t.regex(
    attr(tags(missing, 'path', { class: 'throughput' })[0]!, 'd')!,
    /^M[\d.]+ [\d.]+H[\d.]+$/,
  );

  const one = renderTimelineSvg(
    report({
      flows: { f1: flow() },
      timeline: timeline({ bucketNs: 10e9, buckets: 1, flows: { f1: [1000] } }),
    }),
  );
  t.true(one.includes('>100pps</text>'));
  t.deepEqual(xmlProblems(one), []);

  const zero = renderTimelineSvg(report({ simulated: '0s', timeline: timeline({ buckets: 0 }) }));
  t.deepEqual(xmlProblems(zero), []);
});

test('bad options or a timeline that cannot be placed get a BypassError', (t) => {
  for (const width of [10, Number.NaN, 1e9]) {
    const err = t.throws(() => renderTimelineSvg(report(), { width }), { instanceOf: BypassError });
    t.is(err.code, 'ERR_INVALID_ARGUMENT');
  }
  const r = report({
    flows: { f1: flow() },
    timeline: timeline({ bucketNs: 0, flows: { f1: [1] } }),
  });
  const err = t.throws(() => renderTimelineSvg(r), { instanceOf: BypassError });
  t.regex(err.message, /bucketNs/);
  t.throws(() => renderTimelineSvg(report({ simulated: 'long' })), { instanceOf: BypassError });
});
