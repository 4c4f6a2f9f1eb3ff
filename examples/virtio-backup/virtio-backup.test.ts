import test from 'ava';
import { runVirtioBackupExample } from './runVirtioBackupExample.js';

test('the virtio BACKUP example fails over to virtio when the VF leaves and back when it returns', (t) => {
  const r = runVirtioBackupExample();
  t.deepEqual(r.names, { master: 'ens10', virtio: 'ens10nsby', vf: 'ens11' });
  t.true(r.features.includes('VIRTIO_NET_F_BACKUP'));
  t.deepEqual(
    r.phases.map((p) => [p.virtio, p.vf]),
    [
      [64, 0],
      [0, 96],
      [0, 0],
      [32, 0],
      [0, 64],
    ],
  );
  t.deepEqual(r.phases[2]?.dropped, { 'vf-ring-flushed': 64 });
  t.is(r.received, 16);
  t.is(r.garps, 0);
  t.is(r.announceAcks, 1);
  t.is(r.leakedFrames, 0);
});
