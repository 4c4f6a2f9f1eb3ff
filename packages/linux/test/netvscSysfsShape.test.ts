import test from 'ava';
import type { SysfsView as NetvscSysfsView } from '@bypass/netvsc';
import { NETVSC_CLASS_ID, RealSysfsView } from '../src/index.js';
import { HV_MAC, hyperVTree } from './helpers/sysfsFixtures.js';

/*
 * @bypass/linux does not depend on @bypass/netvsc; this test checks that RealSysfsView serves
 * the SysfsView its vdev_netvsc discovery reads: the assignment below type-checks against
 * netvsc's interface (a type-only import, erased at run time), and the listing finds what
 * vdev_netvsc looks for.
 */
test('RealSysfsView serves vdev_netvsc: the NetVSC interface and its same-MAC PCI VF', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  const view: NetvscSysfsView = new RealSysfsView(tree.root);
  const all = view.interfaces();
  t.deepEqual(
    all.filter((i) => i.classId === NETVSC_CLASS_ID).map((i) => i.name),
    ['eth0'],
  );
  const vf = all.find(
    (i) => i.classId === null && i.subsystem === 'pci' && i.mac.toString() === HV_MAC,
  );
  t.is(vf?.device, '0001:00:02.0');
  t.deepEqual(view.addresses('eth0'), []);
});
