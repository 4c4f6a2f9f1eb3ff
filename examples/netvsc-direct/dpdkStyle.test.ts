import test from 'ava';
import { dpdkStyleTable, runDpdkStyle } from './dpdkStyle.js';

test('the DPDK-style composition sends through the TAP and kernel netvsc until the VF is noticed, and back after its removal', (t) => {
  const r = runDpdkStyle();
  t.deepEqual(r.failsafe, {
    name: 'net_failsafe_vsc0',
    devargs: 'fd(3),dev(net_tap_vsc0,remote=eth0)',
  });
  t.deepEqual(
    r.phases.map((p) => [p.phase, p.tapNetvsc, p.vf]),
    [
      ['1. no VF yet', 64, 0],
      ['2. VF plugged and noticed', 0, 96],
      ['3. VF surprise-removed, 64 in flight', 32, 0],
      ['4. VF back', 0, 64],
    ],
  );
  t.deepEqual(r.phases[2]?.dropped, { 'vf-ring-flushed': 64 });
  t.deepEqual(
    r.phases.map((p) => p.rx),
    [
      { tap: 8, vf: 0 },
      { tap: 0, vf: 8 },
      { tap: 8, vf: 0 },
      { tap: 0, vf: 8 },
    ],
  );
  t.true(r.vfNoticedAfterMs > 0 && r.vfNoticedAfterMs <= 3000);
  t.is(r.opackets, 64 + 96 + 64 + 32 + 64);
  t.is(r.leakedFrames, 0);
});

test('the DPDK-style table prints one line per phase with what each path carried', (t) => {
  const lines = dpdkStyleTable(runDpdkStyle());
  t.is(lines.length, 2 + 4 + 1);
  t.regex(lines[0] ?? '', /^net_failsafe_vsc0 = fd\(3\),dev\(net_tap_vsc0,remote=eth0\)$/);
  t.regex(
    lines[4] ?? '',
    /^3\. VF surprise-removed, 64 in flight\s+32\s+0\s+8\s+0\s+vf-ring-flushed=64$/,
  );
});
