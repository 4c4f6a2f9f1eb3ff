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

test('model self-check (the reference model once mispredicted this, not the driver): a VF plugged while the guest still holds the previous association pairs at once by its MAC', (t) => {
  // Before get_netvsc_byslot's order was followed, this VF was refused for its "stale" serial
  // and paired when its own association was read.
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

test('get_netvsc_byslot: a same-MAC PCI function without a slot is never the VF, association or not', (t) => {
  t.notThrows(() =>
    runNetvscDevice(
      [
        { op: 'plug', slot: 3, where: 'vm' },
        { op: 'assoc', allocated: true, serial: 1 },
        { op: 'advance', ms: 100 },
      ],
      false,
      'none',
    ),
  );
});

test('no re-pairing: a VF refused while another was present stays unpaired when its association arrives (netvsc_send_vf only records it)', (t) => {
  for (const watch of [false, true]) {
    t.notThrows(
      () =>
        runNetvscDevice(
          [
            { op: 'plug', slot: 1, where: 'vm' },
            { op: 'unplug', slot: 0, surprise: true },
            { op: 'assoc', allocated: true, serial: 2 },
            { op: 'advance', ms: 100 },
          ],
          watch,
          'accelerated',
        ),
      `watch ${watch}`,
    );
  }
});

test('model counterexample: after a switch to the VF timed out on a busy host, the VF going down still switches the host back', (t) => {
  const w = new World();
  const dev = w.probe();
  w.plugVf();
  w.host.pause(); // a busy host: the switch requests stay unread in the ring
  w.host.sendVfAssociation(true, 1);
  w.run(4000); // takeover, then three sends 1 s apart: err: timeout
  t.is(dev.datapath.failures, 1);
  t.true(dev.datapath.hostPathUnknown);
  w.vf!.close(); // the host may apply the old request late: synthetic is asked explicitly
  w.host.resume(); // the host reads VF, VF, VF, then synthetic
  w.run(1);
  t.is(w.host.dataPath, 'synthetic');
  w.fromWire(3);
  w.run(1);
  t.deepEqual(w.takeDrops(), {}); // before the fix: dev-down 3 (the host kept sending to the VF)
  t.is(w.received.length, 3);
});

test('model counterexample, as shrunk: busy host, timed-out switch, host resumes, RX', (t) => {
  t.notThrows(() =>
    runNetvscDevice(
      [
        { op: 'plug', slot: 0, where: 'vm' },
        { op: 'pause' },
        { op: 'assoc', allocated: true, serial: 1 },
        { op: 'advance', ms: 2000 },
        { op: 'advance', ms: 2000 },
        { op: 'resume' },
        { op: 'rx', count: 1 },
      ],
      false,
      'none',
    ),
  );
});
