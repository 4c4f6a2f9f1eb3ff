import test from 'ava';
import { isBypassError } from '../../src/errors/BypassError.js';
import { BusDevice } from '../../src/bus/BusDevice.js';

test('a PCI function keeps its identity and reports isPci', (t) => {
  const fn = new BusDevice({
    id: '0002:00:02.0',
    bus: 'pci',
    pci: { address: '0002:00:02.0', serial: 3, vendor: 0x15b3, device: 0x1016, virtfn: true },
    driver: 'mlx5_core',
  });
  t.true(fn.isPci);
  t.is(fn.pci?.serial, 3);
  t.is(fn.driver, 'mlx5_core');
  t.is(fn.parent, null);
  t.is(fn.vmbus, null);
  t.true(fn.present);
});

test('a child device points to its parent and is not PCI itself', (t) => {
  const fn = new BusDevice({ id: '0000:00:05.0', bus: 'pci', pci: { address: '0000:00:05.0' } });
  const virtio = new BusDevice({ id: 'virtio0', bus: 'virtio', parent: fn });
  t.is(virtio.parent, fn);
  t.false(virtio.isPci);
  t.is(virtio.pci, null);
  t.is(virtio.driver, null);
});

test('a VMBus device needs a class id', (t) => {
  const classId = 'f8615163-df3e-46c5-913f-f2d2f965ed0e';
  const d = new BusDevice({ id: 'vmbus-1', bus: 'vmbus', vmbus: { classId, instanceId: 'x' } });
  t.is(d.vmbus?.classId, classId);
  t.true(
    isBypassError(
      t.throws(() => new BusDevice({ id: 'vmbus-2', bus: 'vmbus' })),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.true(
    isBypassError(
      t.throws(
        () =>
          new BusDevice({ id: 'vmbus-3', bus: 'vmbus', vmbus: { classId: '', instanceId: 'x' } }),
      ),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('bad ids and PCI addresses are refused with ERR_INVALID_ARGUMENT', (t) => {
  const bad = (o: ConstructorParameters<typeof BusDevice>[0]): void => {
    const err = t.throws(() => new BusDevice(o));
    t.true(isBypassError(err, 'ERR_INVALID_ARGUMENT'), JSON.stringify(o));
  };
  bad({ id: '', bus: 'virtual' });
  bad({ id: 'x', bus: 'pci' });
  for (const address of [
    '0000:00:05',
    '0000:00:05.8',
    '0000:00:20.0',
    '0000:0G:05.0',
    '0000:00:0A.0',
    '00:05.0',
  ]) {
    bad({ id: address, bus: 'pci', pci: { address } });
  }
  const err = t.throws(() => new BusDevice({ id: 'x', bus: 'pci', pci: { address: 'nope' } }));
  t.regex(err?.message ?? '', /dddd:bb:dd\.f/);
});
