import test from 'ava';
import { MacAddress, isBypassError } from '@bypass/core';
import {
  RNDIS_CONFIG_PARAM_TYPE,
  RNDIS_OID,
  decodeRndisConfigParameter,
  encodeRndisConfigParameter,
  networkAddressParameter,
  parseNetworkAddress,
} from '../../src/kernel/exports.js';

// hyperv_net.h struct rndis_config_parameter_info and rndis_filter.c rndis_filter_set_device_mac.

const utf16 = (s: string): number[] => [...s].flatMap((c) => [c.charCodeAt(0), 0]);

test('the NetworkAddress parameter has the layout rndis_filter_set_device_mac builds: 72 bytes', (t) => {
  t.is(RNDIS_OID.CONFIG_PARAMETER, 0x0001021b);
  t.is(RNDIS_CONFIG_PARAM_TYPE.STRING, 2);
  const info = networkAddressParameter(MacAddress.parse('00:15:5D:0A:bc:77'));
  t.is(info.length, 20 + 2 * 14 + 4 * 6);
  t.deepEqual(
    [...info],
    [
      ...[20, 0, 0, 0], // parameter_name_offset: right after the structure
      ...[28, 0, 0, 0], // parameter_name_length: 14 UTF-16 characters
      ...[2, 0, 0, 0], // parameter_type: STRING
      ...[48, 0, 0, 0], // parameter_value_offset: right after the name
      ...[24, 0, 0, 0], // parameter_value_length: 12 UTF-16 characters
      ...utf16('NetworkAddress'),
      ...utf16('00155d0abc77'), // %pm: lower-case hex, no separators, no NUL
    ],
  );
  t.deepEqual(decodeRndisConfigParameter(info), {
    name: 'NetworkAddress',
    type: 'string',
    value: '00155d0abc77',
  });
});

test('an integer parameter decodes; hostile buffers are refused with ERR_PARSE', (t) => {
  const int = new Uint8Array(20 + 4 + 4);
  const v = new DataView(int.buffer);
  v.setUint32(0, 20, true);
  v.setUint32(4, 4, true);
  v.setUint32(8, RNDIS_CONFIG_PARAM_TYPE.INTEGER, true);
  v.setUint32(12, 24, true);
  v.setUint32(16, 4, true);
  v.setUint16(20, 0x41, true);
  v.setUint16(22, 0x42, true);
  v.setUint32(24, 7, true);
  t.deepEqual(decodeRndisConfigParameter(int), { name: 'AB', type: 'integer', value: 7 });
  const good = encodeRndisConfigParameter('NetworkAddress', '00155d000077');
  const bad = (patch: (d: DataView) => void, len = good.length): void => {
    const b = good.slice(0, len);
    patch(new DataView(b.buffer));
    t.true(
      isBypassError(
        t.throws(() => decodeRndisConfigParameter(b)),
        'ERR_PARSE',
      ),
    );
  };
  bad(() => {}, 19); // shorter than the structure
  bad((d) => d.setUint32(0, 4, true)); // name inside the structure
  bad((d) => d.setUint32(4, 1000, true)); // name past the end
  bad((d) => d.setUint32(4, 27, true)); // odd UTF-16 length
  bad((d) => d.setUint32(12, 0xffff_fff0, true)); // value offset wraps
  bad((d) => d.setUint32(16, 23, true)); // odd string value
  bad((d) => d.setUint32(8, 1, true)); // unknown type
});

test('a NetworkAddress value names a unicast MAC address or nothing', (t) => {
  t.is(parseNetworkAddress('00155D000077')?.toString(), '00:15:5d:00:00:77');
  t.is(parseNetworkAddress('00155d00007'), null);
  t.is(parseNetworkAddress('00:15:5d:00:00:77'), null);
  t.is(parseNetworkAddress('01005e000001'), null, 'multicast');
  t.is(parseNetworkAddress('000000000000'), null);
});
