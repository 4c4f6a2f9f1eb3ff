/**
 * Why a frame was dropped: a small integer, like Linux's `enum skb_drop_reason`
 * (`include/net/dropreason-core.h`), so that the data plane passes it without allocating.
 * Every drop goes through {@link PacketPool.drop} with one of these, which makes the
 * "no frame lost without a named counter" rule checkable.
 *
 * Names are stable strings (they appear in reports as `drops` counters). Packages add their
 * own with {@link defineDropReason}.
 *
 * @example
 * ```ts
 * pool.drop(pkts, 0, n, DropReason.NO_PATH);
 * dropReasonName(DropReason.NO_PATH); // 'no-path-ready'
 * ```
 */
export const DropReason = {
  /** Neither the active nor the backup path was ready (net_failover's drop_xmit). */
  NO_PATH: 0,
  /** Sent on a device that is not up. */
  DEV_DOWN: 1,
  /** Sent on a device without carrier. */
  NO_CARRIER: 2,
  /** Frames that were in a VF's rings when it was hot-unplugged. */
  VF_RING_FLUSHED: 3,
  /** Delivered to a device that nobody listens on (rx_nohandler). */
  RX_NOHANDLER: 4,
  /** A ring or queue had no room. */
  RING_FULL: 5,
  /** Larger than the device's MTU. */
  MTU_EXCEEDED: 6,
  /** A malformed frame or descriptor. */
  MALFORMED: 7,
  /** Refused by a MAC filter. */
  MAC_FILTER_MISS: 8,
  /** The device (or its VM) is gone or paused. */
  NO_DEVICE: 9,
  /** A frame that has been freed by an application without being sent or consumed. */
  APP_DISCARD: 10,
  /** No free pool slot to put the frame in (a device could not copy it in, a sender none to fill). */
  POOL_EXHAUSTED: 11,
} as const;

/**
 * The integer type of a drop reason.
 *
 * @example
 * ```ts
 * const r: DropReasonCode = DropReason.RING_FULL;
 * ```
 */
export type DropReasonCode = number;

const names: string[] = [
  'no-path-ready',
  'dev-down',
  'no-carrier',
  'vf-ring-flushed',
  'rx-nohandler',
  'ring-full',
  'mtu-exceeded',
  'malformed',
  'mac-filter-miss',
  'no-device',
  'app-discard',
  'pool-exhausted',
];

/**
 * Registers a new drop reason name (or returns the existing code of that name).
 *
 * @param name - stable kebab-case name, as it should appear in reports
 * @example
 * ```ts
 * const VM_PAUSED = defineDropReason('vm-paused');
 * ```
 */
export function defineDropReason(name: string): DropReasonCode {
  const i = names.indexOf(name);
  if (i >= 0) return i;
  names.push(name);
  return names.length - 1;
}

/**
 * The stable name of a drop reason code (`'unknown-<n>'` for a code never defined).
 *
 * @example
 * ```ts
 * dropReasonName(DropReason.VF_RING_FLUSHED); // 'vf-ring-flushed'
 * ```
 */
export function dropReasonName(code: DropReasonCode): string {
  return names[code] ?? `unknown-${code}`;
}

/**
 * Every drop reason defined so far, code order.
 *
 * @example
 * ```ts
 * for (const [code, name] of dropReasonNames().entries()) console.log(code, name);
 * ```
 */
export function dropReasonNames(): readonly string[] {
  return names;
}
