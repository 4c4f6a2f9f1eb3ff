/**
 * Control virtqueue classes and commands (`include/uapi/linux/virtio_net.h`, virtio spec
 * 5.1.6.5). A command is `u8 class, u8 command`, then its data (device-readable), then one
 * device-writable `u8 ack` ({@link VIRTIO_NET_CTRL.OK} or {@link VIRTIO_NET_CTRL.ERR}).
 *
 * @example
 * ```ts
 * sendCommand(VIRTIO_NET_CTRL.MQ, VIRTIO_NET_CTRL.MQ_VQ_PAIRS_SET, pairsLe16);
 * ```
 */
export const VIRTIO_NET_CTRL = {
  OK: 0,
  ERR: 1,
  /** Class RX: data is one u8 (on/off). */
  RX: 0,
  RX_PROMISC: 0,
  RX_ALLMULTI: 1,
  /** Class MAC. */
  MAC: 1,
  /** Data: le32 n + n unicast MACs, le32 m + m multicast MACs. */
  MAC_TABLE_SET: 0,
  /** Data: 6-byte MAC. */
  MAC_ADDR_SET: 1,
  /** Class VLAN: data is a le16 VLAN id. */
  VLAN: 2,
  VLAN_ADD: 0,
  VLAN_DEL: 1,
  /** Class ANNOUNCE. */
  ANNOUNCE: 3,
  /** No data: the driver has announced itself. */
  ANNOUNCE_ACK: 0,
  /** Class MQ. */
  MQ: 4,
  /** Data: le16 number of queue pairs, 1..0x8000. */
  MQ_VQ_PAIRS_SET: 0,
  MQ_VQ_PAIRS_MIN: 1,
  MQ_VQ_PAIRS_MAX: 0x8000,
} as const;
