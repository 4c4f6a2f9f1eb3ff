import test from 'ava';
import { kernelStyleTable, runKernelStyle } from './kernelStyle.js';

test('kernel-style netvsc moves traffic to the VF after the takeover and back when it is removed', (t) => {
  const r = runKernelStyle();
  t.deepEqual(
    r.phases.map((p) => [p.phase, p.synthetic, p.vf, p.rx.synthetic, p.rx.vf]),
    [
      ['1. no VF yet', 64, 0, 32, 0],
      ['2. VF plugged, before the takeover', 32, 0, 32, 0],
      ['3. VF taken over and switched', 0, 96, 0, 32],
      ['4. VF surprise-removed, 64 in flight', 32, 0, 32, 0],
      ['5. VF back', 0, 64, 0, 32],
    ],
  );
  t.deepEqual(r.phases[3]?.dropped, { 'vf-ring-flushed': 64 });
  t.deepEqual(
    r.phases.filter((_, i) => i !== 3).map((p) => p.dropped),
    [{}, {}, {}, {}],
  );
  t.is(r.ethtool['vf_tx_packets'], 96 + 64 + 64);
  t.is(r.txPackets, 64 + 32 + 96 + 64 + 32 + 64);
  t.true(r.log.includes('eth0: Data path switched to VF: enP1s1'));
  t.true(r.log.includes('eth0: Data path switched from VF: enP1s1'));
  t.true(r.log.includes('eth0: Data path switched to VF: enP1s2'));
  t.is(r.leakedFrames, 0);
});

test('the kernel-style table has a row per phase and the VF counters', (t) => {
  const lines = kernelStyleTable(runKernelStyle());
  t.is(lines.length, 7);
  t.regex(lines[3] ?? '', /^3\. VF taken over and switched\s+0\s+96\s+0\s+32 {2}-$/);
  t.regex(lines[6] ?? '', /vf_tx_packets=224/);
});
