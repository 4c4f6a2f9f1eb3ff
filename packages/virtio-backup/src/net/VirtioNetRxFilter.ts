import { readMac48 } from '@bypass/core';
import { VIRTIO_NET_F, hasFeature } from '../virtio/VirtioFeatures.js';
import { VIRTIO_NET_CTRL as C } from './VirtioNetCtrl.js';

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
   * Runs a control command that belongs to the filter (class RX, MAC_TABLE_SET, class VLAN) with
   * its payload `d[0..len)`, for a device that negotiated `features`: true (VIRTIO_NET_OK) or
   * false (VIRTIO_NET_ERR); null when the command is not a filter command.
   */
  command(cls: number, cmd: number, d: Uint8Array, len: number, features: bigint): boolean | null {
    if (cls === C.RX) {
      if (!hasFeature(features, VIRTIO_NET_F.CTRL_RX) || len !== 1) return false;
      if (cmd === C.RX_PROMISC) this.promisc = d[0] !== 0;
      else if (cmd === C.RX_ALLMULTI) this.allmulti = d[0] !== 0;
      else return false;
      return true;
    }
    if (cls === C.MAC && cmd === C.MAC_TABLE_SET) {
      return hasFeature(features, VIRTIO_NET_F.CTRL_RX) && this.setTables(d, len);
    }
    if (cls === C.VLAN) {
      const vid = len === 2 ? (d[0] as number) | ((d[1] as number) << 8) : 4096;
      if (!hasFeature(features, VIRTIO_NET_F.CTRL_VLAN) || vid >= 4096) return false;
      if (cmd === C.VLAN_ADD) this.vlans[vid] = 1;
      else if (cmd === C.VLAN_DEL) this.vlans[vid] = 0;
      else return false;
      return true;
    }
    return null;
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
