import { BypassError, MacAddress } from '@bypass/core';

/**
 * Bits of the virtio-net config `status` field (`include/uapi/linux/virtio_net.h`).
 *
 * @example
 * ```ts
 * const up = (config.status & VIRTIO_NET_S.LINK_UP) !== 0;
 * ```
 */
export const VIRTIO_NET_S = {
  /** The link is up. */
  LINK_UP: 1,
  /** The device asks the driver to announce itself (gratuitous ARP), then ack. */
  ANNOUNCE: 2,
} as const;

/**
 * Byte offsets of `struct virtio_net_config` (virtio spec 5.1.4; little-endian in 1.x).
 *
 * @example
 * ```ts
 * view.getUint16(VIRTIO_NET_CONFIG_OFFSET.MTU, true);
 * ```
 */
export const VIRTIO_NET_CONFIG_OFFSET = {
  MAC: 0,
  STATUS: 6,
  MAX_VIRTQUEUE_PAIRS: 8,
  MTU: 10,
  SPEED: 12,
  DUPLEX: 16,
  RSS_MAX_KEY_SIZE: 17,
  RSS_MAX_INDIRECTION_TABLE_LENGTH: 18,
  SUPPORTED_HASH_TYPES: 20,
  /** Size of the structure. */
  SIZE: 24,
} as const;

const O = VIRTIO_NET_CONFIG_OFFSET;

/**
 * The device configuration space of a virtio-net device, as bytes laid out like
 * `struct virtio_net_config` (little-endian, virtio 1.x). The device writes it; the driver reads
 * it. Every write bumps {@link VirtioNetConfig.generation} (the spec's `config_generation`), so a
 * reader can tell whether a multi-field read was torn.
 *
 * @example
 * ```ts
 * const cfg = new VirtioNetConfig();
 * cfg.mac = MacAddress.parse('52:54:00:12:34:56');
 * cfg.status = VIRTIO_NET_S.LINK_UP;
 * cfg.maxVirtqueuePairs = 4;
 * cfg.bytes[6]; // 1: status, low byte first
 * ```
 */
export class VirtioNetConfig {
  /** The raw config space. */
  readonly bytes = new Uint8Array(O.SIZE);
  private readonly view = new DataView(this.bytes.buffer);
  /** Incremented on every device-side change (`config_generation`). */
  generation = 0;

  /** `mac`. */
  get mac(): MacAddress {
    return MacAddress.fromBytes(this.bytes, O.MAC);
  }
  set mac(mac: MacAddress) {
    mac.writeTo(this.bytes, O.MAC);
    this.generation++;
  }

  /** `status`: {@link VIRTIO_NET_S} bits. */
  get status(): number {
    return this.view.getUint16(O.STATUS, true);
  }
  set status(v: number) {
    this.view.setUint16(O.STATUS, v, true);
    this.generation++;
  }

  /** `max_virtqueue_pairs` (meaningful with MQ). */
  get maxVirtqueuePairs(): number {
    return this.view.getUint16(O.MAX_VIRTQUEUE_PAIRS, true);
  }
  set maxVirtqueuePairs(v: number) {
    this.view.setUint16(O.MAX_VIRTQUEUE_PAIRS, v, true);
    this.generation++;
  }

  /** `mtu` (meaningful with MTU). */
  get mtu(): number {
    return this.view.getUint16(O.MTU, true);
  }
  set mtu(v: number) {
    this.view.setUint16(O.MTU, v, true);
    this.generation++;
  }

  /** `speed` in Mb/s (meaningful with SPEED_DUPLEX; 0xffffffff = unknown). */
  get speed(): number {
    return this.view.getUint32(O.SPEED, true);
  }
  set speed(v: number) {
    this.view.setUint32(O.SPEED, v, true);
    this.generation++;
  }

  /** `duplex` (1 full, 0 half, 0xff unknown). */
  get duplex(): number {
    return this.view.getUint8(O.DUPLEX);
  }
  set duplex(v: number) {
    this.view.setUint8(O.DUPLEX, v);
    this.generation++;
  }

  /**
   * Reads `size` (1, 2 or 4) little-endian bytes at `offset`, as a driver's config access does.
   *
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for an access outside the config space or
   * of another size.
   */
  read(offset: number, size: 1 | 2 | 4): number {
    if (!(Number.isInteger(offset) && offset >= 0 && offset + size <= O.SIZE)) {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `config read of ${size} bytes at ${offset} is outside the ${O.SIZE}-byte virtio-net config space`,
      );
    }
    if (size === 1) return this.view.getUint8(offset);
    if (size === 2) return this.view.getUint16(offset, true);
    if (size === 4) return this.view.getUint32(offset, true);
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `config reads are 1, 2 or 4 bytes, not ${String(size)}`,
    );
  }
}
