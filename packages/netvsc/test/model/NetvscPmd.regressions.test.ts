import test from 'ava';
import { PmdWorld } from '../pmd/world.js';
import { runNetvscPmd } from './netvscPmdModel.js';

/** Sequences the model-based test (NetvscPmd.model.test.ts) found, kept as regular tests. */

test('model counterexample: a VF recovery that completes after the host withdrew the VF stays synthetic', (t) => {
  const w = new PmdWorld();
  w.plugVf();
  w.probeVf();
  w.host.events.once('guest-ready', () => w.host.sendVfAssociation(true, 1));
  const p = w.up();
  t.true(p.vfSwitched);
  w.host.sendVfAssociation(false, 1); // host servicing: the VF is revoked
  p.vfRecovered(); // the VF port reported a successful recovery: handled from a 1 us alarm
  t.is(w.send(1), 1); // the burst reads the withdrawal: synthetic, the VF kept
  t.false(p.vfSwitched);
  w.settle(); // the recovery alarm must not switch back to a VF the host no longer reports
  t.false(p.vfSwitched);
  t.is(w.host.dataPath, 'synthetic');
  t.is(w.send(1), 1);
  t.is(p.pmdStats.txVf, 0);
});

test('model counterexample, as shrunk: withdrawal, recovered, burst, time', (t) => {
  t.notThrows(() =>
    runNetvscPmd(
      [
        { op: 'assoc', allocated: false },
        { op: 'recovered' },
        { op: 'tx', count: 1, len: 128 },
        { op: 'advance', ms: 0.01 },
      ],
      'vf-before',
    ),
  );
});

test('model counterexample, as shrunk: a VF association read during the stop does not switch to the VF (hn_dev_stop clears dev_started first)', (t) => {
  t.notThrows(() =>
    runNetvscPmd([{ op: 'assoc', allocated: true }, { op: 'stop' }], 'vf-before', undefined, false),
  );
});
