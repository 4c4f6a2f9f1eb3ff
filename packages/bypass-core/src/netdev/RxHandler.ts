import type { NetDevice } from './NetDevice.js';

/**
 * What an rx handler did with a burst (Linux `rx_handler_result_t` in
 * `include/linux/netdevice.h`):
 * - `CONSUMED`: the handler took the frames; nothing else sees them.
 * - `ANOTHER`: deliver them as if received on the handler's data device (the master).
 * - `EXACT`: deliver them only to a listener bound exactly to this device.
 * - `PASS`: deliver them normally on this device.
 *
 * @example
 * ```ts
 * const handler: RxHandler = (dev) => (dev.master ? RX_HANDLER.ANOTHER : RX_HANDLER.PASS);
 * ```
 */
export const RX_HANDLER = {
  CONSUMED: 0,
  ANOTHER: 1,
  EXACT: 2,
  PASS: 3,
} as const;

/**
 * One of the {@link RX_HANDLER} values.
 *
 * @example
 * ```ts
 * const r: RxHandlerResult = RX_HANDLER.EXACT;
 * ```
 */
export type RxHandlerResult = (typeof RX_HANDLER)[keyof typeof RX_HANDLER];

/**
 * An rx handler (Linux `rx_handler`): sees every burst received on the device it is installed on,
 * before the device's own listener. It may split the burst itself (deliver parts elsewhere with
 * {@link NetDevice.receive}) and return `CONSUMED`. A device has at most one.
 *
 * @example
 * ```ts
 * vf.registerRxHandler((dev, pkts, start, count) => RX_HANDLER.ANOTHER, master);
 * ```
 */
export type RxHandler = (
  dev: NetDevice,
  pkts: Int32Array,
  start: number,
  count: number,
) => RxHandlerResult;

/**
 * Receives bursts delivered to a device (the protocol stack, a socket, a traffic sink). It owns
 * the frames from then on: it must free or forward every one.
 *
 * @example
 * ```ts
 * const sink: PacketSink = (dev, pkts, start, count) => {
 *   received += count;
 *   dev.pool.freeBurst(pkts, start, count);
 * };
 * master.bindSink(sink);
 * ```
 */
export type PacketSink = (dev: NetDevice, pkts: Int32Array, start: number, count: number) => void;
