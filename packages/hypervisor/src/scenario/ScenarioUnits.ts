import { BypassError, MacAddress } from '@bypass/core';

const BYTE_SIZE_RE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB)$/;

const BYTE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};

/**
 * Parses a memory size (`512MiB`, `4GiB`, `1.5GB`; a number is bytes already) into whole bytes.
 *
 * @throws BypassError `ERR_PARSE` for anything else, zero, or more than 2^53 bytes.
 */
export function parseByteSize(text: string | number): number {
  const fail = (why: string): BypassError =>
    new BypassError(
      'ERR_PARSE',
      `invalid size ${JSON.stringify(text)}: ${why}; write a number and a unit ` +
        '(B, KiB, MiB, GiB, TiB, kB, MB, GB, TB) such as 4GiB',
    );
  let bytes: number;
  if (typeof text === 'number') {
    bytes = text;
  } else {
    const m = typeof text === 'string' ? BYTE_SIZE_RE.exec(text.trim()) : null;
    if (m === null) throw fail('not a number with a unit');
    bytes = Math.round(Number(m[1]) * (BYTE_UNITS[m[2] as string] as number));
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw fail('it must be a whole number of bytes > 0, below 2^53');
  return bytes;
}

/** The default MAC of the peer at `index`: `02:00:00:00:HI:LO` with HI:LO = index + 1. */
export function defaultPeerMac(index: number): MacAddress {
  const v = index + 1;
  return MacAddress.fromNumber(0x02_00_00_00_00_00 + v);
}
