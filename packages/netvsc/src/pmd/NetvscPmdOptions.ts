import type { DeviceBus, PacketPool, Scheduler, SeededRandom } from '@bypass/core';
import type { DpdkLogger } from '../dpdk/ethdev/DpdkLog.js';
import type { EthDevRegistry } from '../dpdk/ethdev/EthDevRegistry.js';
import type { SysfsView } from '../dpdk/sysfs/SysfsView.js';
import type { VmbusChannel } from '../vmbus/VmbusChannel.js';

/**
 * Options of {@link NetvscPmdPort.probe}: the VMBus device bound to the userspace driver
 * (uio_hv_generic) and where its port lives.
 *
 * @example
 * ```ts
 * const o: NetvscPmdOptions = {
 *   registry, channel, pool, scheduler,
 *   name: channel.instanceId,
 *   devargs: 'tx_copybreak=256',
 *   hotplug: { bus, sysfs },
 * };
 * ```
 */
export interface NetvscPmdOptions {
  /** The ports of the DPDK process (the VF port is looked up here by MAC). */
  registry: EthDevRegistry;
  /** The primary VMBus channel of the synthetic NIC. */
  channel: VmbusChannel;
  /** Frame memory (the mbuf pool). */
  pool: PacketPool;
  /** Drives timers (VF removal alarm, hot-add retries) and the VMBus signals. */
  scheduler: Scheduler;
  /** Port name; default the channel's instance id (DPDK names the port after the VMBus device). */
  name?: string;
  /** The argument part of the devargs (`latency=..,rx_copybreak=..`); default empty. */
  devargs?: string;
  /** DPDK log lines. */
  log?: DpdkLogger;
  /** Channels (queue pairs) to ask the host for, 1..64; default 8. */
  maxQueues?: number;
  /** TX descriptors per queue (requests in flight), 1..4096; default 512. */
  txDescriptors?: number;
  /** Slots of each RX queue's ring, a power of two; default 512. */
  rxRingSize?: number;
  /** Receive-buffer sections the host granted; default 16 MiB / 1728 (NetvspHost's). */
  rxSections?: number;
  /**
   * PCI hot-plug notifications (`rte_dev_event_callback_register`) and the sysfs view used to
   * check that a new PCI device's network interface has the netvsc MAC. Without it a VF must be
   * probed by the application before the host's association message arrives.
   */
  hotplug?: { bus: DeviceBus; sysfs: SysfsView };
  /** Jitter of the NVSP bring-up retries. */
  random?: SeededRandom;
}
