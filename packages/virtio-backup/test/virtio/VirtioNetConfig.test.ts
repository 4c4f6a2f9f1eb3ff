import test from 'ava';
import { MacAddress } from '@bypass/core';
import { VIRTIO_NET_CONFIG_OFFSET as O, VIRTIO_NET_S, VirtioNetConfig } from '../../src/index.js';

test('the config space is laid out as struct virtio_net_config, little-endian', (t) => {
  const c = new VirtioNetConfig();
  c.mac = MacAddress.parse('52:54:00:12:34:56');
  c.status = VIRTIO_NET_S.LINK_UP | VIRTIO_NET_S.ANNOUNCE;
  c.maxVirtqueuePairs = 0x0102;
  c.mtu = 9000;
  c.speed = 0x0a0b0c0d;
  c.duplex = 1;
  t.deepEqual([...c.bytes.subarray(0, 6)], [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  t.deepEqual([...c.bytes.subarray(O.STATUS, O.STATUS + 2)], [3, 0]);
  t.deepEqual([...c.bytes.subarray(O.MAX_VIRTQUEUE_PAIRS, O.MAX_VIRTQUEUE_PAIRS + 2)], [2, 1]);
  t.deepEqual([...c.bytes.subarray(O.MTU, O.MTU + 2)], [9000 & 0xff, 9000 >> 8]);
  t.deepEqual([...c.bytes.subarray(O.SPEED, O.SPEED + 4)], [0x0d, 0x0c, 0x0b, 0x0a]);
  t.is(c.bytes[O.DUPLEX], 1);
  t.is(c.read(O.MTU, 2), 9000);
  t.is(O.SIZE, 24);
});

test('every device-side write bumps the config generation', (t) => {
  const c = new VirtioNetConfig();
  const g = c.generation;
  c.status = 1;
  c.mtu = 1500;
  t.is(c.generation, g + 2);
});

test('config reads outside the structure are refused', (t) => {
  const c = new VirtioNetConfig();
  t.throws(() => c.read(23, 2), { code: 'ERR_INVALID_ARGUMENT' });
  t.throws(() => c.read(-1, 1), { code: 'ERR_INVALID_ARGUMENT' });
});
