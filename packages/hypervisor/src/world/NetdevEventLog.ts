import type { NetdevEvent, NetdevEventType } from '@bypass/core';
import type { EventLog } from '../sim/EventLog.js';
import type { Vm } from './Vm.js';

/** Report event kinds of the guest notifier chain's events (the others are not reported). */
const KINDS: Partial<Record<NetdevEventType, string>> = {
  register: 'netdev-register',
  unregister: 'netdev-unregister',
  up: 'netdev-up',
  down: 'netdev-down',
  changename: 'netdev-rename',
  changemtu: 'mtu-change',
};

/**
 * Logs one event of a guest's notifier chain (`vm.ns.events$`) as a report event: register,
 * unregister, admin up/down, rename, MTU change, carrier (`link-up`/`link-down`), and a slave
 * linked to or unlinked from its master (`netdev-enslave`/`netdev-release`).
 *
 * @example
 * ```ts
 * vm.ns.events$.subscribe((e) => logNetdevEvent(log, vm, e));
 * ```
 */
export function logNetdevEvent(log: EventLog, vm: Vm, e: NetdevEvent): void {
  const where = { host: vm.host.name, vm: vm.name, dev: e.dev.name };
  if (e.type === 'change' && e.detail === 'carrier') {
    log.add(e.dev.carrier ? 'link-up' : 'link-down', { ...where, detail: 'carrier' });
    return;
  }
  if (e.type === 'changeupper' && e.upper !== undefined) {
    const linking = e.linking === true;
    log.add(linking ? 'netdev-enslave' : 'netdev-release', {
      ...where,
      detail: `${linking ? 'to' : 'from'} ${e.upper.name}`,
    });
    return;
  }
  const kind = KINDS[e.type];
  if (kind === undefined) return;
  const detail =
    e.type === 'changename'
      ? `${e.oldName ?? '?'} -> ${e.dev.name}`
      : e.type === 'changemtu'
        ? `${e.oldMtu ?? '?'} -> ${e.dev.mtu}`
        : e.dev.constructor.name;
  log.add(kind, { ...where, detail });
}
