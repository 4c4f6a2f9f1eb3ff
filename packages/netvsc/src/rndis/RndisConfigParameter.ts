import { BypassError, MacAddress } from '@bypass/core';

/**
 * `parameter_type` values of an RNDIS configuration parameter (`hyperv_net.h`
 * RNDIS_CONFIG_PARAM_TYPE_INTEGER, RNDIS_CONFIG_PARAM_TYPE_STRING).
 *
 * @example
 * ```ts
 * if (p.type === 'string') console.log(p.value);
 * RNDIS_CONFIG_PARAM_TYPE.STRING === 2; // true
 * ```
 */
export const RNDIS_CONFIG_PARAM_TYPE = {
  INTEGER: 0,
  STRING: 2,
} as const;

/**
 * The name of the parameter netvsc sets to change the MAC address (`rndis_filter.c` NWADR_STR).
 *
 * @example
 * ```ts
 * decodeRndisConfigParameter(info).name === RNDIS_NETWORK_ADDRESS;
 * ```
 */
export const RNDIS_NETWORK_ADDRESS = 'NetworkAddress';

/** Bytes of `struct rndis_config_parameter_info`: five u32. */
const INFO_SIZE = 20;

/**
 * A decoded RNDIS configuration parameter (the information buffer of a SET of
 * `RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER`): its name, and a UTF-16 string or a u32 value.
 *
 * @example
 * ```ts
 * const p: RndisConfigParameter = { name: 'NetworkAddress', type: 'string', value: '00155d000077' };
 * ```
 */
export type RndisConfigParameter =
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'integer'; value: number };

/**
 * Encodes a string configuration parameter as `hyperv_net.h` struct rndis_config_parameter_info
 * lays it out, little-endian: name offset (20, counted from the start of the structure), name
 * length in bytes, type STRING, value offset (right after the name), value length in bytes; then
 * the name and the value in UTF-16, without terminating NULs (`rndis_filter.c`
 * rndis_filter_set_device_mac).
 *
 * @example
 * ```ts
 * const info = encodeRndisConfigParameter('NetworkAddress', '00155d000077'); // 72 bytes
 * ```
 */
export function encodeRndisConfigParameter(name: string, value: string): Uint8Array {
  const nameLen = 2 * name.length;
  const valueLen = 2 * value.length;
  const out = new Uint8Array(INFO_SIZE + nameLen + valueLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, INFO_SIZE, true);
  v.setUint32(4, nameLen, true);
  v.setUint32(8, RNDIS_CONFIG_PARAM_TYPE.STRING, true);
  v.setUint32(12, INFO_SIZE + nameLen, true);
  v.setUint32(16, valueLen, true);
  for (let i = 0; i < name.length; i++) v.setUint16(INFO_SIZE + 2 * i, name.charCodeAt(i), true);
  for (let i = 0; i < value.length; i++)
    v.setUint16(INFO_SIZE + nameLen + 2 * i, value.charCodeAt(i), true);
  return out;
}

/**
 * The `NetworkAddress` parameter netvsc sends for `mac`: the address as 12 lower-case hex digits
 * without separators (what `%pm` prints), 72 bytes in all.
 *
 * @example
 * ```ts
 * networkAddressParameter(MacAddress.parse('00:15:5d:00:00:77')); // value "00155d000077"
 * ```
 */
export function networkAddressParameter(mac: MacAddress): Uint8Array {
  return encodeRndisConfigParameter(
    RNDIS_NETWORK_ADDRESS,
    mac.value.toString(16).padStart(12, '0'),
  );
}

/**
 * Decodes the information buffer of a SET of `RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER`. Never trusts
 * the sender: the five fields must fit, name and value must lie inside the buffer with even byte
 * lengths, a string's type must be STRING and an integer's value 4 bytes.
 *
 * @throws `BypassError` `ERR_PARSE` saying what was wrong.
 * @example
 * ```ts
 * const p = decodeRndisConfigParameter(set.info);
 * if (p.name === RNDIS_NETWORK_ADDRESS && p.type === 'string') apply(p.value);
 * ```
 */
export function decodeRndisConfigParameter(info: Uint8Array): RndisConfigParameter {
  if (info.length < INFO_SIZE)
    throw new BypassError(
      'ERR_PARSE',
      `RNDIS config parameter of ${info.length} bytes is shorter than its ${INFO_SIZE}-byte header`,
    );
  const v = new DataView(info.buffer, info.byteOffset, info.length);
  const nameOff = v.getUint32(0, true);
  const nameLen = v.getUint32(4, true);
  const type = v.getUint32(8, true);
  const valueOff = v.getUint32(12, true);
  const valueLen = v.getUint32(16, true);
  const inside = (off: number, len: number): boolean =>
    off >= INFO_SIZE && off <= info.length && len <= info.length - off;
  if (!inside(nameOff, nameLen) || nameLen % 2 !== 0 || nameLen === 0)
    throw new BypassError(
      'ERR_PARSE',
      `RNDIS config parameter name ${nameOff}+${nameLen} is not an even range of the ${info.length}-byte buffer`,
    );
  if (!inside(valueOff, valueLen))
    throw new BypassError(
      'ERR_PARSE',
      `RNDIS config parameter value ${valueOff}+${valueLen} lies outside the ${info.length}-byte buffer`,
    );
  const utf16 = (off: number, len: number): string => {
    let s = '';
    for (let i = 0; i < len; i += 2) s += String.fromCharCode(v.getUint16(off + i, true));
    return s;
  };
  const name = utf16(nameOff, nameLen);
  if (type === RNDIS_CONFIG_PARAM_TYPE.STRING) {
    if (valueLen % 2 !== 0)
      throw new BypassError('ERR_PARSE', `RNDIS config string of ${valueLen} bytes is not UTF-16`);
    return { name, type: 'string', value: utf16(valueOff, valueLen) };
  }
  if (type === RNDIS_CONFIG_PARAM_TYPE.INTEGER) {
    if (valueLen !== 4)
      throw new BypassError('ERR_PARSE', `RNDIS config integer of ${valueLen} bytes, expected 4`);
    return { name, type: 'integer', value: v.getUint32(valueOff, true) };
  }
  throw new BypassError('ERR_PARSE', `RNDIS config parameter type ${type} is neither 0 nor 2`);
}

/**
 * The MAC address a `NetworkAddress` value names (12 hex digits, any case, no separators), or
 * null when it names none or a multicast or zero one.
 *
 * @example
 * ```ts
 * parseNetworkAddress('00155d000077')?.toString(); // '00:15:5d:00:00:77'
 * parseNetworkAddress('0015'); // null
 * ```
 */
export function parseNetworkAddress(value: string): MacAddress | null {
  if (!/^[0-9a-fA-F]{12}$/.test(value)) return null;
  const mac = MacAddress.fromNumber(parseInt(value, 16));
  return mac.isValidUnicast ? mac : null;
}
