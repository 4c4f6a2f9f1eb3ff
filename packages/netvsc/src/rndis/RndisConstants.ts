/**
 * RNDIS message types (Linux `include/linux/rndis.h`); completions are the request type with
 * bit 31 set.
 *
 * @example
 * ```ts
 * RNDIS_MSG.INIT_C === (RNDIS_MSG.INIT | 0x80000000) >>> 0; // true
 * ```
 */
export const RNDIS_MSG = {
  PACKET: 1,
  INIT: 2,
  HALT: 3,
  QUERY: 4,
  SET: 5,
  RESET: 6,
  INDICATE: 7,
  KEEPALIVE: 8,
  INIT_C: 0x80000002,
  QUERY_C: 0x80000004,
  SET_C: 0x80000005,
  RESET_C: 0x80000006,
  KEEPALIVE_C: 0x80000008,
} as const;

/**
 * RNDIS status codes (Linux `include/linux/rndis.h`), including the indications netvsc acts on.
 *
 * @example
 * ```ts
 * if (m.status === RNDIS_STATUS.MEDIA_DISCONNECT) carrierOff();
 * ```
 */
export const RNDIS_STATUS = {
  SUCCESS: 0,
  MEDIA_CONNECT: 0x4001000b,
  MEDIA_DISCONNECT: 0x4001000c,
  LINK_SPEED_CHANGE: 0x40010013,
  NETWORK_CHANGE: 0x40010018,
  TASK_OFFLOAD_CURRENT_CONFIG: 0x40020006,
  FAILURE: 0xc0000001,
  INVALID_DATA: 0xc0010015,
  NOT_SUPPORTED: 0xc00000bb,
} as const;

/**
 * RNDIS object ids netvsc queries and sets (Linux `include/linux/rndis.h`).
 *
 * @example
 * ```ts
 * encodeRndis({ kind: RNDIS_MSG.QUERY, requestId: 1, oid: RNDIS_OID.PERMANENT_ADDRESS, info: new Uint8Array(0) });
 * ```
 */
export const RNDIS_OID = {
  MAXIMUM_FRAME_SIZE: 0x00010106,
  LINK_SPEED: 0x00010107,
  CURRENT_PACKET_FILTER: 0x0001010e,
  MEDIA_CONNECT_STATUS: 0x00010114,
  /** RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER: a named parameter (netvsc's MAC change). */
  CONFIG_PARAMETER: 0x0001021b,
  PERMANENT_ADDRESS: 0x01010101,
  CURRENT_ADDRESS: 0x01010102,
  MULTICAST_LIST: 0x01010103,
} as const;

/**
 * NDIS packet filter bits for CURRENT_PACKET_FILTER (hyperv_net.h NDIS_PACKET_TYPE_*).
 *
 * @example
 * ```ts
 * const filter = NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST;
 * ```
 */
export const NDIS_PACKET_TYPE = {
  DIRECTED: 0x1,
  MULTICAST: 0x2,
  ALL_MULTICAST: 0x4,
  BROADCAST: 0x8,
  PROMISCUOUS: 0x20,
} as const;

/**
 * Per-packet-info types (hyperv_net.h enum ndis_per_pkt_info_type).
 *
 * @example
 * ```ts
 * if (ppiType === RNDIS_PPI.IEEE_8021Q_INFO) readVlan();
 * ```
 */
export const RNDIS_PPI = {
  TCPIP_CHKSUM: 0,
  IEEE_8021Q_INFO: 6,
  NBL_HASH_VALUE: 8,
} as const;

/**
 * Bytes of the RNDIS message header (type, length).
 *
 * @example
 * ```ts
 * if (len < RNDIS_HEADER_SIZE) reject();
 * ```
 */
export const RNDIS_HEADER_SIZE = 8;
/**
 * Bytes of a PACKET message without per-packet info: header + `struct rndis_packet` (36).
 *
 * @example
 * ```ts
 * const total = RNDIS_PACKET_HEADER_SIZE + frameLength;
 * ```
 */
export const RNDIS_PACKET_HEADER_SIZE = 44;
/**
 * Bytes of one 802.1Q per-packet-info element (`struct rndis_per_packet_info` + u32).
 *
 * @example
 * ```ts
 * const total = RNDIS_PACKET_HEADER_SIZE + RNDIS_VLAN_PPI_SIZE + frameLength;
 * ```
 */
export const RNDIS_VLAN_PPI_SIZE = 16;
