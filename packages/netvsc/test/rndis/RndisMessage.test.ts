import test from 'ava';
import {
  RNDIS_MSG,
  RNDIS_OID,
  RNDIS_STATUS,
  RndisPacket,
  RndisPacketInfo,
  decodeRndis,
  encodeRndis,
  rndisLength,
  type RndisMessage,
} from '../../src/kernel/exports.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function enc(m: RndisMessage): Uint8Array {
  const b = new Uint8Array(rndisLength(m));
  encodeRndis(m, b, 0);
  return b;
}

test('the RNDIS numbers are those of rndis.h', (t) => {
  t.deepEqual(
    [
      RNDIS_MSG.PACKET,
      RNDIS_MSG.INIT,
      RNDIS_MSG.HALT,
      RNDIS_MSG.QUERY,
      RNDIS_MSG.SET,
      RNDIS_MSG.RESET,
      RNDIS_MSG.INDICATE,
      RNDIS_MSG.KEEPALIVE,
    ],
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  t.is(RNDIS_MSG.QUERY_C, 0x80000004);
  t.is(RNDIS_STATUS.MEDIA_CONNECT, 0x4001000b);
  t.is(RNDIS_STATUS.MEDIA_DISCONNECT, 0x4001000c);
  t.is(RNDIS_STATUS.NETWORK_CHANGE, 0x40010018);
  t.is(RNDIS_STATUS.LINK_SPEED_CHANGE, 0x40010013);
});

const vectors: [string, RndisMessage, string][] = [
  [
    'init',
    { kind: RNDIS_MSG.INIT, requestId: 1, major: 1, minor: 0, maxTransferSize: 0x4000 },
    '020000001800000001000000010000000000000000400000',
  ],
  [
    'set complete',
    { kind: RNDIS_MSG.SET_C, requestId: 9, status: 0 },
    '05000080100000000900000000000000',
  ],
  [
    'indicate media connect',
    { kind: RNDIS_MSG.INDICATE, status: RNDIS_STATUS.MEDIA_CONNECT, buffer: new Uint8Array(0) },
    '07000000140000000b00014000000000' + '00000000',
  ],
  [
    'query permanent address',
    {
      kind: RNDIS_MSG.QUERY,
      requestId: 2,
      oid: RNDIS_OID.PERMANENT_ADDRESS,
      info: new Uint8Array(0),
    },
    '040000001c0000000200000001010101000000000000000000000000',
  ],
  [
    'query complete with a MAC',
    {
      kind: RNDIS_MSG.QUERY_C,
      requestId: 2,
      status: 0,
      info: Uint8Array.of(0, 0x15, 0x5d, 1, 2, 3),
    },
    '040000801e0000000200000000000000060000001000000000155d010203',
  ],
  [
    'indicate link speed',
    {
      kind: RNDIS_MSG.INDICATE,
      status: RNDIS_STATUS.LINK_SPEED_CHANGE,
      buffer: Uint8Array.of(0x40, 0x42, 0x0f, 0),
    },
    '07000000180000001300014004000000' + '0c00000040420f00',
  ],
];

for (const [name, msg, expected] of vectors) {
  test(`RNDIS ${name} encodes to its fixed bytes and decodes back`, (t) => {
    const b = enc(msg);
    t.is(hex(b), expected);
    t.deepEqual(decodeRndis(b, 0, b.length), msg);
  });
}

test('malformed RNDIS control messages are refused with ERR_PARSE', (t) => {
  const q = enc({
    kind: RNDIS_MSG.QUERY_C,
    requestId: 2,
    status: 0,
    info: Uint8Array.of(1, 2, 3, 4, 5, 6),
  });
  t.throws(() => decodeRndis(q, 0, 20), { code: 'ERR_PARSE', message: /msg_len/ });
  const bad = q.slice();
  new DataView(bad.buffer).setUint32(20, 1000, true); // info offset far outside
  t.throws(() => decodeRndis(bad, 0, bad.length), { code: 'ERR_PARSE', message: /outside/ });
  const lenZero = q.slice();
  new DataView(lenZero.buffer).setUint32(4, 4, true);
  t.throws(() => decodeRndis(lenZero, 0, lenZero.length), { code: 'ERR_PARSE' });
  const short = enc({ kind: RNDIS_MSG.SET_C, requestId: 1, status: 0 });
  new DataView(short.buffer).setUint32(4, 12, true);
  t.throws(() => decodeRndis(short, 0, short.length), { code: 'ERR_PARSE', message: /needs 16/ });
  t.throws(() => decodeRndis(Uint8Array.of(1, 0, 0, 0, 8, 0, 0, 0), 0, 8), {
    code: 'ERR_PARSE',
    message: /unexpected/,
  });
});

test('an RNDIS data packet with an 802.1Q tag has fixed bytes and parses back', (t) => {
  const frame = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x15, 0x5d, 0, 0, 1, 8, 6);
  const tci = (5 << 13) | 100; // priority 5, VLAN 100
  const hdr = RndisPacket.headerLength(tci);
  const b = new Uint8Array(hdr + frame.length);
  RndisPacket.writeHeader(b, 0, frame.length, tci);
  b.set(frame, hdr);
  t.is(
    hex(b.subarray(0, hdr)),
    '01000000' +
      '4a000000' +
      '34000000' +
      '0e000000' +
      '00'.repeat(12) +
      '24000000' +
      '10000000' +
      '00'.repeat(8) +
      '10000000' +
      '06000000' +
      '0c000000' +
      '45060000',
  );
  const info = new RndisPacketInfo();
  t.true(RndisPacket.parse(b, 0, b.length, info));
  t.is(info.dataOffset, 60);
  t.is(info.dataLength, 14);
  t.is(info.vlanTci, tci);
  const plain = new Uint8Array(44 + 14);
  RndisPacket.writeHeader(plain, 0, 14, -1);
  t.true(RndisPacket.parse(plain, 0, plain.length, info));
  t.is(info.vlanTci, -1);
  t.is(info.dataOffset, 44);
});

test('an RNDIS data packet without per-packet info still points per_pkt_info_offset past struct rndis_packet', (t) => {
  // netvsc_drv.c netvsc_xmit and DPDK hn_rxtx.c hn_encap both set it to 36 with a length of 0.
  const plain = new Uint8Array(44 + 14);
  RndisPacket.writeHeader(plain, 0, 14, -1);
  t.is(
    hex(plain.subarray(0, 44)),
    '01000000' +
      '3a000000' +
      '24000000' +
      '0e000000' +
      '00'.repeat(12) +
      '24000000' +
      '00'.repeat(12),
  );
});

test('an RNDIS data packet with a hash value and an 802.1Q tag: hash element first, both parsed back', (t) => {
  const hdr = RndisPacket.headerLength(0x0064, 3);
  t.is(hdr, 76);
  const b = new Uint8Array(hdr + 14);
  RndisPacket.writeHeader(b, 0, 14, 0x0064, 3);
  t.is(
    hex(b.subarray(0, hdr)),
    '01000000' +
      '5a000000' +
      '44000000' +
      '0e000000' +
      '00'.repeat(12) +
      '24000000' +
      '20000000' +
      '00'.repeat(8) +
      '10000000' +
      '08000000' +
      '0c000000' +
      '03000000' +
      '10000000' +
      '06000000' +
      '0c000000' +
      '40060000',
  );
  const info = new RndisPacketInfo();
  t.true(RndisPacket.parse(b, 0, b.length, info));
  t.is(info.hashValue, 3);
  t.is(info.vlanTci, 0x0064);
  t.is(info.dataOffset, 76);
});

test('hostile RNDIS data packets are refused with a reason and never loop', (t) => {
  const info = new RndisPacketInfo();
  const mk = (): Uint8Array => {
    const b = new Uint8Array(60 + 14);
    RndisPacket.writeHeader(b, 0, 14, 7);
    return b;
  };
  const dv = (b: Uint8Array): DataView => new DataView(b.buffer);
  let b = mk();
  dv(b).setUint32(12, 1000, true); // data_len beyond the message
  t.false(RndisPacket.parse(b, 0, b.length, info));
  t.is(info.error, 'data outside the message');
  b = mk();
  dv(b).setUint32(44, 0, true); // per-packet info of size 0 would loop forever
  t.false(RndisPacket.parse(b, 0, b.length, info));
  t.is(info.error, 'bad per-packet info element');
  b = mk();
  dv(b).setUint32(4, 5000, true); // msg_len beyond the buffer
  t.false(RndisPacket.parse(b, 0, b.length, info));
  b = mk();
  dv(b).setUint32(32, 0x7fffffff, true); // per-packet info length
  t.false(RndisPacket.parse(b, 0, b.length, info));
  t.false(RndisPacket.parse(b, 0, 10, info));
  b = mk();
  dv(b).setUint32(0, 2, true);
  t.false(RndisPacket.parse(b, 0, b.length, info));
});
