import type { BusDevice, VfDevice } from '@bypass/core';
import type { VirtioNetBackend } from '@bypass/virtio-backup';
import type { NicModelContext } from './NicModel.js';

/**
 * A `link-down`/`link-up` step on a guest with a virtio-net NIC and a VF: `backup` is the
 * virtio device's host-side link (QEMU `set_link`: the config status LINK_UP bit), `vf` the
 * VF's carrier (the PF lost link, or the host reset the VF). Returns false for other roles.
 *
 * @example
 * ```ts
 * setLink(role, up) { return setVirtioOrVfLink(this.backend, this.vf, role, up); }
 * ```
 */
export function setVirtioOrVfLink(
  backend: VirtioNetBackend,
  vf: VfDevice | null,
  role: string,
  up: boolean,
): boolean {
  if (role === 'backup') backend.setLink(up);
  else if (role === 'vf' && vf !== null) vf.setLink(up);
  else return false;
  return true;
}

/**
 * The VF's PCI function goes away: the device is hot-unplugged (its netdev, if any, is
 * unregistered and its rings flushed on a surprise) and the function leaves the VM's bus.
 *
 * @example
 * ```ts
 * removeVfFunction(this.ctx, vf, this.fn, surprise);
 * ```
 */
export function removeVfFunction(
  ctx: NicModelContext,
  vf: VfDevice,
  fn: BusDevice | null,
  surprise: boolean,
): void {
  vf.hotUnplug({ surprise });
  if (fn !== null && ctx.bus.get(fn.id) === fn) ctx.bus.remove(fn, { surprise });
}
