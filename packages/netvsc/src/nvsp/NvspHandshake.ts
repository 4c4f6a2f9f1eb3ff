import { MacAddress } from '@bypass/core';
import { RNDIS_MSG, RNDIS_OID, RNDIS_STATUS } from '../rndis/RndisConstants.js';
import type { NvspClient } from './NvspClient.js';
import type { NvspMessage } from './NvspMessage.js';
import {
  NVSP_CAP,
  NETVSC_BUFFERS,
  NVSP_MSG,
  NVSP_STATUS,
  NVSP_VERSION,
  NVSP_VERSIONS,
} from './NvspConstants.js';

/**
 * What the guest learnt while connecting ({@link NvspClient.connect}).
 *
 * @example
 * ```ts
 * client.connect({ mtu: 1500, channels: 16 }, (r: NvspConnectResult) => console.log(r.version.toString(16), r.mac));
 * ```
 */
export interface NvspConnectResult {
  /** The negotiated NVSP version, or 0 when connecting failed. */
  version: number;
  /** The permanent MAC the host reported (48-bit integer), or -1. */
  mac: number;
  /** Link state the host reported (OID_GEN_MEDIA_CONNECT_STATUS). */
  linkUp: boolean;
  /** Link speed the host reported (OID_GEN_LINK_SPEED, asked only with `linkSpeed`), Mb/s; 0 unknown. */
  speedMbps: number;
  /** Channels in use (primary + subchannels). */
  channels: number;
  /** Send section size granted by the host. */
  sendSectionSize: number;
  /** Why connecting failed ('' on success). */
  error: string;
}

/**
 * The capabilities a guest announces in NDIS config at NVSP version `version` (`netvsc.c`
 * negotiate_nvsp_ver): 802.1Q always, SR-IOV and teaming from NVSP 5, RSC from 6.1.
 *
 * @example
 * ```ts
 * nvspCapabilities(NVSP_VERSION.V4) === NVSP_CAP.IEEE8021Q; // true
 * ```
 */
export function nvspCapabilities(version: number): number {
  let caps = NVSP_CAP.IEEE8021Q;
  if (version >= NVSP_VERSION.V5) caps |= NVSP_CAP.SRIOV | NVSP_CAP.TEAMING;
  if (version >= NVSP_VERSION.V61) caps |= NVSP_CAP.RSC;
  return caps;
}

/**
 * The capabilities DPDK's netvsc PMD announces in NDIS config at NVSP version `version`
 * (`hn_nvs.c` hn_nvs_conf_ndis): 802.1Q always, SR-IOV from NVSP 5; never teaming or RSC.
 *
 * @example
 * ```ts
 * hnNvsCapabilities(NVSP_VERSION.V61) === (NVSP_CAP.IEEE8021Q | NVSP_CAP.SRIOV); // true
 * ```
 */
export function hnNvsCapabilities(version: number): number {
  let caps = NVSP_CAP.IEEE8021Q;
  if (version >= NVSP_VERSION.V5) caps |= NVSP_CAP.SRIOV;
  return caps;
}

/**
 * What {@link nvspHandshake} is asked for: the MTU, the channels wanted, whether to query the
 * link speed (the kernel driver does), and the NDIS config capabilities by NVSP version
 * (default {@link nvspCapabilities}, Linux's; the PMD passes {@link hnNvsCapabilities}).
 *
 * @example
 * ```ts
 * const o: NvspConnectOptions = { mtu: 1500, channels: 8, capabilities: hnNvsCapabilities };
 * ```
 */
export interface NvspConnectOptions {
  mtu: number;
  channels: number;
  linkSpeed?: boolean;
  capabilities?: (version: number) => number;
}

/**
 * The guest's bring-up of a netvsc channel, as Linux does it before registering the netdev
 * (`netvsc.c` netvsc_connect_vsp and negotiate_nvsp_ver, `rndis_filter.c`
 * rndis_filter_device_add and rndis_set_subchannel): NVSP INIT with each version from 6.1 down
 * to 1 until the host accepts one; from NVSP 2 the NDIS config (MTU + 14, 802.1Q; SR-IOV and
 * teaming from 5, RSC from 6.1); the NDIS version (6.30 above NVSP 4, else 6.1); the receive
 * buffer (id 0xcafe) and the send buffer; RNDIS INITIALIZE; the permanent address and media
 * status queries; with `linkSpeed`, from NVSP 5, the link speed query (the kernel driver asks,
 * the DPDK PMD reads it later); from NVSP 5 the subchannel request (a refusal just leaves one channel).
 * Every step waits for its completion through the scheduler; `done` is called once.
 *
 * @example
 * ```ts
 * nvspHandshake(client, { mtu: 1500, channels: 16 }, (r) => {
 *   if (r.error) console.error(r.error);
 *   else console.log(`NVSP ${r.version.toString(16)}, ${r.channels} channels`);
 * });
 * ```
 */
export function nvspHandshake(
  client: NvspClient,
  opts: NvspConnectOptions,
  done: (r: NvspConnectResult) => void,
): void {
  const result: NvspConnectResult = {
    version: 0,
    mac: -1,
    linkUp: false,
    speedMbps: 0,
    channels: 1,
    sendSectionSize: 0,
    error: '',
  };
  const fail = (why: string): void => {
    result.error = why;
    done(result);
  };
  // A ring that is full or corrupt during the bring-up fails it rather than waiting forever.
  const request = (msg: NvspMessage, onDone: (m: NvspMessage | null) => void): void => {
    const r = client.request(msg, onDone);
    if (r === 'full' || r === 'corrupt') fail(`the VMBus ring was ${r} during the bring-up`);
  };
  const tryVersion = (i: number): void => {
    const v = NVSP_VERSIONS[i];
    if (v === undefined) return fail('the host accepted no NVSP version');
    request({ type: NVSP_MSG.INIT, minVersion: v, maxVersion: v }, (m) => {
      if (m === null) return fail('channel closed during NVSP init');
      if (m.type !== NVSP_MSG.INIT_COMPLETE || m.status !== NVSP_STATUS.SUCCESS)
        return tryVersion(i + 1);
      client.version = result.version = v;
      afterInit();
    });
  };
  const afterInit = (): void => {
    const v = client.version;
    if (v >= NVSP_VERSION.V2) {
      client.post({
        type: NVSP_MSG.SEND_NDIS_CONFIG,
        mtu: opts.mtu + 14,
        capabilities: (opts.capabilities ?? nvspCapabilities)(v),
      });
    }
    client.post({
      type: NVSP_MSG.SEND_NDIS_VER,
      ndisMajor: 6,
      ndisMinor: v > NVSP_VERSION.V4 ? 30 : 1,
    });
    request({ type: NVSP_MSG.SEND_RECV_BUF, gpadl: 1, id: NETVSC_BUFFERS.RECV_BUFFER_ID }, (m) => {
      if (m?.type !== NVSP_MSG.SEND_RECV_BUF_COMPLETE || m.status !== NVSP_STATUS.SUCCESS)
        return fail('the host refused the receive buffer');
      request(
        { type: NVSP_MSG.SEND_SEND_BUF, gpadl: 2, id: NETVSC_BUFFERS.SEND_BUFFER_ID },
        (s) => {
          if (
            s?.type !== NVSP_MSG.SEND_SEND_BUF_COMPLETE ||
            s.status !== NVSP_STATUS.SUCCESS ||
            s.sectionSize === 0
          )
            return fail('the host refused the send buffer');
          result.sendSectionSize = s.sectionSize;
          rndisInit();
        },
      );
    });
  };
  const rndisInit = (): void => {
    client.rndisRequest(
      { kind: RNDIS_MSG.INIT, requestId: 0, major: 1, minor: 0, maxTransferSize: 0x4000 },
      (m) => {
        if (m?.kind !== RNDIS_MSG.INIT_C || m.status !== RNDIS_STATUS.SUCCESS)
          return fail('RNDIS initialize failed');
        client.rndisRequest(
          {
            kind: RNDIS_MSG.QUERY,
            requestId: 0,
            oid: RNDIS_OID.PERMANENT_ADDRESS,
            info: new Uint8Array(0),
          },
          (q) => {
            if (
              q?.kind !== RNDIS_MSG.QUERY_C ||
              q.status !== RNDIS_STATUS.SUCCESS ||
              q.info.length < 6
            )
              return fail('the host did not report a MAC address');
            result.mac = MacAddress.fromBytes(q.info, 0).value;
            client.rndisRequest(
              {
                kind: RNDIS_MSG.QUERY,
                requestId: 0,
                oid: RNDIS_OID.MEDIA_CONNECT_STATUS,
                info: new Uint8Array(0),
              },
              (l) => {
                result.linkUp =
                  l?.kind === RNDIS_MSG.QUERY_C && l.info.length >= 4 && l.info[0] === 0;
                linkSpeed();
              },
            );
          },
        );
      },
    );
  };
  // rndis_filter.c rndis_filter_device_add: from NVSP 5, rndis_filter_query_link_speed (the host
  // answers in 100 b/s units); a failed query leaves the speed unknown.
  const linkSpeed = (): void => {
    if (opts.linkSpeed !== true || client.version < NVSP_VERSION.V5) return subchannels();
    client.rndisRequest(
      { kind: RNDIS_MSG.QUERY, requestId: 0, oid: RNDIS_OID.LINK_SPEED, info: new Uint8Array(0) },
      (q) => {
        if (
          q?.kind === RNDIS_MSG.QUERY_C &&
          q.status === RNDIS_STATUS.SUCCESS &&
          q.info.length >= 4
        )
          result.speedMbps = Math.floor(
            new DataView(q.info.buffer, q.info.byteOffset).getUint32(0, true) / 10000,
          );
        subchannels();
      },
    );
  };
  const subchannels = (): void => {
    const want = Math.max(1, Math.min(64, Math.floor(opts.channels)));
    if (client.version < NVSP_VERSION.V5 || want === 1) return done(result);
    request({ type: NVSP_MSG.SUBCHANNEL, op: 1, count: want - 1 }, (m) => {
      // rndis_filter.c rndis_set_subchannel: if unavailable, just proceed with one queue.
      if (m?.type === NVSP_MSG.SUBCHANNEL && 'status' in m && m.status === NVSP_STATUS.SUCCESS) {
        client.useSubchannels(Math.min(m.count, want - 1));
      }
      result.channels = client.endpoints.length;
      done(result);
    });
  };
  tryVersion(0);
}
