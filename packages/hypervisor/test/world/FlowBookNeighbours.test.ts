import { Ethernet, PacketPool } from '@bypass/core';
import test from 'ava';
import type { ScenarioFlow } from '../../src/scenario/Scenario.js';
import { EventLog } from '../../src/sim/EventLog.js';
import { FlowAddress } from '../../src/traffic/FlowFrameAddress.js';
import { FlowFrameWriter } from '../../src/traffic/FlowFrameWriter.js';
import { FlowBook } from '../../src/world/FlowBook.js';
import type { WireClock } from '../../src/world/DelayLink.js';
import { COPY_MARK } from '../../src/world/VirtualSwitch.js';

// FlowBook's receivers as neighbour tables: an ARP an endpoint takes readdresses the unicast
// flows it sends to the ARP's sender IP (net/ipv4/arp.c arp_process updating an existing entry).

const PEER = 0;
const VM = 1;
const OTHER = 2;
const VM_IP = FlowAddress.endpointIpv4(VM);
const OLD_MAC = 0x5254_0000_0001;
const NEW_MAC = 0x5254_0000_00a1;

interface Fixture {
  book: FlowBook;
  pool: PacketPool;
  writers: FlowFrameWriter[];
  updates: [number, number, number, number][];
}

/** Flows: PEER -> VM unicast, PEER -> VM broadcast, OTHER -> VM unicast, VM -> PEER unicast. */
function fixture(): Fixture {
  const pool = new PacketPool({ slots: 64 });
  const wire: WireClock = { now: 0, times: null, timesFor: null };
  const book = new FlowBook(
    pool,
    new EventLog(() => 0),
    () => 0,
    wire,
    () => 0,
    1_000_000,
    10,
  );
  const endpoint = (ep: number): ScenarioFlow['from'] =>
    ep === VM
      ? { kind: 'nic', vm: 'vm1', nic: 'eth0', id: 'vm1/eth0' }
      : { kind: 'peer', peer: `p${ep}`, id: `p${ep}` };
  const writers: FlowFrameWriter[] = [];
  const add = (from: number, to: number, cast: ScenarioFlow['cast']): void => {
    const flow = writers.length;
    const writer = new FlowFrameWriter({
      flow,
      size: 64,
      cast,
      srcMac: 0x0200_0000_0000 + from,
      ...(cast === 'unicast' ? { dstMac: to === VM ? OLD_MAC : 0x0200_0000_0000 + to } : {}),
      srcIp: FlowAddress.endpointIpv4(from),
      dstIp: cast === 'unicast' ? FlowAddress.endpointIpv4(to) : undefined,
    });
    writers.push(writer);
    const spec: ScenarioFlow = {
      name: `f${flow}`,
      from: endpoint(from),
      to: endpoint(to),
      pps: 1000,
      size: 64,
      cast,
      start: 0,
      stop: 10_000_000,
    };
    book.add(spec, writer, {
      target: to,
      targetMac: OLD_MAC,
      source: from,
      sourceMac: null,
      send: (pkts, n) => pool.freeBurst(pkts, 0, n),
      stopped: null,
    });
  };
  add(PEER, VM, 'unicast');
  add(PEER, VM, 'broadcast');
  add(OTHER, VM, 'unicast');
  add(VM, PEER, 'unicast');
  const updates: Fixture['updates'] = [];
  book.onNeighbour = (ep, ip, mac, old) => updates.push([ep, ip, mac, old]);
  return { book, pool, writers, updates };
}

/** Hands endpoint `ep` one gratuitous ARP from (`mac`, `ip`), after `edit` of its bytes. */
function arpTo(f: Fixture, ep: number, mac: number, ip: number, edit?: (o: number) => void): void {
  const h = f.pool.alloc();
  Ethernet.writeGratuitousArp(f.pool, h, mac, ip);
  edit?.(f.pool.start[h]!);
  const pkts = new Int32Array([h]);
  f.book.receiver(ep)(pkts, 0, 1);
}

test('a GARP readdresses only the unicast flows its receiver sends to the sender IP', (t) => {
  const f = fixture();
  arpTo(f, PEER, NEW_MAC, VM_IP);
  t.is(f.writers[0]!.dstMac, NEW_MAC, 'PEER -> VM unicast follows the GARP');
  t.is(f.writers[1]!.dstMac, FlowAddress.BROADCAST_MAC, 'a broadcast flow keeps its group');
  t.is(f.writers[2]!.dstMac, OLD_MAC, 'OTHER did not take the GARP: its entry is unchanged');
  t.is(f.writers[3]!.dstMac, 0x0200_0000_0000 + PEER, 'the flow to another IP is unchanged');
  t.deepEqual(f.updates, [[PEER, VM_IP, NEW_MAC, OLD_MAC]]);
  t.is(f.pool.inUse, 0, 'the ARP frame is freed');
  arpTo(f, PEER, NEW_MAC, VM_IP);
  t.is(f.updates.length, 1, 'the same address again changes nothing and reports nothing');
});

test('a flooded copy of a GARP (COPY_MARK, no flow) is learned like the original', (t) => {
  const f = fixture();
  const h = f.pool.alloc();
  Ethernet.writeGratuitousArp(f.pool, h, NEW_MAC, VM_IP);
  f.pool.mark[h] = COPY_MARK;
  f.book.receiver(OTHER)(new Int32Array([h]), 0, 1);
  t.is(f.writers[2]!.dstMac, NEW_MAC);
  t.is(f.writers[0]!.dstMac, OLD_MAC);
});

test('frames that are no usable ARP leave every flow as it was', (t) => {
  const f = fixture();
  arpTo(f, PEER, NEW_MAC, VM_IP, (o) => {
    f.pool.bytes[o + 13] = 0x35; // RARP: QEMU's self-announce carries no IP address
  });
  arpTo(f, PEER, 0x0100_5e00_0001, VM_IP); // a group sender MAC
  arpTo(f, PEER, 0, VM_IP); // an all-zero sender MAC
  arpTo(f, PEER, NEW_MAC, FlowAddress.endpointIpv4(7)); // an IP no flow goes to
  t.is(f.writers[0]!.dstMac, OLD_MAC);
  t.deepEqual(f.updates, []);
  t.is(f.pool.inUse, 0);
});

test("generate gives a VM's flows its current sending MAC, read once per tick", (t) => {
  const pool = new PacketPool({ slots: 64 });
  const book = new FlowBook(
    pool,
    new EventLog(() => 0),
    () => 0,
    { now: 0, times: null, timesFor: null },
    () => 0,
    1_000_000,
    10,
  );
  const writer = new FlowFrameWriter({
    flow: 0,
    size: 64,
    cast: 'unicast',
    srcMac: OLD_MAC,
    dstMac: 0x0200_0000_0001,
    srcIp: VM_IP,
    dstIp: FlowAddress.endpointIpv4(PEER),
  });
  let mac = OLD_MAC;
  const sources: number[] = [];
  book.add(
    {
      name: 'out',
      from: { kind: 'nic', vm: 'vm1', nic: 'eth0', id: 'vm1/eth0' },
      to: { kind: 'peer', peer: 'client', id: 'client' },
      pps: 1_000_000,
      size: 64,
      cast: 'unicast',
      start: 0,
      stop: 1_000_000_000,
    },
    writer,
    {
      target: PEER,
      targetMac: 0x0200_0000_0001,
      source: VM,
      sourceMac: () => mac,
      send: (pkts, n) => {
        for (let i = 0; i < n; i++) sources.push(Ethernet.src(pool, pkts[i]!));
        pool.freeBurst(pkts, 0, n);
      },
      stopped: null,
    },
  );
  book.generate(10_000, 10_000);
  mac = NEW_MAC; // the bond took the new active slave's MAC
  book.generate(20_000, 10_000);
  t.deepEqual([...new Set(sources.slice(0, 10))], [OLD_MAC]);
  t.deepEqual([...new Set(sources.slice(10))], [NEW_MAC]);
  t.is(sources.length, 20);
});
