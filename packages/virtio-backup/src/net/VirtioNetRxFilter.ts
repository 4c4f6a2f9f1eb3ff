import { readMac48 } from '@bypass/core';
import { VIRTIO_NET_F, hasFeature } from '../virtio/VirtioFeatures.js';
import { VIRTIO_NET_CTRL as C } from './VirtioNetCtrl.js';

const ETH_P_8021Q = 0x8100;
const BROADCAST = 0xffff_ffff_ffff;
/** hw/net/virtio-net.c MAC_TABLE_ENTRIES: unicast and multicast entries share 64 slots. */
const MAC_TABLE_ENTRIES = 64;

/**
 * The receive filter of a virtio-net device, as QEMU's `hw/net/virtio-net.c` `receive_filter`
 * keeps it: promiscuous (on after reset, so a driver without CTRL_RX gets everything),
 * all-multicast, unicast and multicast MAC tables, and a VLAN table (every VLAN allowed unless
 * CTRL_VLAN was negotiated). The control queue sets it.
 *
 * The MAC tables hold 64 entries in all (QEMU `MAC_TABLE_ENTRIES`, unicast first). A
 * MAC_TABLE_SET with more unicast entries than that stores none of them and sets
 * {@link VirtioNetRxFilter.uniOverflow} (every unicast frame passes); with more multicast entries
 * than the slots the unicast ones left, none is stored and
 * {@link VirtioNetRxFilter.multiOverflow} is set (every multicast frame passes).
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
  /** The last MAC_TABLE_SET had more unicast entries than the table holds: all unicast passes. */
  uniOverflow = false;
  /** The last MAC_TABLE_SET had more multicast entries than the table had room for: all multicast passes. */
  multiOverflow = false;
  private readonly word = new Uint8Array(4);
  private readonly entries = new Uint8Array(6 * MAC_TABLE_ENTRIES);
  /** One byte per VLAN id: 1 = allowed. */
  readonly vlans = new Uint8Array(4096).fill(1);

  /** Back to the reset state; `vlanFiltering` = CTRL_VLAN negotiated (table starts empty). */
  reset(vlanFiltering = false): void {
    this.promisc = true;
    this.allmulti = false;
    this.uc.clear();
    this.mc.clear();
    this.uniOverflow = false;
    this.multiOverflow = false;
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
      if (dst === BROADCAST || this.allmulti || this.multiOverflow) return true;
      return this.mc.has(dst);
    }
    return this.uniOverflow || dst === mac || this.uc.has(dst);
  }

  /**
   * Runs a control command that belongs to the filter (class RX, MAC_TABLE_SET, class VLAN) with
   * its payload of `len` bytes, for a device that negotiated `features`: true (VIRTIO_NET_OK) or
   * false (VIRTIO_NET_ERR); null when the command is not a filter command. `d` holds the start of
   * the payload (at least its first 6 bytes when it has them); `read` reads any part of it.
   */
  command(
    cls: number,
    cmd: number,
    d: Uint8Array,
    len: number,
    features: bigint,
    read: (at: number, out: Uint8Array, len: number) => void,
  ): boolean | null {
    if (cls === C.RX) {
      // hw/net/virtio-net.c virtio_net_handle_rx_mode reads one byte; a longer payload is fine.
      if (!hasFeature(features, VIRTIO_NET_F.CTRL_RX) || len < 1) return false;
      if (cmd === C.RX_PROMISC) this.promisc = d[0] !== 0;
      else if (cmd === C.RX_ALLMULTI) this.allmulti = d[0] !== 0;
      else return false;
      return true;
    }
    if (cls === C.MAC && cmd === C.MAC_TABLE_SET) {
      return hasFeature(features, VIRTIO_NET_F.CTRL_RX) && this.setTables(read, len);
    }
    if (cls === C.VLAN) {
      // virtio_net_handle_vlan_table reads a le16; extra payload bytes are ignored.
      const vid = len >= 2 ? (d[0] as number) | ((d[1] as number) << 8) : 4096;
      if (!hasFeature(features, VIRTIO_NET_F.CTRL_VLAN) || vid >= 4096) return false;
      if (cmd === C.VLAN_ADD) this.vlans[vid] = 1;
      else if (cmd === C.VLAN_DEL) this.vlans[vid] = 0;
      else return false;
      return true;
    }
    return null;
  }

  /**
   * Applies a MAC_TABLE_SET payload of `len` bytes (`le32 n`, n MACs, `le32 m`, m MACs) read
   * through `read`, as QEMU's `virtio_net_handle_mac` does: false (filter unchanged) when the
   * lengths do not add up; `read(at, out, n)` copies payload bytes `at..at+n` into `out` (the
   * device reads them from the guest's chain, QEMU `iov_to_buf`). A list too long for the 64-entry table is not stored and sets the
   * overflow flag of its kind instead.
   *
   * @example
   * ```ts
   * filter.setTables((at, out, n) => out.set(payload.subarray(at, at + n)), payload.length);
   * ```
   */
  setTables(read: (at: number, out: Uint8Array, len: number) => void, len: number): boolean {
    const w = this.word;
    const macs = this.entries;
    if (len < 4) return false;
    read(0, w, 4);
    const n = readLe32(w, 0);
    const mcAt = 4 + 6 * n;
    // hw/net/virtio-net.c virtio_net_handle_mac: the unicast list must fit the payload and the
    // multicast count must follow it; the multicast list must end the payload exactly.
    if (mcAt + 4 > len) return false;
    const uniOverflow = n > MAC_TABLE_ENTRIES;
    const inUse = uniOverflow ? 0 : n;
    read(mcAt, w, 4);
    const m = readLe32(w, 0);
    if (mcAt + 4 + 6 * m !== len) return false;
    const multiOverflow = m > MAC_TABLE_ENTRIES - inUse;
    this.uc.clear();
    this.mc.clear();
    if (!uniOverflow) {
      read(4, macs, 6 * n);
      for (let i = 0; i < n; i++) this.uc.add(readMac48(macs, 6 * i));
    }
    if (!multiOverflow) {
      read(mcAt + 4, macs, 6 * m);
      for (let i = 0; i < m; i++) this.mc.add(readMac48(macs, 6 * i));
    }
    this.uniOverflow = uniOverflow;
    this.multiOverflow = multiOverflow;
    return true;
  }
}

function readLe32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) +
    (b[o + 3] as number) * 0x100_0000
  );
}
