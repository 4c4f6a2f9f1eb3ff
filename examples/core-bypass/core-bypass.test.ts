import test from 'ava';
import { runCoreExample } from './runCoreExample.js';

test('the core example moves traffic to the VF when it appears and back when it is removed', (t) => {
  const r = runCoreExample();
  t.deepEqual(
    r.phases.map((p) => [p.paravirt, p.vf]),
    [
      [64, 0],
      [0, 96],
      [0, 0],
      [32, 0],
    ],
  );
  t.deepEqual(r.phases[2]?.dropped, { 'vf-ring-flushed': 64 });
  t.is(r.txPackets, 64 + 96 + 64 + 32);
  t.is(r.leakedFrames, 0);
});
