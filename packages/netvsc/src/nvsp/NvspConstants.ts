/**
 * NVSP message types (Linux `drivers/net/hyperv/hyperv_net.h`), with their real numbers.
 *
 * @example
 * ```ts
 * NVSP_MSG.SWITCH_DATA_PATH;     // 129
 * NVSP_MSG.SEND_VF_ASSOCIATION;  // 128
 * ```
 */
export const NVSP_MSG = {
  NONE: 0,
  INIT: 1,
  INIT_COMPLETE: 2,
  SEND_NDIS_VER: 100,
  SEND_RECV_BUF: 101,
  SEND_RECV_BUF_COMPLETE: 102,
  REVOKE_RECV_BUF: 103,
  SEND_SEND_BUF: 104,
  SEND_SEND_BUF_COMPLETE: 105,
  REVOKE_SEND_BUF: 106,
  SEND_RNDIS_PKT: 107,
  SEND_RNDIS_PKT_COMPLETE: 108,
  SEND_NDIS_CONFIG: 125,
  SEND_VF_ASSOCIATION: 128,
  SWITCH_DATA_PATH: 129,
  UPLINK_CONNECT_STATE_DEPRECATED: 130,
  OID_QUERY_EX: 131,
  OID_QUERY_EX_COMP: 132,
  SUBCHANNEL: 133,
  SEND_INDIRECTION_TABLE: 134,
} as const;

/**
 * NVSP protocol versions (hyperv_net.h NVSP_PROTOCOL_VERSION_*).
 *
 * @example
 * ```ts
 * if (negotiated >= NVSP_VERSION.V4) console.log('VF association and datapath switch available');
 * ```
 */
export const NVSP_VERSION = {
  V1: 0x2,
  V2: 0x30002,
  V4: 0x40000,
  V5: 0x50000,
  V6: 0x60000,
  V61: 0x60001,
} as const;

/**
 * The versions a guest offers, newest first (Linux `netvsc.c` netvsc_connect_vsp tries each in
 * this order until the host accepts one).
 *
 * @example
 * ```ts
 * for (const v of NVSP_VERSIONS) if (host.accepts(v)) return v;
 * ```
 */
export const NVSP_VERSIONS: readonly number[] = [
  NVSP_VERSION.V61,
  NVSP_VERSION.V6,
  NVSP_VERSION.V5,
  NVSP_VERSION.V4,
  NVSP_VERSION.V2,
  NVSP_VERSION.V1,
];

/**
 * NVSP status codes (hyperv_net.h `NVSP_STAT_*`).
 *
 * @example
 * ```ts
 * if (msg.status !== NVSP_STATUS.SUCCESS) fail();
 * ```
 */
export const NVSP_STATUS = {
  NONE: 0,
  SUCCESS: 1,
  FAIL: 2,
  PROTOCOL_TOO_NEW: 3,
  PROTOCOL_TOO_OLD: 4,
  INVALID_RNDIS_PKT: 5,
  BUSY: 6,
  PROTOCOL_UNSUPPORTED: 7,
} as const;

/**
 * The datapath values of NVSP SWITCH_DATA_PATH (hyperv_net.h enum nvsp_vm_datapath).
 *
 * @example
 * ```ts
 * encodeNvsp({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: NVSP_DATAPATH.VF }, buf, 0);
 * ```
 */
export const NVSP_DATAPATH = {
  SYNTHETIC: 0,
  VF: 1,
} as const;

/**
 * NVSP capability bits of SEND_NDIS_CONFIG (hyperv_net.h struct nvsp_2_vsc_capability).
 *
 * @example
 * ```ts
 * const caps = NVSP_CAP.IEEE8021Q | NVSP_CAP.SRIOV | NVSP_CAP.TEAMING;
 * ```
 */
export const NVSP_CAP = {
  VMQ: 1,
  CHIMNEY: 2,
  SRIOV: 4,
  IEEE8021Q: 8,
  CORRELATION_ID: 16,
  TEAMING: 32,
  VSUBNETID: 64,
  RSC: 128,
} as const;

/**
 * Bytes of `struct nvsp_message` (a 4-byte header and the largest union member, 36 bytes).
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(NVSP_MESSAGE_SIZE);
 * ```
 */
export const NVSP_MESSAGE_SIZE = 40;

/**
 * `send_buf_section_index` meaning "no send-buffer section used" (NETVSC_INVALID_INDEX): the
 * RNDIS message follows the NVSP message inline.
 *
 * @example
 * ```ts
 * if (msg.sectionIndex === NVSP_INVALID_SECTION) readInline();
 * ```
 */
export const NVSP_INVALID_SECTION = 0xffffffff;

/**
 * RNDIS channel types of SEND_RNDIS_PKT: data (0) and control (1).
 *
 * @example
 * ```ts
 * const isControl = msg.channelType === NVSP_RNDIS_CHANNEL.CONTROL;
 * ```
 */
export const NVSP_RNDIS_CHANNEL = { DATA: 0, CONTROL: 1 } as const;

/**
 * Default send/receive buffer and section sizes (hyperv_net.h NETVSC_*).
 *
 * @example
 * ```ts
 * const sections = NETVSC_BUFFERS.SEND_BUFFER_DEFAULT / NETVSC_BUFFERS.SEND_SECTION_SIZE;
 * ```
 */
export const NETVSC_BUFFERS = {
  SEND_SECTION_SIZE: 6144,
  RECV_SECTION_SIZE: 1728,
  SEND_BUFFER_DEFAULT: 1024 * 1024,
  RECV_BUFFER_DEFAULT: 16 * 1024 * 1024,
  RECV_BUFFER_ID: 0xcafe,
  SEND_BUFFER_ID: 0,
} as const;

/**
 * How netvsc retries an operation that waits on the host (`hyperv_net.h` RETRY_MAX,
 * RETRY_US_LO, RETRY_US_HI): up to 2000 tries, 5 to 10 ms apart (a switch of the datapath on a
 * full ring, `netvsc_drv.c` netvsc_wait_until_empty).
 *
 * @example
 * ```ts
 * scheduler.runAfter(random.range(NETVSC_RETRY.LO_NS, NETVSC_RETRY.HI_NS), tryAgain);
 * ```
 */
export const NETVSC_RETRY = {
  MAX: 2000,
  LO_NS: 5_000_000,
  HI_NS: 10_000_000,
} as const;

/**
 * The free share of a channel's outbound ring, in percent, below which a send stops its TX queue,
 * and above which a send completion wakes it (`netvsc.c` RING_AVAIL_PERCENT_LOWATER and
 * RING_AVAIL_PERCENT_HIWATER).
 *
 * @example
 * ```ts
 * if (client.ringAvailPercent(q) > NETVSC_RING_AVAIL.HIWATER) wake(q);
 * ```
 */
export const NETVSC_RING_AVAIL = {
  LOWATER: 10,
  HIWATER: 20,
} as const;
