import test from 'ava';
import {
  NVSP_DATAPATH,
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_VERSION,
  NVSP_VERSIONS,
  decodeNvsp,
  encodeNvsp,
  nvspType,
  type NvspMessage,
} from '../../src/kernel/exports.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function bytes(msg: NvspMessage): Uint8Array {
  const b = new Uint8Array(NVSP_MESSAGE_SIZE);
  encodeNvsp(msg, b, 0);
  return b;
}

const pad = (s: string): string => s.padEnd(NVSP_MESSAGE_SIZE * 2, '0');

test('the message numbers and versions are those of hyperv_net.h', (t) => {
  t.is(NVSP_MSG.SEND_VF_ASSOCIATION, 128);
  t.is(NVSP_MSG.SWITCH_DATA_PATH, 129);
  t.is(NVSP_MSG.SEND_RNDIS_PKT, 107);
  t.is(NVSP_MSG.SEND_NDIS_CONFIG, 125);
  t.is(NVSP_MSG.SUBCHANNEL, 133);
  t.deepEqual(NVSP_VERSIONS, [0x60001, 0x60000, 0x50000, 0x40000, 0x30002, 0x2]);
  t.is(NVSP_DATAPATH.VF, 1);
  t.is(NVSP_DATAPATH.SYNTHETIC, 0);
});

const vectors: [string, NvspMessage, string][] = [
  [
    'init',
    { type: NVSP_MSG.INIT, minVersion: NVSP_VERSION.V61, maxVersion: NVSP_VERSION.V61 },
    '01000000010006000100060000',
  ],
  [
    'init complete',
    { type: NVSP_MSG.INIT_COMPLETE, version: 0x50000, maxMdlChainLength: 0, status: 1 },
    '0200000000000500000000000100000000',
  ],
  [
    'switch datapath to VF',
    { type: NVSP_MSG.SWITCH_DATA_PATH, datapath: NVSP_DATAPATH.VF },
    '8100000001000000',
  ],
  [
    'switch datapath to synthetic',
    { type: NVSP_MSG.SWITCH_DATA_PATH, datapath: NVSP_DATAPATH.SYNTHETIC },
    '8100000000000000',
  ],
  [
    'VF association',
    { type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: true, serial: 0x1234 },
    '800000000100000034120000',
  ],
  [
    'RNDIS packet',
    { type: NVSP_MSG.SEND_RNDIS_PKT, channelType: 1, sectionIndex: 0xffffffff, sectionSize: 0 },
    '6b00000001000000ffffffff00000000',
  ],
  [
    'NDIS config',
    { type: NVSP_MSG.SEND_NDIS_CONFIG, mtu: 1514, capabilities: 0x2c },
    '7d000000ea050000000000002c000000',
  ],
  [
    'receive buffer',
    { type: NVSP_MSG.SEND_RECV_BUF, gpadl: 7, id: 0xcafe },
    '6500000007000000feca',
  ],
  [
    'send buffer complete',
    { type: NVSP_MSG.SEND_SEND_BUF_COMPLETE, status: 1, sectionSize: 6144 },
    '690000000100000000180000',
  ],
  [
    'subchannel request',
    { type: NVSP_MSG.SUBCHANNEL, op: 1, count: 15 },
    '85000000010000000f000000',
  ],
];

for (const [name, msg, expected] of vectors) {
  test(`NVSP ${name} encodes to its fixed bytes and decodes back`, (t) => {
    const b = bytes(msg);
    t.is(hex(b), pad(expected));
    t.deepEqual(decodeNvsp(b, 0, b.length), msg);
  });
}

test('a subchannel completion decodes its status and count', (t) => {
  const b = bytes({ type: NVSP_MSG.SUBCHANNEL, status: 1, count: 7 });
  t.deepEqual(decodeNvsp(b, 0, b.length, true), { type: NVSP_MSG.SUBCHANNEL, status: 1, count: 7 });
});

test('a receive-buffer completion round-trips its single section', (t) => {
  const msg: NvspMessage = {
    type: NVSP_MSG.SEND_RECV_BUF_COMPLETE,
    status: 1,
    sectionOffset: 0,
    subAllocSize: 1728,
    numSubAllocs: 9709,
    endOffset: 16777152,
  };
  const b = bytes(msg);
  t.deepEqual(decodeNvsp(b, 0, b.length), msg);
  b[8] = 2; // two sections: Linux refuses it
  t.throws(() => decodeNvsp(b, 0, b.length), { code: 'ERR_PARSE' });
});

test('malformed NVSP messages are refused with ERR_PARSE, never trusted', (t) => {
  const vf = bytes({ type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: true, serial: 1 });
  t.throws(() => decodeNvsp(vf, 0, 8), { code: 'ERR_PARSE', message: /needs 12 bytes/ });
  t.throws(() => decodeNvsp(vf, 0, 3), { code: 'ERR_PARSE' });
  t.throws(() => decodeNvsp(vf, 30, 20), { code: 'ERR_PARSE', message: /outside/ });
  const unknown = Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0);
  t.throws(() => decodeNvsp(unknown, 0, 8), {
    code: 'ERR_PARSE',
    message: /unknown NVSP message type 255/,
  });
  t.is(nvspType(unknown, 0, 2), -1);
  t.throws(
    () => encodeNvsp({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: 1 }, new Uint8Array(10), 0),
    {
      code: 'ERR_INVALID_ARGUMENT',
    },
  );
});
