import { ETH_DEV_FLAG, ETH_OFFLOAD, type EthDevInfo } from '../ethdev/EthTypes.js';
import { SubDevState, type FailsafeSubDevice, type SubDevStateValue } from './FailsafeSubDevice.js';

/**
 * The fail-safe TX choice (drivers/net/failsafe/failsafe_private.h fs_switch_dev): returns the
 * index of the sub-device TX should use, or -1 for none.
 *
 * - The preferred sub-device (index 0) is chosen as soon as its state has reached the port's
 *   state `req`, if TX is on no sub-device, or the port is started, or the current one is not
 *   started.
 * - Otherwise the current one stays if it is still usable, else the first usable one.
 * - Usable: probed, state >= `req`, not `banned` and not being removed. (DPDK only skips the
 *   sub-device named in the call; here one flagged for removal is never chosen again, so a later
 *   re-selection cannot move TX back onto a device that is going away.)
 *
 * @example
 * ```ts
 * const tx = selectTxSubDevice(subs, current, SubDevState.STARTED, removedSub);
 * ```
 */
export function selectTxSubDevice(
  subs: readonly FailsafeSubDevice[],
  current: number,
  req: SubDevStateValue,
  banned: FailsafeSubDevice | null,
): number {
  const usable = (s: FailsafeSubDevice | undefined): s is FailsafeSubDevice =>
    s !== undefined && s !== banned && !s.remove && s.port !== null && s.state >= req;
  const txd = subs[current];
  if (usable(subs[0])) {
    if (
      current !== 0 &&
      (txd === undefined || req === SubDevState.STARTED || txd.state < SubDevState.STARTED)
    ) {
      return 0;
    }
    return current;
  }
  if (usable(txd)) return current;
  return subs.findIndex((s) => usable(s));
}

/**
 * failsafe_ops.c fs_dev_infos_get: the RX offloads a sub-device's configure can check, as far as
 * {@link ETH_OFFLOAD} names them (DPDK's set also has the checksum, LRO, QinQ, MACsec, extended
 * VLAN, scatter, timestamp and security offloads).
 */
const FS_RX_OFFLOAD_CAPA = ETH_OFFLOAD.VLAN_STRIP | ETH_OFFLOAD.VLAN_FILTER | ETH_OFFLOAD.RSS_HASH;
/**
 * failsafe_ops.c fs_dev_infos_get: the TX offloads likewise (DPDK's also has fast mbuf free,
 * checksums and TSO; VLAN insertion is not in it).
 */
const FS_TX_OFFLOAD_CAPA = ETH_OFFLOAD.MULTI_SEGS;

/**
 * Device info of a fail-safe port (failsafe_ops.c fs_dev_infos_get): DPDK's defaults when no
 * sub-device is probed, else the MIN of limits (MAX of the minimum MTU) over the probed
 * sub-devices. Offload capabilities start from the fixed set fail-safe can check on a sub-device
 * (RX: VLAN strip, VLAN filter, RSS hash; TX: multi-segment, not VLAN insertion) and are ANDed
 * with each probed sub-device's. The flags are the port's own: `INTR_LSC`
 * only (failsafe.c fs_eth_dev_create), so the port cannot be configured with `rmv`.
 *
 * @example
 * ```ts
 * failsafeDevInfo(fs.subDevices).maxRxQueues; // the smallest of the sub-devices'
 * ```
 */
export function failsafeDevInfo(subs: readonly FailsafeSubDevice[]): EthDevInfo {
  const info: EthDevInfo = {
    driverName: 'net_failsafe',
    maxRxQueues: 1024,
    maxTxQueues: 1024,
    maxMacAddrs: 128,
    minMtu: 68,
    maxMtu: 65535,
    maxRxPktLen: 0xffff_ffff,
    rxOffloadCapa: FS_RX_OFFLOAD_CAPA,
    txOffloadCapa: FS_TX_OFFLOAD_CAPA,
    // failsafe.c fs_eth_dev_create: LSC, and ethdev's per-queue xstats (fs_stats_get fills none)
    devFlags: ETH_DEV_FLAG.INTR_LSC | ETH_DEV_FLAG.AUTOFILL_QUEUE_XSTATS,
  };
  for (const sub of subs) {
    if (sub.state < SubDevState.PROBED || sub.port === null) continue;
    const s = sub.port.devInfo();
    info.maxRxQueues = Math.min(info.maxRxQueues, s.maxRxQueues);
    info.maxTxQueues = Math.min(info.maxTxQueues, s.maxTxQueues);
    info.maxMacAddrs = Math.min(info.maxMacAddrs, s.maxMacAddrs);
    info.minMtu = Math.max(info.minMtu, s.minMtu);
    info.maxMtu = Math.min(info.maxMtu, s.maxMtu);
    info.maxRxPktLen = Math.min(info.maxRxPktLen, s.maxRxPktLen);
    info.rxOffloadCapa = (info.rxOffloadCapa & s.rxOffloadCapa) >>> 0;
    info.txOffloadCapa = (info.txOffloadCapa & s.txOffloadCapa) >>> 0;
  }
  return info;
}
