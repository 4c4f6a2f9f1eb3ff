import test from 'ava';
import { MacAddress } from '@bypass/core';
import { RNDIS_MSG, RNDIS_OID, RNDIS_STATUS, rndisReply } from '../../src/kernel/exports.js';

const state = { mac: MacAddress.parse('00:15:5d:12:34:56'), linkUp: false };
const q = (oid: number) =>
  rndisReply({ kind: RNDIS_MSG.QUERY, requestId: 4, oid, info: new Uint8Array(0) }, state);

test('the host answers address and media queries, and refuses unknown OIDs as not supported', (t) => {
  t.deepEqual(q(RNDIS_OID.PERMANENT_ADDRESS), {
    kind: RNDIS_MSG.QUERY_C,
    requestId: 4,
    status: RNDIS_STATUS.SUCCESS,
    info: Uint8Array.of(0, 0x15, 0x5d, 0x12, 0x34, 0x56),
  });
  t.deepEqual(q(RNDIS_OID.MEDIA_CONNECT_STATUS), {
    kind: RNDIS_MSG.QUERY_C,
    requestId: 4,
    status: RNDIS_STATUS.SUCCESS,
    info: Uint8Array.of(1, 0, 0, 0),
  });
  const unknown = q(0x12345678);
  t.is(unknown?.kind, RNDIS_MSG.QUERY_C);
  t.is(unknown !== null && 'status' in unknown ? unknown.status : -1, RNDIS_STATUS.NOT_SUPPORTED);
});

test('the host initializes RNDIS 1.0 and sends nothing back for HALT', (t) => {
  const r = rndisReply(
    { kind: RNDIS_MSG.INIT, requestId: 1, major: 1, minor: 0, maxTransferSize: 0x4000 },
    state,
  );
  t.is(r?.kind, RNDIS_MSG.INIT_C);
  t.is(r !== null && r.kind === RNDIS_MSG.INIT_C ? r.maxPacketsPerMessage : 0, 8);
  t.is(rndisReply({ kind: RNDIS_MSG.HALT, requestId: 2 }, state), null);
  t.deepEqual(rndisReply({ kind: RNDIS_MSG.KEEPALIVE, requestId: 3 }, state), {
    kind: RNDIS_MSG.KEEPALIVE_C,
    requestId: 3,
    status: RNDIS_STATUS.SUCCESS,
  });
});
