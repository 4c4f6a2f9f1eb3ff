/**
 * Removes `list[index]` in place, keeping the order of the others, without allocating
 * (`splice` returns a new array of what it removed: garbage on every notifier event that
 * releases a device). Does nothing for an index outside the list.
 *
 * @example
 * ```ts
 * const slaves = [a, b, c];
 * removeAt(slaves, slaves.indexOf(b)); // slaves is [a, c]
 * ```
 */
export function removeAt<T>(list: T[], index: number): void {
  const n = list.length;
  if (!(index >= 0 && index < n)) return;
  for (let k = index + 1; k < n; k++) list[k - 1] = list[k] as T;
  list.length = n - 1;
}
