import { isBypassError } from '@bypass/core';
import type { DpdkLogger } from '../ethdev/DpdkLog.js';
import type { EthDev } from '../ethdev/EthDev.js';
import { SubDevState, type FailsafeSubDevice } from './FailsafeSubDevice.js';

/**
 * failsafe_private.h fs_err: true when a sub-device's failure is no failure of the fail-safe
 * port: the sub-device is flagged for removal already, or the error is `ERR_NO_DEVICE` (DPDK's
 * -EIO, which ethdev returns for a device that is gone). Nothing is flagged: only the sub-device's
 * removal event (`intr_rmv`) sets `remove`.
 *
 * @example
 * ```ts
 * try { port.setMtu(mtu); } catch (err) { if (!fsErrIgnored(sub, err)) throw err; }
 * ```
 */
export function fsErrIgnored(sub: FailsafeSubDevice, err: unknown): boolean {
  return sub.remove || isBypassError(err, 'ERR_NO_DEVICE');
}

/**
 * The sub-devices FOREACH_SUBDEV_STATE(DEV_ACTIVE) visits, with their port: ACTIVE or better, one
 * flagged for removal included.
 *
 * @example
 * ```ts
 * for (const { sub, port } of activeSubDevices(subs)) addEthStats(out, sub.readStats());
 * ```
 */
export function activeSubDevices(
  subs: readonly FailsafeSubDevice[],
): { sub: FailsafeSubDevice; port: EthDev }[] {
  const out: { sub: FailsafeSubDevice; port: EthDev }[] = [];
  for (const sub of subs) {
    if (sub.state >= SubDevState.ACTIVE && sub.port !== null) out.push({ sub, port: sub.port });
  }
  return out;
}

/**
 * One configuration change on every ACTIVE sub-device in turn, as failsafe_ops.c fs_mtu_set,
 * fs_mac_addr_set, fs_mac_addr_add, fs_vlan_filter_set and fs_dev_set_link_up/down do it: the
 * first failure {@link fsErrIgnored} does not excuse is logged and thrown, the sub-devices before
 * it keep the change (none of these ops undoes it); an excused one is skipped.
 *
 * @example
 * ```ts
 * applyToActive(subs, log, 'rte_eth_dev_set_mtu', (p) => p.setMtu(9000));
 * ```
 */
export function applyToActive(
  subs: readonly FailsafeSubDevice[],
  log: DpdkLogger,
  what: string,
  op: (port: EthDev) => void,
): void {
  for (const { sub, port } of activeSubDevices(subs)) {
    try {
      op(port);
    } catch (err) {
      if (fsErrIgnored(sub, err)) continue;
      log(
        'error',
        `net_failsafe: Operation ${what} failed for sub_device ${sub.sid}: ${text(err)}`,
      );
      throw err;
    }
  }
}

function text(err: unknown): string {
  return isBypassError(err) ? err.message : String(err);
}
