import test from 'ava';
import { isBypassError } from '@bypass/core';
import { FlowAddress } from '../../src/traffic/FlowFrameAddress.js';

test('endpoint addresses are 10.0.x.y, index 0 first', (t) => {
  t.is(FlowAddress.formatIpv4(FlowAddress.endpointIpv4(0)), '10.0.0.1');
  t.is(FlowAddress.formatIpv4(FlowAddress.endpointIpv4(254)), '10.0.0.255');
  t.is(FlowAddress.formatIpv4(FlowAddress.endpointIpv4(255)), '10.0.1.0');
  t.is(FlowAddress.formatIpv4(FlowAddress.endpointIpv4(65533)), '10.0.255.254');
  for (const bad of [-1, 65534, 1.5, NaN]) {
    t.true(
      isBypassError(
        t.throws(() => FlowAddress.endpointIpv4(bad)),
        'ERR_INVALID_ARGUMENT',
      ),
    );
  }
});

test('multicast groups and their MACs follow RFC 1112', (t) => {
  t.is(FlowAddress.formatIpv4(FlowAddress.multicastGroupIpv4(0x0102)), '239.1.1.2');
  t.is(FlowAddress.multicastMac(FlowAddress.parseIpv4('239.1.1.2')), 0x0100_5e01_0102);
  // The 24th bit is dropped: 224.128.0.1 and 224.0.0.1 share a MAC.
  t.is(FlowAddress.multicastMac(FlowAddress.parseIpv4('224.128.0.1')), 0x0100_5e00_0001);
  t.is(FlowAddress.multicastMac(FlowAddress.parseIpv4('239.255.255.255')), 0x0100_5e7f_ffff);
  t.true(FlowAddress.isMulticastIpv4(0xe000_0000));
  t.false(FlowAddress.isMulticastIpv4(0xf000_0000));
  t.false(FlowAddress.isMulticastIpv4(0xdfff_ffff));
  t.true(
    isBypassError(
      t.throws(() => FlowAddress.multicastMac(FlowAddress.parseIpv4('10.0.0.1'))),
      'ERR_INVALID_ARGUMENT',
    ),
  );
  t.true(
    isBypassError(
      t.throws(() => FlowAddress.multicastGroupIpv4(65536)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('ports: source in the dynamic range, destination from 5000', (t) => {
  t.is(FlowAddress.srcPort(0), 49152);
  t.is(FlowAddress.srcPort(16383), 65535);
  t.is(FlowAddress.srcPort(16384), 49152);
  t.is(FlowAddress.dstPort(0), 5000);
  t.is(FlowAddress.dstPort(60535), 65535);
  t.is(FlowAddress.dstPort(60536), 5000);
});

test('parseIpv4 and formatIpv4 round-trip, and bad text is a parse error', (t) => {
  for (const s of ['0.0.0.0', '10.0.0.1', '192.168.1.254', '255.255.255.255', '239.1.0.7']) {
    t.is(FlowAddress.formatIpv4(FlowAddress.parseIpv4(s)), s);
  }
  t.is(FlowAddress.parseIpv4('255.255.255.255'), 0xffff_ffff);
  t.is(FlowAddress.parseIpv4('192.168.0.1'), 0xc0a8_0001);
  t.is(FlowAddress.formatIpv4(-1), '255.255.255.255');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', 'a.b.c.d', ' 1.2.3.4', '1.2.3.1234']) {
    t.true(
      isBypassError(
        t.throws(() => FlowAddress.parseIpv4(bad)),
        'ERR_PARSE',
      ),
      bad,
    );
  }
});
