import test from 'ava';
import { ExitCode } from '../src/index.js';
import { cli } from './helpers/cli.js';

const COMMANDS = ['run', 'compare', 'validate', 'schema', 'list', 'watch', 'doctor'];

test('bypass --help lists every command and documents the exit codes', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  t.deepEqual(r.exits, [0]);
  for (const c of COMMANDS) t.regex(r.stdout, new RegExp(`^  ${c}\\b`, 'm'));
  t.regex(r.stdout, /Exit codes:/);
  t.regex(r.stdout, /^ {2}0 {2}ok/m);
  t.regex(r.stdout, /^ {2}1 {2}an expectation failed or the books did not balance/m);
  t.regex(r.stdout, /^ {2}2 {2}usage error or invalid scenario file/m);
  t.regex(r.stdout, /^ {2}3 {2}internal error/m);
  t.regex(r.stdout, /\$ bypass run /);
});

for (const c of COMMANDS) {
  test(`bypass ${c} --help shows options and at least one example`, async (t) => {
    const r = await cli([c, '--help']);
    t.is(r.code, 0);
    t.regex(r.stdout, new RegExp(`^Usage: bypass ${c}`, 'm'));
    t.regex(r.stdout, /Examples:\n {2}\$ bypass /);
    t.regex(r.stdout, new RegExp(`\\$ bypass ${c}\\b`));
    t.is(r.stderr, '');
  });
}

test('bypass help COMMAND is the same help', async (t) => {
  const a = await cli(['help', 'validate']);
  const b = await cli(['validate', '--help']);
  t.is(a.code, 0);
  t.is(a.stdout, b.stdout);
});

test('the exit codes are the documented numbers', (t) => {
  t.deepEqual({ ...ExitCode }, { OK: 0, FAILED: 1, USAGE: 2, INTERNAL: 3 });
});

test('no command is a usage error (exit 2) with the help on stderr', async (t) => {
  const r = await cli([]);
  t.is(r.code, 2);
  t.regex(r.stderr, /Usage: bypass/);
  t.is(r.stdout, '');
});

test('an unknown command or option is a usage error (exit 2) with a suggestion', async (t) => {
  const a = await cli(['rnu', 'x.yaml']);
  t.is(a.code, 2);
  t.regex(a.stderr, /unknown command 'rnu'/);
  t.regex(a.stderr, /Did you mean run\?/);
  const b = await cli(['schema', '--jsn']);
  t.is(b.code, 2);
  t.regex(b.stderr, /unknown option '--jsn'/);
  t.deepEqual(b.exits, [2]);
});

test('--version prints the package version', async (t) => {
  const r = await cli(['--version']);
  t.is(r.code, 0);
  t.regex(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('a bad option value is a usage error naming the option', async (t) => {
  const r = await cli(['watch', '--count', '0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--count <n>.*expected an integer >= 1, got '0'/);
  const p = await cli(['watch', '--min-packets', '0']);
  t.is(p.code, 2);
  t.regex(p.stderr, /--min-packets <n>.*expected an integer >= 1, got '0'/);
  const m = await cli(['run', 'x.yaml', '--model', 'e1000']);
  t.is(m.code, 2);
  t.regex(m.stderr, /unknown model 'e1000'; use one of virtio-backup, virtio/);
});

test('an unexpected exception is an internal error: exit 3 with the stack on stderr', async (t) => {
  const r = await cli(['schema'], {
    stdout: {
      write: () => {
        throw new TypeError('stdout exploded');
      },
    },
  });
  t.is(r.code, 3);
  t.deepEqual(r.exits, [3]);
  t.regex(r.stderr, /^bypass: internal error: TypeError: stdout exploded\n {4}at /);
});
