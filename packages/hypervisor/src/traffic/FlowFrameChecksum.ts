/*
 * Internet checksum arithmetic (RFC 1071) for flow frames. Internal to the traffic area: the
 * writer precomputes sums of its constant bytes with it and the reader verifies frames.
 */

/**
 * Adds the big-endian 16-bit words of `bytes[from .. to)` to `sum` (an odd last byte is padded
 * with a zero on the right, RFC 1071) and returns the sum folded to 16 bits.
 */
export function onesSum(bytes: Uint8Array, from: number, to: number, sum: number): number {
  let s = sum;
  let i = from;
  for (; i + 1 < to; i += 2) {
    s += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    if (s > 0x7fff_ffff) s = (s & 0xffff) + (s >>> 16);
  }
  if (i < to) s += (bytes[i] as number) << 8;
  return fold(s);
}

/** Folds a non-negative sum (below 2^53) to 16 bits with end-around carries. */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x1_0000) + Math.floor(s / 0x1_0000);
  return s;
}
