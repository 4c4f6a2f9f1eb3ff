import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBypassError, PacketPool } from '@bypass/core';
import { PcapCapture } from '../../src/capture/PcapCapture.js';
import { readPcap } from '../../src/capture/PcapReader.js';
import type { FrameCapture } from '../../src/capture/FrameCapture.js';

function poolWith(lengths: number[]): { pool: PacketPool; pkts: Int32Array } {
  const pool = new PacketPool({ slots: lengths.length });
  const pkts = new Int32Array(lengths.length);
  lengths.forEach((len, i) => {
    const h = pool.alloc();
    pool.setLength(h, len);
    pool.bytes.fill(i + 1, pool.start[h]!, pool.start[h]! + len);
    pkts[i] = h;
  });
  return { pool, pkts };
}

test('point names become file-safe, unique names; ids are stable', (t) => {
  const cap = new PcapCapture();
  t.is(cap.point('vm1/eth0-vf'), 0);
  t.is(cap.point('host src:uplink'), 1);
  t.is(cap.point('vm1/eth0-vf'), 0);
  t.is(cap.point('vm1-eth0-vf'), 2, 'a different name whose file would collide');
  t.is(cap.point('..'), 3);
  t.is(cap.point('ok_name.1'), 4);
  t.deepEqual(cap.points(), ['vm1-eth0-vf', 'host-src-uplink', 'vm1-eth0-vf-2', '--', 'ok_name.1']);
  t.is(PcapCapture.fileSafe('a/b\\c d\u00e9'), 'a-b-c-d-');
  t.true(
    isBypassError(
      t.throws(() => cap.point('')),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('record copies the frames of the burst range at the given time', (t) => {
  const { pool, pkts } = poolWith([60, 100, 1514]);
  const cap: FrameCapture = new PcapCapture();
  const a = cap.point('a');
  const b = cap.point('b');
  cap.record(a, pool, pkts, 1, 2, 2_000_000_001);
  cap.record(b, pool, pkts, 0, 1, 5);
  // Bytes are copied now: changing the pool later does not change the capture.
  pool.bytes.fill(0);
  const pc = cap as PcapCapture;
  t.is(pc.frames(a), 2);
  t.is(pc.frames(b), 1);
  t.is(pc.frames(9), 0);
  const fa = readPcap(pc.pcap(a));
  t.deepEqual(
    fa.records.map((r) => [r.timeNs, r.data.length, r.data[0], r.data[r.data.length - 1]]),
    [
      [2_000_000_001, 100, 2, 2],
      [2_000_000_001, 1514, 3, 3],
    ],
  );
  t.deepEqual(
    readPcap(pc.pcap(b)).records.map((r) => [r.timeNs, r.data.length, r.data[0]]),
    [[5, 60, 1]],
  );
});

test('a point stops at its byte cap and counts the frames it skips', (t) => {
  const { pool, pkts } = poolWith([100, 60, 60]);
  // Header 24 + two 60-byte records (76 each) = 176; a 100-byte record (116) does not fit next.
  const cap = new PcapCapture({ maxBytesPerPoint: 24 + 76 * 2 + 10 });
  const p = cap.point('p');
  const q = cap.point('q');
  cap.record(p, pool, pkts, 1, 2, 0);
  cap.record(p, pool, pkts, 0, 3, 1);
  t.is(cap.frames(p), 2);
  t.is(cap.truncatedAt(p), 3);
  cap.record(q, pool, pkts, 0, 3, 0);
  t.is(cap.frames(q), 1, 'the 100-byte frame fits (140 bytes), a 60-byte one more does not');
  t.is(cap.truncatedAt(q), 2);
  t.is(cap.truncated, 5);
  t.true(cap.pcap(p).length <= 24 + 76 * 2 + 10);
  t.is(readPcap(cap.pcap(p)).records.length, 2);
});

test('write creates the directory and one readable pcap per point', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bypass-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pool, pkts } = poolWith([64, 64]);
  const cap = new PcapCapture();
  cap.record(cap.point('vm1/eth0'), pool, pkts, 0, 2, 10);
  cap.point('idle');
  const out = join(dir, 'nested', 'pcap');
  const files = cap.write(out);
  t.deepEqual(files, [join(out, 'vm1-eth0.pcap'), join(out, 'idle.pcap')]);
  t.is(readPcap(readFileSync(files[0]!)).records.length, 2);
  t.is(readPcap(readFileSync(files[1]!)).records.length, 0);
  t.deepEqual(new PcapCapture().write(join(dir, 'empty')), []);
});

test('bad arguments and unwritable directories are typed errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bypass-pcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pool, pkts } = poolWith([64]);
  const cap = new PcapCapture();
  const p = cap.point('p');
  const invalid = [
    () => cap.record(7, pool, pkts, 0, 1, 0),
    () => cap.record(p, pool, pkts, 0, 2, 0),
    () => cap.record(p, pool, new Int32Array([5]), 0, 1, 0),
    () => cap.record(p, pool, pkts, 0, 1, -1),
    () => new PcapCapture({ maxBytesPerPoint: 10 }),
    () => new PcapCapture({ snaplen: 0 }),
  ];
  for (const call of invalid) t.true(isBypassError(t.throws(call), 'ERR_INVALID_ARGUMENT'));
  t.true(
    isBypassError(
      t.throws(() => cap.pcap(3)),
      'ERR_NOT_FOUND',
    ),
  );
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  t.true(
    isBypassError(
      t.throws(() => cap.write(join(file, 'sub'))),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});
