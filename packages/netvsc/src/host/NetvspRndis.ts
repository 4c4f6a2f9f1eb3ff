import type { MacAddress } from '@bypass/core';
import { RNDIS_MSG, RNDIS_OID, RNDIS_STATUS } from '../rndis/RndisConstants.js';
import type { RndisMessage } from '../rndis/RndisMessage.js';

/**
 * The RNDIS control answers of the host (what Hyper-V's NetVSP replies to the requests Linux's
 * `rndis_filter.c` sends): INITIALIZE (RNDIS 1.0, 8 packets per message, 8-byte alignment),
 * QUERY of the permanent/current address (the current one as the guest set it, else the
 * permanent one), media connect status, maximum frame size and link speed (anything else:
 * NOT_SUPPORTED), SET (SUCCESS; the caller records the packet filter and answers the
 * configuration parameters itself), KEEPALIVE. HALT and unknown requests get no answer (null).
 *
 * @example
 * ```ts
 * const reply = rndisReply({ kind: RNDIS_MSG.QUERY, requestId: 3, oid: RNDIS_OID.PERMANENT_ADDRESS, info: new Uint8Array(0) }, { mac, linkUp: true });
 * // { kind: RNDIS_MSG.QUERY_C, requestId: 3, status: 0, info: <the 6 MAC bytes> }
 * ```
 */
export function rndisReply(
  r: RndisMessage,
  state: { readonly mac: MacAddress; readonly currentMac?: MacAddress; readonly linkUp: boolean },
): RndisMessage | null {
  switch (r.kind) {
    case RNDIS_MSG.INIT:
      return {
        kind: RNDIS_MSG.INIT_C,
        requestId: r.requestId,
        status: RNDIS_STATUS.SUCCESS,
        major: 1,
        minor: 0,
        deviceFlags: 1,
        medium: 0,
        maxPacketsPerMessage: 8,
        maxTransferSize: 0x4000,
        packetAlignment: 3,
      };
    case RNDIS_MSG.QUERY:
      return query(r.requestId, r.oid, state);
    case RNDIS_MSG.SET:
      return { kind: RNDIS_MSG.SET_C, requestId: r.requestId, status: RNDIS_STATUS.SUCCESS };
    case RNDIS_MSG.KEEPALIVE:
      return { kind: RNDIS_MSG.KEEPALIVE_C, requestId: r.requestId, status: RNDIS_STATUS.SUCCESS };
    default:
      return null;
  }
}

function query(
  requestId: number,
  oid: number,
  state: { readonly mac: MacAddress; readonly currentMac?: MacAddress; readonly linkUp: boolean },
): RndisMessage {
  const u32 = (v: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return b;
  };
  let info: Uint8Array | null = null;
  if (oid === RNDIS_OID.PERMANENT_ADDRESS || oid === RNDIS_OID.CURRENT_ADDRESS) {
    info = new Uint8Array(6);
    const mac = oid === RNDIS_OID.CURRENT_ADDRESS ? (state.currentMac ?? state.mac) : state.mac;
    mac.writeTo(info, 0);
  } else if (oid === RNDIS_OID.MEDIA_CONNECT_STATUS) info = u32(state.linkUp ? 0 : 1);
  else if (oid === RNDIS_OID.MAXIMUM_FRAME_SIZE) info = u32(1500);
  else if (oid === RNDIS_OID.LINK_SPEED) info = u32(100_000_000); // 10 Gb/s in 100 b/s units
  if (info === null)
    return {
      kind: RNDIS_MSG.QUERY_C,
      requestId,
      status: RNDIS_STATUS.NOT_SUPPORTED,
      info: new Uint8Array(0),
    };
  return { kind: RNDIS_MSG.QUERY_C, requestId, status: RNDIS_STATUS.SUCCESS, info };
}
