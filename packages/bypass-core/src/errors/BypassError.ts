/**
 * Stable error codes. A code never changes meaning once released; tools and tests match on it.
 *
 * - `ERR_MAC_MALFORMED`: a MAC address string that is not six hex octets.
 * - `ERR_MTU_RANGE`: an MTU outside the device's `[minMtu, maxMtu]`.
 * - `ERR_NAME_INVALID` / `ERR_NAME_EXISTS`: an interface name that Linux would refuse.
 * - `ERR_NOT_FOUND`: an unknown device, timer, instance or bus device.
 * - `ERR_ALREADY_REGISTERED` / `ERR_NOT_REGISTERED`: registering twice, or acting on a device
 *   that is not registered.
 * - `ERR_WRONG_NAMESPACE`: an operation or event naming a device of another namespace.
 * - `ERR_BUSY`: the slot is taken (rx handler, master link, a device that is up).
 * - `ERR_NOT_SUPPORTED`: the device refuses the operation (e.g. MAC change on a backup virtio).
 * - `ERR_INVALID_ARGUMENT`: any other argument out of its domain.
 * - `ERR_NOT_ETHERNET`: a bypass master or slave that is not an Ethernet device.
 * - `ERR_NO_DEVICE`: the device is gone (hot-unplugged, detached).
 * - `ERR_REFUSED`: a driver hook refused the operation.
 * - `ERR_VLAN_CHALLENGED`: VLANs requested on a device that cannot carry them.
 * - `ERR_PARSE`: text that could not be parsed (durations, rates, devargs...).
 * - `ERR_STATE`: the operation is not valid in the object's current state.
 * - `ERR_SCENARIO`: a scenario file that does not validate (the message names the file and path).
 *
 * @example
 * ```ts
 * const code: BypassErrorCode = 'ERR_MTU_RANGE';
 * ```
 */
export type BypassErrorCode =
  | 'ERR_MAC_MALFORMED'
  | 'ERR_MTU_RANGE'
  | 'ERR_NAME_INVALID'
  | 'ERR_NAME_EXISTS'
  | 'ERR_NOT_FOUND'
  | 'ERR_ALREADY_REGISTERED'
  | 'ERR_NOT_REGISTERED'
  | 'ERR_WRONG_NAMESPACE'
  | 'ERR_BUSY'
  | 'ERR_NOT_SUPPORTED'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NOT_ETHERNET'
  | 'ERR_NO_DEVICE'
  | 'ERR_REFUSED'
  | 'ERR_VLAN_CHALLENGED'
  | 'ERR_PARSE'
  | 'ERR_STATE'
  | 'ERR_SCENARIO';

/**
 * The one error type of the bypass packages: a stable machine-readable {@link BypassErrorCode}
 * plus a message that says what was wrong and what to do about it.
 *
 * @example
 * ```ts
 * try {
 *   MacAddress.parse('52:54:00:zz:00:01');
 * } catch (err) {
 *   if (err instanceof BypassError && err.code === 'ERR_MAC_MALFORMED') console.error(err.message);
 * }
 * ```
 */
export class BypassError extends Error {
  /** The stable error code. */
  readonly code: BypassErrorCode;

  /**
   * @param code - stable error code
   * @param message - what was wrong and what to do about it
   */
  constructor(code: BypassErrorCode, message: string) {
    super(message);
    this.name = 'BypassError';
    this.code = code;
  }
}

/**
 * Tells whether `err` is a {@link BypassError}, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isBypassError(err, 'ERR_MTU_RANGE')) console.log('pick an MTU inside the bounds');
 * ```
 */
export function isBypassError(err: unknown, code?: BypassErrorCode): err is BypassError {
  return err instanceof BypassError && (code === undefined || err.code === code);
}
