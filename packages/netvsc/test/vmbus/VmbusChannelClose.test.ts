import test from 'ava';
import { VirtualScheduler } from '@bypass/core';
import { VM_PKT, VmbusChannel, VmbusPacket } from '../../src/kernel/exports.js';

// vmbus_close / vmbus_open by the guest (netvsc's detach and attach): not a rescind.

test('a channel the guest closes tells the host first, drops its subchannels and refuses sends', (t) => {
  const scheduler = new VirtualScheduler();
  const ch = new VmbusChannel({ scheduler, ringPages: 4 });
  const sub = ch.offerSubchannel();
  const seen: number[] = [];
  ch.closing$.subscribe(() => seen.push(ch.host.rx.bytesToRead()));
  t.is(ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8), 'ok');
  ch.close();
  t.true(seen.length === 1 && (seen[0] as number) > 0, 'the host could still read the ring');
  t.false(ch.isOpen);
  t.false(ch.isRescinded);
  t.is(ch.subchannels.length, 0);
  t.false(sub.isOpen);
  t.is(ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8), 'closed');
  t.is(sub.guest.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8), 'closed');
  t.throws(() => ch.offerSubchannel(), { code: 'ERR_STATE' });
});

test('a closed channel opens again with empty rings; a rescinded one cannot', (t) => {
  const scheduler = new VirtualScheduler();
  const ch = new VmbusChannel({ scheduler, ringPages: 4 });
  ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8);
  ch.host.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8);
  let opened = 0;
  ch.opened$.subscribe(() => opened++);
  ch.close();
  ch.open();
  t.is(opened, 1);
  t.true(ch.isOpen);
  t.is(ch.host.rx.bytesToRead(), 0);
  t.is(ch.guest.rx.bytesToRead(), 0);
  t.is(ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, new Uint8Array(8), 0, 8), 'ok');
  const pkt = new VmbusPacket(ch.host.rx.dataSize);
  t.true(ch.host.receive(pkt));
  t.is(pkt.length, 8);
  t.is(ch.offerSubchannel().subchannelIndex, 1, 'the host offers subchannels again');
  ch.rescind();
  t.throws(() => ch.open(), { code: 'ERR_NO_DEVICE' });
});
