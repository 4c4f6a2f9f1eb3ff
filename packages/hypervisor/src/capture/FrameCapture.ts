import type { PacketPool } from '@bypass/core';

/**
 * Where the simulator copies frames that pass a capture point (a peer's port, a VM NIC's VF
 * wire, its paravirtual wire, a host's uplink). Recording is off unless a capture is given to
 * the run, so the data plane pays nothing for it by default.
 *
 * @example
 * ```ts
 * const cap: FrameCapture = new PcapCapture();
 * const p = cap.point('vm1-eth0-vf');
 * cap.record(p, pool, pkts, 0, n, scheduler.now());
 * ```
 */
export interface FrameCapture {
  /** The id of the capture point called `name` (created on first use; names are file-safe). */
  point(name: string): number;
  /** Copies `pkts[start .. start+count)` (their bytes now) into capture point `point` at `timeNs`. */
  record(
    point: number,
    pool: PacketPool,
    pkts: Int32Array,
    start: number,
    count: number,
    timeNs: number,
  ): void;
}
