import { BypassError } from '../errors/BypassError.js';

const MAC_RE =
  /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/;
const TWO_32 = 0x1_0000_0000;

/**
 * An immutable 48-bit Ethernet address. Internally one integer (`value`, 0 .. 2^48-1), so that
 * the data plane and the pairing index compare addresses without allocating.
 *
 * A device has two: the permanent address (`perm_addr` in Linux: what the hardware or the host
 * assigned, used by the bypass registry for pairing) and the current address (`dev_addr`, which
 * user space may change).
 *
 * @example
 * ```ts
 * const mac = MacAddress.parse('52:54:00:00:00:01');
 * mac.toString();          // '52:54:00:00:00:01'
 * mac.isMulticast;         // false
 * mac.equals(MacAddress.fromNumber(0x525400000001)); // true
 * ```
 */
export class MacAddress {
  /** ff:ff:ff:ff:ff:ff */
  static readonly BROADCAST = new MacAddress(0xffff_ffff_ffff);
  /** 00:00:00:00:00:00 */
  static readonly ZERO = new MacAddress(0);

  /** The address as an integer, first octet most significant. */
  readonly value: number;

  private constructor(value: number) {
    this.value = value;
  }

  /**
   * Parses `aa:bb:cc:dd:ee:ff` (or with `-` separators; hex digits in either case).
   *
   * @throws {@link BypassError} `ERR_MAC_MALFORMED` when the text is not six two-digit hex octets.
   */
  static parse(text: string): MacAddress {
    const m = typeof text === 'string' ? MAC_RE.exec(text.trim()) : null;
    if (m === null) {
      throw new BypassError(
        'ERR_MAC_MALFORMED',
        `malformed MAC address ${JSON.stringify(text)}: write six two-digit hex octets separated by ':' such as 52:54:00:12:34:56`,
      );
    }
    let v = 0;
    for (const i of [1, 3, 4, 5, 6, 7]) v = v * 256 + parseInt(m[i] as string, 16);
    return new MacAddress(v);
  }

  /**
   * Builds an address from its integer form.
   *
   * @throws {@link BypassError} `ERR_MAC_MALFORMED` when `value` is not an integer in 0 .. 2^48-1.
   */
  static fromNumber(value: number): MacAddress {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff_ffff) {
      throw new BypassError(
        'ERR_MAC_MALFORMED',
        `MAC address value ${value} is not a 48-bit unsigned integer`,
      );
    }
    return new MacAddress(value);
  }

  /**
   * Reads six octets from `bytes` at `offset`.
   *
   * @throws {@link BypassError} `ERR_MAC_MALFORMED` when fewer than six bytes are available.
   */
  static fromBytes(bytes: Uint8Array, offset = 0): MacAddress {
    if (offset < 0 || offset + 6 > bytes.length) {
      throw new BypassError('ERR_MAC_MALFORMED', 'a MAC address needs six bytes');
    }
    return new MacAddress(readMac48(bytes, offset));
  }

  /** True for group addresses (I/G bit set), broadcast included. */
  get isMulticast(): boolean {
    return Math.floor(this.value / 0x100_0000_0000) % 2 === 1;
  }

  /** True for ff:ff:ff:ff:ff:ff. */
  get isBroadcast(): boolean {
    return this.value === 0xffff_ffff_ffff;
  }

  /** True for 00:00:00:00:00:00. */
  get isZero(): boolean {
    return this.value === 0;
  }

  /** True when the U/L bit says the address was assigned locally (as hypervisors do). */
  get isLocallyAdministered(): boolean {
    return Math.floor(this.value / 0x200_0000_0000) % 2 === 1;
  }

  /** A valid unicast station address: not multicast and not zero (Linux `is_valid_ether_addr`). */
  get isValidUnicast(): boolean {
    return !this.isMulticast && !this.isZero;
  }

  /** Value equality. */
  equals(other: MacAddress): boolean {
    return this.value === other.value;
  }

  /** Total order by numeric value; negative, zero or positive like `Array.prototype.sort` wants. */
  compare(other: MacAddress): number {
    return this.value - other.value;
  }

  /** Writes the six octets into `bytes` at `offset`. */
  writeTo(bytes: Uint8Array, offset = 0): void {
    writeMac48(bytes, offset, this.value);
  }

  /** Lower-case, colon-separated, as `ip link` prints it. */
  toString(): string {
    let s = '';
    let v = this.value;
    const parts: string[] = [];
    for (let i = 0; i < 6; i++) {
      parts.push((v % 256).toString(16).padStart(2, '0'));
      v = Math.floor(v / 256);
    }
    for (let i = 5; i >= 0; i--) s += (i < 5 ? ':' : '') + parts[i];
    return s;
  }

  /** JSON form is the string form. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * Reads a 48-bit address at `offset` as an integer (no bounds check: callers check once per
 * frame). Used on the data plane where allocating a {@link MacAddress} per packet is not allowed.
 *
 * @example
 * ```ts
 * const dst = readMac48(pool.bytes, pool.start[h]!); // destination MAC of frame h
 * ```
 */
export function readMac48(bytes: Uint8Array, offset: number): number {
  const hi = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
  const lo =
    (((bytes[offset + 2] as number) << 24) |
      ((bytes[offset + 3] as number) << 16) |
      ((bytes[offset + 4] as number) << 8) |
      (bytes[offset + 5] as number)) >>>
    0;
  return hi * TWO_32 + lo;
}

/**
 * Writes a 48-bit integer address at `offset`.
 *
 * @example
 * ```ts
 * writeMac48(pool.bytes, pool.start[h]!, MacAddress.BROADCAST.value);
 * ```
 */
export function writeMac48(bytes: Uint8Array, offset: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  const lo = value >>> 0;
  bytes[offset] = (hi >>> 8) & 0xff;
  bytes[offset + 1] = hi & 0xff;
  bytes[offset + 2] = (lo >>> 24) & 0xff;
  bytes[offset + 3] = (lo >>> 16) & 0xff;
  bytes[offset + 4] = (lo >>> 8) & 0xff;
  bytes[offset + 5] = lo & 0xff;
}
