/**
 * The device status byte (`include/uapi/linux/virtio_config.h`, virtio spec 2.1).
 * A driver walks it ACKNOWLEDGE, DRIVER, (features) FEATURES_OK, DRIVER_OK; writing 0 resets.
 * NEEDS_RESET is set by the device; FAILED by the driver when it gives up.
 *
 * @example
 * ```ts
 * transport.setStatus(transport.getStatus() | VIRTIO_STATUS.ACKNOWLEDGE);
 * ```
 */
export const VIRTIO_STATUS = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

const ORDER: readonly [number, number, string][] = [
  [VIRTIO_STATUS.DRIVER, VIRTIO_STATUS.ACKNOWLEDGE, 'DRIVER needs ACKNOWLEDGE'],
  [VIRTIO_STATUS.FEATURES_OK, VIRTIO_STATUS.DRIVER, 'FEATURES_OK needs DRIVER'],
  [VIRTIO_STATUS.DRIVER_OK, VIRTIO_STATUS.FEATURES_OK, 'DRIVER_OK needs FEATURES_OK'],
];

/**
 * Checks a status write by the driver against the current status (virtio spec 3.1.1: bits are
 * set in order and never cleared except by a reset, a write of 0). NEEDS_RESET belongs to the
 * device and is ignored in the comparison. Returns what is wrong, or null.
 *
 * @example
 * ```ts
 * statusTransitionError(0, VIRTIO_STATUS.DRIVER); // 'DRIVER needs ACKNOWLEDGE'
 * statusTransitionError(VIRTIO_STATUS.ACKNOWLEDGE, 0); // null (reset)
 * ```
 */
export function statusTransitionError(current: number, next: number): string | null {
  if (!Number.isInteger(next) || next < 0 || next > 0xff) return `status ${next} is not a byte`;
  if (next === 0) return null;
  const cur = current & ~VIRTIO_STATUS.NEEDS_RESET;
  const nxt = next & ~VIRTIO_STATUS.NEEDS_RESET;
  if ((cur & ~nxt) !== 0) {
    return `status bits ${describeStatus(cur & ~nxt)} cannot be cleared except by a reset (write 0)`;
  }
  for (const [bit, needs, msg] of ORDER) {
    if ((nxt & bit) !== 0 && (nxt & needs) === 0) return msg;
  }
  return null;
}

/**
 * The status byte as `ACKNOWLEDGE|DRIVER|...` (`RESET` for 0).
 *
 * @example
 * ```ts
 * describeStatus(0x0f); // 'ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK'
 * ```
 */
export function describeStatus(status: number): string {
  if (status === 0) return 'RESET';
  const parts: string[] = [];
  for (const [name, bit] of Object.entries(VIRTIO_STATUS))
    if ((status & bit) !== 0) parts.push(name);
  return parts.join('|');
}
