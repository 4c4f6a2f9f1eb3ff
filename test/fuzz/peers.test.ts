/**
 * Fuzz target: the NetVSC guest driver's NVSP client (`NvspClient`) receiving whatever a hostile
 * host writes into its VMBus ring after a normal handshake: NVSP control messages, completions,
 * RNDIS control messages and data packets, mutated. Oracle: every packet the host managed to put
 * in the ring is accounted for exactly once (a counter of `NvspClient.stats` or a handler call),
 * no exception escapes, and every frame handed to the guest is a live pool slot (none leak).
 */
import { DeviceBus, MacAddress, NetNamespace, PacketPool, VirtualScheduler } from '@bypass/core';
import {
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_RNDIS_CHANNEL,
  EthDevRegistry,
  NetvscPmdPort,
  NetvspHost,
  SimulatedSysfs,
  NvspClient,
  RNDIS_MSG,
  RNDIS_STATUS,
  RNDIS_PACKET_HEADER_SIZE,
  RndisPacket,
  RndisPacketInfo,
  VM_PKT,
  VmbusChannel,
  encodeNvsp,
  encodeRndis,
  rndisLength,
  type NvspMessage,
} from '@bypass/netvsc';
import fc from 'fast-check';
import {
  applyByteOps,
  boundaries32,
  byteOps,
  expect,
  fromHex,
  fuzzTarget,
  refusedOrOk,
  toHex,
  type ByteOp,
  type FuzzTarget,
} from './harness.js';

function nvsp(m: NvspMessage, tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(NVSP_MESSAGE_SIZE + tail.length);
  encodeNvsp(m, out, 0);
  out.set(tail, NVSP_MESSAGE_SIZE);
  return out;
}

function dataPacket(frameLen: number, tci: number): Uint8Array {
  const hl = RndisPacket.headerLength(tci);
  const r = new Uint8Array(hl + frameLen);
  RndisPacket.writeHeader(r, 0, frameLen, tci);
  for (let i = hl; i < r.length; i++) r[i] = i & 0xff;
  return nvsp(
    {
      type: NVSP_MSG.SEND_RNDIS_PKT,
      channelType: NVSP_RNDIS_CHANNEL.DATA,
      sectionIndex: 0xffffffff,
      sectionSize: 0,
    },
    r,
  );
}

function controlPacket(): Uint8Array {
  const m = {
    kind: RNDIS_MSG.INDICATE,
    status: RNDIS_STATUS.MEDIA_DISCONNECT,
    buffer: Uint8Array.of(1, 2, 3, 4),
  } as const;
  const r = new Uint8Array(rndisLength(m));
  encodeRndis(m, r, 0);
  return nvsp(
    {
      type: NVSP_MSG.SEND_RNDIS_PKT,
      channelType: NVSP_RNDIS_CHANNEL.CONTROL,
      sectionIndex: 0xffffffff,
      sectionSize: 0,
    },
    r,
  );
}

const VALID: Uint8Array[] = [
  dataPacket(60, -1),
  dataPacket(1514, 0x0064),
  dataPacket(0, -1),
  controlPacket(),
  nvsp({ type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: true, serial: 7 }),
  nvsp({ type: NVSP_MSG.SEND_VF_ASSOCIATION, allocated: false, serial: 0 }),
  nvsp({ type: NVSP_MSG.SEND_RNDIS_PKT_COMPLETE, status: 1 }),
  nvsp({ type: NVSP_MSG.SUBCHANNEL, op: 1, count: 3 }),
  nvsp({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: 1 }),
];

interface HostMessage {
  readonly vmType: number;
  readonly transId: number;
  readonly bytes: Uint8Array;
}

const message: fc.Arbitrary<HostMessage> = fc.record({
  vmType: fc.oneof(
    { weight: 6, arbitrary: fc.constant(VM_PKT.DATA_INBAND) },
    { weight: 2, arbitrary: fc.constant(VM_PKT.COMP) },
    { weight: 1, arbitrary: fc.nat({ max: 15 }) },
  ),
  transId: fc.constantFrom(0, 1, 2, 0xffffffff, 2 ** 53 - 1),
  bytes: fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 160 }) },
    { weight: 2, arbitrary: fc.constantFrom(...VALID) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...VALID),
          byteOps(
            [0, 4, 8, 12, 40, 44, 48, 52, 68, 72, 84, 88, 92],
            [
              ...boundaries32(40, 44, 60, 1514, 2048),
              ...Object.values(NVSP_MSG),
              RNDIS_MSG.PACKET,
              RNDIS_MSG.INDICATE,
              RNDIS_MSG.QUERY_C,
            ],
          ),
        )
        .map(([b, ops]) => applyByteOps(b, ops)),
    },
  ),
});

const client: FuzzTarget<HostMessage[]> = {
  name: 'nvsp-client-host-messages',
  cases: 300,
  arbitrary: fc.array(message, { minLength: 1, maxLength: 12 }),
  check: (msgs, exec) => {
    const scheduler = new VirtualScheduler();
    const pool = new PacketPool({ slots: 16 });
    const ch = new VmbusChannel({ scheduler, ringPages: 4 });
    const host = new NetvspHost({
      channel: ch,
      pool,
      scheduler,
      mac: MacAddress.parse('00:15:5d:00:00:01'),
    });
    const c = new NvspClient({ channel: ch, pool, scheduler });
    c.connect({ mtu: 1500, channels: 1 }, () => {});
    scheduler.runUntilIdle();
    expect(c.version > 0, 'handshake failed');
    void host;
    let handled = 0;
    let live = 0;
    c.handlers.onFrames = (pkts, s, n) => {
      for (let i = s; i < s + n; i++) {
        const h = pkts[i] as number;
        expect(pool.isAllocated(h), `frame ${h} handed over is not a live slot`);
      }
      live += n;
      pool.freeBurst(pkts, s, n);
    };
    c.handlers.onStatus = () => void handled++;
    c.handlers.onVfAssociation = () => void handled++;
    const before = { ...c.stats };
    let accepted = 0;
    for (const m of msgs) {
      exec.tick();
      refusedOrOk(() => {
        if (ch.host.send(m.vmType, 0, m.transId, m.bytes, 0, m.bytes.length) === 'ok') accepted++;
      }, exec);
      refusedOrOk(() => void scheduler.runUntilIdle(100_000), exec);
    }
    const s = c.stats;
    const accounted =
      s.malformed -
      before.malformed +
      (s.unknownCompletions - before.unknownCompletions) +
      (s.rndisControlCompletions - before.rndisControlCompletions) +
      (s.ignored - before.ignored) +
      (s.rxNoMemory - before.rxNoMemory) +
      (s.rxFrames - before.rxFrames) +
      handled;
    for (const k of [
      'malformed',
      'unknownCompletions',
      'rndisControlCompletions',
      'ignored',
      'rxNoMemory',
      'rxFrames',
    ] as const)
      exec.note(k, s[k] - before[k]);
    exec.note('handled', handled);
    expect(
      accounted === accepted,
      `${accepted} packets in the ring, ${accounted} accounted (${JSON.stringify(s)}, ${handled} handled)`,
    );
    expect(
      live === s.rxFrames - before.rxFrames,
      `${live} frames delivered, rxFrames says otherwise`,
    );
    expect(pool.inUse === 0, `${pool.inUse} pool slots leaked`);
  },
  toJson: (msgs) =>
    msgs.map((m) => ({ vmType: m.vmType, transId: m.transId, hex: toHex(m.bytes) })),
  fromJson: (j) =>
    (j as { vmType: number; transId: number; hex: string }[]).map((m) => ({
      vmType: m.vmType,
      transId: m.transId,
      bytes: fromHex(m.hex),
    })),
};
fuzzTarget(client);

// ------------------------------------------------------------------ hostile guest

/** Frames of one data message the guest sends (aggregated when more than one). */
interface GuestData {
  readonly frames: readonly { len: number; tci: number }[];
  readonly ops: readonly ByteOp[];
}

function guestMessage(d: GuestData): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of d.frames) {
    const hl = RndisPacket.headerLength(f.tci);
    const r = new Uint8Array(hl + f.len);
    RndisPacket.writeHeader(r, 0, f.len, f.tci);
    parts.push(r);
  }
  const body = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    body.set(p, o);
    o += p.length;
  }
  const msg = nvsp(
    {
      type: NVSP_MSG.SEND_RNDIS_PKT,
      channelType: NVSP_RNDIS_CHANNEL.DATA,
      sectionIndex: 0xffffffff,
      sectionSize: 0,
    },
    body,
  );
  return applyByteOps(msg, d.ops);
}

/**
 * What the host must account for one data message: the frames found, plus one when the walk
 * refused (as the host walks aggregated packets); -1 for a message that is not data. The host
 * takes a data message from 16 bytes on (NVSP header and channel type), the netvsc PMD only from
 * the full 40-byte NVSP message on (shorter ones are notifications to it, counted `ignored`).
 */
function expectedOutcomes(sent: Uint8Array, minLength = 16): number {
  // The ring delivers the payload zero-padded to 8 bytes (VMBus packets are 8-aligned).
  const msg = new Uint8Array((sent.length + 7) & ~7);
  msg.set(sent);
  // Not a data message: a control message the host answers, ignores or counts as malformed.
  if (msg.length < minLength || u32(msg, 0) !== NVSP_MSG.SEND_RNDIS_PKT || u32(msg, 4) !== 0)
    return -1;
  const info = new RndisPacketInfo();
  let n = 0;
  let off = NVSP_MESSAGE_SIZE;
  do {
    if (!RndisPacket.parse(msg, off, msg.length - off, info)) return n + 1;
    n++;
    off += u32(msg, off + 4);
  } while (msg.length - off >= RNDIS_PACKET_HEADER_SIZE);
  return n;
}

function u32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0
  );
}

const guestData: fc.Arbitrary<GuestData> = fc.record({
  frames: fc.array(
    fc.record({
      len: fc.oneof(
        { weight: 4, arbitrary: fc.nat({ max: 200 }) },
        { weight: 1, arbitrary: fc.constantFrom(0, 14, 60, 1514, 1919, 1920, 1921, 2048, 4000) },
      ),
      tci: fc.constantFrom(-1, 0, 100, 0xffff),
    }),
    { minLength: 1, maxLength: 24 },
  ),
  ops: fc.oneof(
    fc.constant([]),
    byteOps(
      [4, 40, 44, 48, 52, 68, 72, 84, 88, 92, 96],
      [...boundaries32(44, 60, 1514, 1920, 2048), RNDIS_MSG.PACKET],
    ),
  ),
});

const host: FuzzTarget<GuestData[]> = {
  name: 'netvsp-host-guest-data',
  cases: 200,
  arbitrary: fc.array(guestData, { minLength: 1, maxLength: 4 }),
  check: (msgs, exec) => {
    const scheduler = new VirtualScheduler();
    const pool = new PacketPool({ slots: 16 });
    const ch = new VmbusChannel({ scheduler, ringPages: 32 });
    const h = new NetvspHost({
      channel: ch,
      pool,
      scheduler,
      mac: MacAddress.parse('00:15:5d:00:00:01'),
    });
    const c = new NvspClient({ channel: ch, pool, scheduler });
    c.connect({ mtu: 1500, channels: 1 }, () => {});
    scheduler.runUntilIdle();
    expect(c.version > 0, 'handshake failed');
    const before = { ...h.stats };
    let expected = 0;
    let control = 0;
    for (const d of msgs) {
      const m = guestMessage(d);
      exec.tick();
      refusedOrOk(() => {
        if (ch.guest.send(VM_PKT.DATA_INBAND, 0, 0, m, 0, m.length) !== 'ok') return;
        const e = expectedOutcomes(m);
        if (e < 0) control++;
        else expected += e;
      }, exec);
      refusedOrOk(() => void scheduler.runUntilIdle(100_000), exec);
    }
    const s = h.stats;
    const got =
      s.fromGuestFrames -
      before.fromGuestFrames +
      (s.malformed - before.malformed) +
      (s.fromGuestDropped - before.fromGuestDropped);
    exec.note('fromGuestFrames', s.fromGuestFrames - before.fromGuestFrames);
    exec.note('malformed', s.malformed - before.malformed);
    exec.note('fromGuestDropped', s.fromGuestDropped - before.fromGuestDropped);
    // Each control message may add at most one malformed count; data must be accounted exactly.
    expect(
      got >= expected && got <= expected + control,
      `the guest sent ${expected} frames or refusals (and ${control} control messages), the host accounted ${got} (${JSON.stringify(s)})`,
    );
    expect(pool.inUse === 0, `${pool.inUse} pool slots leaked`);
  },
  toJson: (msgs) => msgs,
  fromJson: (j) => j as GuestData[],
};
fuzzTarget(host);

// ------------------------------------------------------------------ netvsc PMD, hostile host

/** Data messages from a hostile host to the netvsc PMD, and the PMD's RX settings. */
interface PmdCase {
  readonly msgs: readonly GuestData[];
  /** `rx_extmbuf_enable` (frames lent from receive sections instead of copied). */
  readonly extbuf: boolean;
  readonly rxRingSize: number;
}

const pmd: FuzzTarget<PmdCase> = {
  name: 'netvsc-pmd-host-data',
  cases: 200,
  arbitrary: fc.record({
    msgs: fc.array(guestData, { minLength: 1, maxLength: 4 }),
    extbuf: fc.boolean(),
    rxRingSize: fc.constantFrom(4, 64, 512),
  }),
  check: (c, exec) => {
    const scheduler = new VirtualScheduler();
    const pool = new PacketPool({ slots: 48 });
    const ch = new VmbusChannel({ scheduler, ringPages: 32 });
    const bus = new DeviceBus();
    const ns = new NetNamespace('vm');
    new NetvspHost({ channel: ch, pool, scheduler, mac: MacAddress.parse('00:15:5d:00:00:01') });
    let port: NetvscPmdPort | null = null;
    NetvscPmdPort.probe(
      {
        registry: new EthDevRegistry(),
        channel: ch,
        pool,
        scheduler,
        devargs: c.extbuf ? 'rx_extmbuf_enable=1,rx_copybreak=64' : '',
        maxQueues: 1,
        rxRingSize: c.rxRingSize,
        hotplug: { bus, sysfs: new SimulatedSysfs({ ns, bus }) },
      },
      (_err, p) => {
        port = p;
      },
    );
    scheduler.runUntilIdle();
    const p = port as NetvscPmdPort | null;
    expect(p !== null, 'probe failed');
    p.configure(1, 1);
    p.start();
    const out = new Int32Array(64);
    const rxSum = () => {
      const s = p.pmdStats;
      return s.rxCopied + s.rxExtbuf + s.rxErrors + s.rxNoMbuf + s.rxRingFull + s.rxStopped;
    };
    // Whatever the bring-up left in the ring is not part of the case.
    while (p.rxBurst(0, out, 0, out.length) > 0) pool.freeBurst(out, 0, out.length);
    const inUse = pool.inUse;
    const before = rxSum();
    const delivered = p.pmdStats.rxCopied + p.pmdStats.rxExtbuf;
    let expected = 0;
    let received = 0;
    for (const d of c.msgs) {
      const m = guestMessage(d);
      exec.tick();
      refusedOrOk(() => {
        if (ch.host.send(VM_PKT.DATA_INBAND, 0, 0, m, 0, m.length) !== 'ok') return;
        const e = expectedOutcomes(m, NVSP_MESSAGE_SIZE);
        if (e > 0) expected += e;
      }, exec);
      refusedOrOk(() => void scheduler.runUntilIdle(100_000), exec);
      // The application polls until the queue is empty (bounded: no more than the frames sent).
      for (let i = 0; i <= 64; i++) {
        let n = 0;
        exec.tick();
        refusedOrOk(() => {
          n = p.rxBurst(0, out, 0, out.length);
        }, exec);
        for (let k = 0; k < n; k++)
          expect(pool.isAllocated(out[k] as number), 'rxBurst returned a free slot');
        pool.freeBurst(out, 0, n);
        received += n;
        if (n === 0) break;
        expect(i < 64, 'rxBurst keeps returning frames: the poll loop would not end');
      }
    }
    const s = p.pmdStats;
    for (const k of [
      'rxCopied',
      'rxExtbuf',
      'rxErrors',
      'rxNoMbuf',
      'rxRingFull',
      'malformed',
      'ignored',
    ] as const)
      exec.note(k, s[k]);
    expect(
      rxSum() - before === expected,
      `the host sent ${expected} frames or refusals, the PMD counted ${rxSum() - before} (${JSON.stringify(s)})`,
    );
    expect(
      received === s.rxCopied + s.rxExtbuf - delivered,
      `${received} frames polled, ${s.rxCopied + s.rxExtbuf - delivered} counted as delivered`,
    );
    // One more poll returns the lent receive sections; nothing may stay allocated.
    p.rxBurst(0, out, 0, 0);
    expect(pool.inUse <= inUse, `${pool.inUse - inUse} pool slots leaked`);
  },
  toJson: (c) => c,
  fromJson: (j) => j as PmdCase,
};
fuzzTarget(pmd);
