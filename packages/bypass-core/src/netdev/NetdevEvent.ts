import type { MacAddress } from './MacAddress.js';
import type { NetDevice } from './NetDevice.js';
import type { NetNamespace } from './NetNamespace.js';

/**
 * Netdev notifier events (Linux `enum netdev_cmd` in `include/linux/netdevice.h`), as stable
 * kebab-case strings.
 *
 * - `post-init`: a device is being registered; emitted just before `register` (Linux
 *   `NETDEV_POST_INIT`), so a driver can claim it (netvsc sets IFF_SLAVE on its VF there).
 * - `register` / `unregister`: the device entered / left the namespace (also on namespace moves).
 * - `up`, `going-down`, `down`: administrative state (`dev_open` / `dev_close`).
 * - `change`: carrier, flags or presence (detach/attach) changed (`detail` says which).
 * - `changename`, `changemtu`, `changeaddr`: with the old value.
 * - `join`: the device just became a slave of a master (`NETDEV_JOIN`).
 * - `changeupper`: a master link was made or removed (`upper`, `linking`).
 * - `feat-change`: offload features changed, or were recomputed (Linux `netdev_change_features`
 *   notifies even when they stayed the same).
 * - `changelowerstate`: a master reported the state of one of its lower devices
 *   (`NETDEV_CHANGELOWERSTATE`, `netdev_lower_state_changed`; `lowerState` says what).
 *
 * @example
 * ```ts
 * const t: NetdevEventType = 'changename';
 * ```
 */
export type NetdevEventType =
  | 'post-init'
  | 'register'
  | 'unregister'
  | 'up'
  | 'going-down'
  | 'down'
  | 'change'
  | 'changename'
  | 'changemtu'
  | 'changeaddr'
  | 'join'
  | 'changeupper'
  | 'feat-change'
  | 'changelowerstate';

/**
 * One notifier-chain event. Delivered synchronously, in order, to every subscriber of
 * {@link NetNamespace.events$}; a subscriber that changes a device while handling an event
 * produces nested events that every subscriber sees before the outer event reaches the next
 * subscriber, exactly like nested `call_netdevice_notifiers` under RTNL.
 *
 * @example
 * ```ts
 * ns.events$.subscribe((e: NetdevEvent) => {
 *   if (e.type === 'changename') console.log(`${e.oldName} -> ${e.dev.name}`);
 * });
 * ```
 */
export interface NetdevEvent {
  readonly type: NetdevEventType;
  readonly dev: NetDevice;
  readonly ns: NetNamespace;
  /** `changename`: the previous name. */
  readonly oldName?: string;
  /** `changemtu`: the previous MTU. */
  readonly oldMtu?: number;
  /** `changeaddr`: the previous current address. */
  readonly oldAddress?: MacAddress;
  /** `changeupper`: the master that was linked or unlinked. */
  readonly upper?: NetDevice;
  /** `changeupper`: true when linking, false when unlinking. */
  readonly linking?: boolean;
  /** `change`: `'carrier'`, `'flags'` or `'presence'` (detach/attach). */
  readonly detail?: 'carrier' | 'flags' | 'presence';
  /**
   * `changelowerstate`: the state the master reported (Linux `struct
   * netdev_lag_lower_state_info`): carrier, and whether the master may transmit through it now.
   */
  readonly lowerState?: { readonly linkUp: boolean; readonly txEnabled: boolean };
}
