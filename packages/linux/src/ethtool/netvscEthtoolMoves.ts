/**
 * Packets netvsc moved on each of its paths between two `ethtool -S` readings of the netvsc
 * interface, in netvsc's own units (skbs): `vfTx`/`vfRx` from `vf_tx_packets`/`vf_rx_packets`,
 * `syntheticTx`/`syntheticRx` summed over the channels' `tx_queue_<n>_packets` /
 * `rx_queue_<n>_packets`.
 *
 * @example
 * ```ts
 * const m: NetvscEthtoolMoves = { vfTx: 1200, vfRx: 1100, syntheticTx: 0, syntheticRx: 4 };
 * ```
 */
export interface NetvscEthtoolMoves {
  readonly vfTx: number;
  readonly vfRx: number;
  readonly syntheticTx: number;
  readonly syntheticRx: number;
}

const QUEUE = /^(tx|rx)_queue_\d+_packets$/;

function grow(after: number, before: number | undefined): number {
  // A channel that is new since the last reading counts from zero; a restarted one (ethtool -L
  // or an MTU change re-creates netvsc's channels, netvsc_drv.c netvsc_attach) as no growth.
  const b = before ?? 0;
  return after >= b ? after - b : 0;
}

/**
 * The per-path packet growth of a netvsc interface between two `ethtool -S` readings, or a
 * sentence saying why it cannot be computed (the driver does not expose `vf_*` counters).
 *
 * Kernel facts (drivers/net/hyperv/netvsc_drv.c, mainline 6.x):
 * - `vf_tx_packets` grows in netvsc_vf_xmit when the VF queued an skb (one GSO skb = 1);
 * - `vf_rx_packets` grows in netvsc_vf_handle_frame, the VF's rx_handler, once per skb the VF
 *   hands to the stack;
 * - `tx_queue_<n>_packets` / `rx_queue_<n>_packets` are the synthetic channels' own counters
 *   (netvsc_get_ethtool_stats), which never include the VF's.
 *
 * @example
 * ```ts
 * const m = netvscEthtoolMoves(before, after);
 * if (typeof m !== 'string') console.log(`${m.vfTx} on the VF, ${m.syntheticTx} synthetic`);
 * ```
 */
export function netvscEthtoolMoves(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): NetvscEthtoolMoves | string {
  const vfTx = after.get('vf_tx_packets');
  const vfRx = after.get('vf_rx_packets');
  const vfTx0 = before.get('vf_tx_packets');
  const vfRx0 = before.get('vf_rx_packets');
  if (vfTx === undefined || vfRx === undefined || vfTx0 === undefined || vfRx0 === undefined) {
    return 'ethtool -S shows no vf_tx_packets/vf_rx_packets (not hv_netvsc, or a kernel without them)';
  }
  let syntheticTx = 0;
  let syntheticRx = 0;
  let queues = 0;
  for (const [name, value] of after) {
    const m = QUEUE.exec(name);
    if (m === null) continue;
    queues++;
    const g = grow(value, before.get(name));
    if (m[1] === 'tx') syntheticTx += g;
    else syntheticRx += g;
  }
  if (queues === 0) return 'ethtool -S shows no tx_queue_<n>_packets/rx_queue_<n>_packets';
  return {
    vfTx: grow(vfTx, vfTx0),
    vfRx: grow(vfRx, vfRx0),
    syntheticTx,
    syntheticRx,
  };
}
