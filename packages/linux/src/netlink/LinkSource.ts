import type { Observable } from 'rxjs';
import type { AddressRecord } from './AddressRecord.js';
import type { LinkRecord } from './LinkRecord.js';

/**
 * One change reported by a {@link LinkSource}, in kernel order.
 *
 * - `new`: `RTM_NEWLINK` (a link appeared or changed; the record is its full new state).
 * - `del`: `RTM_DELLINK` (the link is gone).
 * - `sync-start` / `synced`: a full dump begins / ended (after start and after every resync);
 *   links not seen between the two are gone.
 *
 * `dump` is true for records that came from the dump rather than from a notification.
 *
 * @example
 * ```ts
 * source.updates$.subscribe((u) => {
 *   if (u.op === 'new') console.log(u.link.name, u.link.up ? 'up' : 'down');
 * });
 * ```
 */
export type LinkUpdate =
  | { readonly op: 'new'; readonly link: LinkRecord; readonly dump: boolean }
  | { readonly op: 'del'; readonly link: LinkRecord; readonly dump: false }
  | { readonly op: 'sync-start'; readonly dump: true }
  | { readonly op: 'synced'; readonly dump: true };

/**
 * Where kernel link state comes from: {@link RtnlLinkSource} for the real kernel, any object of
 * this shape in tests (a `Subject` fed by hand).
 *
 * @example
 * ```ts
 * const updates = new Subject<LinkUpdate>();
 * const fake: LinkSource = {
 *   updates$: updates,
 *   start: () => updates.next({ op: 'synced', dump: true }),
 *   readLinks: async () => [],
 *   readAddresses: async () => [],
 *   close: () => updates.complete(),
 * };
 * ```
 */
export interface LinkSource {
  /** Link updates in kernel order. Errors with a `BypassError` when the source fails. */
  readonly updates$: Observable<LinkUpdate>;
  /** Subscribes to link notifications, then dumps the current links (`sync-start` ... `synced`). */
  start(): void;
  /** Reads every link now, with its stats64 counters (on-demand `RTM_GETLINK` dump). */
  readLinks(): Promise<LinkRecord[]>;
  /** Reads every IPv4/IPv6 address now (`RTM_GETADDR` dump). */
  readAddresses(): Promise<AddressRecord[]>;
  /** Closes the sockets; `updates$` completes. */
  close(): void;
}
