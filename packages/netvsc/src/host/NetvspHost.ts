import { DropReason, PacketPool, type MacAddress, type Scheduler } from '@bypass/core';
import { EventEmitter } from 'eventemitter3';
import {
  NETVSC_BUFFERS,
  NVSP_CAP,
  NVSP_DATAPATH,
  NVSP_INVALID_SECTION,
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_RNDIS_CHANNEL,
  NVSP_STATUS,
  NVSP_VERSIONS,
} from '../nvsp/NvspConstants.js';
import {
  decodeNvsp,
  encodeNvsp,
  isRndisDataMessage,
  type NvspMessage,
} from '../nvsp/NvspMessage.js';
import {
  RNDIS_MSG,
  RNDIS_OID,
  RNDIS_PACKET_HEADER_SIZE,
  RNDIS_STATUS,
} from '../rndis/RndisConstants.js';
import {
  RNDIS_NETWORK_ADDRESS,
  decodeRndisConfigParameter,
  parseNetworkAddress,
} from '../rndis/RndisConfigParameter.js';
import { NetvspCompletions } from './NetvspCompletions.js';
import { rndisReply } from './NetvspRndis.js';
import { rndisFilterAccepts } from './RndisPacketFilter.js';
import { decodeRndis, encodeRndis, type RndisMessage } from '../rndis/RndisMessage.js';
import { RndisPacket, RndisPacketInfo } from '../rndis/RndisPacket.js';
import type { VmbusChannel } from '../vmbus/VmbusChannel.js';
import type { VmbusEndpoint } from '../vmbus/VmbusEndpoint.js';
import { VM_PKT, VMBUS_PKT_FLAG, VmbusPacket } from '../vmbus/VmbusPacket.js';

/**
 * Options of a {@link NetvspHost}.
 *
 * @example
 * ```ts
 * const o: NetvspHostOptions = { channel, pool, scheduler, mac: MacAddress.parse('00:15:5d:00:00:01') };
 * ```
 */
export interface NetvspHostOptions {
  channel: VmbusChannel;
  /** Frames the guest sends on the synthetic path are copied into this pool. */
  pool: PacketPool;
  scheduler: Scheduler;
  /** The synthetic NIC's MAC, reported to the guest (OID_802_3_PERMANENT_ADDRESS). */
  mac: MacAddress;
  /** NVSP versions the host accepts; default all of {@link NVSP_VERSIONS}. */
  versions?: readonly number[];
  /** Most channels (primary + subchannels) the host grants; default 64. */
  maxChannels?: number;
  /** Initial link state; default up. */
  linkUp?: boolean;
}

/**
 * Typed events of a {@link NetvspHost}.
 *
 * @example
 * ```ts
 * host.events.on('datapath', (vf) => console.log('guest switched to', vf ? 'VF' : 'synthetic'));
 * ```
 */
export interface NetvspHostEvents {
  /** The guest's datapath request was accepted (`vf` true: host RX now goes to the VF). */
  datapath: (vf: boolean) => void;
  /** The guest finished the NVSP/RNDIS bring-up (RNDIS initialized). */
  'guest-ready': (version: number) => void;
  /** A message from the guest was refused as malformed. */
  malformed: (reason: string) => void;
  /** The guest changed its MAC address (RNDIS `NetworkAddress` parameter accepted). */
  address: (mac: MacAddress) => void;
}

/**
 * Counters of a {@link NetvspHost}.
 *
 * @example
 * ```ts
 * console.log(host.stats.fromGuestFrames, host.stats.toGuestFrames);
 * ```
 */
export interface NetvspHostStats {
  /** Frames the guest sent on the synthetic path. */
  fromGuestFrames: number;
  fromGuestBytes: number;
  /** Frames delivered to the guest on the synthetic path. */
  toGuestFrames: number;
  /** Frames delivered to the guest through the VF sink. */
  toVfFrames: number;
  /** Frames for the guest dropped because its ring was full. */
  toGuestDropped: number;
  /** Frames for the synthetic path the guest's RNDIS packet filter refused (dropped, counted). */
  toGuestFiltered: number;
  /** Frames from the guest dropped because the pool had no free slot or they do not fit one. */
  fromGuestDropped: number;
  /** Guest messages refused as malformed. */
  malformed: number;
  /** SWITCH_DATA_PATH requests received. */
  switchRequests: number;
  /** Frames for the guest dropped (`no-device`) because the guest had closed the channel. */
  toGuestClosed: number;
  /** Times the guest closed the channel (Linux `vmbus_close`, as netvsc's detach does). */
  guestCloses: number;
  /** RNDIS HALT messages received (netvsc halts its RNDIS device before closing the channel). */
  rndisHalts: number;
  /** NVSP REVOKE_RECV_BUF and REVOKE_SEND_BUF messages received. */
  bufferRevokes: number;
  /** Send completions that waited for room in the guest's ring (written once it read). */
  completionsDeferred: number;
}

/**
 * The host side of a netvsc channel (Hyper-V's NetVSP): it answers the guest's NVSP version
 * negotiation (accepting the versions it is configured with), NDIS config/version, receive and
 * send buffers, subchannel requests (offering up to `maxChannels`), RNDIS initialize, queries
 * (MAC, link, frame size, speed) and sets (packet filter); it sends VF association
 * ({@link NetvspHost.sendVfAssociation}), completes (or ignores) SWITCH_DATA_PATH, sends link
 * indications ({@link NetvspHost.indicateStatus}), carries frames on the synthetic path both ways,
 * and can be revoked (the NIC removed: the channel is rescinded).
 *
 * Host RX ({@link NetvspHost.deliver}) follows the datapath the guest asked for: unicast to the
 * VF sink only after the guest switched to the VF (and the host accepted), else into the guest's
 * ring; broadcast and multicast always take the synthetic path, through the guest's RNDIS packet
 * filter.
 * Frames the guest sends arrive at {@link NetvspHost.onGuestFrames} (default: counted and freed).
 *
 * SWITCH_DATA_PATH is completed with an empty VMBus completion, as Hyper-V does (the guest
 * learns nothing but that the request was handled).
 *
 * Fault injection: `switchPolicy = 'refuse'` makes the host ignore a switch to the VF (neither
 * applied nor completed: all a guest can see of a host that will not switch is a completion that
 * never comes); {@link NetvspHost.pause} stops reading the guest's ring (a busy host: the ring
 * fills and the guest retries).
 *
 * @example
 * ```ts
 * const channel = new VmbusChannel({ scheduler });
 * const host = new NetvspHost({ channel, pool, scheduler, mac });
 * host.vfSink = (pkts, s, n) => vf.injectRx(0, pkts, s, n);
 * host.sendVfAssociation(true, 1);
 * host.deliver(pkts, 0, n);            // synthetic until the guest switched
 * host.indicateStatus(RNDIS_STATUS.NETWORK_CHANGE);
 * host.revoke();
 * ```
 */
export class NetvspHost {
  readonly channel: VmbusChannel;
  readonly pool: PacketPool;
  readonly mac: MacAddress;
  readonly events = new EventEmitter<NetvspHostEvents>();
  readonly stats: NetvspHostStats = {
    fromGuestFrames: 0,
    fromGuestBytes: 0,
    toGuestFrames: 0,
    toVfFrames: 0,
    toGuestDropped: 0,
    toGuestFiltered: 0,
    fromGuestDropped: 0,
    malformed: 0,
    switchRequests: 0,
    toGuestClosed: 0,
    guestCloses: 0,
    rndisHalts: 0,
    bufferRevokes: 0,
    completionsDeferred: 0,
  };
  /** Negotiated NVSP version (0 before). */
  version = 0;
  /** The datapath the guest asked for and the host accepted. */
  dataPath: 'synthetic' | 'vf' = 'synthetic';
  /**
   * What the host does with a SWITCH_DATA_PATH to the VF: `accept` (apply it, then complete it)
   * or `refuse` (ignore it: no switch, no completion). A switch to synthetic is always accepted.
   */
  switchPolicy: 'accept' | 'refuse' = 'accept';
  /**
   * What the host does with a guest's `NetworkAddress` (MAC change): `accept` (apply it to
   * {@link NetvspHost.currentMac}, SET_C SUCCESS) or `refuse` (fault injection: SET_C FAILURE,
   * nothing applied; the guest's netvsc fails the change with -EIO and rolls its VF back).
   */
  addressPolicy: 'accept' | 'refuse' = 'accept';
  /** The MAC address the guest set (`NetworkAddress`); the permanent one until it sets one. */
  currentMac: MacAddress;
  /**
   * Fault injection: the next `refuseConnects` connections of the guest are refused (every NVSP
   * INIT answered PROTOCOL_UNSUPPORTED); a connection starts with an INIT and ends when the guest
   * closes the channel.
   */
  refuseConnects = 0;
  /** MTU (frame size minus 14) the guest announced in NDIS config. */
  guestMtu = 0;
  /** NVSP capability bits the guest announced. */
  guestCapabilities = 0;
  /** The RNDIS packet filter the guest set. */
  packetFilter = 0;
  /** Link state reported to the guest. */
  linkUp: boolean;
  /** Where host RX goes while the guest uses the VF (returns how many it took; it owns all). */
  vfSink: ((pkts: Int32Array, start: number, count: number) => void) | null = null;
  /** Frames the guest sent on the synthetic path (the receiver owns them). */
  onGuestFrames: ((pkts: Int32Array, start: number, count: number, queue: number) => void) | null =
    null;

  private readonly versions: readonly number[];
  private readonly maxChannels: number;
  private readonly endpoints: VmbusEndpoint[];
  private readonly pkt: VmbusPacket;
  private readonly info = new RndisPacketInfo();
  private readonly out = new Uint8Array(NVSP_MESSAGE_SIZE + 1024);
  private readonly dataHdr = new Uint8Array(NVSP_MESSAGE_SIZE);
  private readonly rndisHdr = new Uint8Array(64);
  private readonly rx = new Int32Array(64);
  /** Scratch bursts of {@link NetvspHost.deliver}'s split: unicast (VF) and group (synthetic). */
  private readonly ucBurst = new Int32Array(64);
  private readonly grpBurst = new Int32Array(64);
  private paused = false;
  /** The last VF association sent, re-sent to a guest that connects again (null: none yet). */
  private association: { allocated: boolean; serial: number } | null = null;
  /** The current connection is one {@link NetvspHost.refuseConnects} refuses. */
  private refusing = false;
  /** Completions owed per channel because the guest's ring was full (created on first need). */
  private readonly owed = new Map<VmbusEndpoint, NetvspCompletions>();

  constructor(options: NetvspHostOptions) {
    this.channel = options.channel;
    this.pool = options.pool;
    this.mac = options.mac;
    this.versions = options.versions ?? NVSP_VERSIONS;
    this.maxChannels = Math.max(1, Math.min(64, options.maxChannels ?? 64));
    this.linkUp = options.linkUp ?? true;
    this.currentMac = options.mac;
    this.pkt = new VmbusPacket(this.channel.host.rx.dataSize);
    this.endpoints = [this.channel.host];
    this.attach(this.channel.host, 0);
    this.channel.closing$.subscribe(() => this.onGuestClose());
    encodeNvsp(
      {
        type: NVSP_MSG.SEND_RNDIS_PKT,
        channelType: NVSP_RNDIS_CHANNEL.DATA,
        sectionIndex: NVSP_INVALID_SECTION,
        sectionSize: 0,
      },
      this.dataHdr,
      0,
    );
  }

  /** Channels in use (primary + subchannels granted). */
  get channels(): number {
    return this.endpoints.length;
  }

  /** Stops reading the guest's rings (a busy host). */
  pause(): void {
    this.paused = true;
  }

  /** Reads again, draining what piled up. */
  resume(): void {
    this.paused = false;
    this.endpoints.forEach((ep, q) => this.poll(ep, q));
  }

  /**
   * Sends NVSP SEND_VF_ASSOCIATION (128): a VF with this slot serial is (or no longer is)
   * allocated. The host remembers it and sends it again to a guest that connects again and
   * announces SR-IOV in its NDIS config (netvsc's attach after an MTU change): the VF is still
   * there, and the association is how the guest learns it.
   */
  sendVfAssociation(allocated: boolean, serial: number): void {
    this.association = { allocated, serial };
    this.post({ type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated, serial });
  }

  /** Sends an RNDIS indicate-status (MEDIA_CONNECT, MEDIA_DISCONNECT, NETWORK_CHANGE, LINK_SPEED_CHANGE...). */
  indicateStatus(status: number, buffer: Uint8Array = new Uint8Array(0)): void {
    if (status === RNDIS_STATUS.MEDIA_CONNECT) this.linkUp = true;
    if (status === RNDIS_STATUS.MEDIA_DISCONNECT) this.linkUp = false;
    this.sendRndis({ kind: RNDIS_MSG.INDICATE, status, buffer });
  }

  /**
   * The synthetic NIC is removed: the channel is rescinded (the guest's netvsc removes its
   * device); the datapath falls back to synthetic. Host servicing is not this: it withdraws the
   * VF association and ejects the VF, the channel stays.
   */
  revoke(): void {
    this.dataPath = 'synthetic';
    this.channel.rescind();
  }

  /**
   * Host RX: frames from the wire for this NIC. While the guest uses the VF, unicast goes to the
   * VF sink and broadcast/multicast stays on the synthetic path (Hyper-V moves only unicast to
   * the VF; the 4.x netvsc_drv.c netvsc_recv_callback says so, and FreeBSD hn(4) keeps its
   * synthetic RX filter for it). Broadcast and multicast on the synthetic path pass the guest's
   * RNDIS packet filter ({@link rndisFilterAccepts}; refused: `toGuestFiltered`, dropped
   * `dev-down` while the filter is 0, else `mac-filter-miss`); unicast is not filtered here. What
   * passes is written into the guest's ring of `queue` (copied,
   * then freed; what does not fit is dropped with `ring-full` and counted in `toGuestDropped`).
   * Returns how many went to the guest's ring.
   */
  deliver(pkts: Int32Array, start: number, count: number, queue = 0): number {
    if (count <= 0) return 0;
    const sink = this.vfSink;
    if (this.dataPath !== 'vf' || sink === null) return this.toGuest(pkts, start, count, queue);
    // Split the burst, order kept within each class, through two preallocated scratch bursts.
    const pool = this.pool;
    const uc = this.ucBurst;
    const grp = this.grpBurst;
    const cap = uc.length;
    let nu = 0;
    let ng = 0;
    let delivered = 0;
    for (let i = start, end = start + count; i < end; i++) {
      const h = pkts[i] as number;
      const group =
        (pool.length[h] as number) >= 6 &&
        ((pool.bytes[pool.start[h] as number] as number) & 1) !== 0;
      if (group) grp[ng++] = h;
      else uc[nu++] = h;
      if (nu === cap || ng === cap) {
        if (nu > 0) this.toVf(sink, nu);
        if (ng > 0) delivered += this.toGuest(grp, 0, ng, queue);
        nu = 0;
        ng = 0;
      }
    }
    if (nu > 0) this.toVf(sink, nu);
    if (ng > 0) delivered += this.toGuest(grp, 0, ng, queue);
    return delivered;
  }

  private toVf(sink: (pkts: Int32Array, start: number, count: number) => void, n: number): void {
    this.stats.toVfFrames += n;
    sink(this.ucBurst, 0, n);
  }

  /**
   * The packet filter as this host applies it: to broadcast and multicast frames only. Unicast
   * passes (every guest sets DIRECTED with any non-zero filter; a zero filter is the simulator's
   * NetvspHostSide drop), so a guest's handling of frames that reach a stopped port stays testable.
   */
  private accepts(filter: number, h: number): boolean {
    const pool = this.pool;
    if ((pool.length[h] as number) < 6) return true;
    if (((pool.bytes[pool.start[h] as number] as number) & 1) === 0) return true;
    return rndisFilterAccepts(filter, pool, h);
  }

  /** Synthetic-path RX: the packet filter (group frames), then the guest's ring. */
  private toGuest(pkts: Int32Array, start: number, count: number, queue: number): number {
    const pool = this.pool;
    if (!this.channel.isOpen && !this.channel.isRescinded) {
      // The guest closed its channel (netvsc detached): nothing can be indicated to it.
      this.stats.toGuestClosed += count;
      pool.drop(pkts, start, count, DropReason.NO_DEVICE);
      return 0;
    }
    const ep = this.endpoints[queue % this.endpoints.length] as VmbusEndpoint;
    const filter = this.packetFilter;
    const end = start + count;
    let delivered = 0;
    let i = start;
    while (i < end) {
      // A run of frames the guest's packet filter refuses: counted, dropped as one burst.
      let j = i;
      while (j < end && !this.accepts(filter, pkts[j] as number)) j++;
      if (j > i) {
        this.stats.toGuestFiltered += j - i;
        pool.drop(pkts, i, j - i, filter === 0 ? DropReason.DEV_DOWN : DropReason.MAC_FILTER_MISS);
        i = j;
        continue;
      }
      const h = pkts[i] as number;
      const len = pool.length[h] as number;
      const tci =
        ((pool.flags[h] as number) & PacketPool.F_VLAN) !== 0 ? (pool.vlanTci[h] as number) : -1;
      const hl = RndisPacket.writeHeader(this.rndisHdr, 0, len, tci);
      if (ep.begin(VM_PKT.DATA_INBAND, 0, 0, NVSP_MESSAGE_SIZE + hl + len) !== 'ok') {
        this.stats.toGuestDropped += end - i;
        pool.drop(pkts, i, end - i, DropReason.RING_FULL);
        break;
      }
      ep.put(this.dataHdr, 0, NVSP_MESSAGE_SIZE);
      ep.put(this.rndisHdr, 0, hl);
      ep.put(pool.bytes, pool.start[h] as number, len);
      ep.commit();
      pool.free(h);
      delivered++;
      i++;
    }
    this.stats.toGuestFrames += delivered;
    return delivered;
  }

  /**
   * The guest closes the channel (netvsc's detach): what it left in the rings is read first,
   * then the host forgets the connection (NVSP version, packet filter, subchannels: a guest
   * that opens the channel again negotiates from scratch). The datapath it was asked for and the
   * VF association belong to the vNIC, not to the channel: they stay.
   */
  private onGuestClose(): void {
    const paused = this.paused;
    this.paused = false;
    this.endpoints.forEach((ep, q) => this.poll(ep, q));
    this.paused = paused;
    this.stats.guestCloses++;
    if (this.refusing) {
      this.refusing = false;
      this.refuseConnects--;
    }
    this.version = 0;
    this.packetFilter = 0;
    this.endpoints.length = 1;
    this.owed.clear();
  }

  // ---------------------------------------------------------------- guest messages

  private attach(ep: VmbusEndpoint, queue: number): void {
    ep.onSignal = () => this.poll(ep, queue);
  }

  private poll(ep: VmbusEndpoint, queue: number): void {
    if (this.paused) return;
    // The guest read (it signals a waiting producer): owed completions go first.
    const owed = this.owed.get(ep);
    if (owed !== undefined && owed.pending > 0) owed.flush((tid) => this.sendCompletion(ep, tid));
    ep.beginRead();
    do this.drain(ep, queue);
    while (!this.paused && ep.endRead());
    if (this.paused) ep.rx.interruptMask = 0;
  }

  private drain(ep: VmbusEndpoint, queue: number): void {
    const pkt = this.pkt;
    let n = 0;
    while (!this.paused && ep.receive(pkt)) {
      if (pkt.type !== VM_PKT.DATA_INBAND) continue;
      if (isRndisDataMessage(pkt.data, pkt.length)) {
        n = this.onData(pkt, n, queue);
        // A guest that asks for it gets the send completion: Linux asks for every data packet
        // (netvsc.c netvsc_send_pkt) and counts it sent then; DPDK's PMD frees its send-buffer
        // section and descriptor on it (hn_rxtx.c hn_nvs_send_completed).
        if ((pkt.flags & VMBUS_PKT_FLAG.COMPLETION_REQUESTED) !== 0)
          this.completeSend(ep, pkt.transId);
        continue;
      }
      n = this.flush(n, queue);
      this.onMessage(ep, pkt);
    }
    this.flush(n, queue);
  }

  /**
   * One data message: usually one RNDIS packet; several, each `msg_len` long (padding included),
   * when the guest aggregated them into a send-buffer section (DPDK hn_rxtx.c hn_try_txagg).
   */
  private onData(pkt: VmbusPacket, n: number, queue: number): number {
    const info = this.info;
    const data = pkt.data;
    let off = NVSP_MESSAGE_SIZE;
    do {
      if (!RndisPacket.parse(data, off, pkt.length - off, info)) {
        this.bad(info.error);
        return n;
      }
      n = this.onFrame(pkt, n);
      if (n === this.rx.length) n = this.flush(n, queue);
      off += pkt.view.getUint32(off + 4, true);
    } while (pkt.length - off >= RNDIS_PACKET_HEADER_SIZE);
    return n;
  }

  private onFrame(pkt: VmbusPacket, n: number): number {
    const info = this.info;
    const pool = this.pool;
    const h = pool.alloc();
    if (h < 0 || info.dataLength > pool.slotSize - pool.headroom) {
      if (h >= 0) pool.free(h);
      this.stats.fromGuestDropped++;
      const reason = h < 0 ? DropReason.POOL_EXHAUSTED : DropReason.MTU_EXCEEDED;
      pool.dropForeign(pkt.data, info.dataOffset, info.dataLength, reason);
      return n;
    }
    pool.setLength(h, info.dataLength);
    const dst = pool.start[h] as number;
    for (let i = 0; i < info.dataLength; i++)
      pool.bytes[dst + i] = pkt.data[info.dataOffset + i] as number;
    pool.imported(h);
    if (info.vlanTci >= 0) {
      pool.vlanTci[h] = info.vlanTci;
      pool.flags[h] = (pool.flags[h] as number) | PacketPool.F_VLAN;
    }
    this.stats.fromGuestBytes += info.dataLength;
    this.rx[n] = h;
    return n + 1;
  }

  private flush(n: number, queue: number): number {
    if (n === 0) return 0;
    this.stats.fromGuestFrames += n;
    const f = this.onGuestFrames;
    // Without an onGuestFrames hook the host's own NIC took them onto the wire (counted in
    // fromGuestFrames above): delivered, not lost.
    if (f === null) this.pool.freeBurst(this.rx, 0, n);
    else f(this.rx, 0, n, queue);
    return 0;
  }

  private onMessage(ep: VmbusEndpoint, pkt: VmbusPacket): void {
    let m: NvspMessage;
    try {
      m = decodeNvsp(pkt.data, 0, pkt.length);
    } catch (err) {
      this.bad((err as Error).message);
      return;
    }
    const tid = pkt.transId;
    const wants = (pkt.flags & VMBUS_PKT_FLAG.COMPLETION_REQUESTED) !== 0;
    switch (m.type) {
      case NVSP_MSG.INIT: {
        if (this.refuseConnects > 0) this.refusing = true;
        const ok =
          !this.refusing && m.minVersion === m.maxVersion && this.versions.includes(m.maxVersion);
        if (ok) this.version = m.maxVersion;
        const status = ok ? NVSP_STATUS.SUCCESS : NVSP_STATUS.PROTOCOL_UNSUPPORTED;
        this.complete(ep, tid, {
          type: NVSP_MSG.INIT_COMPLETE,
          version: ok ? m.maxVersion : 0,
          maxMdlChainLength: 0,
          status,
        });
        return;
      }
      case NVSP_MSG.SEND_NDIS_CONFIG: {
        this.guestMtu = m.mtu - 14;
        this.guestCapabilities = m.capabilities;
        const a = this.association;
        // A guest that (re)connects announcing SR-IOV learns of the VF still allocated to it.
        if ((m.capabilities & NVSP_CAP.SRIOV) !== 0 && a !== null && a.allocated)
          this.post({ type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: true, serial: a.serial });
        return;
      }
      case NVSP_MSG.REVOKE_RECV_BUF:
      case NVSP_MSG.REVOKE_SEND_BUF:
        this.stats.bufferRevokes++;
        return;
      case NVSP_MSG.SEND_NDIS_VER:
        return;
      case NVSP_MSG.SEND_RECV_BUF: {
        const n = Math.floor(NETVSC_BUFFERS.RECV_BUFFER_DEFAULT / NETVSC_BUFFERS.RECV_SECTION_SIZE);
        this.complete(ep, tid, {
          type: NVSP_MSG.SEND_RECV_BUF_COMPLETE,
          status: NVSP_STATUS.SUCCESS,
          sectionOffset: 0,
          subAllocSize: NETVSC_BUFFERS.RECV_SECTION_SIZE,
          numSubAllocs: n,
          endOffset: n * NETVSC_BUFFERS.RECV_SECTION_SIZE,
        });
        return;
      }
      case NVSP_MSG.SEND_SEND_BUF:
        this.complete(ep, tid, {
          type: NVSP_MSG.SEND_SEND_BUF_COMPLETE,
          status: NVSP_STATUS.SUCCESS,
          sectionSize: NETVSC_BUFFERS.SEND_SECTION_SIZE,
        });
        return;
      case NVSP_MSG.SWITCH_DATA_PATH: {
        this.stats.switchRequests++;
        const vf = m.datapath === NVSP_DATAPATH.VF;
        // Fault injection: a refused switch to the VF is neither applied nor completed.
        if (vf && this.switchPolicy === 'refuse') return;
        const before = this.dataPath;
        this.dataPath = vf ? 'vf' : 'synthetic';
        this.completeSwitch(ep, tid);
        if (before !== this.dataPath) this.events.emit('datapath', vf);
        return;
      }
      case NVSP_MSG.SUBCHANNEL: {
        if (!('op' in m) || m.op !== 1)
          return this.bad('subchannel request with an unknown operation');
        const room = this.maxChannels - 1 - this.channel.subchannels.length;
        const n = Math.max(0, Math.min(m.count, room));
        for (let i = 0; i < n; i++) {
          const sub = this.channel.offerSubchannel();
          this.endpoints.push(sub.host);
          this.attach(sub.host, sub.subchannelIndex);
        }
        this.complete(ep, tid, {
          type: NVSP_MSG.SUBCHANNEL,
          status: NVSP_STATUS.SUCCESS,
          count: this.channel.subchannels.length,
        });
        return;
      }
      case NVSP_MSG.SEND_RNDIS_PKT:
        // The guest's buffer is released (completed) once the message is taken, before the
        // RNDIS answer is written (an assumption: Hyper-V does not document the order); a
        // completion the guest's ring has no room for is owed, as a data packet's is.
        if (wants) this.completeSend(ep, tid);
        if (m.channelType === NVSP_RNDIS_CHANNEL.CONTROL) this.onRndis(pkt);
        return;
      default:
        return;
    }
  }

  private onRndis(pkt: VmbusPacket): void {
    let r: RndisMessage;
    try {
      r = decodeRndis(pkt.data, NVSP_MESSAGE_SIZE, pkt.length - NVSP_MESSAGE_SIZE);
    } catch (err) {
      this.bad((err as Error).message);
      return;
    }
    if (r.kind === RNDIS_MSG.HALT) this.stats.rndisHalts++;
    const reply =
      r.kind === RNDIS_MSG.SET && r.oid === RNDIS_OID.CONFIG_PARAMETER
        ? this.onConfigParameter(r.requestId, r.info)
        : rndisReply(r, this);
    if (r.kind === RNDIS_MSG.SET && r.oid === RNDIS_OID.CURRENT_PACKET_FILTER && r.info.length >= 4)
      this.packetFilter = new DataView(r.info.buffer, r.info.byteOffset).getUint32(0, true);
    if (reply !== null) this.sendRndis(reply);
    if (r.kind === RNDIS_MSG.INIT) this.events.emit('guest-ready', this.version);
  }

  /**
   * A SET of RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER: `NetworkAddress` with 12 hex digits names the
   * guest's new MAC address, applied unless {@link NetvspHost.addressPolicy} refuses it (SET_C
   * FAILURE); a malformed buffer or address is INVALID_DATA (and counted malformed), another
   * parameter NOT_SUPPORTED.
   */
  private onConfigParameter(requestId: number, info: Uint8Array): RndisMessage {
    let status: number = RNDIS_STATUS.SUCCESS;
    try {
      const p = decodeRndisConfigParameter(info);
      const mac =
        p.type === 'string' && p.name.toLowerCase() === RNDIS_NETWORK_ADDRESS.toLowerCase()
          ? parseNetworkAddress(p.value)
          : null;
      if (p.name.toLowerCase() !== RNDIS_NETWORK_ADDRESS.toLowerCase())
        status = RNDIS_STATUS.NOT_SUPPORTED;
      else if (mac === null) {
        status = RNDIS_STATUS.INVALID_DATA;
        this.bad(`NetworkAddress parameter is not a unicast MAC address`);
      } else if (this.addressPolicy === 'refuse') status = RNDIS_STATUS.FAILURE;
      else {
        this.currentMac = mac;
        this.events.emit('address', mac);
      }
    } catch (err) {
      status = RNDIS_STATUS.INVALID_DATA;
      this.bad((err as Error).message);
    }
    return { kind: RNDIS_MSG.SET_C, requestId, status };
  }

  private sendRndis(r: RndisMessage): void {
    encodeNvsp(
      {
        type: NVSP_MSG.SEND_RNDIS_PKT,
        channelType: NVSP_RNDIS_CHANNEL.CONTROL,
        sectionIndex: NVSP_INVALID_SECTION,
        sectionSize: 0,
      },
      this.out,
      0,
    );
    const len = encodeRndis(r, this.out, NVSP_MESSAGE_SIZE);
    this.channel.host.send(VM_PKT.DATA_INBAND, 0, 0, this.out, 0, NVSP_MESSAGE_SIZE + len);
  }

  private post(m: NvspMessage): void {
    encodeNvsp(m, this.out, 0);
    this.channel.host.send(VM_PKT.DATA_INBAND, 0, 0, this.out, 0, NVSP_MESSAGE_SIZE);
  }

  private complete(ep: VmbusEndpoint, transId: number, m: NvspMessage): void {
    encodeNvsp(m, this.out, 0);
    ep.send(VM_PKT.COMP, 0, transId, this.out, 0, NVSP_MESSAGE_SIZE);
  }

  /**
   * The send completion of a data packet (SEND_RNDIS_PKT_COMPLETE, success); kept for later when
   * the guest's ring has no room ({@link NetvspCompletions}), behind any already owed.
   */
  private completeSend(ep: VmbusEndpoint, transId: number): void {
    let owed = this.owed.get(ep);
    if ((owed === undefined || owed.pending === 0) && this.sendCompletion(ep, transId)) return;
    if (ep.closed) return;
    if (owed === undefined) {
      owed = new NetvspCompletions(Math.ceil(ep.rx.dataSize / 64));
      this.owed.set(ep, owed);
    }
    this.stats.completionsDeferred++;
    owed.push(transId);
  }

  private sendCompletion(ep: VmbusEndpoint, transId: number): boolean {
    encodeNvsp(
      { type: NVSP_MSG.SEND_RNDIS_PKT_COMPLETE, status: NVSP_STATUS.SUCCESS },
      this.out,
      0,
    );
    return ep.send(VM_PKT.COMP, 0, transId, this.out, 0, NVSP_MESSAGE_SIZE) === 'ok';
  }

  // netvsc.c netvsc_send_completion: the host completes a switch with no payload at all.
  private completeSwitch(ep: VmbusEndpoint, transId: number): void {
    ep.send(VM_PKT.COMP, 0, transId, this.out, 0, 0);
  }

  private bad(reason: string): void {
    this.stats.malformed++;
    this.events.emit('malformed', reason);
  }
}
