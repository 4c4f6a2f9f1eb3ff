import { BypassError } from '@bypass/core';
import type { rt } from 'netlink';

/**
 * One IP address configured on an interface (an `RTM_NEWADDR` message), as `doctor` needs it.
 *
 * @example
 * ```ts
 * const a: AddressRecord = { ifindex: 3, family: 4, address: '10.0.0.4', prefixLen: 24,
 *   scope: 'global', dynamic: true };
 * ```
 */
export interface AddressRecord {
  readonly ifindex: number;
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Dotted quad or RFC 5952 compressed IPv6 text. */
  readonly address: string;
  readonly prefixLen: number;
  /** `global`, `site`, `link`, `host` or `nowhere` (`ip addr` shows it as "scope"). */
  readonly scope: string;
  /**
   * True when the address has a finite valid lifetime: it was leased (DHCP, what dhclient,
   * systemd-networkd and NetworkManager install) or autoconfigured, not set by hand.
   */
  readonly dynamic: boolean;
}

function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // Longest run of zero groups (length >= 2) becomes '::' (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function scopeName(scope: number): string {
  if (scope === 0) return 'global';
  if (scope === 200) return 'site';
  if (scope === 253) return 'link';
  if (scope === 254) return 'host';
  if (scope === 255) return 'nowhere';
  return String(scope);
}

/**
 * Converts a parsed `RTM_NEWADDR` message into an {@link AddressRecord}; null for families
 * other than IPv4 and IPv6.
 *
 * @throws `BypassError` `ERR_PARSE` when the address bytes do not match the family.
 *
 * @example
 * ```ts
 * const records = (await rtnl.getAddresses()).map(addressRecordFromMessage).filter((a) => a !== null);
 * ```
 */
export function addressRecordFromMessage(msg: rt.AddressMessage): AddressRecord | null {
  const family = msg.data.family === 2 ? 4 : msg.data.family === 10 ? 6 : 0;
  if (family === 0) return null;
  const bytes = msg.attrs.local ?? msg.attrs.address;
  const want = family === 4 ? 4 : 16;
  const ifindex = msg.data.index ?? 0;
  if (bytes === undefined || bytes.length !== want || ifindex <= 0) {
    throw new BypassError(
      'ERR_PARSE',
      `malformed rtnetlink address message for ifindex ${ifindex}: expected a ${want}-byte IPv${family} address`,
    );
  }
  const valid = msg.attrs.cacheInfo?.ifaValid;
  return {
    ifindex,
    family,
    address: family === 4 ? [...bytes].join('.') : ipv6Text(bytes),
    prefixLen: msg.data.prefixlen ?? 0,
    scope: scopeName(msg.data.scope ?? 0),
    dynamic: valid !== undefined && valid !== 0xffff_ffff && msg.attrs.flags?.permanent !== true,
  };
}
