import test from 'ava';
import { isBypassError } from '@bypass/core';
import { PcapWriter } from '../../src/capture/PcapWriter.js';

interface Parsed {
  header: number[];
  records: { sec: number; nsec: number; incl: number; orig: number; data: number[] }[];
}

/** A pcap parser written for the test, independent of the package's readPcap. */
function parse(bytes: Uint8Array): Parsed {
  const le32 = (o: number): number =>
    bytes[o]! + (bytes[o + 1]! << 8) + (bytes[o + 2]! << 16) + bytes[o + 3]! * 0x100_0000;
  const le16 = (o: number): number => bytes[o]! + (bytes[o + 1]! << 8);
  const header = [le32(0), le16(4), le16(6), le32(8), le32(12), le32(16), le32(20)];
  const records: Parsed['records'] = [];
  let o = 24;
  while (o < bytes.length) {
    const incl = le32(o + 8);
    records.push({
      sec: le32(o),
      nsec: le32(o + 4),
      incl,
      orig: le32(o + 12),
      data: [...bytes.subarray(o + 16, o + 16 + incl)],
    });
    o += 16 + incl;
  }
  if (o !== bytes.length) throw new Error(`trailing bytes: ended at ${o} of ${bytes.length}`);
  return { header, records };
}

test('an empty capture is a 24-byte nanosecond pcap header for Ethernet', (t) => {
  const w = new PcapWriter();
  const bytes = w.toBytes();
  t.is(bytes.length, 24);
  t.is(w.byteLength, 24);
  t.is(w.records, 0);
  t.deepEqual([...bytes.subarray(0, 4)], [0x4d, 0x3c, 0xb2, 0xa1]);
  t.deepEqual(parse(bytes).header, [0xa1b23c4d, 2, 4, 0, 0, 65535, 1]);
});

test('records keep the bytes, the lengths and the time split into seconds and ns', (t) => {
  const w = new PcapWriter();
  const src = new Uint8Array(200).map((_, i) => (i * 7) & 0xff);
  w.append(src, 10, 60, 0);
  w.append(src, 0, 200, 1_999_999_999);
  w.append(src, 100, 0, 12 * 1e9 + 5);
  const p = parse(w.toBytes());
  t.is(w.records, 3);
  t.is(w.byteLength, 24 + 16 * 3 + 60 + 200);
  t.deepEqual(
    p.records.map((r) => [r.sec, r.nsec, r.incl, r.orig]),
    [
      [0, 0, 60, 60],
      [1, 999_999_999, 200, 200],
      [12, 5, 0, 0],
    ],
  );
  t.deepEqual(p.records[0]!.data, [...src.subarray(10, 70)]);
  t.deepEqual(p.records[1]!.data, [...src]);
});

test('frames longer than the snaplen are cut and keep their original length', (t) => {
  const w = new PcapWriter({ snaplen: 64 });
  const src = new Uint8Array(1514).fill(0xab);
  w.append(src, 0, 1514, 1);
  w.append(src, 0, 64, 2);
  const p = parse(w.toBytes());
  t.is(p.header[5], 64);
  t.deepEqual(
    p.records.map((r) => [r.incl, r.orig, r.data.length]),
    [
      [64, 1514, 64],
      [64, 64, 64],
    ],
  );
  t.is(w.recordLength(1514), 16 + 64);
});

test('records spanning many chunks come back whole and in order', (t) => {
  const w = new PcapWriter({ chunkSize: 65536 });
  const src = new Uint8Array(1514);
  const n = 500; // ~760 KB: a dozen chunks
  for (let i = 0; i < n; i++) {
    src.fill(i & 0xff);
    src[0] = i >> 8;
    w.append(src, 0, 60 + ((i * 37) % 1455), i * 1000);
  }
  const bytes = w.toBytes();
  t.is(bytes.length, w.byteLength);
  const p = parse(bytes);
  t.is(p.records.length, n);
  p.records.forEach((r, i) => {
    if (r.incl !== 60 + ((i * 37) % 1455) || r.nsec !== i * 1000) t.fail(`record ${i} header`);
    if (r.data[0] !== i >> 8 || r.data[r.incl - 1] !== (i & 0xff)) t.fail(`record ${i} data`);
  });
});

test('bad options and bad records are typed errors', (t) => {
  for (const opts of [{ snaplen: 0 }, { snaplen: 262145 }, { chunkSize: 1024 }]) {
    t.true(
      isBypassError(
        t.throws(() => new PcapWriter(opts)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
  }
  const w = new PcapWriter();
  const src = new Uint8Array(10);
  const calls = [
    () => w.append(src, 5, 6, 0),
    () => w.append(src, -1, 2, 0),
    () => w.append(src, 0, 2, -1),
    () => w.append(src, 0, 2, NaN),
    () => w.append(src, 0, 2, Infinity),
  ];
  for (const call of calls) t.true(isBypassError(t.throws(call), 'ERR_INVALID_ARGUMENT'));
  t.is(w.records, 0);
});
