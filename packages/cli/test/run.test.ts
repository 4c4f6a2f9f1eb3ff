import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Report } from '@bypass/hypervisor';
import { cli, FIXTURES, ROOT } from './helpers/cli.js';

const short = relative(ROOT, join(FIXTURES, 'scenarios', 'short-migration.yaml'));
const unplug = relative(ROOT, join(FIXTURES, 'scenarios', 'vf-unplug.json'));
const impossible = relative(ROOT, join(FIXTURES, 'bad', 'impossible.yaml'));

function tmp(t: { teardown: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'bypass-run-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('run prints the text report and exits 0 when the report is ok', async (t) => {
  const r = await cli(['run', short]);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  t.regex(r.stdout, /short virtio migration/);
  t.regex(r.stdout, /f1/);
  t.false(r.stdout.includes('\x1b['), 'no colour when stdout is not a terminal');
});

test('run --json prints one report object for one file', async (t) => {
  const r = await cli(['run', short, '--json']);
  t.is(r.code, 0);
  const report = JSON.parse(r.stdout) as Report;
  t.is(report.scenario, 'short virtio migration');
  t.is(report.seed, 7);
  t.true(report.ok);
  t.true(report.flows['f1']!.sent > 0);
  t.is(report.migrations.length, 1);
});

test('the same run gives the same JSON (deterministic)', async (t) => {
  const a = await cli(['run', short, '--json']);
  const b = await cli(['run', short, '--json']);
  t.is(a.stdout, b.stdout);
});

test('run of several files prints each report, then the summary table', async (t) => {
  const r = await cli(['run', short, unplug]);
  t.is(r.code, 0);
  const summary = r.stdout.slice(r.stdout.lastIndexOf('SCENARIO'));
  t.regex(summary, /short virtio migration/);
  t.regex(summary, /surprise VF unplug/);
  t.regex(summary, /2 runs: 2 OK, 0 FAIL/);
});

test('run --json of several files prints an array of reports', async (t) => {
  const r = await cli(['run', short, unplug, '--json']);
  const reports = JSON.parse(r.stdout) as Report[];
  t.deepEqual(
    reports.map((x) => x.scenario),
    ['short virtio migration', 'surprise VF unplug'],
  );
});

test('a failed expectation exits 1; --quiet prints only the failure', async (t) => {
  const r = await cli(['run', impossible]);
  t.is(r.code, 1);
  t.regex(r.stdout, /flows\.f1\.lost/);
  const q = await cli(['run', impossible, short, '--quiet']);
  t.is(q.code, 1);
  t.is(q.stdout, '');
  t.regex(
    q.stderr,
    /impossible\.yaml: FAIL \(impossible expectation\)\n {2}expect flows\.f1\.lost = 0: /,
  );
  t.notRegex(q.stderr, /short-migration/);
});

test('--svg, --html and --pcap write the files and say where', async (t) => {
  const d = tmp(t);
  const r = await cli([
    'run',
    short,
    '--svg',
    join(d, 't.svg'),
    '--html',
    join(d, 'h/t.html'),
    '--pcap',
    join(d, 'pcap'),
  ]);
  t.is(r.code, 0, r.stderr);
  t.regex(readFileSync(join(d, 't.svg'), 'utf8'), /<svg/);
  t.regex(readFileSync(join(d, 'h', 't.html'), 'utf8'), /<html/i);
  const pcaps = readdirSync(join(d, 'pcap'));
  t.true(pcaps.length > 0);
  t.true(pcaps.every((f) => f.endsWith('.pcap')));
  t.true(r.stdout.includes(`timeline: ${join(d, 't.svg')}`));
  t.true(r.stdout.includes(`timeline: ${join(d, 'h', 't.html')}`));
  t.true(r.stdout.includes(`pcap: ${pcaps.length} file`));
});

test('with several files, outputs get the scenario name as suffix; --json notes go to stderr', async (t) => {
  const d = tmp(t);
  const r = await cli([
    'run',
    short,
    unplug,
    '--json',
    '--svg',
    join(d, 't.svg'),
    '--pcap',
    join(d, 'p'),
  ]);
  t.is(r.code, 0, r.stderr);
  t.true(existsSync(join(d, 't.short-migration.svg')));
  t.true(existsSync(join(d, 't.vf-unplug.svg')));
  t.false(existsSync(join(d, 't.svg')));
  t.true(readdirSync(join(d, 'p', 'short-migration')).length > 0);
  t.true(readdirSync(join(d, 'p', 'vf-unplug')).length > 0);
  t.regex(r.stderr, /timeline: .*t\.short-migration\.svg/);
  JSON.parse(r.stdout); // stdout stays pure JSON
});

test('--model runs every NIC with that model', async (t) => {
  const r = await cli(['run', short, '--json', '--model', 'failsafe']);
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  t.is(report.nics['vm1/eth0']!.model, 'failsafe');
});

test('run accepts a bundled scenario by bare name', async (t) => {
  const r = await cli(['run', 'virtio-live-migration', '--json']);
  t.is(r.stderr, '');
  const report = JSON.parse(r.stdout) as Report;
  t.is(r.code, report.ok ? 0 : 1);
  t.is(report.file.endsWith('virtio-live-migration.yaml'), true);
});

test('an unwritable output path is a usage error (exit 2) saying what to do', async (t) => {
  const d = tmp(t);
  const r = await cli([
    'run',
    short,
    '--svg',
    join(FIXTURES, 'scenarios', 'short-migration.yaml', 'x.svg'),
  ]);
  t.is(r.code, 2);
  t.regex(r.stderr, /cannot write the SVG timeline to .*; choose a writable path/);
  t.true(existsSync(d));
});

test('colours on a terminal, unless --no-color or NO_COLOR', async (t) => {
  const tty = { isTTY: { stdout: true, stderr: false } };
  const colored = await cli(['run', short], tty);
  t.true(colored.stdout.includes('\x1b['));
  const flag = await cli(['run', short, '--no-color'], tty);
  t.false(flag.stdout.includes('\x1b['));
  const env = await cli(['run', short], { ...tty, env: { NO_COLOR: '1' } });
  t.false(env.stdout.includes('\x1b['));
  t.is(flag.stdout, env.stdout);
});
