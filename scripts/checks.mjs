// The checks `npm test` runs before the tests, side by side where they do not depend on each
// other: `tsc -b` first for what needs the packages' declarations (the tests' type-check and
// typedoc), eslint and prettier meanwhile. Each step's output is printed in one piece when it
// ends; the script fails when any step fails. The same checks one by one: `npm run typecheck`,
// `npm run lint`, `npm run docs:check`.
//
// Usage: node scripts/checks.mjs   (from the repository root)
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'node_modules', '.bin');

/** name, command line, and the steps that must have passed first. */
const STEPS = [
  { name: 'tsc -b', cmd: ['tsc', '-b'], after: [] },
  { name: 'tsc (tests)', cmd: ['tsc', '-p', 'tsconfig.test.json'], after: ['tsc -b'] },
  { name: 'typedoc', cmd: ['typedoc', '--emit', 'none'], after: ['tsc -b'] },
  { name: 'eslint', cmd: ['eslint', '.'], after: [] },
  { name: 'prettier', cmd: ['prettier', '--check', '.'], after: ['eslint'] },
];

function run(step) {
  return new Promise((resolve) => {
    const [bin, ...args] = step.cmd;
    const child = spawn(join(BIN, bin), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('error', (err) => out.push(Buffer.from(`${String(err)}\n`)));
    child.on('close', (code) => {
      process.stdout.write(`\n> ${step.cmd.join(' ')}  (${code === 0 ? 'ok' : `exit ${code}`})\n`);
      process.stdout.write(Buffer.concat(out));
      resolve(code === 0);
    });
  });
}

const done = new Map();
function start(step) {
  let p = done.get(step.name);
  if (p === undefined) {
    p = Promise.all(step.after.map((n) => start(STEPS.find((s) => s.name === n)))).then((ok) =>
      ok.every(Boolean) ? run(step) : false,
    );
    done.set(step.name, p);
  }
  return p;
}

const results = await Promise.all(STEPS.map(start));
if (!results.every(Boolean)) {
  process.stdout.write('\nchecks failed\n');
  process.exit(1);
}
