import { BypassError } from '@bypass/core';
import { RNDIS_HEADER_SIZE, RNDIS_MSG } from './RndisConstants.js';

/**
 * A decoded RNDIS control message (Linux `drivers/net/hyperv/hyperv_net.h` struct
 * rndis_message and its union), discriminated by `kind` ({@link RNDIS_MSG}). Data packets
 * (`RNDIS_MSG.PACKET`) have their own allocation-free codec, {@link RndisPacket}.
 *
 * @example
 * ```ts
 * const m: RndisMessage = { kind: RNDIS_MSG.INDICATE, status: RNDIS_STATUS.MEDIA_CONNECT, buffer: new Uint8Array(0) };
 * ```
 */
export type RndisMessage =
  | {
      kind: (typeof RNDIS_MSG)['INIT'];
      requestId: number;
      major: number;
      minor: number;
      maxTransferSize: number;
    }
  | {
      kind: (typeof RNDIS_MSG)['INIT_C'];
      requestId: number;
      status: number;
      major: number;
      minor: number;
      deviceFlags: number;
      medium: number;
      maxPacketsPerMessage: number;
      maxTransferSize: number;
      packetAlignment: number;
    }
  | { kind: (typeof RNDIS_MSG)['HALT'] | (typeof RNDIS_MSG)['KEEPALIVE']; requestId: number }
  | {
      kind: (typeof RNDIS_MSG)['QUERY'] | (typeof RNDIS_MSG)['SET'];
      requestId: number;
      oid: number;
      info: Uint8Array;
    }
  | { kind: (typeof RNDIS_MSG)['QUERY_C']; requestId: number; status: number; info: Uint8Array }
  | {
      kind: (typeof RNDIS_MSG)['SET_C'] | (typeof RNDIS_MSG)['KEEPALIVE_C'];
      requestId: number;
      status: number;
    }
  | { kind: (typeof RNDIS_MSG)['RESET'] }
  | { kind: (typeof RNDIS_MSG)['RESET_C']; status: number; addressingReset: number }
  | { kind: (typeof RNDIS_MSG)['INDICATE']; status: number; buffer: Uint8Array };

/**
 * The encoded length of `msg` in bytes (what `msg_len` will say).
 *
 * @example
 * ```ts
 * const out = new Uint8Array(rndisLength(msg));
 * encodeRndis(msg, out, 0);
 * ```
 */
export function rndisLength(msg: RndisMessage): number {
  switch (msg.kind) {
    case RNDIS_MSG.INIT:
      return 24;
    case RNDIS_MSG.INIT_C:
      return 52;
    case RNDIS_MSG.HALT:
    case RNDIS_MSG.KEEPALIVE:
    case RNDIS_MSG.RESET:
      return 12;
    case RNDIS_MSG.QUERY:
    case RNDIS_MSG.SET:
      return 28 + msg.info.length;
    case RNDIS_MSG.QUERY_C:
      return 24 + msg.info.length;
    case RNDIS_MSG.SET_C:
    case RNDIS_MSG.KEEPALIVE_C:
    case RNDIS_MSG.RESET_C:
      return 16;
    case RNDIS_MSG.INDICATE:
      return 20 + msg.buffer.length;
  }
}

/**
 * Encodes an RNDIS control message at `out[off..]` (little-endian; info/status buffers placed
 * right after the fixed part, offsets counted from the end of the 8-byte header as RNDIS does);
 * returns its length.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` when `out` has no room.
 * @example
 * ```ts
 * const out = new Uint8Array(64);
 * const n = encodeRndis({ kind: RNDIS_MSG.SET_C, requestId: 9, status: RNDIS_STATUS.SUCCESS }, out, 0);
 * // n === 16; out = 05 00 00 80 10 00 00 00 09 00 00 00 00 00 00 00
 * ```
 */
export function encodeRndis(msg: RndisMessage, out: Uint8Array, off: number): number {
  const len = rndisLength(msg);
  if (off < 0 || off + len > out.length) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `no room for a ${len}-byte RNDIS message at ${off}`,
    );
  }
  out.fill(0, off, off + len);
  const v = new DataView(out.buffer, out.byteOffset + off, len);
  const w = (o: number, x: number): void => v.setUint32(o, x >>> 0, true);
  w(0, msg.kind);
  w(4, len);
  switch (msg.kind) {
    case RNDIS_MSG.INIT:
      w(8, msg.requestId);
      w(12, msg.major);
      w(16, msg.minor);
      w(20, msg.maxTransferSize);
      break;
    case RNDIS_MSG.INIT_C:
      w(8, msg.requestId);
      w(12, msg.status);
      w(16, msg.major);
      w(20, msg.minor);
      w(24, msg.deviceFlags);
      w(28, msg.medium);
      w(32, msg.maxPacketsPerMessage);
      w(36, msg.maxTransferSize);
      w(40, msg.packetAlignment);
      break;
    case RNDIS_MSG.HALT:
    case RNDIS_MSG.KEEPALIVE:
      w(8, msg.requestId);
      break;
    case RNDIS_MSG.QUERY:
    case RNDIS_MSG.SET:
      w(8, msg.requestId);
      w(12, msg.oid);
      w(16, msg.info.length);
      w(20, msg.info.length > 0 ? 20 : 0);
      out.set(msg.info, off + 28);
      break;
    case RNDIS_MSG.QUERY_C:
      w(8, msg.requestId);
      w(12, msg.status);
      w(16, msg.info.length);
      w(20, msg.info.length > 0 ? 16 : 0);
      out.set(msg.info, off + 24);
      break;
    case RNDIS_MSG.SET_C:
    case RNDIS_MSG.KEEPALIVE_C:
      w(8, msg.requestId);
      w(12, msg.status);
      break;
    case RNDIS_MSG.RESET:
      break;
    case RNDIS_MSG.RESET_C:
      w(8, msg.status);
      w(12, msg.addressingReset);
      break;
    case RNDIS_MSG.INDICATE:
      w(8, msg.status);
      w(12, msg.buffer.length);
      w(16, msg.buffer.length > 0 ? 12 : 0);
      out.set(msg.buffer, off + 20);
      break;
  }
  return len;
}

const MIN: Record<number, number> = {
  [RNDIS_MSG.INIT]: 24,
  [RNDIS_MSG.INIT_C]: 52,
  [RNDIS_MSG.HALT]: 12,
  [RNDIS_MSG.KEEPALIVE]: 12,
  [RNDIS_MSG.RESET]: 12,
  [RNDIS_MSG.QUERY]: 28,
  [RNDIS_MSG.SET]: 28,
  [RNDIS_MSG.QUERY_C]: 24,
  [RNDIS_MSG.SET_C]: 16,
  [RNDIS_MSG.KEEPALIVE_C]: 16,
  [RNDIS_MSG.RESET_C]: 16,
  [RNDIS_MSG.INDICATE]: 20,
};

/**
 * Decodes the RNDIS control message at `bytes[off..off+len)`. Never trusts the peer (as
 * `rndis_filter.c` validates host messages): `msg_len` must fit in `len`, the fixed part of the
 * type must fit in `msg_len`, and an info/status buffer must lie inside the message.
 *
 * @throws `BypassError` `ERR_PARSE` saying what was wrong; a PACKET message is refused too
 * (use {@link RndisPacket}).
 * @example
 * ```ts
 * const m = decodeRndis(bytes, 0, bytes.length);
 * if (m.kind === RNDIS_MSG.INDICATE && m.status === RNDIS_STATUS.MEDIA_CONNECT) carrierOn();
 * ```
 */
export function decodeRndis(bytes: Uint8Array, off: number, len: number): RndisMessage {
  if (!(
    Number.isInteger(off) &&
    Number.isInteger(len) &&
    off >= 0 &&
    len >= 0 &&
    off + len <= bytes.length
  )) {
    throw new BypassError(
      'ERR_PARSE',
      `RNDIS message range ${off}+${len} is outside the ${bytes.length}-byte buffer`,
    );
  }
  if (len < RNDIS_HEADER_SIZE)
    throw new BypassError('ERR_PARSE', `RNDIS message of ${len} bytes has no header`);
  const r = (o: number): number =>
    ((bytes[off + o] as number) |
      ((bytes[off + o + 1] as number) << 8) |
      ((bytes[off + o + 2] as number) << 16) |
      ((bytes[off + o + 3] as number) << 24)) >>>
    0;
  const kind = r(0);
  const msgLen = r(4);
  if (msgLen < RNDIS_HEADER_SIZE || msgLen > len) {
    throw new BypassError(
      'ERR_PARSE',
      `RNDIS msg_len ${msgLen} does not fit the ${len} bytes received`,
    );
  }
  const need = MIN[kind];
  if (need === undefined)
    throw new BypassError(
      'ERR_PARSE',
      `unknown or unexpected RNDIS message type 0x${kind.toString(16)}`,
    );
  if (msgLen < need)
    throw new BypassError(
      'ERR_PARSE',
      `RNDIS message 0x${kind.toString(16)} needs ${need} bytes, msg_len is ${msgLen}`,
    );
  const buf = (lenAt: number, offAt: number): Uint8Array => {
    const n = r(lenAt);
    if (n === 0) return new Uint8Array(0);
    const o = r(offAt);
    if (
      o > msgLen - RNDIS_HEADER_SIZE ||
      n > msgLen - RNDIS_HEADER_SIZE - o ||
      o < need - RNDIS_HEADER_SIZE
    ) {
      throw new BypassError(
        'ERR_PARSE',
        `RNDIS buffer ${o}+${n} lies outside the ${msgLen}-byte message`,
      );
    }
    return bytes.slice(off + RNDIS_HEADER_SIZE + o, off + RNDIS_HEADER_SIZE + o + n);
  };
  switch (kind) {
    case RNDIS_MSG.INIT:
      return { kind, requestId: r(8), major: r(12), minor: r(16), maxTransferSize: r(20) };
    case RNDIS_MSG.INIT_C:
      return {
        kind,
        requestId: r(8),
        status: r(12),
        major: r(16),
        minor: r(20),
        deviceFlags: r(24),
        medium: r(28),
        maxPacketsPerMessage: r(32),
        maxTransferSize: r(36),
        packetAlignment: r(40),
      };
    case RNDIS_MSG.HALT:
    case RNDIS_MSG.KEEPALIVE:
      return { kind, requestId: r(8) };
    case RNDIS_MSG.QUERY:
    case RNDIS_MSG.SET:
      return { kind, requestId: r(8), oid: r(12), info: buf(16, 20) };
    case RNDIS_MSG.QUERY_C:
      return { kind, requestId: r(8), status: r(12), info: buf(16, 20) };
    case RNDIS_MSG.SET_C:
    case RNDIS_MSG.KEEPALIVE_C:
      return { kind, requestId: r(8), status: r(12) };
    case RNDIS_MSG.RESET:
      return { kind };
    case RNDIS_MSG.RESET_C:
      return { kind, status: r(8), addressingReset: r(12) };
    default:
      return { kind: RNDIS_MSG.INDICATE, status: r(8), buffer: buf(12, 16) };
  }
}
