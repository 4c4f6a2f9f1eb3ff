import test from 'ava';
import { join, relative } from 'node:path';
import type { CompareRow, Report } from '@bypass/hypervisor';
import { cli, FIXTURES, ROOT } from './helpers/cli.js';

const short = relative(ROOT, join(FIXTURES, 'scenarios', 'short-migration.yaml'));

test('compare --models runs once per model and prints one row each', async (t) => {
  const r = await cli(['compare', short, '--models', 'virtio-backup,bonding']);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  t.regex(r.stdout, /^short virtio migration \(.*short-migration\.yaml\)\n/);
  t.regex(r.stdout, /^virtio-backup\b/m);
  t.regex(r.stdout, /^bonding\b/m);
  t.notRegex(r.stdout, /^failsafe\b/m);
});

test('compare --json gives the rows and the reports by model', async (t) => {
  const r = await cli([
    'compare',
    short,
    '--models',
    'virtio-backup, failsafe,virtio-backup',
    '--json',
  ]);
  const out = JSON.parse(r.stdout) as {
    scenario: string;
    rows: CompareRow[];
    reports: Record<string, Report>;
  };
  t.is(out.scenario, 'short virtio migration');
  t.deepEqual(
    out.rows.map((row) => row.model),
    ['virtio-backup', 'failsafe'],
  );
  t.is(out.reports['failsafe']!.nics['vm1/eth0']!.model, 'failsafe');
  t.is(r.code, Object.values(out.reports).every((x) => x.ok) ? 0 : 1);
});

test('compare defaults to every model', async (t) => {
  const r = await cli(['compare', short, '--json']);
  const out = JSON.parse(r.stdout) as { rows: CompareRow[] };
  t.deepEqual(
    out.rows.map((row) => row.model),
    ['virtio-backup', 'virtio', 'netvsc', 'netvsc-pmd', 'failsafe', 'bonding'],
  );
});

test('compare with an unknown model or an empty list is a usage error', async (t) => {
  const a = await cli(['compare', short, '--models', 'virtio,e1000']);
  t.is(a.code, 2);
  t.regex(a.stderr, /unknown model 'e1000'/);
  const b = await cli(['compare', short, '--models', ',']);
  t.is(b.code, 2);
  t.regex(b.stderr, /--models needs at least one model/);
});
