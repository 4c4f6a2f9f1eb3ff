import test from 'ava';
import { isBypassError } from '../../src/errors/BypassError.js';
import { BusDevice } from '../../src/bus/BusDevice.js';
import { DeviceBus, type BusEvent } from '../../src/bus/DeviceBus.js';
import { pciDevice } from '../helpers/world.js';

function busWithLog(): { bus: DeviceBus; log: string[] } {
  const bus = new DeviceBus();
  const log: string[] = [];
  bus.events$.subscribe((e: BusEvent) =>
    log.push(`${e.kind}:${e.device.id}${e.surprise ? ':surprise' : ''}`),
  );
  return { bus, log };
}

test('add and remove emit events synchronously and flip present', (t) => {
  const { bus, log } = busWithLog();
  const vf = pciDevice(2);
  bus.add(vf);
  t.deepEqual(log, ['add:0000:00:02.0']);
  t.true(vf.present);
  bus.remove(vf);
  t.false(vf.present);
  t.deepEqual(log, ['add:0000:00:02.0', 'remove:0000:00:02.0']);
  bus.add(vf);
  t.true(vf.present, 're-plugging makes it present again');
});

test('remove carries the surprise flag (default false)', (t) => {
  const { bus, log } = busWithLog();
  const a = pciDevice(2);
  const b = pciDevice(3);
  bus.add(a);
  bus.add(b);
  bus.remove(a, { surprise: true });
  bus.remove(b, {});
  t.deepEqual(log.slice(2), ['remove:0000:00:02.0:surprise', 'remove:0000:00:03.0']);
});

test('listeners see the device already removed from lookups', (t) => {
  const bus = new DeviceBus();
  const vf = pciDevice(2);
  bus.add(vf);
  const seen: Array<BusDevice | undefined> = [];
  bus.events$.subscribe(() => seen.push(bus.get(vf.id)));
  bus.remove(vf);
  t.deepEqual(seen, [undefined]);
});

test('lookups by id, PCI address and slot serial; list in plug order', (t) => {
  const bus = new DeviceBus();
  const a = pciDevice(5);
  const b = pciDevice(2);
  const v = new BusDevice({ id: 'virtio0', bus: 'virtio', parent: a });
  bus.add(a);
  bus.add(b);
  bus.add(v);
  t.is(bus.get('virtio0'), v);
  t.is(bus.get('nope'), undefined);
  t.is(bus.byPciAddress('0000:00:02.0'), b);
  t.is(bus.byPciAddress('0000:00:09.0'), undefined);
  t.is(bus.bySerial(5), a);
  t.is(bus.bySerial(9), undefined);
  t.deepEqual(bus.list(), [a, b, v]);
  bus.remove(a);
  t.is(bus.bySerial(5), undefined);
  t.deepEqual(bus.list(), [b, v]);
});

test('adding a present id is ERR_ALREADY_REGISTERED; removing an absent device is ERR_NOT_FOUND', (t) => {
  const { bus, log } = busWithLog();
  const a = pciDevice(2);
  bus.add(a);
  t.true(
    isBypassError(
      t.throws(() => bus.add(a)),
      'ERR_ALREADY_REGISTERED',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => bus.add(pciDevice(2))),
      'ERR_ALREADY_REGISTERED',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => bus.remove(pciDevice(2))),
      'ERR_NOT_FOUND',
    ),
    'same id, other object',
  );
  t.true(
    isBypassError(
      t.throws(() => bus.remove(pciDevice(7))),
      'ERR_NOT_FOUND',
    ),
  );
  t.true(a.present);
  t.deepEqual(log, ['add:0000:00:02.0']);
});

test('dispose completes the event stream', (t) => {
  const bus = new DeviceBus();
  let done = false;
  bus.events$.subscribe({ complete: () => (done = true) });
  bus.dispose();
  t.true(done);
});

test('subscriberCount tells whether a follower left its subscription behind', (t) => {
  const bus = new DeviceBus();
  t.is(bus.subscriberCount, 0);
  const a = bus.events$.subscribe(() => undefined);
  const b = bus.events$.subscribe(() => undefined);
  t.is(bus.subscriberCount, 2);
  a.unsubscribe();
  t.is(bus.subscriberCount, 1);
  b.unsubscribe();
  t.is(bus.subscriberCount, 0);
});
