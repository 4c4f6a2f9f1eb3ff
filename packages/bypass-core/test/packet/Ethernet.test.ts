import test from 'ava';
import fc from 'fast-check';
import { CAST, ETH_HLEN, ETH_P, Ethernet } from '../../src/packet/Ethernet.js';
import { PacketPool } from '../../src/packet/PacketPool.js';
import { isBypassError } from '../../src/errors/BypassError.js';

const DST = 0x0200_0000_0001;
const SRC = 0x5254_0012_3456;

function frameBytes(pool: PacketPool, h: number): number[] {
  const o = pool.start[h]!;
  return [...pool.bytes.subarray(o, o + pool.length[h]!)];
}

function newFrame(pool: PacketPool, payload = 46): number {
  const h = pool.alloc();
  const p = Ethernet.buildFrame(pool, h, DST, SRC, ETH_P.IPV4, payload);
  for (let i = 0; i < payload; i++) pool.bytes[p + i] = i & 0xff;
  return h;
}

test('buildFrame writes the header, sets the length and returns the payload offset', (t) => {
  const pool = new PacketPool({ slots: 4 });
  const h = pool.alloc();
  const p = Ethernet.buildFrame(pool, h, DST, SRC, ETH_P.ARP, 28);
  t.is(pool.length[h], ETH_HLEN + 28);
  t.is(p, pool.start[h]! + ETH_HLEN);
  t.deepEqual(
    frameBytes(pool, h).slice(0, 14),
    [0x02, 0, 0, 0, 0, 0x01, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06],
  );
  t.true(Ethernet.isValid(pool, h));
  t.is(Ethernet.dst(pool, h), DST);
  t.is(Ethernet.src(pool, h), SRC);
  t.is(Ethernet.ethertype(pool, h), ETH_P.ARP);
  t.is(Ethernet.innerEthertype(pool, h), ETH_P.ARP);
});

test('buildFrame refuses a frame that does not fit its slot', (t) => {
  const pool = new PacketPool({ slots: 1, slotSize: 256, headroom: 128 });
  const h = pool.alloc();
  t.true(
    isBypassError(
      t.throws(() => Ethernet.buildFrame(pool, h, DST, SRC, 0x0800, 200)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('setDst and setSrc rewrite the addresses', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = newFrame(pool);
  t.true(Ethernet.setDst(pool, h, 0xffff_ffff_ffff));
  t.true(Ethernet.setSrc(pool, h, 0x0000_0000_0001));
  t.is(Ethernet.dst(pool, h), 0xffff_ffff_ffff);
  t.is(Ethernet.src(pool, h), 1);
});

test('classify tells unicast, multicast and broadcast apart', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = newFrame(pool);
  Ethernet.setDst(pool, h, 0x5254_0000_0001);
  t.is(Ethernet.classify(pool, h), CAST.UNICAST);
  Ethernet.setDst(pool, h, 0x0100_5e00_0001);
  t.is(Ethernet.classify(pool, h), CAST.MULTICAST);
  Ethernet.setDst(pool, h, 0x3333_0000_0001);
  t.is(Ethernet.classify(pool, h), CAST.MULTICAST);
  Ethernet.setDst(pool, h, 0xffff_ffff_fffe);
  t.is(Ethernet.classify(pool, h), CAST.MULTICAST, 'all-ones but one bit is not broadcast');
  Ethernet.setDst(pool, h, 0xffff_ffff_ffff);
  t.is(Ethernet.classify(pool, h), CAST.BROADCAST);
});

test('a frame shorter than 14 bytes is never read: readers return -1, writers false', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = pool.alloc();
  for (const len of [0, 1, 6, 12, 13]) {
    pool.setLength(h, len);
    pool.bytes.fill(0xaa, pool.start[h]!, pool.start[h]! + 20);
    t.false(Ethernet.isValid(pool, h));
    t.is(Ethernet.dst(pool, h), -1);
    t.is(Ethernet.src(pool, h), -1);
    t.is(Ethernet.ethertype(pool, h), -1);
    t.is(Ethernet.innerEthertype(pool, h), -1);
    t.is(Ethernet.classify(pool, h), -1);
    t.is(Ethernet.vlanTci(pool, h), -1);
    t.false(Ethernet.hasVlanTag(pool, h));
    t.false(Ethernet.setDst(pool, h, 0));
    t.false(Ethernet.setSrc(pool, h, 0));
    t.false(Ethernet.setVlanTci(pool, h, 5));
    t.false(Ethernet.insertVlan(pool, h, 5));
    t.false(Ethernet.stripVlan(pool, h));
    t.is(pool.length[h], len, 'the frame is left alone');
    t.is(pool.bytes[pool.start[h]!], 0xaa, 'no byte written');
  }
});

test('unknown handles are treated as empty frames', (t) => {
  const pool = new PacketPool({ slots: 2 });
  for (const h of [-1, 2, 1000, 0.5, Number.NaN]) {
    t.false(Ethernet.isValid(pool, h));
    t.is(Ethernet.dst(pool, h), -1);
    t.is(Ethernet.classify(pool, h), -1);
    t.false(Ethernet.insertVlan(pool, h, 1));
  }
});

test('a tag claimed by a 14..17-byte frame is not read past its end', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  Ethernet.buildFrame(pool, h, DST, SRC, ETH_P.VLAN, 2);
  t.false(Ethernet.hasVlanTag(pool, h));
  t.is(Ethernet.vlanTci(pool, h), -1);
  t.is(Ethernet.ethertype(pool, h), ETH_P.VLAN);
  t.is(Ethernet.innerEthertype(pool, h), ETH_P.VLAN);
  t.false(Ethernet.stripVlan(pool, h));
});

test('insertVlan uses the headroom and keeps the addresses and payload', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = newFrame(pool);
  const before = frameBytes(pool, h);
  const start = pool.start[h]!;
  t.true(Ethernet.insertVlan(pool, h, 0x2064));
  t.is(pool.start[h], start - 4);
  t.is(pool.length[h], before.length + 4);
  t.true(Ethernet.hasVlanTag(pool, h));
  t.is(Ethernet.ethertype(pool, h), ETH_P.VLAN);
  t.is(Ethernet.innerEthertype(pool, h), ETH_P.IPV4);
  t.is(Ethernet.vlanTci(pool, h), 0x2064);
  t.is(Ethernet.dst(pool, h), DST);
  t.is(Ethernet.src(pool, h), SRC);
  const after = frameBytes(pool, h);
  t.deepEqual(after.slice(12, 16), [0x81, 0x00, 0x20, 0x64]);
  t.deepEqual([...after.slice(0, 12), ...after.slice(16)], before);
});

test('insertVlan fails without headroom and leaves the frame unchanged', (t) => {
  const pool = new PacketPool({ slots: 1, headroom: 0 });
  const h = newFrame(pool);
  const before = frameBytes(pool, h);
  t.false(Ethernet.insertVlan(pool, h, 7));
  t.deepEqual(frameBytes(pool, h), before);
});

test('stripVlan moves the tag into metadata and sets F_VLAN, as the offload does', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = newFrame(pool);
  const before = frameBytes(pool, h);
  Ethernet.insertVlan(pool, h, 0xe00a);
  t.true(Ethernet.stripVlan(pool, h));
  t.is(pool.vlanTci[h], 0xe00a);
  t.is(pool.flags[h]! & PacketPool.F_VLAN, PacketPool.F_VLAN);
  t.false(Ethernet.hasVlanTag(pool, h));
  t.deepEqual(frameBytes(pool, h), before);
});

test('stripVlan refuses a second tag when one is already in metadata', (t) => {
  const pool = new PacketPool({ slots: 2 });
  const h = newFrame(pool);
  Ethernet.insertVlan(pool, h, 10);
  Ethernet.insertVlan(pool, h, 20);
  t.true(Ethernet.stripVlan(pool, h));
  t.is(pool.vlanTci[h], 20);
  const before = frameBytes(pool, h);
  t.false(Ethernet.stripVlan(pool, h));
  t.deepEqual(frameBytes(pool, h), before);
  t.is(pool.vlanTci[h], 20);
  t.is(Ethernet.vlanTci(pool, h), 10);
});

test('stripVlan leaves an 802.1ad (QinQ) outer tag alone', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = newFrame(pool);
  Ethernet.insertVlan(pool, h, 5);
  pool.bytes[pool.start[h]! + 12] = 0x88;
  pool.bytes[pool.start[h]! + 13] = 0xa8;
  t.false(Ethernet.hasVlanTag(pool, h));
  t.false(Ethernet.stripVlan(pool, h));
  t.is(Ethernet.ethertype(pool, h), ETH_P.QINQ);
});

test('setVlanTci rewrites the tag in the frame', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = newFrame(pool);
  t.false(Ethernet.setVlanTci(pool, h, 1), 'untagged frame');
  Ethernet.insertVlan(pool, h, 1);
  t.true(Ethernet.setVlanTci(pool, h, 0xffff));
  t.is(Ethernet.vlanTci(pool, h), 0xffff);
});

test('writeGratuitousArp writes a broadcast ARP request announcing the address', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  pool.bytes.fill(0xee, pool.start[h]!, pool.start[h]! + 100);
  const ip = (10 << 24) | (0 << 16) | (0 << 8) | 4; // 10.0.0.4
  Ethernet.writeGratuitousArp(pool, h, SRC, ip);
  const b = frameBytes(pool, h);
  t.is(b.length, 60);
  t.is(Ethernet.classify(pool, h), CAST.BROADCAST);
  t.is(Ethernet.src(pool, h), SRC);
  t.is(Ethernet.ethertype(pool, h), ETH_P.ARP);
  // htype 1, ptype IPv4, hlen 6, plen 4, oper request
  t.deepEqual(b.slice(14, 22), [0, 1, 8, 0, 6, 4, 0, 1]);
  t.deepEqual(b.slice(22, 28), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 'sender MAC');
  t.deepEqual(b.slice(28, 32), [10, 0, 0, 4], 'sender IP');
  t.deepEqual(b.slice(32, 38), [0, 0, 0, 0, 0, 0], 'target MAC');
  t.deepEqual(b.slice(38, 42), [10, 0, 0, 4], 'target IP = sender IP');
  t.deepEqual(b.slice(42, 60), new Array<number>(18).fill(0), 'zero padding');
});

test('writeGratuitousArp handles addresses with the top bit set', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  Ethernet.writeGratuitousArp(pool, h, SRC, 0xc0a8_0101); // 192.168.1.1
  t.deepEqual(frameBytes(pool, h).slice(28, 32), [192, 168, 1, 1]);
});

test('arpSenderIpv4 and arpSenderMac read back what writeGratuitousArp announced, and a reply', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  Ethernet.writeGratuitousArp(pool, h, SRC, 0xc0a8_0101);
  t.is(Ethernet.arpSenderIpv4(pool, h), 0xc0a8_0101);
  t.is(Ethernet.arpSenderMac(pool, h), SRC);
  pool.bytes[pool.start[h]! + 14 + 7] = 2; // oper: reply
  t.is(Ethernet.arpSenderIpv4(pool, h), 0xc0a8_0101);
  t.is(Ethernet.arpSenderMac(pool, h), SRC);
});

test('the ARP readers return -1 for what arp_rcv would not take: another type, opcode, layout or a short frame', (t) => {
  const pool = new PacketPool({ slots: 1 });
  const h = pool.alloc();
  const o = pool.start[h]!;
  const spoil: [string, number, number][] = [
    ['RARP ethertype', 12, 0x80],
    ['hardware type', 14 + 1, 6],
    ['protocol type', 14 + 2, 0x86],
    ['hardware length', 14 + 4, 8],
    ['protocol length', 14 + 5, 16],
    ['opcode 3 (RARP request reverse)', 14 + 7, 3],
  ];
  for (const [what, at, value] of spoil) {
    Ethernet.writeGratuitousArp(pool, h, SRC, 0x0a00_0004);
    pool.bytes[o + at] = value;
    t.is(Ethernet.arpSenderIpv4(pool, h), -1, what);
    t.is(Ethernet.arpSenderMac(pool, h), -1, what);
  }
  Ethernet.writeGratuitousArp(pool, h, SRC, 0x0a00_0004);
  pool.setLength(h, 41);
  t.is(Ethernet.arpSenderIpv4(pool, h), -1, 'shorter than an ARP frame');
  t.is(Ethernet.arpSenderIpv4(pool, 99), -1, 'an unknown handle');
});

test('property: insertVlan then stripVlan restores the frame for any tci and length', (t) => {
  const pool = new PacketPool({ slots: 1 });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 1500 }),
      fc.integer({ min: 0, max: 0xffff_ffff_ffff }),
      (tci, payload, dst) => {
        const h = pool.alloc();
        try {
          Ethernet.buildFrame(pool, h, dst, SRC, ETH_P.IPV6, payload);
          const before = frameBytes(pool, h);
          if (!Ethernet.insertVlan(pool, h, tci)) return false;
          if (Ethernet.vlanTci(pool, h) !== tci || Ethernet.dst(pool, h) !== dst) return false;
          if (!Ethernet.stripVlan(pool, h)) return false;
          return pool.vlanTci[h] === tci && frameBytes(pool, h).join() === before.join();
        } finally {
          pool.free(h);
        }
      },
    ),
  );
  t.pass();
});
