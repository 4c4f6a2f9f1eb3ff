import test from 'ava';
import { PacketPool } from '@bypass/core';
import {
  VIRTIO_F,
  VIRTIO_NET_F,
  VIRTIO_STATUS as S,
  VirtioNetBackend,
  describeStatus,
  featureMask,
  statusTransitionError,
} from '../../src/index.js';
import { MAC } from '../helpers/world.js';

test('status bits are set in the order ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK', (t) => {
  t.is(statusTransitionError(0, S.ACKNOWLEDGE), null);
  t.is(statusTransitionError(S.ACKNOWLEDGE, S.ACKNOWLEDGE | S.DRIVER), null);
  t.is(statusTransitionError(3, 3 | S.FEATURES_OK), null);
  t.is(statusTransitionError(11, 11 | S.DRIVER_OK), null);
  t.regex(statusTransitionError(0, S.DRIVER) ?? '', /needs ACKNOWLEDGE/);
  t.regex(statusTransitionError(3, 3 | S.DRIVER_OK) ?? '', /needs FEATURES_OK/);
});

test('status bits are never cleared except by a reset', (t) => {
  t.regex(statusTransitionError(15, 3) ?? '', /cannot be cleared/);
  t.is(statusTransitionError(15, 0), null);
  t.is(statusTransitionError(15, 15 | S.FAILED), null);
  t.is(describeStatus(15), 'ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK');
  t.is(describeStatus(0), 'RESET');
});

test('the device refuses a status write out of sequence with ERR_STATE', (t) => {
  const b = new VirtioNetBackend({ pool: new PacketPool({ slots: 16 }), mac: MAC });
  t.throws(() => b.setStatus(S.DRIVER), { code: 'ERR_STATE' });
  t.is(b.getStatus(), 0);
});

test('the device leaves FEATURES_OK clear for features it did not offer', (t) => {
  const b = new VirtioNetBackend({ pool: new PacketPool({ slots: 16 }), mac: MAC });
  b.setStatus(S.ACKNOWLEDGE);
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER);
  b.setDriverFeatures(featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.BACKUP)); // BACKUP not offered
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  t.is(b.getStatus() & S.FEATURES_OK, 0);
  b.setStatus(0);
  b.setStatus(S.ACKNOWLEDGE);
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER);
  b.setDriverFeatures(featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC));
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  t.is(b.getStatus() & S.FEATURES_OK, S.FEATURES_OK);
  t.is(b.negotiatedFeatures, featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC));
  t.throws(() => b.setDriverFeatures(0n), { code: 'ERR_STATE' });
});

test('queues can only be set up between FEATURES_OK and DRIVER_OK', (t) => {
  const b = new VirtioNetBackend({ pool: new PacketPool({ slots: 16 }), mac: MAC });
  t.throws(() => b.setupQueue(0, new ArrayBuffer(8192), 64), { code: 'ERR_STATE' });
});

test('a refused FEATURES_OK leaves the whole status as it was (QEMU virtio_set_status)', (t) => {
  const b = new VirtioNetBackend({ pool: new PacketPool({ slots: 16 }), mac: MAC });
  b.setStatus(S.ACKNOWLEDGE);
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER);
  b.setDriverFeatures(featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.BACKUP)); // BACKUP not offered
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
  t.is(b.getStatus(), S.ACKNOWLEDGE | S.DRIVER); // not DRIVER_OK without FEATURES_OK
});

test('a device offering ACCESS_PLATFORM refuses a driver that drops it (virtio_validate_features)', (t) => {
  const offer = featureMask(VIRTIO_F.VERSION_1, VIRTIO_F.ACCESS_PLATFORM, VIRTIO_NET_F.MAC);
  const b = new VirtioNetBackend({
    pool: new PacketPool({ slots: 16 }),
    mac: MAC,
    features: offer,
  });
  b.setStatus(S.ACKNOWLEDGE);
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER);
  b.setDriverFeatures(featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MAC));
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  t.is(b.getStatus() & S.FEATURES_OK, 0);
  b.setDriverFeatures(offer);
  b.setStatus(S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  t.is(b.getStatus() & S.FEATURES_OK, S.FEATURES_OK);
});
