import test from 'ava';
import { PROGRESS_DELAY_NS, RunProgress, progressAllowed } from '../src/progress/RunProgress.js';
import { captureIo } from './helpers/captureIo.js';

function ttyIo(env: Record<string, string> = {}) {
  let now = 0;
  const c = captureIo({
    isTTY: { stdout: true, stderr: true },
    env,
    now: () => now,
  });
  return { ...c, advance: (ns: number) => (now += ns) };
}

test('a bar only on a terminal stderr, without --json, --quiet or CI', (t) => {
  const base = { json: false, quiet: false };
  t.true(progressAllowed(ttyIo().io, base));
  t.false(progressAllowed(ttyIo().io, { ...base, json: true }));
  t.false(progressAllowed(ttyIo().io, { ...base, quiet: true }));
  t.false(progressAllowed(ttyIo({ CI: 'true' }).io, base));
  t.true(progressAllowed(ttyIo({ CI: '' }).io, base));
  t.false(progressAllowed(captureIo({ now: () => 0 }).io, base), 'stderr not a terminal');
  t.false(
    progressAllowed(captureIo({ isTTY: { stdout: true, stderr: true } }).io, base),
    'no clock',
  );
  t.is(RunProgress.create(ttyIo({ CI: '1' }).io, 'x', base), null);
});

test('the bar starts only once the run has lasted more than a second of wall time', (t) => {
  const c = ttyIo();
  const p = RunProgress.create(c.io, 'migration', { json: false, quiet: false });
  if (p === null) return t.fail('expected a progress');
  p.update(1e9, 10e9);
  c.advance(PROGRESS_DELAY_NS);
  p.update(2e9, 10e9);
  t.false(p.started);
  t.is(c.stderr(), '', 'quick runs draw nothing');
  c.advance(1);
  p.update(3e9, 10e9);
  t.true(p.started);
  t.regex(c.stderr(), /migration \[.*\] 30% \| 3\.00s of 10\.0s simulated/);
  t.is(c.stdout(), '', 'the bar never touches stdout');
  p.stop();
  t.false(p.started);
  t.true(c.stderr().endsWith('\x1b[1G\x1b[2K'), 'stop clears the bar line');
});

test('stop without a bar writes nothing', (t) => {
  const c = ttyIo();
  const p = RunProgress.create(c.io, 'x', { json: false, quiet: false });
  p?.update(1, 2);
  p?.stop();
  t.is(c.stderr(), '');
});
