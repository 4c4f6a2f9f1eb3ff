import { BypassError } from '../errors/BypassError.js';

/** Linux `IFNAMSIZ` (16, terminating NUL included). */
const IFNAMSIZ = 16;

/** Characters an interface name may not contain. */
const FORBIDDEN = /[/:\s]/;

function invalidName(name: unknown, why: string): never {
  throw new BypassError(
    'ERR_NAME_INVALID',
    `invalid interface name ${JSON.stringify(name)}: ${why}; use 1 to 15 characters without '/', ':' or spaces`,
  );
}

/**
 * Interface-name rules of Linux (`dev_valid_name` and `dev_alloc_name` in `net/core/dev.c`).
 *
 * @example
 * ```ts
 * InterfaceName.validate('ens10nsby');          // ok
 * InterfaceName.isPattern('eth%d');              // true
 * InterfaceName.expand('eth%d', (n) => n === 'eth0'); // 'eth1'
 * ```
 */
export const InterfaceName = {
  /** Longest name: 15 characters. */
  MAX_LENGTH: IFNAMSIZ - 1,

  /**
   * Throws unless `name` is a valid interface name: 1..15 characters, not `.` or `..`, no `/`,
   * `:` or whitespace. A pattern (`eth%d`) is accepted when `allowPattern` is true.
   *
   * @throws {@link BypassError} `ERR_NAME_INVALID`
   */
  validate(name: string, allowPattern = false): void {
    if (typeof name !== 'string' || name.length === 0) invalidName(name, 'it is empty');
    if (name.length > IFNAMSIZ - 1) invalidName(name, `it has ${name.length} characters`);
    if (name === '.' || name === '..') invalidName(name, 'it is a path component');
    if (FORBIDDEN.test(name)) invalidName(name, 'it contains a forbidden character');
    // Counted without allocating (this runs on every registration and rename).
    const first = name.indexOf('%');
    if (first >= 0) {
      const single = name.indexOf('%', first + 1) < 0;
      if (!allowPattern || !single || name.charCodeAt(first + 1) !== 0x64 /* d */) {
        invalidName(name, 'a name pattern must contain exactly one %d');
      }
    }
  },

  /** True for a `%d` pattern. */
  isPattern(name: string): boolean {
    return name.includes('%d');
  },

  /**
   * Replaces `%d` by the lowest number whose name `taken` says is free.
   *
   * @throws {@link BypassError} `ERR_NAME_EXISTS` when no number fits in 15 characters.
   */
  expand(pattern: string, taken: (name: string) => boolean): string {
    for (let i = 0; i < 32768; i++) {
      const n = pattern.replace('%d', String(i));
      if (n.length > IFNAMSIZ - 1) break;
      if (!taken(n)) return n;
    }
    throw new BypassError('ERR_NAME_EXISTS', `no free interface name for pattern ${pattern}`);
  },
} as const;
