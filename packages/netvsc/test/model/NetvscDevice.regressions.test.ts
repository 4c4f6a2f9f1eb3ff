import test from 'ava';
import { RNDIS_STATUS } from '../../src/kernel/exports.js';
import { World } from '../kernel/world.js';
import { runNetvscDevice } from './netvscDeviceModel.js';

/** Sequences the model-based test (NetvscDevice.model.test.ts) found, kept as regular tests. */

test('model counterexample: a link indication the guest reads after remove() leaves no timer behind', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.indicateStatus(RNDIS_STATUS.NETWORK_CHANGE); // in the ring, not yet read by the guest
  dev.remove();
  w.run(100); // the guest reads the ring: the removed device must not act on it
  t.is(w.scheduler.pending, 0);
  t.is(dev.link.processed, 0);
});

test('model counterexample, as shrunk: NETWORK_CHANGE then teardown', (t) => {
  t.notThrows(() => runNetvscDevice([{ op: 'hostLink', status: 'change' }], false, 'none'));
});

test('model self-check (the reference model once mispredicted this, not the driver): a VF refused for a stale serial is paired when its association is read', (t) => {
  t.notThrows(() =>
    runNetvscDevice(
      [
        { op: 'unplug', slot: 0, surprise: false },
        { op: 'assoc', allocated: true, serial: 2 },
        { op: 'plug', slot: 1, where: 'vm' },
        { op: 'advance', ms: 0.05 },
      ],
      true,
      'accelerated',
    ),
  );
});
