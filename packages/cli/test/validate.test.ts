import test from 'ava';
import { join, relative } from 'node:path';
import { cli, FIXTURES, ROOT } from './helpers/cli.js';

const good = relative(ROOT, join(FIXTURES, 'scenarios', 'short-migration.yaml'));
const goodJson = relative(ROOT, join(FIXTURES, 'scenarios', 'vf-unplug.json'));
const bad = relative(ROOT, join(FIXTURES, 'bad', 'bad-mac.yaml'));

test('a valid file prints FILE: ok and exits 0', async (t) => {
  const r = await cli(['validate', good, goodJson]);
  t.is(r.stderr, '');
  t.is(r.stdout, `${good}: ok\n${goodJson}: ok\n`);
  t.is(r.code, 0);
});

test('an invalid file prints file:line:col: path: message and exits 2', async (t) => {
  const r = await cli(['validate', bad]);
  t.is(r.code, 2);
  // the MAC is on line 12, its value at column 14
  t.regex(
    r.stdout,
    new RegExp(`^${bad.replace(/[.]/g, '\\.')}:12:14: vms\\[0\\]\\.nics\\[0\\]\\.mac: .+`, 'm'),
  );
});

test('validate reports every file: the good ones ok, exit 2 when one is bad', async (t) => {
  const r = await cli(['validate', good, bad]);
  t.is(r.code, 2);
  t.true(r.stdout.startsWith(`${good}: ok\n`));
  t.regex(r.stdout, /vms\[0\]\.nics\[0\]\.mac/);
});

test('a missing file is a usage error (exit 2) naming it', async (t) => {
  const r = await cli(['validate', 'no/such/file.yaml']);
  t.is(r.code, 2);
  t.regex(r.stderr, /no\/such\/file\.yaml: no such file, and no bundled scenario by that name/);
});

test('a directory is a usage error', async (t) => {
  const r = await cli(['validate', 'packages']);
  t.is(r.code, 2);
  t.regex(r.stderr, /packages is a directory/);
});

test('validate accepts a bundled scenario by bare name', async (t) => {
  const r = await cli(['validate', 'short-migration'], {
    scenariosDir: join(FIXTURES, 'scenarios'),
  });
  t.is(r.code, 0);
  t.regex(r.stdout, /short-migration\.yaml: ok\n$/);
});

test('run on an invalid file prints the issues, simulates nothing and exits 2', async (t) => {
  const r = await cli(['run', good, bad]);
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /bad-mac\.yaml:12:14: vms\[0\]\.nics\[0\]\.mac: /);
});
