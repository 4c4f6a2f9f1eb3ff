import { isBypassError, type MacAddress } from '@bypass/core';
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

/**
 * failsafe_ops.c fs_promiscuous_enable/_disable and fs_allmulticast_enable/_disable: `set(port,
 * on)` on every ACTIVE sub-device up to the first failure {@link fsErrIgnored} does not excuse;
 * after one, every ACTIVE sub-device is set back to `!on` (ethdev makes that a no-op on the ones
 * never changed), an undo that fails being logged, and the failure is thrown, so ethdev keeps
 * the fail-safe port's mode as it was. Fixed DPDK bug: DPDK keeps the rollback's return code in
 * the variable that held the failure, so its call reports the last ACTIVE sub-device's undo,
 * usually success, and ethdev then records a mode that no sub-device has.
 *
 * @example
 * ```ts
 * setModeWithRollback(subs, log, 'Promiscuous mode', true, (p, on) => p.setPromiscuous(on));
 * ```
 */
export function setModeWithRollback(
  subs: readonly FailsafeSubDevice[],
  log: DpdkLogger,
  what: string,
  on: boolean,
  set: (port: EthDev, on: boolean) => void,
): void {
  const verb = (v: boolean): string => (v ? 'enable' : 'disable');
  let failure: { err: unknown } | null = null;
  for (const { sub, port } of activeSubDevices(subs)) {
    try {
      set(port, on);
    } catch (err) {
      if (fsErrIgnored(sub, err)) continue;
      log(
        'error',
        `net_failsafe: ${what} ${verb(on)} failed for sub_device ${sub.sid}: ${text(err)}`,
      );
      failure = { err };
      break;
    }
  }
  if (failure === null) return;
  // the undo on every ACTIVE sub-device
  for (const { sub, port } of activeSubDevices(subs)) {
    try {
      set(port, !on);
    } catch (err) {
      if (fsErrIgnored(sub, err)) continue;
      log(
        'error',
        `net_failsafe: ${what} ${verb(!on)} during rollback failed for sub_device ${sub.sid}: ${text(err)}`,
      );
    }
  }
  throw failure.err;
}

/**
 * failsafe_ops.c fs_set_mc_addr_list: the list on every ACTIVE sub-device; any failure (no
 * {@link fsErrIgnored} here: a sub-device that is gone fails the call too) sets every ACTIVE
 * sub-device back to `previous`, the fail-safe's list before the call, logging an undo that
 * fails, and the first failure is thrown.
 *
 * @example
 * ```ts
 * setMcListWithRollback(subs, log, [group], fs.mcAddrs);
 * ```
 */
export function setMcListWithRollback(
  subs: readonly FailsafeSubDevice[],
  log: DpdkLogger,
  list: readonly MacAddress[],
  previous: readonly MacAddress[],
): void {
  let failure: unknown = null;
  for (const { sub, port } of activeSubDevices(subs)) {
    try {
      port.setMcAddrList(list);
    } catch (err) {
      log(
        'error',
        `net_failsafe: Operation rte_eth_dev_set_mc_addr_list failed for sub_device ${sub.sid}: ${text(err)}`,
      );
      failure = err;
      break;
    }
  }
  if (failure === null) return;
  for (const { sub, port } of activeSubDevices(subs)) {
    try {
      port.setMcAddrList(previous);
    } catch (err) {
      log(
        'error',
        `net_failsafe: Multicast MAC address list rollback for sub_device ${sub.sid} failed: ${text(err)}`,
      );
    }
  }
  throw failure;
}

function text(err: unknown): string {
  return isBypassError(err) ? err.message : String(err);
}
