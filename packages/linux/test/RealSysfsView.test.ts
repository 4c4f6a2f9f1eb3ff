import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETVSC_CLASS_ID, RealSysfsView } from '../src/index.js';
import {
  HV_MAC,
  hyperVTree,
  netFailoverTree,
  SysfsTree,
  VMBUS,
  VPCI_INSTANCE,
} from './helpers/sysfsFixtures.js';

test('Hyper-V layout: the netvsc interface shows its driver, VMBus class and the VF as lower', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const sysfs = new RealSysfsView(tree.root);
  t.deepEqual(sysfs.names(), ['enP1s1', 'eth0', 'lo']);
  const f = sysfs.facts('eth0');
  t.like(f, {
    name: 'eth0',
    ifindex: 2,
    driver: 'hv_netvsc',
    subsystem: 'vmbus',
    classId: NETVSC_CLASS_ID,
    pciAddress: null,
    pciSlot: null,
    address: HV_MAC,
    master: null,
  });
  t.deepEqual(f.lowers, ['enP1s1']);
  t.deepEqual(f.uppers, []);
});

test('Hyper-V layout: the VF is a PCI function on a VMBus-backed bus with its slot serial and master', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const f = new RealSysfsView(tree.root).facts('enP1s1');
  t.like(f, {
    driver: 'mlx5_core',
    subsystem: 'pci',
    classId: null,
    pciAddress: '0001:00:02.0',
    pciSlot: '1',
    vmbusBacked: true,
    master: 'eth0',
  });
  t.deepEqual(f.uppers, ['eth0']);
  t.is(f.devicePath, `${VMBUS}/${VPCI_INSTANCE}/pci0001:00/0001:00:02.0`);
});

test('net_failover layout: master and standby share the parent device, the primary does not', (t) => {
  const tree = netFailoverTree();
  t.teardown(() => tree.remove());
  const sysfs = new RealSysfsView(tree.root);
  const master = sysfs.facts('ens3');
  const standby = sysfs.facts('ens3nsby');
  const primary = sysfs.facts('ens4');
  t.is(master.devicePath, standby.devicePath);
  t.not(primary.devicePath, master.devicePath);
  t.like(standby, {
    driver: 'virtio_net',
    subsystem: 'virtio',
    master: 'ens3',
    vmbusBacked: false,
  });
  t.like(primary, {
    driver: 'ixgbevf',
    subsystem: 'pci',
    pciAddress: '0000:00:04.0',
    pciSlot: null,
    master: 'ens3',
  });
  t.deepEqual(master.lowers, ['ens3nsby', 'ens4']);
});

test('a virtual interface has no device facts, and a missing one is ERR_NOT_FOUND', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const sysfs = new RealSysfsView(tree.root);
  t.like(sysfs.facts('lo'), {
    driver: null,
    subsystem: null,
    devicePath: null,
    vmbusBacked: false,
  });
  t.throws(() => sysfs.facts('eth9'), { code: 'ERR_NOT_FOUND', message: /no interface eth9/ });
  t.throws(() => sysfs.driver('../x'), { code: 'ERR_NAME_INVALID' });
});

test('a sysfs root without class/net lists no interfaces', (t) => {
  const tree = new SysfsTree();
  t.teardown(() => tree.remove());
  t.deepEqual(new RealSysfsView(join(tree.root, 'nope')).names(), []);
  t.deepEqual(new RealSysfsView(join(tree.root, 'nope')).interfaces(), []);
});

test('an attribute that cannot be read is an ERR_STATE error, not a silent null', (t) => {
  const tree = new SysfsTree();
  t.teardown(() => tree.remove());
  tree.device('devices/vmbus/x', 'vmbus', 'hv_netvsc');
  tree.dir('devices/vmbus/x/class_id'); // a directory where a file should be (EISDIR)
  tree.netdev('devices/vmbus/x', 'eth0', '00:0d:3a:00:00:01');
  t.throws(() => new RealSysfsView(tree.root).classId('eth0'), {
    code: 'ERR_STATE',
    message: /class_id/,
  });
});

test('interfaces() lists vdev_netvsc identities in ifindex order; addresses come from rtnetlink', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const sysfs = new RealSysfsView(tree.root);
  const list = sysfs.interfaces();
  t.deepEqual(
    list.map((i) => [i.name, i.ifindex, i.mac.toString(), i.classId, i.subsystem, i.device]),
    [
      ['lo', 1, '00:00:00:00:00:00', null, null, null],
      ['eth0', 2, HV_MAC, NETVSC_CLASS_ID, 'vmbus', '000d3a12-3456-000d-3a12-3456000d3a12'],
      ['enP1s1', 3, HV_MAC, null, 'pci', '0001:00:02.0'],
    ],
  );
  t.deepEqual(sysfs.addresses('enP1s1'), []);
  sysfs.setAddresses([
    { ifindex: 3, family: 6, address: 'fe80::1', prefixLen: 64, scope: 'link', dynamic: false },
    { ifindex: 2, family: 4, address: '10.0.0.4', prefixLen: 24, scope: 'global', dynamic: true },
  ]);
  t.deepEqual(sysfs.addresses('enP1s1'), [{ family: 'inet6', address: 'fe80::1', scope: 'link' }]);
  t.deepEqual(sysfs.addresses('eth0'), [{ family: 'inet', address: '10.0.0.4', scope: 'global' }]);
});

test('ENODEV (a VMBus device being rescinded) reads as absent, like ENOENT', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  // vmbus_drv.c class_id_show returns -ENODEV once the channel is gone; a fixture tree cannot
  // produce that errno, so the view reads through a file system whose readFileSync throws it.
  const sysfs = new RealSysfsView(tree.root, {
    readFileSync: (path) => {
      if (path.endsWith('class_id')) throw Object.assign(new Error('ENODEV'), { code: 'ENODEV' });
      return readFileSync(path, 'utf8');
    },
  });
  t.is(sysfs.classId('eth0'), null);
  t.like(sysfs.facts('eth0'), { classId: null, driver: 'hv_netvsc' });
});
