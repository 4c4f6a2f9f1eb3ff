/**
 * QEMU's MAC filter table (`hw/net/virtio-net.c`): 64 entries in all; a longer list sets an
 * overflow flag and lets every address of its kind through (`virtio_net_handle_mac`,
 * `receive_filter`).
 */
import test from 'ava';
import { MacAddress, writeMac48 } from '@bypass/core';
import { VirtioNetRxFilter } from '../../src/index.js';
import { MAC, world } from '../helpers/world.js';

/** A MAC_TABLE_SET payload with `uc` unicast and `mc` multicast addresses. */
function table(uc: number, mc: number): Uint8Array {
  const d = new Uint8Array(8 + 6 * (uc + mc));
  const v = new DataView(d.buffer);
  v.setUint32(0, uc, true);
  for (let i = 0; i < uc; i++) writeMac48(d, 4 + 6 * i, 0x5254_0000_1000 + i);
  const at = 4 + 6 * uc;
  v.setUint32(at, mc, true);
  for (let i = 0; i < mc; i++) writeMac48(d, at + 4 + 6 * i, 0x0100_5e00_0000 + i);
  return d;
}

const fromBuffer =
  (d: Uint8Array) =>
  (at: number, out: Uint8Array, len: number): void =>
    out.set(d.subarray(at, at + len));

function set(f: VirtioNetRxFilter, d: Uint8Array, len = d.length): boolean {
  return f.setTables(fromBuffer(d), len);
}

/** Whether a frame to `dst` passes a non-promiscuous filter of a device whose MAC is MAC. */
function passes(f: VirtioNetRxFilter, dst: number): boolean {
  const b = new Uint8Array(64);
  writeMac48(b, 0, dst);
  b[12] = 0x08;
  return f.accepts(b, 0, 64, MAC.value);
}

test('up to 64 entries are stored; other addresses are filtered', (t) => {
  const f = new VirtioNetRxFilter();
  f.promisc = false;
  t.true(set(f, table(4, 60)));
  t.is(f.uc.size, 4);
  t.is(f.mc.size, 60);
  t.false(f.uniOverflow || f.multiOverflow);
  t.true(passes(f, 0x0100_5e00_0001));
  t.false(passes(f, 0x0100_5e00_00ff));
  t.true(passes(f, 0x5254_0000_1003));
  t.false(passes(f, 0x5254_0000_10ff));
});

test('more multicast addresses than the slots left set multi_overflow: every multicast passes', (t) => {
  const f = new VirtioNetRxFilter();
  f.promisc = false;
  t.true(set(f, table(10, 55)));
  t.true(f.multiOverflow);
  t.false(f.uniOverflow);
  t.is(f.uc.size, 10);
  t.is(f.mc.size, 0);
  t.true(passes(f, 0x0100_5e00_00ff));
  t.false(passes(f, 0x5254_0000_10ff)); // unicast still filtered
});

test('more than 64 unicast addresses set uni_overflow and store none; multicast still fits', (t) => {
  const f = new VirtioNetRxFilter();
  f.promisc = false;
  t.true(set(f, table(65, 64)));
  t.true(f.uniOverflow);
  t.false(f.multiOverflow);
  t.is(f.uc.size, 0);
  t.is(f.mc.size, 64);
  t.true(passes(f, 0x5254_0000_99ff));
  t.false(passes(f, 0x0100_5e00_00ff));
});

test('a table whose lengths do not add up is refused and leaves the filter as it was', (t) => {
  const f = new VirtioNetRxFilter();
  f.promisc = false;
  t.true(set(f, table(70, 0)));
  const d = table(2, 3);
  t.false(set(f, d, d.length - 1));
  t.false(set(f, d.subarray(0, 3), 3));
  t.true(f.uniOverflow);
  t.true(set(f, table(1, 1)));
  t.false(f.uniOverflow);
});

test('a reset clears the overflow flags', (t) => {
  const f = new VirtioNetRxFilter();
  t.true(set(f, table(100, 100)));
  t.true(f.uniOverflow && f.multiOverflow);
  f.reset();
  t.false(f.uniOverflow || f.multiOverflow);
});

test('a guest with 70 multicast groups receives an unlisted group through the device', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  for (let i = 0; i < 70; i++) nic.addMulticastAddress(MacAddress.fromNumber(0x0100_5e00_0000 + i));
  t.false(b.filter.promisc);
  t.true(b.filter.multiOverflow);
  b.receive(0, w.frames(1, 0x0100_5e00_00ff, 64, 9), 0, 1);
  nic.pollRx(0);
  t.deepEqual(got, [9]);
});

test('a guest with 3 multicast groups has an unlisted group filtered by the device', (t) => {
  const w = world();
  const b = w.backend();
  const nic = w.probe(b);
  const got = w.listen(nic);
  nic.open();
  for (let i = 0; i < 3; i++) nic.addMulticastAddress(MacAddress.fromNumber(0x0100_5e00_0000 + i));
  t.false(b.filter.multiOverflow);
  b.receive(0, w.frames(1, 0x0100_5e00_00ff, 64, 9), 0, 1);
  nic.pollRx(0);
  t.deepEqual(got, []);
  t.is(b.stats.rxFiltered, 1);
});
