import { NS_PER_US, type Scheduler, type TimerId } from '@bypass/core';
import { RNDIS_STATUS } from '../rndis/RndisConstants.js';

/** hn_rndis.c hn_rndis_link_status: `rte_eal_alarm_set(10, hn_rndis_link_alarm, dev)`, in ns. */
export const HN_LSC_ALARM_NS = 10 * NS_PER_US;
/** Link speed before the host says otherwise (hn_dev_info_get: 10G), Mbps. */
const DEFAULT_SPEED = 10_000;

/**
 * What an RNDIS status indication was to the PMD ({@link HnLink.onStatus}): `'link'` (a media or
 * speed change), `'short-speed'` (a speed change whose buffer is too short to carry the speed),
 * `'ignored'` (NETWORK_CHANGE, TASK_OFFLOAD_CURRENT_CONFIG: "not in DPDK API") or `'unknown'`.
 *
 * @example
 * ```ts
 * if (link.onStatus(status, buffer) === 'unknown') log('info', 'unknown RNDIS indication');
 * ```
 */
export type HnStatusKind = 'link' | 'short-speed' | 'ignored' | 'unknown';

/**
 * The netvsc PMD's view of the host's link (hn_rndis.c hn_rndis_link_status and
 * hn_rndis_link_alarm). An indication read from the ring records nothing in the port: it only
 * updates what the host would answer to hn_dev_link_update's OID_GEN_MEDIA_CONNECT_STATUS and
 * OID_GEN_LINK_SPEED queries ({@link HnLink.up}, {@link HnLink.speed}) and, when the application
 * configured `intr_conf.lsc`, arms one 10 us alarm per media or speed indication whose callback
 * raises the port's link event. The port records the link itself, at start and at `linkGet`.
 *
 * Model: a real query polls the primary channel until the host answers; here the answer is the
 * state of the indications already read, so a link query reads no ring.
 *
 * @example
 * ```ts
 * const link = new HnLink(scheduler, true, () => port.devConf.lsc, () => port.emit('intr_lsc', port));
 * port.configure(1, 1, { lsc: true });               // intr_conf.lsc
 * link.onStatus(RNDIS_STATUS.MEDIA_DISCONNECT, buf); // 'link'; the event 10 us later
 * link.up;                                           // false: what the next query answers
 * ```
 */
export class HnLink {
  /** What OID_GEN_MEDIA_CONNECT_STATUS answers: connected (the bring-up's, then the indications'). */
  up: boolean;
  /** What OID_GEN_LINK_SPEED answers, in Mbps. */
  speed = DEFAULT_SPEED;
  private readonly scheduler: Scheduler;
  /** Reads the port's `dev_conf.intr_conf.lsc`. */
  private readonly lsc: () => boolean;
  private readonly raise: () => void;
  private readonly alarms = new Set<TimerId>();

  /**
   * `up`: the bring-up's media state; `lsc` reads the port's `intr_conf.lsc` (its
   * `EthDev.devConf`); `raise` emits the port's `intr_lsc`.
   */
  constructor(scheduler: Scheduler, up: boolean, lsc: () => boolean, raise: () => void) {
    this.scheduler = scheduler;
    this.up = up;
    this.lsc = lsc;
    this.raise = raise;
  }

  /** Link alarms armed and not yet run. */
  get pendingAlarms(): number {
    return this.alarms.size;
  }

  /**
   * hn_rndis_link_status: an RNDIS indicate-status read from the ring. A media or speed change
   * updates what the host would answer and, with `lsc`, arms the alarm (DPDK does not read the
   * indication's buffer; the model reads the speed from it, and a buffer too short to hold it
   * leaves the speed alone, still arming the alarm).
   */
  onStatus(status: number, buffer: Uint8Array): HnStatusKind {
    let kind: HnStatusKind = 'link';
    switch (status) {
      case RNDIS_STATUS.NETWORK_CHANGE:
      case RNDIS_STATUS.TASK_OFFLOAD_CURRENT_CONFIG:
        return 'ignored';
      case RNDIS_STATUS.MEDIA_CONNECT:
      case RNDIS_STATUS.MEDIA_DISCONNECT:
        this.up = status === RNDIS_STATUS.MEDIA_CONNECT;
        break;
      case RNDIS_STATUS.LINK_SPEED_CHANGE:
        if (buffer.length < 4) kind = 'short-speed';
        // the speed in 100 b/s units (hn_dev_link_update divides OID_GEN_LINK_SPEED by 10000)
        else
          this.speed = Math.floor(
            new DataView(buffer.buffer, buffer.byteOffset).getUint32(0, true) / 10_000,
          );
        break;
      default:
        return 'unknown';
    }
    if (this.lsc()) this.arm();
    return kind;
  }

  /** hn_rndis.c hn_rndis_detach: `rte_eal_alarm_cancel(hn_rndis_link_alarm, dev)`. */
  cancelAlarms(): void {
    for (const id of this.alarms) this.scheduler.cancel(id);
    this.alarms.clear();
  }

  // hn_rndis.c hn_rndis_link_alarm: raises RTE_ETH_EVENT_INTR_LSC and records nothing; one alarm
  // per indication (rte_eal_alarm_set does not merge them)
  private arm(): void {
    const id: TimerId = this.scheduler.runAfter(HN_LSC_ALARM_NS, () => {
      this.alarms.delete(id);
      this.raise();
    });
    this.alarms.add(id);
  }
}
