import test from 'ava';
import { cli } from './helpers/cli.js';

// watch and doctor read this machine's real interfaces (rtnetlink, sysfs), read-only, no root.
const linuxTest = process.platform === 'linux' ? test : test.skip;
if (process.platform !== 'linux') console.warn('@bypass/cli watch/doctor tests skipped: not Linux');

linuxTest('watch --json --count 1 prints one NDJSON snapshot line and exits 0', async (t) => {
  const r = await cli(['watch', '--json', '--count', '1', '--interval', '0']);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const lines = r.stdout.split('\n');
  t.is(lines.length, 2);
  t.is(lines[1], '');
  const u = JSON.parse(lines[0]!) as { type: string; t: number; pairs: unknown[] };
  t.is(u.type, 'snapshot');
  t.is(typeof u.t, 'number');
  t.true(Array.isArray(u.pairs));
});

linuxTest('watch --json --count 2 with sampling: every line is one JSON update', async (t) => {
  const r = await cli(['watch', '--json', '--count', '2', '--interval', '10', '--force']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.is(lines.length, 2);
  for (const line of lines) {
    const u = JSON.parse(line) as { type: string };
    t.true(['snapshot', 'event', 'path'].includes(u.type));
  }
});

linuxTest('watch --min-packets passes the minimum through (one snapshot, exit 0)', async (t) => {
  const r = await cli([
    'watch',
    '--json',
    '--count',
    '1',
    '--interval',
    '0',
    '--min-packets',
    '50',
  ]);
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout.split('\n')[0]!) as { type: string }).type, 'snapshot');
});

linuxTest('watch (table) off a terminal prints a snapshot with the table header', async (t) => {
  const r = await cli(['watch', '--count', '1', '--interval', '0']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^-- \d+\.\d{3}s\nPAIR +MODEL +MASTER +BACKUP +ACTIVE +PATH/);
  t.false(r.stdout.includes('\x1b['), 'no redraw off a terminal');
});

linuxTest('watch (table) on a terminal redraws in place', async (t) => {
  const r = await cli(['watch', '--count', '1', '--interval', '0'], {
    isTTY: { stdout: true, stderr: true },
  });
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith('\x1b[H\x1b[2Jbypass watch: '));
  t.regex(r.stdout, /\(Ctrl-C to stop\)\n\nPAIR/);
});

linuxTest('Ctrl-C stops watch cleanly (exit 0)', async (t) => {
  let stop: (() => void) | null = null;
  const running = cli(['watch', '--json', '--interval', '5'], {
    onInterrupt: (h) => {
      stop = h;
      return () => (stop = null);
    },
    stdout: {
      write: () => {
        // first line written: the watch runs; interrupt it
        setImmediate(() => stop?.());
        return true;
      },
    },
  });
  const r = await running;
  t.is(r.code, 0);
  t.is(stop, null, 'the handler was removed');
});

linuxTest(
  'doctor --json prints pairs and findings; exit 1 only with an error finding',
  async (t) => {
    const r = await cli(['doctor', '--json']);
    t.is(r.stderr, '');
    const out = JSON.parse(r.stdout) as {
      pairs: unknown[];
      findings: { id: string; severity: 'error' | 'warning'; devices: string[]; advice: string }[];
    };
    t.true(Array.isArray(out.pairs));
    t.true(Array.isArray(out.findings));
    for (const f of out.findings) {
      t.true(f.severity === 'error' || f.severity === 'warning');
      t.is(typeof f.advice, 'string');
    }
    t.is(r.code, out.findings.some((f) => f.severity === 'error') ? 1 : 0);
  },
);

linuxTest('doctor (text) prints the pairs or says there are none', async (t) => {
  const r = await cli(['doctor', '--force']);
  t.true(r.code === 0 || r.code === 1, r.stderr);
  t.regex(r.stdout, /^(no failover pairs found|pair )/);
  t.regex(r.stdout, /(no problems found|advice: )/);
});
