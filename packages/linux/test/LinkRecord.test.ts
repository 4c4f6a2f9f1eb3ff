import test from 'ava';
import netlink from 'netlink';
import type { ifla, rt, StreamData } from 'netlink';
import { addressRecordFromMessage, linkRecordFromMessage, readHostU32 } from '../src/index.js';

function bytes(data: StreamData): Buffer {
  const s = new netlink.AttrStream();
  s.emit(data);
  return Buffer.concat(s.bufs);
}

/** Encodes a link message with the library's own encoder and parses it back, as the kernel's would be. */
function roundTrip(data: rt.Link, attrs: ifla.LinkAttrs): rt.LinkMessage {
  const s = new netlink.AttrStream();
  netlink.rt.formatLinkMessage({ kind: 'link', data, attrs }, s);
  return netlink.rt.parseLinkMessage(Buffer.concat(s.bufs));
}

test('an RTM_NEWLINK of an enslaved Ethernet link becomes a LinkRecord', (t) => {
  const nohandler = Buffer.alloc(8);
  nohandler.writeBigUInt64LE(7n);
  const msg = roundTrip(
    { index: 3, type: 'ETHER', flags: { up: true, running: true, lowerUp: true, slave: true } },
    {
      ifname: 'enP1s1',
      mtu: 1500,
      minMtu: 68,
      maxMtu: 9978,
      address: Buffer.from([0x00, 0x0d, 0x3a, 0x12, 0x34, 0x56]),
      permAddress: Buffer.from([0x00, 0x0d, 0x3a, 0x12, 0x34, 0x56]),
      master: 2,
      carrier: 1,
      operstate: 6,
      qdisc: 'mq',
      stats64: {
        rxPackets: 10n,
        txPackets: 20n,
        rxBytes: 1000n,
        txBytes: 2000n,
        __unparsed: nohandler,
      },
    },
  );
  const l = linkRecordFromMessage(msg);
  t.like(l, {
    ifindex: 3,
    name: 'enP1s1',
    type: 1,
    up: true,
    carrier: true,
    operstate: 'up',
    mtu: 1500,
    maxMtu: 9978,
    address: '00:0d:3a:12:34:56',
    permAddress: '00:0d:3a:12:34:56',
    master: 2,
    kind: null,
    qdisc: 'mq',
    bond: null,
  });
  t.like(l.stats64, { rxPackets: 10, txPackets: 20, rxBytes: 1000, txBytes: 2000, rxNohandler: 7 });
  t.is(l.flags & 0x800, 0x800, 'IFF_SLAVE is kept');
});

test('link info gives the kind, and a bond its mode and active slave', (t) => {
  const active = Buffer.alloc(4);
  active.writeUInt32LE(5);
  const bondData = bytes(netlink.ifla.formatBond({ mode: Buffer.from([1]), activeSlave: active }));
  const msg = roundTrip(
    { index: 9, type: 'ETHER', flags: {} },
    { ifname: 'bond0', linkinfo: bytes(netlink.ifla.formatInfo({ kind: 'bond', data: bondData })) },
  );
  const l = linkRecordFromMessage(msg);
  t.like(l, {
    kind: 'bond',
    bond: { mode: 1, activeSlave: 5 },
    up: false,
    carrier: false,
    address: null,
  });
});

test('a zero permanent address (veth, tap) reads as none', (t) => {
  const msg = roundTrip(
    { index: 4, type: 'ETHER', flags: {} },
    { ifname: 'vf0', permAddress: Buffer.alloc(6) },
  );
  t.is(linkRecordFromMessage(msg).permAddress, null);
});

test('a link message without a name or index is ERR_PARSE', (t) => {
  t.throws(() => linkRecordFromMessage(roundTrip({ index: 4, type: 'ETHER' }, {})), {
    code: 'ERR_PARSE',
    message: /no valid IFLA_IFNAME/,
  });
  t.throws(() => linkRecordFromMessage(roundTrip({ type: 'ETHER' }, { ifname: 'x' })), {
    code: 'ERR_PARSE',
  });
});

test('a truncated link info attribute is ERR_PARSE, not a crash', (t) => {
  const msg = roundTrip(
    { index: 4, type: 'ETHER' },
    { ifname: 'x', linkinfo: Buffer.from([9, 0, 1, 0, 0]) },
  );
  t.throws(() => linkRecordFromMessage(msg), { code: 'ERR_PARSE', message: /IFLA_LINKINFO/ });
});

function addrMsg(
  family: number,
  bytesIn: number[],
  extra: Partial<rt.AddressAttrs> = {},
): rt.AddressMessage {
  const s = new netlink.AttrStream();
  netlink.rt.formatAddressMessage(
    {
      kind: 'address',
      data: { family, prefixlen: 64, scope: 0, index: 3 },
      attrs: { address: Buffer.from(bytesIn), ...extra },
    },
    s,
  );
  return netlink.rt.parseAddressMessage(Buffer.concat(s.bufs));
}

test('addresses: IPv4 and compressed IPv6 text, scope, and leased (finite lifetime) or not', (t) => {
  const v6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  t.like(addressRecordFromMessage(addrMsg(10, v6)), {
    family: 6,
    address: 'fd00::1',
    scope: 'global',
    dynamic: false,
  });
  const leased = addrMsg(2, [10, 0, 0, 5], {
    cacheInfo: { ifaPrefered: 100, ifaValid: 200, cstamp: 0, tstamp: 0 },
  });
  t.like(addressRecordFromMessage(leased), {
    family: 4,
    address: '10.0.0.5',
    dynamic: true,
    ifindex: 3,
  });
  t.is(addressRecordFromMessage(addrMsg(17, [1, 2])), null, 'other families are ignored');
  t.throws(() => addressRecordFromMessage(addrMsg(2, [10, 0, 0])), { code: 'ERR_PARSE' });
});

test('netlink u32 attributes are read in host byte order (bond_fill_info uses nla_put_u32)', (t) => {
  const five = Buffer.from([0, 0, 0, 5]);
  t.is(readHostU32(five, 'BE'), 5);
  t.is(readHostU32(Buffer.from([5, 0, 0, 0]), 'LE'), 5);
  t.is(readHostU32(Buffer.from([9, 5, 0, 0, 0]).subarray(1), 'LE'), 5);
});
