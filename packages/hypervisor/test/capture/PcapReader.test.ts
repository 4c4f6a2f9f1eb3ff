import test from 'ava';
import { isBypassError } from '@bypass/core';
import { readPcap } from '../../src/capture/PcapReader.js';
import { PcapWriter } from '../../src/capture/PcapWriter.js';

/** A big-endian microsecond pcap, built byte by byte. */
function bigEndianMicro(): Uint8Array {
  const b = new Uint8Array(24 + 16 + 3);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b2c3d4);
  v.setUint16(4, 2);
  v.setUint16(6, 4);
  v.setUint32(16, 3);
  v.setUint32(20, 1);
  v.setUint32(24, 7); // 7 s
  v.setUint32(28, 250); // 250 us
  v.setUint32(32, 3);
  v.setUint32(36, 60);
  b.set([1, 2, 3], 40);
  return b;
}

test('reads a big-endian microsecond file', (t) => {
  const f = readPcap(bigEndianMicro());
  t.false(f.nanosecond);
  t.is(f.versionMajor, 2);
  t.is(f.versionMinor, 4);
  t.is(f.snaplen, 3);
  t.is(f.linkType, 1);
  t.is(f.records.length, 1);
  t.is(f.records[0]!.timeNs, 7_000_250_000);
  t.deepEqual([...f.records[0]!.data], [1, 2, 3]);
  t.is(f.records[0]!.originalLength, 60);
});

test('reads what PcapWriter writes', (t) => {
  const w = new PcapWriter();
  w.append(new Uint8Array([9, 8, 7, 6]), 1, 3, 3_000_000_017);
  const f = readPcap(w.toBytes());
  t.true(f.nanosecond);
  t.is(f.snaplen, 65535);
  t.deepEqual(
    f.records.map((r) => [r.timeNs, [...r.data], r.originalLength]),
    [[3_000_000_017, [8, 7, 6], 3]],
  );
});

test('malformed files are parse errors', (t) => {
  const good = bigEndianMicro();
  const bad: [string, Uint8Array][] = [
    ['too short', good.subarray(0, 23)],
    ['record header cut', good.subarray(0, 30)],
    ['record data cut', good.subarray(0, good.length - 1)],
    ['unknown magic', Uint8Array.from(good, (x, i) => (i === 0 ? 0 : x))],
  ];
  const longer = good.slice();
  new DataView(longer.buffer).setUint32(32, 61); // keeps more than the frame's 60 bytes
  bad.push(['incl above orig', longer]);
  for (const [what, bytes] of bad) {
    t.true(
      isBypassError(
        t.throws(() => readPcap(bytes)),
        'ERR_PARSE',
      ),
      what,
    );
  }
});
