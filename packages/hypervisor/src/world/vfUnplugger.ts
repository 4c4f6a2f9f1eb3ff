import type { VmNic } from './VmNic.js';

/**
 * Who takes a NIC's VF out of the guest before its VM migrates:
 * - `failover`: QEMU itself, at `setup`. The NIC is a failover standby (`virtio-backup` whose
 *   guest acknowledged BACKUP/STANDBY) and its VF the visible primary: QEMU asks the guest to
 *   unplug it and waits in `wait-unplug` (`hw/net/virtio-net.c`
 *   `virtio_net_handle_migration_primary`, `primary_unplug_pending`).
 * - `plain`: management, before it starts the migration. A plain passthrough VF (`bonding`,
 *   `virtio-backup` with `offer_backup: false`) is not QEMU's business: vfio registers a
 *   migration blocker for it (`hw/vfio/pci.c` `vfio_realize`), QEMU refuses `device_del` once a
 *   migration runs (`qdev_unplug`), so management `device_del`s it, waits for DEVICE_DELETED and
 *   only then sends `migrate`.
 * - `host`: the hypervisor, as for `failover` (same states, same 250 ms poll). The Hyper-V
 *   models (`netvsc`, `netvsc-pmd`, `failsafe`), whose host takes the VF back itself when it
 *   live-migrates, and custom models: QEMU's state names and poll are borrowed for them.
 *
 * @example
 * ```ts
 * if (vfUnplugger(nic) === 'plain') console.log(`${nic.id}: management device_dels the VF first`);
 * ```
 */
export function vfUnplugger(nic: VmNic): 'failover' | 'plain' | 'host' {
  const model = nic.model.model;
  if (model === 'bonding') return 'plain';
  if (model !== 'virtio-backup') return 'host';
  // With offer_backup, acceptsVf means the guest acknowledged STANDBY (the primary is visible).
  return nic.spec.options.offer_backup && nic.model.acceptsVf ? 'failover' : 'plain';
}
