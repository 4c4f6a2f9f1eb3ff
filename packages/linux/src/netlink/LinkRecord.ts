import { BypassError, IFF, STATS64_FIELDS, type Stats64Field } from '@bypass/core';
import netlink from 'netlink';
import { endianness } from 'node:os';
import type { rt } from 'netlink';

/**
 * The stats64 counters of a link (Linux `struct rtnl_link_stats64`), as JavaScript numbers
 * (exact up to 2^53; a counter beyond that loses its lowest bits, which no rate computation
 * notices).
 *
 * @example
 * ```ts
 * const s: LinkStats = link.stats64 ?? emptyStats();
 * console.log(s.txPackets);
 * ```
 */
export type LinkStats = Record<Stats64Field, number>;

/**
 * One kernel network interface as rtnetlink reports it (an `RTM_NEWLINK` message), reduced to
 * what failover pairing, `watch` and `doctor` need. Plain data: comparable, JSON-friendly.
 *
 * @example
 * ```ts
 * const link: LinkRecord = linkRecordFromMessage(msg);
 * if (link.master !== 0) console.log(`${link.name} is enslaved to ifindex ${link.master}`);
 * ```
 */
export interface LinkRecord {
  /** Kernel interface index (`ip link` shows it first). */
  readonly ifindex: number;
  /** Interface name (`IFLA_IFNAME`). */
  readonly name: string;
  /** ARP hardware type (`ARPHRD_*`; 1 = Ethernet). */
  readonly type: number;
  /** `IFF_*` flags as the kernel reports them (UP, RUNNING, LOWER_UP, SLAVE, MASTER...). */
  readonly flags: number;
  /** Administratively up (`IFF_UP`). */
  readonly up: boolean;
  /** Carrier (`IFLA_CARRIER`, else `IFF_LOWER_UP`). */
  readonly carrier: boolean;
  /** RFC 2863 operational state name (`up`, `down`, `lowerlayerdown`, `dormant`, `unknown`...). */
  readonly operstate: string;
  readonly mtu: number;
  /** Smallest MTU the driver accepts (`IFLA_MIN_MTU`), 0 when unknown. */
  readonly minMtu: number;
  /** Largest MTU the driver accepts (`IFLA_MAX_MTU`), 0 when unknown or unbounded. */
  readonly maxMtu: number;
  /** Current hardware address, lower-case `aa:bb:..`, or null when the link has none. */
  readonly address: string | null;
  /** Permanent hardware address (`IFLA_PERM_ADDRESS`), or null when the driver sets none. */
  readonly permAddress: string | null;
  /** Ifindex of the master (upper) device, 0 when not enslaved (`IFLA_MASTER`). */
  readonly master: number;
  /** Link kind (`IFLA_INFO_KIND`: `veth`, `tun`, `bond`, `team`, `bridge`...), null for hardware drivers. */
  readonly kind: string | null;
  /** Kind of the master as seen by the slave (`IFLA_INFO_SLAVE_KIND`), null when none. */
  readonly slaveKind: string | null;
  /** Root qdisc kind (`IFLA_QDISC`), null when none is reported. */
  readonly qdisc: string | null;
  /** Physical port name (`IFLA_PHYS_PORT_NAME`): `sby` on a virtio-net standby device. */
  readonly physPortName: string | null;
  /** For a bond master: the mode number (1 = active-backup) and the active slave ifindex (0 = none). */
  readonly bond: { readonly mode: number; readonly activeSlave: number } | null;
  /** stats64 counters, when the message carried them. */
  readonly stats64: LinkStats | null;
}

const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

/**
 * Formats six or more bytes as `aa:bb:cc:..`.
 *
 * @example
 * ```ts
 * hexAddress(Buffer.from([0x52, 0x54, 0, 0, 0, 1])); // '52:54:00:00:00:01'
 * ```
 */
export function hexAddress(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * A {@link LinkStats} with every counter at zero.
 *
 * @example
 * ```ts
 * const zero = emptyStats();
 * zero.rxPackets; // 0
 * ```
 */
export function emptyStats(): LinkStats {
  const s = {} as LinkStats;
  for (const f of STATS64_FIELDS) s[f] = 0;
  return s;
}

function parseErr(what: string, cause?: unknown): BypassError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new BypassError(
    'ERR_PARSE',
    `malformed rtnetlink link message (${what}${why}); this is a kernel/library mismatch, please report it with the output of 'ip -d -j link'`,
  );
}

function statsFrom(raw: NonNullable<netlink.ifla.LinkAttrs['stats64']>): LinkStats {
  const out = emptyStats();
  const src = raw as unknown as Record<string, unknown>;
  for (const f of STATS64_FIELDS) {
    const v = src[f];
    if (typeof v === 'bigint') out[f] = Number(v);
    else if (typeof v === 'number') out[f] = v;
  }
  // rx_nohandler (the 25th u64) is newer than the library: read it from the unparsed tail.
  const tail = raw.__unparsed;
  if (tail !== undefined && tail.length >= 8) {
    const buf = Buffer.from(tail);
    out.rxNohandler = Number(
      endianness() === 'BE' ? buf.readBigUInt64BE(0) : buf.readBigUInt64LE(0),
    );
  }
  return out;
}

/**
 * Reads a netlink u32 attribute: netlink attributes carry host byte order (`nla_put_u32`).
 *
 * @param endian - the host's byte order; default `os.endianness()` (tests give the other one)
 *
 * @example
 * ```ts
 * readHostU32(Buffer.from([0, 0, 0, 5]), 'BE'); // 5
 * ```
 */
export function readHostU32(buf: Uint8Array, endian: 'BE' | 'LE' = endianness()): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return endian === 'BE' ? b.readUInt32BE(0) : b.readUInt32LE(0);
}

function infoOf(buf: Buffer | undefined): netlink.ifla.Info | null {
  if (buf === undefined) return null;
  try {
    return netlink.ifla.parseInfo(buf);
  } catch (err) {
    throw parseErr('IFLA_LINKINFO', err);
  }
}

function bondOf(info: netlink.ifla.Info | null): LinkRecord['bond'] {
  if (info?.kind !== 'bond' || info.data === undefined) return null;
  let b: netlink.ifla.Bond;
  try {
    b = netlink.ifla.parseBond(info.data);
  } catch (err) {
    throw parseErr('IFLA_BOND', err);
  }
  const mode = b.mode !== undefined && b.mode.length >= 1 ? (b.mode[0] as number) : -1;
  // bond_netlink.c bond_fill_info: nla_put_u32, so host byte order (big-endian on s390x).
  const active =
    b.activeSlave !== undefined && b.activeSlave.length >= 4 ? readHostU32(b.activeSlave) : 0;
  return { mode, activeSlave: active };
}

/**
 * Converts a parsed rtnetlink link message (the `netlink` package's `LinkMessage`, from an
 * `RTM_NEWLINK` or `RTM_DELLINK`) into a {@link LinkRecord}. Attribute names follow Linux's
 * `include/uapi/linux/if_link.h`.
 *
 * @throws `BypassError` `ERR_PARSE` when the message has no index or name, or a nested
 * attribute (link info, bond data) cannot be decoded.
 *
 * @example
 * ```ts
 * const link = linkRecordFromMessage(netlink.rt.parseLinkMessage(nlmsg.data));
 * console.log(link.name, link.mtu, link.carrier);
 * ```
 */
export function linkRecordFromMessage(msg: rt.LinkMessage): LinkRecord {
  const data = msg.data;
  const attrs = msg.attrs;
  const ifindex = data.index;
  if (typeof ifindex !== 'number' || !Number.isInteger(ifindex) || ifindex <= 0) {
    throw parseErr('missing or invalid ifindex');
  }
  const name = attrs.ifname;
  if (typeof name !== 'string' || name.length === 0 || name.length > 15) {
    throw parseErr(`link ${ifindex} has no valid IFLA_IFNAME`);
  }
  let type: number;
  if (typeof data.type === 'number') type = data.type;
  else if (typeof data.type === 'string') type = netlink.rt.LinkType[data.type];
  else type = 0xffff;
  const flags = data.flags === undefined ? 0 : netlink.rt.formatDeviceFlags(data.flags);
  const info = infoOf(attrs.linkinfo);
  const carrier =
    typeof attrs.carrier === 'number' ? attrs.carrier !== 0 : (flags & IFF.LOWER_UP) !== 0;
  const opIndex = typeof attrs.operstate === 'number' ? attrs.operstate : 0;
  const permAddress =
    attrs.permAddress !== undefined && attrs.permAddress.some((b) => b !== 0)
      ? hexAddress(attrs.permAddress)
      : null;
  return {
    ifindex,
    name,
    type,
    flags,
    up: (flags & IFF.UP) !== 0,
    carrier,
    operstate: OPERSTATES[opIndex] ?? 'unknown',
    mtu: attrs.mtu ?? 0,
    minMtu: attrs.minMtu ?? 0,
    maxMtu: attrs.maxMtu ?? 0,
    address:
      attrs.address !== undefined && attrs.address.length > 0 ? hexAddress(attrs.address) : null,
    permAddress,
    master: attrs.master ?? 0,
    kind: info?.kind ?? null,
    slaveKind: info?.slaveKind ?? null,
    qdisc: attrs.qdisc ?? null,
    physPortName: attrs.physPortName ?? null,
    bond: bondOf(info),
    stats64: attrs.stats64 === undefined ? null : statsFrom(attrs.stats64),
  };
}
