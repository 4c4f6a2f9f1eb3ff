import test from 'ava';
import {
  VIRTIO_F,
  VIRTIO_NET_DRIVER_FEATURES,
  VIRTIO_NET_F,
  featureMask,
  featureNames,
  hasFeature,
  negotiateFeatures,
} from '../../src/index.js';

test('feature bits carry the numbers of the Linux uapi headers', (t) => {
  t.like(VIRTIO_NET_F, {
    CSUM: 0,
    MTU: 3,
    MAC: 5,
    MRG_RXBUF: 15,
    STATUS: 16,
    CTRL_VQ: 17,
    CTRL_RX: 18,
    CTRL_VLAN: 19,
    GUEST_ANNOUNCE: 21,
    MQ: 22,
    CTRL_MAC_ADDR: 23,
    RSS: 60,
    BACKUP: 62,
    SPEED_DUPLEX: 63,
  });
  t.like(VIRTIO_F, { INDIRECT_DESC: 28, RING_EVENT_IDX: 29, VERSION_1: 32 });
  t.is(featureMask(VIRTIO_NET_F.BACKUP), 0x4000_0000_0000_0000n);
});

test('the negotiated set is the intersection of the offer and what the driver supports', (t) => {
  const offer = featureMask(
    VIRTIO_F.VERSION_1,
    VIRTIO_NET_F.MAC,
    VIRTIO_NET_F.MRG_RXBUF,
    VIRTIO_NET_F.BACKUP,
  );
  const r = negotiateFeatures(offer, VIRTIO_NET_DRIVER_FEATURES);
  t.is(r.error, null);
  t.deepEqual(featureNames(r.features), [
    'VIRTIO_NET_F_MAC',
    'VIRTIO_F_VERSION_1',
    'VIRTIO_NET_F_BACKUP',
  ]);
  t.deepEqual(featureNames(r.ignored), ['VIRTIO_NET_F_MRG_RXBUF']);
  t.true(hasFeature(r.features, VIRTIO_NET_F.BACKUP));
});

test('a device without VERSION_1 is refused with a message saying what to enable', (t) => {
  const r = negotiateFeatures(featureMask(VIRTIO_NET_F.MAC), VIRTIO_NET_DRIVER_FEATURES);
  t.regex(r.error ?? '', /VERSION_1/);
});

test('control-queue features without CTRL_VQ are refused as virtnet_validate_features does', (t) => {
  for (const bit of [
    VIRTIO_NET_F.CTRL_RX,
    VIRTIO_NET_F.CTRL_VLAN,
    VIRTIO_NET_F.GUEST_ANNOUNCE,
    VIRTIO_NET_F.MQ,
    VIRTIO_NET_F.CTRL_MAC_ADDR,
  ]) {
    const r = negotiateFeatures(featureMask(VIRTIO_F.VERSION_1, bit), VIRTIO_NET_DRIVER_FEATURES);
    t.regex(r.error ?? '', /without VIRTIO_NET_F_CTRL_VQ/, `bit ${bit}`);
    const ok = negotiateFeatures(
      featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.CTRL_VQ, bit),
      VIRTIO_NET_DRIVER_FEATURES,
    );
    t.is(ok.error, null);
  }
});

test('a driver that does not support MQ leaves it unacknowledged and the set stays valid', (t) => {
  const offer = featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.MQ, VIRTIO_NET_F.CTRL_VQ);
  const r = negotiateFeatures(offer, featureMask(VIRTIO_F.VERSION_1, VIRTIO_NET_F.CTRL_VQ));
  t.false(hasFeature(r.features, VIRTIO_NET_F.MQ));
  t.is(r.error, null);
});

test('featureNames names unknown bits by number', (t) => {
  t.deepEqual(featureNames(featureMask(50)), ['bit50']);
});

test('transport bits 36..41 have their virtio_config.h numbers and ACCESS_PLATFORM is accepted', (t) => {
  t.like(VIRTIO_F, {
    ORDER_PLATFORM: 36,
    SR_IOV: 37,
    NOTIFICATION_DATA: 38,
    NOTIF_CONFIG_DATA: 39,
    RING_RESET: 40,
    ADMIN_VQ: 41,
  });
  t.deepEqual(featureNames(featureMask(40)), ['VIRTIO_F_RING_RESET']);
  // drivers/virtio/virtio_ring.c vring_transport_features keeps ACCESS_PLATFORM.
  const offer = featureMask(VIRTIO_F.VERSION_1, VIRTIO_F.ACCESS_PLATFORM, VIRTIO_F.RING_RESET);
  const r = negotiateFeatures(offer, VIRTIO_NET_DRIVER_FEATURES);
  t.is(r.features, featureMask(VIRTIO_F.VERSION_1, VIRTIO_F.ACCESS_PLATFORM));
  t.is(r.error, null);
});
