/**
 * Length of `struct virtio_net_hdr_v1` (virtio spec 5.1.6; `include/uapi/linux/virtio_net.h`):
 * every frame on a virtio-net queue is preceded by it in virtio 1.x.
 *
 * @example
 * ```ts
 * const frameLen = usedLen - VIRTIO_NET_HDR_LEN;
 * ```
 */
export const VIRTIO_NET_HDR_LEN = 12;

/**
 * `virtio_net_hdr.flags` bits.
 *
 * @example
 * ```ts
 * if (VirtioNetHeader.flags(bytes, o) & VIRTIO_NET_HDR_F.NEEDS_CSUM) fixChecksum();
 * ```
 */
export const VIRTIO_NET_HDR_F = {
  NEEDS_CSUM: 1,
  DATA_VALID: 2,
  RSC_INFO: 4,
} as const;

/**
 * `virtio_net_hdr.gso_type` values.
 *
 * @example
 * ```ts
 * VirtioNetHeader.gsoType(bytes, o) === VIRTIO_NET_HDR_GSO.NONE;
 * ```
 */
export const VIRTIO_NET_HDR_GSO = {
  NONE: 0,
  TCPV4: 1,
  UDP: 3,
  TCPV6: 4,
  UDP_L4: 5,
  ECN: 0x80,
} as const;

/**
 * Reads and writes the 12-byte little-endian `virtio_net_hdr_v1` at a byte offset
 * (`flags u8, gso_type u8, hdr_len le16, gso_size le16, csum_start le16, csum_offset le16,
 * num_buffers le16`). The callers check that the 12 bytes are inside the buffer.
 *
 * @example
 * ```ts
 * VirtioNetHeader.writeEmpty(pool.bytes, addr, 1); // no offloads, one buffer
 * VirtioNetHeader.gsoType(pool.bytes, addr);       // 0
 * VirtioNetHeader.numBuffers(pool.bytes, addr);    // 1
 * ```
 */
export const VirtioNetHeader = {
  /** Offset of `num_buffers` inside the header. */
  NUM_BUFFERS_OFFSET: 10,

  /** Writes a header without offloads (all zero) and the given `num_buffers`. */
  writeEmpty(bytes: Uint8Array, o: number, numBuffers = 0): void {
    // Ten stores, not `fill`: the builtin call costs more than the bytes it writes.
    bytes[o] = 0;
    bytes[o + 1] = 0;
    bytes[o + 2] = 0;
    bytes[o + 3] = 0;
    bytes[o + 4] = 0;
    bytes[o + 5] = 0;
    bytes[o + 6] = 0;
    bytes[o + 7] = 0;
    bytes[o + 8] = 0;
    bytes[o + 9] = 0;
    bytes[o + 10] = numBuffers & 0xff;
    bytes[o + 11] = (numBuffers >>> 8) & 0xff;
  },

  /** `flags`. */
  flags(bytes: Uint8Array, o: number): number {
    return bytes[o] ?? 0;
  },

  /** `gso_type`. */
  gsoType(bytes: Uint8Array, o: number): number {
    return bytes[o + 1] ?? 0;
  },

  /** `gso_size`. */
  gsoSize(bytes: Uint8Array, o: number): number {
    return (bytes[o + 4] ?? 0) | ((bytes[o + 5] ?? 0) << 8);
  },

  /**
   * Whether the receive path takes a frame with this header (`include/linux/virtio_net.h`
   * `virtio_net_hdr_to_skb`, v6.2+): `gso_type` NONE, or TCPV4 / TCPV6 / UDP / UDP_L4 (with or
   * without the ECN bit) and a non-zero `gso_size`, whatever offloads were negotiated; with
   * NEEDS_CSUM, `csum_start` plus the larger of the transport header and `csum_offset + 2` must
   * lie inside the `frameLen` bytes after the header. Not modelled: the flow-dissector check that
   * the frame really carries the protocol a GSO type names.
   */
  acceptableOnRx(bytes: Uint8Array, o: number, frameLen: number): boolean {
    const gso = bytes[o + 1] ?? 0;
    let thlen = 0;
    if (gso !== VIRTIO_NET_HDR_GSO.NONE) {
      const kind = gso & ~VIRTIO_NET_HDR_GSO.ECN;
      if (kind === VIRTIO_NET_HDR_GSO.TCPV4 || kind === VIRTIO_NET_HDR_GSO.TCPV6) thlen = 20;
      else if (kind === VIRTIO_NET_HDR_GSO.UDP || kind === VIRTIO_NET_HDR_GSO.UDP_L4) thlen = 8;
      else return false;
      if (((bytes[o + 4] ?? 0) | ((bytes[o + 5] ?? 0) << 8)) === 0) return false;
    }
    if (((bytes[o] ?? 0) & VIRTIO_NET_HDR_F.NEEDS_CSUM) !== 0) {
      const start = (bytes[o + 6] ?? 0) | ((bytes[o + 7] ?? 0) << 8);
      const off = (bytes[o + 8] ?? 0) | ((bytes[o + 9] ?? 0) << 8);
      if (start + (thlen > off + 2 ? thlen : off + 2) > frameLen) return false;
    }
    return true;
  },

  /** `num_buffers`. */
  numBuffers(bytes: Uint8Array, o: number): number {
    return (bytes[o + 10] ?? 0) | ((bytes[o + 11] ?? 0) << 8);
  },
} as const;
