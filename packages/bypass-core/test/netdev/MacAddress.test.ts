import test from 'ava';
import fc from 'fast-check';
import { MacAddress, readMac48, writeMac48 } from '../../src/netdev/MacAddress.js';
import { isBypassError } from '../../src/errors/BypassError.js';

const MAX48 = 0xffff_ffff_ffff;

test('parse reads colon- and dash-separated addresses in either case', (t) => {
  t.is(MacAddress.parse('52:54:00:12:34:56').value, 0x5254_0012_3456);
  t.is(MacAddress.parse('52-54-00-AB-cd-EF').value, 0x5254_00ab_cdef);
  t.is(MacAddress.parse('  ff:ff:ff:ff:ff:ff ').value, MAX48);
});

test('toString prints lower-case colon-separated octets, toJSON too', (t) => {
  const mac = MacAddress.parse('0A-0B-0C-0D-0E-0F');
  t.is(mac.toString(), '0a:0b:0c:0d:0e:0f');
  t.is(JSON.stringify({ mac }), '{"mac":"0a:0b:0c:0d:0e:0f"}');
  t.is(MacAddress.ZERO.toString(), '00:00:00:00:00:00');
  t.is(MacAddress.BROADCAST.toString(), 'ff:ff:ff:ff:ff:ff');
});

test('malformed MAC strings throw ERR_MAC_MALFORMED with an example', (t) => {
  const bad = [
    '',
    '52:54:00:12:34',
    '52:54:00:12:34:56:78',
    '52:54:00:zz:34:56',
    '52:54-00:12:34:56',
    '5254.0012.3456',
    '525400123456',
    '52:54:0:12:34:56',
    '52:54:000:12:34:56',
    '52::54:00:12:34:56',
  ];
  for (const text of bad) {
    const err = t.throws(() => MacAddress.parse(text), undefined, text);
    t.true(isBypassError(err, 'ERR_MAC_MALFORMED'), text);
    t.regex(err.message, /52:54:00:12:34:56/);
  }
  t.true(
    isBypassError(
      t.throws(() => MacAddress.parse(42 as unknown as string)),
      'ERR_MAC_MALFORMED',
    ),
  );
});

test('fromNumber accepts exactly the 48-bit unsigned integers', (t) => {
  t.is(MacAddress.fromNumber(0).value, 0);
  t.is(MacAddress.fromNumber(MAX48).value, MAX48);
  for (const bad of [-1, MAX48 + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.true(
      isBypassError(
        t.throws(() => MacAddress.fromNumber(bad)),
        'ERR_MAC_MALFORMED',
      ),
      `${bad}`,
    );
  }
});

test('fromBytes reads six octets and refuses short buffers', (t) => {
  const b = Uint8Array.from([0, 0x52, 0x54, 0, 0x12, 0x34, 0x56]);
  t.is(MacAddress.fromBytes(b, 1).toString(), '52:54:00:12:34:56');
  t.true(
    isBypassError(
      t.throws(() => MacAddress.fromBytes(b, 2)),
      'ERR_MAC_MALFORMED',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => MacAddress.fromBytes(b, -1)),
      'ERR_MAC_MALFORMED',
    ),
  );
});

test('flags: multicast, broadcast, zero, locally administered, valid unicast', (t) => {
  const uni = MacAddress.parse('00:15:5d:00:00:01');
  const local = MacAddress.parse('52:54:00:00:00:01');
  const mcast = MacAddress.parse('01:00:5e:00:00:01');
  const v6mcast = MacAddress.parse('33:33:00:00:00:01');
  t.false(uni.isMulticast);
  t.false(uni.isLocallyAdministered);
  t.true(uni.isValidUnicast);
  t.true(local.isLocallyAdministered);
  t.true(local.isValidUnicast);
  t.true(mcast.isMulticast);
  t.false(mcast.isBroadcast);
  t.false(mcast.isValidUnicast);
  t.true(v6mcast.isMulticast);
  t.true(v6mcast.isLocallyAdministered);
  t.true(MacAddress.BROADCAST.isBroadcast);
  t.true(MacAddress.BROADCAST.isMulticast);
  t.true(MacAddress.ZERO.isZero);
  t.false(MacAddress.ZERO.isValidUnicast);
});

test('equals and compare order addresses by value', (t) => {
  const a = MacAddress.parse('00:00:00:00:00:01');
  const b = MacAddress.parse('00:00:00:00:01:00');
  t.true(a.equals(MacAddress.fromNumber(1)));
  t.false(a.equals(b));
  t.true(a.compare(b) < 0);
  t.true(b.compare(a) > 0);
  t.is(a.compare(MacAddress.fromNumber(1)), 0);
  const sorted = [b, MacAddress.BROADCAST, a, MacAddress.ZERO].sort((x, y) => x.compare(y));
  t.deepEqual(
    sorted.map((m) => m.value),
    [0, 1, 0x100, MAX48],
  );
});

test('property: parse(toString()) round-trips every 48-bit value', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX48 }), (v) => {
      const mac = MacAddress.fromNumber(v);
      return (
        MacAddress.parse(mac.toString()).value === v &&
        MacAddress.parse(mac.toString().toUpperCase()).equals(mac)
      );
    }),
  );
  t.pass();
});

test('property: readMac48 and writeMac48 round-trip at any offset', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX48 }), fc.nat({ max: 10 }), (v, off) => {
      const bytes = new Uint8Array(16).fill(0xaa);
      writeMac48(bytes, off, v);
      const untouched = bytes.every((x, i) => (i >= off && i < off + 6) || x === 0xaa);
      const mac = MacAddress.fromNumber(v);
      const other = new Uint8Array(16);
      mac.writeTo(other, off);
      return (
        untouched &&
        readMac48(bytes, off) === v &&
        MacAddress.fromBytes(bytes, off).equals(mac) &&
        readMac48(other, off) === v
      );
    }),
  );
  t.pass();
});

test('property: flags agree with the first octet bits', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX48 }), (v) => {
      const mac = MacAddress.fromNumber(v);
      const first = Math.floor(v / 2 ** 40);
      return (
        mac.isMulticast === ((first & 1) === 1) && mac.isLocallyAdministered === ((first & 2) === 2)
      );
    }),
  );
  t.pass();
});
