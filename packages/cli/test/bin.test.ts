import test from 'ava';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/cli.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'bypass.js');

async function bypass(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd: tmpdir(),
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// BYPASS_FROM_SOURCE=1: the TypeScript source through tsx (what runs before any build); without
// it, the build when there is one. Both from another working directory.
for (const env of [{ BYPASS_FROM_SOURCE: '1' }, {}]) {
  const how = env.BYPASS_FROM_SOURCE === '1' ? 'from source' : 'build or source';
  test(`the bin prints the help (${how})`, async (t) => {
    const r = await bypass(['--help'], env);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /^Usage: bypass /);
    t.regex(r.stdout, /Exit codes:/);
  });

  test(`the bin prints the schema (${how})`, async (t) => {
    const r = await bypass(['schema'], env);
    t.is(r.code, 0, r.stderr);
    t.is(typeof (JSON.parse(r.stdout) as { $schema: unknown }).$schema, 'string');
  });
}

test('the bin passes the exit code through', async (t) => {
  const r = await bypass(['validate', 'no-such-file.yaml'], { BYPASS_FROM_SOURCE: '1' });
  t.is(r.code, 2);
  t.regex(r.stderr, /no-such-file\.yaml: no such file/);
});
