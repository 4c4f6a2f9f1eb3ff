import { readMac48 } from '@bypass/core';

const ETH_P_8021Q = 0x8100;
const BROADCAST = 0xffff_ffff_ffff;

/**
 * The receive filter of a virtio-net device, as QEMU's `hw/net/virtio-net.c` `receive_filter`
 * keeps it: promiscuous (on after reset, so a driver without CTRL_RX gets everything),
 * all-multicast, unicast and multicast MAC tables, and a VLAN table (every VLAN allowed unless
 * CTRL_VLAN was negotiated). The control queue sets it.
 *
 * @example
 * ```ts
 * const f = new VirtioNetRxFilter();
 * f.promisc = false;
 * f.accepts(pool.bytes, pool.start[h]!, pool.length[h]!, mac.value); // dst == mac, broadcast, or in a table
 * ```
 */
export class VirtioNetRxFilter {
  promisc = true;
  allmulti = false;
  /** Secondary unicast addresses (48-bit integers). */
  readonly uc = new Set<number>();
  /** Multicast addresses. */
  readonly mc = new Set<number>();
  /** One byte per VLAN id: 1 = allowed. */
  readonly vlans = new Uint8Array(4096).fill(1);

  /** Back to the reset state; `vlanFiltering` = CTRL_VLAN negotiated (table starts empty). */
  reset(vlanFiltering = false): void {
    this.promisc = true;
    this.allmulti = false;
    this.uc.clear();
    this.mc.clear();
    this.vlans.fill(vlanFiltering ? 0 : 1);
  }

  /** Whether a frame of `len` bytes at `o` passes, for a device whose MAC is `mac`. */
  accepts(bytes: Uint8Array, o: number, len: number, mac: number): boolean {
    if (this.promisc) return true;
    if (
      len >= 16 &&
      (((bytes[o + 12] as number) << 8) | (bytes[o + 13] as number)) === ETH_P_8021Q
    ) {
      const vid = (((bytes[o + 14] as number) << 8) | (bytes[o + 15] as number)) & 0xfff;
      if (this.vlans[vid] !== 1) return false;
    }
    const dst = readMac48(bytes, o);
    if (((bytes[o] as number) & 1) !== 0) {
      if (dst === BROADCAST || this.allmulti) return true;
      return this.mc.has(dst);
    }
    return dst === mac || this.uc.has(dst);
  }

  /**
   * Applies a MAC_TABLE_SET payload (`le32 n`, n MACs, `le32 m`, m MACs) from `data[0..len)`;
   * false (tables unchanged) when the lengths do not add up.
   */
  setTables(data: Uint8Array, len: number): boolean {
    if (len < 4) return false;
    const n = readLe32(data, 0);
    const mcAt = 4 + 6 * n;
    if (n > 0xffff || mcAt + 4 > len) return false;
    const m = readLe32(data, mcAt);
    if (m > 0xffff || mcAt + 4 + 6 * m !== len) return false;
    this.uc.clear();
    this.mc.clear();
    for (let i = 0; i < n; i++) this.uc.add(readMac48(data, 4 + 6 * i));
    for (let i = 0; i < m; i++) this.mc.add(readMac48(data, mcAt + 4 + 6 * i));
    return true;
  }
}

function readLe32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) +
    (b[o + 3] as number) * 0x100_0000
  );
}
