import { BypassError } from '@bypass/core';
import netlink from 'netlink';
import { Subject, type Observable } from 'rxjs';
import { addressRecordFromMessage, type AddressRecord } from './AddressRecord.js';
import { linkRecordFromMessage, type LinkRecord } from './LinkRecord.js';
import type { LinkSource, LinkUpdate } from './LinkSource.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 1;
const NLM_F_DUMP = 0x300;
const NLM_F_DUMP_INTR = 16;
const RTNLGRP_LINK = 1;
const MIN_RCVBUF = 64 << 10;

/**
 * Options of an {@link RtnlLinkSource}.
 *
 * @example
 * ```ts
 * const o: RtnlLinkSourceOptions = { requestTimeoutMs: 2000 };
 * ```
 */
export interface RtnlLinkSourceOptions {
  /** Timeout of on-demand requests ({@link RtnlLinkSource.readLinks}); default 5000 ms. */
  requestTimeoutMs?: number;
  /**
   * `SO_RCVBUF` of the notification socket; default 4 MiB (the kernel caps it at
   * `net.core.rmem_max`), never below 64 KiB. Keep it large: see the overflow note on
   * {@link RtnlLinkSource}.
   */
  recvBufferSize?: number;
}

/**
 * The real {@link LinkSource}: an rtnetlink socket (the `netlink` npm package) subscribed to
 * `RTNLGRP_LINK` that dumps the links once and then follows `RTM_NEWLINK` / `RTM_DELLINK`
 * notifications, all on one socket so that dump replies and notifications are processed in the
 * order the kernel queued them. A receive-buffer overflow (`ENOBUFS`, notifications lost) or an
 * interrupted dump (`NLM_F_DUMP_INTR`) triggers a new dump (`sync-start` ... `synced`).
 *
 * Netlink sockets see the network namespace of the process that opens them: to observe another
 * namespace, run the process inside it (`ip netns exec <ns> ...`). No privilege is needed.
 * A message that cannot be decoded is skipped and counted in {@link RtnlLinkSource.skipped},
 * with the reason in {@link RtnlLinkSource.lastSkipReason}.
 *
 * Known limitation of `netlink` 0.3.0: when the socket overflows while the event loop is blocked
 * (hundreds of link changes queued while JavaScript runs for a long time), the native binding
 * aborts the process instead of reporting `ENOBUFS` (seen in tests; the error path of its poll
 * handler). An overflow noticed while reading is handled (resync). A large receive buffer makes
 * the overflow unlikely; the test suite does not provoke it.
 *
 * @example
 * ```ts
 * const source = new RtnlLinkSource();
 * source.updates$.subscribe((u) => console.log(u.op, u.op === 'new' ? u.link.name : ''));
 * source.start();
 * const withStats = await source.readLinks();
 * source.close();
 * ```
 */
export class RtnlLinkSource implements LinkSource {
  private readonly subject = new Subject<LinkUpdate>();
  private readonly timeoutMs: number;
  private readonly recvBufferSize: number;
  private events: netlink.RawNetlinkSocket | null = null;
  private requests: netlink.RtNetlinkSocket | null = null;
  private dumpSeq = 0;
  private dumpInterrupted = false;
  private dumpPending = false;
  private seq = 1;
  private closed = false;
  /** Messages skipped because they could not be decoded. */
  skipped = 0;
  /** Why the last message was skipped, or null. */
  lastSkipReason: string | null = null;
  /** Full dumps done so far (1 after start; more after resyncs). */
  dumps = 0;

  readonly updates$: Observable<LinkUpdate> = this.subject.asObservable();

  constructor(options: RtnlLinkSourceOptions = {}) {
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
    this.recvBufferSize = Math.max(options.recvBufferSize ?? 4 << 20, MIN_RCVBUF);
  }

  /**
   * Opens the notification socket, joins `RTNLGRP_LINK`, and requests the first dump.
   *
   * @throws `BypassError` `ERR_STATE` when closed or already started, `ERR_NOT_SUPPORTED`
   * when the socket cannot be opened (not Linux, or the native binding failed to load).
   */
  start(): void {
    if (this.closed || this.events !== null) {
      throw new BypassError(
        'ERR_STATE',
        'RtnlLinkSource.start() may be called once, before close()',
      );
    }
    let sock: netlink.RawNetlinkSocket;
    try {
      sock = new netlink.RawNetlinkSocket(netlink.Protocol.ROUTE, {
        recvBufferSize: this.recvBufferSize,
        sendBufferSize: 64 << 10,
      });
      sock.addMembership(RTNLGRP_LINK);
    } catch (err) {
      throw new BypassError(
        'ERR_NOT_SUPPORTED',
        `cannot open an rtnetlink socket (${err instanceof Error ? err.message : String(err)}); bypass watch needs Linux`,
      );
    }
    this.events = sock;
    // Nothing may throw back into the native binding (it aborts the process): route to fail().
    sock.on('message', (buf) => this.guard(() => this.onData(buf)));
    sock.on('error', (err) => this.guard(() => this.onError(err)));
    // A truncated message is a lost notification: only a new dump recovers.
    sock.on('truncatedMessage', () => this.guard(() => this.requestDump()));
    this.requestDump();
  }

  /**
   * Reads every link with its stats64 counters (a separate request socket, so the notification
   * stream is not disturbed).
   *
   * @throws `BypassError` `ERR_STATE` when closed or when the kernel did not answer in time.
   */
  async readLinks(): Promise<LinkRecord[]> {
    const sock = this.requestSocket();
    let msgs: netlink.rt.LinkMessage[];
    try {
      msgs = await sock.getLinks(undefined, undefined, { timeout: this.timeoutMs });
    } catch (err) {
      throw this.requestError('RTM_GETLINK', err);
    }
    const out: LinkRecord[] = [];
    for (const m of msgs) {
      try {
        out.push(linkRecordFromMessage(m));
      } catch (err) {
        this.skip(err);
      }
    }
    return out;
  }

  /**
   * Reads every IPv4 and IPv6 address.
   *
   * @throws `BypassError` `ERR_STATE` when closed or when the kernel did not answer in time.
   */
  async readAddresses(): Promise<AddressRecord[]> {
    const sock = this.requestSocket();
    let msgs: netlink.rt.AddressMessage[];
    try {
      msgs = await sock.getAddresses(undefined, undefined, { timeout: this.timeoutMs });
    } catch (err) {
      throw this.requestError('RTM_GETADDR', err);
    }
    const out: AddressRecord[] = [];
    for (const m of msgs) {
      try {
        const a = addressRecordFromMessage(m);
        if (a !== null) out.push(a);
      } catch (err) {
        this.skip(err);
      }
    }
    return out;
  }

  /** Closes both sockets and completes {@link RtnlLinkSource.updates$}. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events?.close();
    this.events = null;
    this.requests?.socket.close();
    this.requests = null;
    this.subject.complete();
  }

  private requestSocket(): netlink.RtNetlinkSocket {
    if (this.closed) throw new BypassError('ERR_STATE', 'this RtnlLinkSource is closed');
    return (this.requests ??= netlink.createRtNetlink());
  }

  private requestError(what: string, err: unknown): BypassError {
    return new BypassError(
      'ERR_STATE',
      `rtnetlink ${what} request failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  private requestDump(): void {
    const sock = this.events;
    if (sock === null) return;
    if (this.dumpSeq !== 0) {
      this.dumpPending = true; // one dump at a time; redo when the current one ends
      return;
    }
    const body = new netlink.AttrStream();
    netlink.rt.formatLinkMessage({ kind: 'link', data: {}, attrs: {} }, body);
    this.dumpSeq = this.seq++;
    this.dumpInterrupted = false;
    this.subject.next({ op: 'sync-start', dump: true });
    const msg = netlink.formatMessage({
      type: RTM_GETLINK,
      flags: NLM_F_REQUEST | NLM_F_DUMP,
      seq: this.dumpSeq,
      port: 0,
      data: body.bufs,
    });
    sock.send(msg, {}, (err) => {
      if (err !== undefined) this.guard(() => this.fail(this.requestError('dump', err)));
    });
  }

  private onData(buf: Buffer): void {
    let msgs: netlink.NetlinkMessage[];
    try {
      msgs = netlink.parseMessages(buf);
    } catch (err) {
      this.skip(err);
      return;
    }
    for (const m of msgs) {
      if (this.closed) return;
      const fromDump = this.dumpSeq !== 0 && m.seq === this.dumpSeq;
      if (fromDump && (m.flags & NLM_F_DUMP_INTR) !== 0) this.dumpInterrupted = true;
      if (m.type === NLMSG_DONE && fromDump) {
        this.endDump();
      } else if (m.type === NLMSG_ERROR && fromDump) {
        const errno = m.data.length >= 4 ? -m.data.readInt32LE(0) : 0;
        this.fail(
          new BypassError('ERR_STATE', `the kernel refused the link dump (errno ${errno})`),
        );
      } else if (m.type === RTM_NEWLINK || m.type === RTM_DELLINK) {
        let link: LinkRecord;
        try {
          link = linkRecordFromMessage(netlink.rt.parseLinkMessage(m.data));
        } catch (err) {
          this.skip(err);
          continue;
        }
        if (m.type === RTM_NEWLINK) this.subject.next({ op: 'new', link, dump: fromDump });
        else this.subject.next({ op: 'del', link, dump: false });
      }
    }
  }

  private endDump(): void {
    this.dumpSeq = 0;
    this.dumps++;
    this.subject.next({ op: 'synced', dump: true });
    if (this.dumpInterrupted || this.dumpPending) {
      this.dumpPending = false;
      this.requestDump();
    }
  }

  private onError(err: netlink.ErrnoException): void {
    if (this.closed) return;
    if (err.code === 'ENOBUFS') {
      // Notifications were lost: the only safe recovery is a full dump.
      this.requestDump();
      return;
    }
    this.fail(new BypassError('ERR_STATE', `rtnetlink socket error: ${err.message}`));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(
        err instanceof BypassError
          ? err
          : new BypassError(
              'ERR_STATE',
              `rtnetlink processing failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
            ),
      );
    }
  }

  private skip(err: unknown): void {
    this.skipped++;
    this.lastSkipReason = err instanceof Error ? err.message : String(err);
  }

  private fail(err: BypassError): void {
    if (this.closed) return;
    this.closed = true;
    this.events?.close();
    this.events = null;
    this.requests?.socket.close();
    this.requests = null;
    this.subject.error(err);
  }
}
