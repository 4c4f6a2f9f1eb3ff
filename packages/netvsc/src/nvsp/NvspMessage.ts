import { BypassError } from '@bypass/core';
import { NVSP_MESSAGE_SIZE, NVSP_MSG, NVSP_RNDIS_CHANNEL } from './NvspConstants.js';

/**
 * A decoded NVSP message (Linux `struct nvsp_message`, hyperv_net.h): a discriminated union on
 * `type` ({@link NVSP_MSG}). Field names follow the kernel's, camel-cased.
 *
 * @example
 * ```ts
 * const m: NvspMessage = { type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: true, serial: 3 };
 * ```
 */
export type NvspMessage =
  | { type: (typeof NVSP_MSG)['INIT']; minVersion: number; maxVersion: number }
  | {
      type: (typeof NVSP_MSG)['INIT_COMPLETE'];
      version: number;
      maxMdlChainLength: number;
      status: number;
    }
  | { type: (typeof NVSP_MSG)['SEND_NDIS_VER']; ndisMajor: number; ndisMinor: number }
  | {
      type: (typeof NVSP_MSG)['SEND_RECV_BUF'] | (typeof NVSP_MSG)['SEND_SEND_BUF'];
      gpadl: number;
      id: number;
    }
  | {
      type: (typeof NVSP_MSG)['SEND_RECV_BUF_COMPLETE'];
      status: number;
      sectionOffset: number;
      subAllocSize: number;
      numSubAllocs: number;
      endOffset: number;
    }
  | {
      type: (typeof NVSP_MSG)['REVOKE_RECV_BUF'] | (typeof NVSP_MSG)['REVOKE_SEND_BUF'];
      id: number;
    }
  | { type: (typeof NVSP_MSG)['SEND_SEND_BUF_COMPLETE']; status: number; sectionSize: number }
  | {
      type: (typeof NVSP_MSG)['SEND_RNDIS_PKT'];
      channelType: number;
      sectionIndex: number;
      sectionSize: number;
    }
  | { type: (typeof NVSP_MSG)['SEND_RNDIS_PKT_COMPLETE']; status: number }
  | { type: (typeof NVSP_MSG)['SEND_NDIS_CONFIG']; mtu: number; capabilities: number }
  | { type: (typeof NVSP_MSG)['SEND_VF_ASSOCIATION']; allocated: boolean; serial: number }
  | { type: (typeof NVSP_MSG)['SWITCH_DATA_PATH']; datapath: number }
  | { type: (typeof NVSP_MSG)['SUBCHANNEL']; op: number; count: number }
  | { type: (typeof NVSP_MSG)['SUBCHANNEL']; status: number; count: number };

/** Minimum bytes (header + fields) per type, as Linux's 2021 validation of host messages. */
const MIN_LEN: Record<number, number> = {
  [NVSP_MSG.INIT]: 12,
  [NVSP_MSG.INIT_COMPLETE]: 16,
  [NVSP_MSG.SEND_NDIS_VER]: 12,
  [NVSP_MSG.SEND_RECV_BUF]: 10,
  [NVSP_MSG.SEND_SEND_BUF]: 10,
  [NVSP_MSG.SEND_RECV_BUF_COMPLETE]: 28,
  [NVSP_MSG.REVOKE_RECV_BUF]: 6,
  [NVSP_MSG.REVOKE_SEND_BUF]: 6,
  [NVSP_MSG.SEND_SEND_BUF_COMPLETE]: 12,
  [NVSP_MSG.SEND_RNDIS_PKT]: 16,
  [NVSP_MSG.SEND_RNDIS_PKT_COMPLETE]: 8,
  [NVSP_MSG.SEND_NDIS_CONFIG]: 20,
  [NVSP_MSG.SEND_VF_ASSOCIATION]: 12,
  [NVSP_MSG.SWITCH_DATA_PATH]: 8,
  [NVSP_MSG.SUBCHANNEL]: 12,
};

/**
 * True when the `len` bytes at `bytes[0..]` are an NVSP SEND_RNDIS_PKT on the data channel (a
 * frame, not an RNDIS control message): the test every reader of a netvsc ring makes before its
 * data path (Linux `netvsc.c` netvsc_receive, DPDK `hn_rxtx.c` hn_nvs_handle_rxbuf).
 *
 * @example
 * ```ts
 * if (isRndisDataMessage(pkt.data, pkt.length)) onFrames(pkt);
 * else onControl(pkt);
 * ```
 */
export function isRndisDataMessage(bytes: Uint8Array, len: number): boolean {
  if (len < 16 || nvspType(bytes, 0, len) !== NVSP_MSG.SEND_RNDIS_PKT) return false;
  const channel =
    ((bytes[4] as number) |
      ((bytes[5] as number) << 8) |
      ((bytes[6] as number) << 16) |
      ((bytes[7] as number) << 24)) >>>
    0;
  return channel === NVSP_RNDIS_CHANNEL.DATA;
}

/**
 * The type of the NVSP message at `bytes[off..off+len)`, or -1 when there is not even a header.
 * The data path uses it to dispatch without decoding.
 *
 * @example
 * ```ts
 * if (nvspType(pkt.data, 0, pkt.length) === NVSP_MSG.SEND_RNDIS_PKT) handleRndis(pkt);
 * ```
 */
export function nvspType(bytes: Uint8Array, off: number, len: number): number {
  if (len < 4 || off < 0 || off + 4 > bytes.length) return -1;
  return u32(bytes, off);
}

/**
 * Encodes `msg` as a 40-byte `struct nvsp_message` (little-endian, unused bytes zero) at
 * `out[off..off+40)`; returns 40.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` when `out` has no room for 40 bytes.
 * @example
 * ```ts
 * const buf = new Uint8Array(NVSP_MESSAGE_SIZE);
 * encodeNvsp({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: NVSP_DATAPATH.VF }, buf, 0);
 * // buf = 81 00 00 00 01 00 00 00 00 ...
 * ```
 */
export function encodeNvsp(msg: NvspMessage, out: Uint8Array, off: number): number {
  if (off < 0 || off + NVSP_MESSAGE_SIZE > out.length) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `no room for a ${NVSP_MESSAGE_SIZE}-byte NVSP message at ${off}`,
    );
  }
  out.fill(0, off, off + NVSP_MESSAGE_SIZE);
  const v = new DataView(out.buffer, out.byteOffset + off, NVSP_MESSAGE_SIZE);
  v.setUint32(0, msg.type, true);
  switch (msg.type) {
    case NVSP_MSG.INIT:
      v.setUint32(4, msg.minVersion, true);
      v.setUint32(8, msg.maxVersion, true);
      break;
    case NVSP_MSG.INIT_COMPLETE:
      v.setUint32(4, msg.version, true);
      v.setUint32(8, msg.maxMdlChainLength, true);
      v.setUint32(12, msg.status, true);
      break;
    case NVSP_MSG.SEND_NDIS_VER:
      v.setUint32(4, msg.ndisMajor, true);
      v.setUint32(8, msg.ndisMinor, true);
      break;
    case NVSP_MSG.SEND_RECV_BUF:
    case NVSP_MSG.SEND_SEND_BUF:
      v.setUint32(4, msg.gpadl, true);
      v.setUint16(8, msg.id, true);
      break;
    case NVSP_MSG.SEND_RECV_BUF_COMPLETE:
      v.setUint32(4, msg.status, true);
      v.setUint32(8, 1, true);
      v.setUint32(12, msg.sectionOffset, true);
      v.setUint32(16, msg.subAllocSize, true);
      v.setUint32(20, msg.numSubAllocs, true);
      v.setUint32(24, msg.endOffset, true);
      break;
    case NVSP_MSG.REVOKE_RECV_BUF:
    case NVSP_MSG.REVOKE_SEND_BUF:
      v.setUint16(4, msg.id, true);
      break;
    case NVSP_MSG.SEND_SEND_BUF_COMPLETE:
      v.setUint32(4, msg.status, true);
      v.setUint32(8, msg.sectionSize, true);
      break;
    case NVSP_MSG.SEND_RNDIS_PKT:
      v.setUint32(4, msg.channelType, true);
      v.setUint32(8, msg.sectionIndex, true);
      v.setUint32(12, msg.sectionSize, true);
      break;
    case NVSP_MSG.SEND_RNDIS_PKT_COMPLETE:
      v.setUint32(4, msg.status, true);
      break;
    case NVSP_MSG.SEND_NDIS_CONFIG:
      v.setUint32(4, msg.mtu, true);
      v.setUint32(12, msg.capabilities, true);
      break;
    case NVSP_MSG.SEND_VF_ASSOCIATION:
      v.setUint32(4, msg.allocated ? 1 : 0, true);
      v.setUint32(8, msg.serial, true);
      break;
    case NVSP_MSG.SWITCH_DATA_PATH:
      v.setUint32(4, msg.datapath, true);
      break;
    case NVSP_MSG.SUBCHANNEL:
      v.setUint32(4, 'op' in msg ? msg.op : msg.status, true);
      v.setUint32(8, msg.count, true);
      break;
  }
  return NVSP_MESSAGE_SIZE;
}

/**
 * Decodes the NVSP message at `bytes[off..off+len)`. `completion` says it arrived in a
 * `VM_PKT.COMP` packet (only SUBCHANNEL reads differently: status instead of op). Never trusts
 * the peer: a message shorter than its type needs, an unknown type, a receive-buffer completion
 * with other than one section, or a range outside `bytes` is refused.
 *
 * @throws `BypassError` `ERR_PARSE` with what was wrong (callers count it and drop the message).
 * @example
 * ```ts
 * const m = decodeNvsp(pkt.data, 0, pkt.length);
 * if (m.type === NVSP_MSG.SEND_VF_ASSOCIATION) console.log(m.allocated, m.serial);
 * ```
 */
export function decodeNvsp(
  bytes: Uint8Array,
  off: number,
  len: number,
  completion = false,
): NvspMessage {
  if (!(
    Number.isInteger(off) &&
    Number.isInteger(len) &&
    off >= 0 &&
    len >= 0 &&
    off + len <= bytes.length
  )) {
    throw new BypassError(
      'ERR_PARSE',
      `NVSP message range ${off}+${len} is outside the ${bytes.length}-byte buffer`,
    );
  }
  const type = nvspType(bytes, off, len);
  if (type < 0) throw new BypassError('ERR_PARSE', `NVSP message of ${len} bytes has no header`);
  const need = MIN_LEN[type];
  if (need === undefined) throw new BypassError('ERR_PARSE', `unknown NVSP message type ${type}`);
  if (len < need) {
    throw new BypassError('ERR_PARSE', `NVSP message type ${type} needs ${need} bytes, got ${len}`);
  }
  const a = u32(bytes, off + 4);
  const b = len >= 12 ? u32(bytes, off + 8) : 0;
  const c = len >= 16 ? u32(bytes, off + 12) : 0;
  switch (type) {
    case NVSP_MSG.INIT:
      return { type, minVersion: a, maxVersion: b };
    case NVSP_MSG.INIT_COMPLETE:
      return { type, version: a, maxMdlChainLength: b, status: c };
    case NVSP_MSG.SEND_NDIS_VER:
      return { type, ndisMajor: a, ndisMinor: b };
    case NVSP_MSG.SEND_RECV_BUF:
    case NVSP_MSG.SEND_SEND_BUF:
      return { type, gpadl: a, id: u16(bytes, off + 8) };
    case NVSP_MSG.SEND_RECV_BUF_COMPLETE:
      if (b !== 1)
        throw new BypassError(
          'ERR_PARSE',
          `receive buffer completion with ${b} sections (1 expected)`,
        );
      return {
        type,
        status: a,
        sectionOffset: c,
        subAllocSize: u32(bytes, off + 16),
        numSubAllocs: u32(bytes, off + 20),
        endOffset: u32(bytes, off + 24),
      };
    case NVSP_MSG.REVOKE_RECV_BUF:
    case NVSP_MSG.REVOKE_SEND_BUF:
      return { type, id: u16(bytes, off + 4) };
    case NVSP_MSG.SEND_SEND_BUF_COMPLETE:
      return { type, status: a, sectionSize: b };
    case NVSP_MSG.SEND_RNDIS_PKT:
      return { type, channelType: a, sectionIndex: b, sectionSize: c };
    case NVSP_MSG.SEND_RNDIS_PKT_COMPLETE:
      return { type, status: a };
    case NVSP_MSG.SEND_NDIS_CONFIG:
      return { type, mtu: a, capabilities: c };
    case NVSP_MSG.SEND_VF_ASSOCIATION:
      return { type, allocated: a !== 0, serial: b };
    case NVSP_MSG.SWITCH_DATA_PATH:
      return { type, datapath: a };
    default:
      return completion
        ? { type: NVSP_MSG.SUBCHANNEL, status: a, count: b }
        : { type: NVSP_MSG.SUBCHANNEL, op: a, count: b };
  }
}

function u32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0
  );
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] as number) | ((b[o + 1] as number) << 8);
}
