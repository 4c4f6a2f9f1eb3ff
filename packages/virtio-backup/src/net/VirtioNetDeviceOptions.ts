import type {
  BusDevice,
  BypassRegistry,
  NetNamespace,
  PacketPool,
  Scheduler,
  SeededRandom,
} from '@bypass/core';
import type { VirtioTransport } from '../virtio/VirtioTransport.js';
import type { VirtqueueFault } from '../virtqueue/VirtqueueFault.js';

/**
 * Options of {@link VirtioNetDevice.probe}.
 *
 * @example
 * ```ts
 * const o: VirtioNetDeviceOptions = { pool, transport: backend, ns, parent: virtioBusDevice, registry, name: 'ens10' };
 * ```
 */
export interface VirtioNetDeviceOptions {
  pool: PacketPool;
  /** The device (a {@link VirtioNetBackend} or anything implementing the transport). */
  transport: VirtioTransport;
  /** The namespace the netdev (and the bypass master) registers in. */
  ns: NetNamespace;
  /** The virtio bus device the netdev hangs from (the master shares it: that is how the backup is recognized). */
  parent: BusDevice;
  /** The bypass registry of this kernel; required when BACKUP is negotiated. */
  registry?: BypassRegistry;
  /** Name or pattern of the netdev; with BACKUP, of the master (the virtio netdev is then `<master>nsby`). */
  name?: string;
  /** Features the driver supports; default {@link VIRTIO_NET_DRIVER_FEATURES}. */
  driverFeatures?: bigint;
  /** Seed RFC v2 variant for the master: multicast/broadcast over virtio, unicast over the VF. */
  multicastViaBackup?: boolean;
  /** Source of the random MAC when the device has none. */
  random?: SeededRandom;
  /** Online CPUs: queue pairs in use = min(max pairs, cpus); default all pairs. */
  cpus?: number;
  /** Cap on each queue's size (default the device's maximum). */
  queueSize?: number;
  /** RX buffers posted per RX queue; default the queue size. */
  rxBuffers?: number;
  /**
   * IPv4 address (as a 32-bit integer) of this netdev, announced by a gratuitous ARP when the host
   * asks the guest to announce itself; default 0 (none: nothing is announced). A failover standby
   * announces nothing whatever this is: Linux keeps the addresses on the master.
   */
  ipv4?: number;
  /**
   * Scheduler of the RX refill retry (Linux `refill_work`): when posting RX buffers fails for lack
   * of pool slots, the refill is tried again every 500 ms while the device is up, until it
   * succeeds. Without it a queue left with no buffer is refilled only by `pollRx`, an open or a
   * change of the queue pairs in use (the host has nowhere to put frames, so no interrupt comes).
   */
  scheduler?: Scheduler;
}

/**
 * Typed events of a {@link VirtioNetDevice}.
 *
 * @example
 * ```ts
 * nic.events.on('needs-reset', (why) => console.error(why));
 * ```
 */
export interface VirtioNetDeviceEvents {
  /** A virtqueue was stopped because the device wrote something invalid. */
  'queue-broken': [fault: VirtqueueFault];
  /** The device needs a reset (a queue fault or NEEDS_RESET): carrier is off until removal. */
  'needs-reset': [reason: string];
  /** The link state read from config space changed. */
  link: [up: boolean];
  /** The device asked for an announcement; a gratuitous ARP was sent and acked. */
  announce: [];
}
