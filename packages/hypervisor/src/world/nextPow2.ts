/**
 * The smallest power of two that is at least `n` (1 for `n` <= 1): the size of a ring that must
 * hold `n` handles.
 *
 * @example
 * ```ts
 * nextPow2(500); // 512
 * nextPow2(512); // 512
 * ```
 */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
