import type { NvspClient, NvspSwitchResult } from '../nvsp/NvspClient.js';

/**
 * The datapath switch of Linux netvsc (`netvsc_drv.c` netvsc_vf_changed, `netvsc.c`
 * netvsc_switch_datapath, with the 2021 "prevent packet loss during VF add/remove" series): the
 * VF carries TX only once the host completed SWITCH_DATA_PATH to it; going to synthetic blocks VF
 * TX at once, before the host answers; a switch to the VF waits for the host's VF association;
 * one request is in flight at a time and the state is reconciled when it completes (the VF may
 * have come or gone meanwhile). A failed switch leaves the synthetic path in use until the next
 * VF event.
 *
 * @example
 * ```ts
 * const dp = new NetvscDatapath(client, (m) => console.log(m), (vf) => console.log('switched', vf));
 * dp.reconcile(true, 'enP1s2');  // VF up: switch (or wait for the association)
 * dp.dataPathIsVf;               // true once the host completed
 * ```
 */
export class NetvscDatapath {
  /** `data_path_is_vf`: the TX gate. */
  private vfPath = false;
  /** The datapath the host last completed. */
  hostPathIsVf = false;
  /**
   * True after a switch timed out: the host may still apply it (a busy host reads it later), so
   * its datapath is unknown and the next VF event sends an explicit request even when it matches
   * `hostPathIsVf` (found by the model-based test: a VF removed after a timed-out switch to it
   * sent nothing, and the host, reading the old request late, kept sending to the gone VF).
   */
  hostPathUnknown = false;
  /** True while a VF is up but the host has not sent its association yet. */
  waitingForAssociation = false;
  /** Switches completed / failed. */
  switches = 0;
  failures = 0;
  private requested: boolean | null = null;
  /** Set by {@link NetvscDatapath.dispose}: the device is gone, nothing more is sent. */
  private disposed = false;
  /** Set by {@link NetvscDatapath.suspend}: requests wait for {@link NetvscDatapath.resume}. */
  private suspended = false;
  private abandon: (() => void) | null = null;
  /** What waits for no request to be in flight any more ({@link NetvscDatapath.whenSettled}). */
  private settled: (() => void)[] = [];
  private want = false;
  private vfName = '';
  private readonly client: NvspClient;
  private readonly log: (msg: string) => void;
  private readonly switched: (vf: boolean, vfName: string) => void;
  /** Called whenever `dataPathIsVf` changes (the driver re-routes TX then). */
  private readonly changed: () => void;

  constructor(
    client: NvspClient,
    log: (msg: string) => void,
    switched: (vf: boolean, vfName: string) => void,
    changed: () => void = () => {},
  ) {
    this.client = client;
    this.log = log;
    this.switched = switched;
    this.changed = changed;
  }

  private setVfPath(vf: boolean): void {
    if (vf === this.vfPath) return;
    this.vfPath = vf;
    this.changed();
  }

  /** True once the host completed a switch to the VF and the VF is still wanted (Linux `data_path_is_vf`). */
  get dataPathIsVf(): boolean {
    return this.vfPath;
  }

  /** True while a switch request waits for its completion. */
  get inFlight(): boolean {
    return this.requested !== null;
  }

  /** The VF's state changed: `want` = it is present and up. */
  reconcile(want: boolean, vfName: string): void {
    this.want = want;
    if (vfName !== '') this.vfName = vfName;
    if (!want) {
      // netvsc.c: block sending traffic to the VF if it is about to be gone.
      this.setVfPath(false);
      this.waitingForAssociation = false;
    }
    if (this.disposed) return;
    if (this.requested !== null || (want === this.hostPathIsVf && !this.hostPathUnknown)) {
      if (this.requested === null) this.setVfPath(want && this.hostPathIsVf);
      return;
    }
    if (this.suspended) return;
    if (want && !this.client.vfAllocated) {
      if (!this.waitingForAssociation) this.log('Waiting for the VF association from host');
      this.waitingForAssociation = true;
      return;
    }
    this.waitingForAssociation = false;
    this.request(want);
  }

  /** The host sent a VF association: a switch waiting for it proceeds. */
  associationChanged(): void {
    if (this.waitingForAssociation && this.client.vfAllocated) this.reconcile(this.want, '');
  }

  /**
   * Calls `done` once no switch request is in flight any more, at once when none is (nor will
   * be: the device is gone): what a VF's `going-down` waits for, as netvsc.c
   * netvsc_switch_datapath waits for the host's completion inside the notifier.
   */
  whenSettled(done: () => void): void {
    if (this.requested === null || this.disposed) done();
    else this.settled.push(done);
  }

  private flushSettled(): void {
    const waiting = this.settled;
    if (waiting.length === 0) return;
    this.settled = [];
    for (const done of waiting) done();
  }

  /**
   * netvsc is detached and attached again (an MTU change): no request is sent meanwhile. In Linux
   * the whole change holds RTNL, so a VF event waits for it in `netvsc_vf_changed`; here the event
   * is recorded (blocking VF TX at once when the VF goes away, as always) and acted on at
   * {@link NetvscDatapath.resume}. Call it with no request in flight ({@link NetvscDatapath.whenSettled}).
   */
  suspend(): void {
    this.suspended = true;
  }

  /** The attach finished (or failed): what the VF did meanwhile is acted on now. */
  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    if (!this.disposed) this.reconcile(this.want, '');
  }

  /**
   * The device goes away: a switch still waiting for its completion is abandoned (no timer left)
   * and later VF events send no switch (netvsc_drv.c netvsc_remove releases the VF through
   * netvsc_unregister_vf, which sends no datapath message).
   */
  dispose(): void {
    this.disposed = true;
    this.abandon?.();
    this.abandon = null;
    this.requested = null;
    this.waitingForAssociation = false;
    this.flushSettled();
  }

  private request(vf: boolean): void {
    this.requested = vf;
    const name = this.vfName;
    this.abandon = this.client.switchDataPath(vf, (r: NvspSwitchResult) => {
      this.requested = null;
      this.abandon = null;
      const dir = vf ? 'to' : 'from';
      if (r === 'ok') {
        this.hostPathIsVf = vf;
        this.hostPathUnknown = false;
        this.switches++;
        this.log(`Data path switched ${dir} VF: ${name}`);
        this.switched(vf, name);
      } else {
        this.failures++;
        if (r === 'timeout') this.hostPathUnknown = true;
        this.log(`Data path failed to switch ${dir} VF: ${name}, err: ${switchErr(r)}`);
      }
      this.setVfPath(this.want && this.hostPathIsVf);
      if (r === 'ok' && this.want !== this.hostPathIsVf) this.reconcile(this.want, '');
      if (this.requested === null) this.flushSettled();
    });
  }
}

/**
 * The `err:` of netvsc_vf_changed's failure line: the errno Linux would print (-EAGAIN when the
 * ring stayed full through the retries, -ENODEV on a rescinded channel); `timeout` has no Linux
 * counterpart (netvsc_switch_datapath waits forever), so it stays a word.
 */
function switchErr(r: NvspSwitchResult): string {
  if (r === 'busy') return '-11';
  if (r === 'closed') return '-19';
  return r;
}
