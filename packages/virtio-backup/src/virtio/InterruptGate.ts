import type { Scheduler } from '@bypass/core';

/**
 * What a device needs to know about the guest's vCPUs to interrupt it: whether they are stopped,
 * and the guest's clock. An interrupt raised while the guest is stopped (a migration's
 * stop-and-copy, a suspended VM) stays pending in the device (QEMU `hw/virtio/virtio.c`
 * `virtio_notify_config` only raises the line; the guest's handler and the work it queues run
 * when its vCPUs do), so it is delivered through `clock`, whose timers run once the guest runs
 * again. While the guest runs, interrupts are delivered as they are raised.
 *
 * @example
 * ```ts
 * const gate: InterruptGate = { stopped: () => vm.paused || vm.down, clock: vm.clock };
 * const backend = new VirtioNetBackend({ pool, mac, interruptGate: gate });
 * ```
 */
export interface InterruptGate {
  /** True while the guest's vCPUs do not run. */
  readonly stopped: () => boolean;
  /** The guest's clock: a timer armed while the guest is stopped runs when it runs again. */
  readonly clock: Scheduler;
}
