import test from 'ava';
import { PcapCapture, loadScenarioText, readPcap } from '../../src/index.js';
import { World } from '../../src/world/World.js';

// Each frame of a burst a wire hands over keeps its own arrival time: the next hop starts
// serializing it when it has arrived (store-and-forward), the receiver's latency and the
// captures use it. Default links: VF 25 Gbit/s 5 us (no Ethernet overhead: PCIe DMA), peer
// 25 Gbit/s 2 us (Ethernet: 24 bytes per frame more, preamble + SFD 8, FCS 4, IFG 12).

/** Bytes a frame costs on a peer wire beyond its own. */
const PEER_OVERHEAD = 24;

/** ns per byte at 25 Gbit/s. */
const NS_PER_BYTE_25G = 8e9 / 25e9;

/** Runs a scenario's world from source to its end (boot, ticks, drain). */
function runWorld(yaml: string, capture?: PcapCapture): World {
  const world = new World(
    loadScenarioText(yaml, 'timing.yaml'),
    capture === undefined ? {} : { capture },
  );
  world.boot();
  while (world.now < world.scenario.duration) world.tick();
  for (let i = 0; i < 100; i++) world.tick(false);
  world.finish();
  return world;
}

/** Asserts `actual` equals `expected` ns to within float rounding (sums of fractional ns). */
function near(t: { true: (v: boolean, m?: string) => void }, actual: number, expected: number) {
  t.true(Math.abs(actual - expected) < 1e-6, `${actual} ns, expected ${expected} ns`);
}

test('VM to client, 1500 B at 1.5 Mpps: each frame leaves the host switch as soon as it has arrived from the VF', (t) => {
  const world = runWorld(`
name: chunk timing
duration: 20ms
hosts: [{ name: h1, vfs: 4 }]
vms:
  - name: vm1
    host: h1
    memory: 1GiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }]
peers: [{ name: client, host: h1 }]
flows: [{ name: up, from: vm1/eth0, to: client, rate: 1500kpps, size: 1500 }]
`);
  const f = world.flows[0];
  if (f === undefined) return t.fail('no flow');
  t.true(f.received > 0);
  t.is(f.lost, 0);
  // 75 frames per 50 us tick, all stamped at the tick; the VF's TX is taken at the next tick
  // (+50 us) and serialized back to back on the VF (480 ns each, then 5 us), and the peer wire
  // takes each frame as it arrives: 1524 bytes of line time = 487.68 ns, more than the 480 ns
  // between arrivals, so frame k (1..75) waits behind the k-1 before it on the peer wire.
  const vf = 1500 * NS_PER_BYTE_25G;
  const peer = (1500 + PEER_OVERHEAD) * NS_PER_BYTE_25G;
  const latency = (k: number): number => 50_000 + vf + 5_000 + k * peer + 2_000;
  near(t, f.latencyMin, latency(1)); // 57 967.68 ns (57 960 without the 24 bytes)
  near(t, f.latencyMax, latency(75)); // 94 056 ns (93 480 without them)
  // Handed over as one burst at the last frame's arrival, every frame would have started on the
  // peer wire after the 75th had arrived: at best 50 + 36 + 5 + 0.48768 + 2 us.
  t.true(f.latencyMin < 50_000 + 75 * vf + 5_000);
});

test('two hops: a frame latency is its own serialization on each wire plus their latencies', (t) => {
  // client1 -> (peer wire) -> host switch -> (peer wire) -> client2, 10 frames of 1000 B per
  // tick, all sent at the tick. Frame k (1..10) is out of the first wire at k * ser, arrives at
  // the switch 2 us later; the second wire is free then (frame k-1 left it at the same instant)
  // so it is out at (k + 1) * ser and arrives 2 us later: latency (k + 1) * ser + 4 us.
  const world = runWorld(`
name: two hops
duration: 2ms
hosts: [{ name: h1, vfs: 0 }]
peers: [{ name: c1, host: h1 }, { name: c2, host: h1, mac: '02:00:00:00:00:22' }]
flows: [{ name: f, from: c1, to: c2, rate: 200kpps, size: 1000 }]
`);
  const f = world.flows[0];
  if (f === undefined) return t.fail('no flow');
  t.is(f.received, 400);
  const ser = (1000 + PEER_OVERHEAD) * NS_PER_BYTE_25G; // 327.68 ns
  near(t, f.latencyMin, 2 * ser + 4_000); // 4 655.36 ns
  near(t, f.latencyMax, 11 * ser + 4_000); // 7 604.48 ns
  // A burst handed over at its last frame's time would start all 10 on the second wire after
  // the 10th arrived: the first at best (10 + 1) * ser + 4 us.
});

test('a pcap records each frame of a burst at its own arrival time', (t) => {
  const capture = new PcapCapture();
  runWorld(
    `
name: pcap timing
duration: 200us
hosts: [{ name: h1, vfs: 0 }]
peers: [{ name: c1, host: h1 }, { name: c2, host: h1, mac: '02:00:00:00:00:22' }]
flows: [{ name: f, from: c1, to: c2, rate: 200kpps, size: 1000 }]
`,
    capture,
  );
  const point = capture.points().indexOf('h1-c1');
  t.true(point >= 0, capture.points().join(', '));
  const records = readPcap(capture.pcap(point)).records;
  t.is(records.length, 40); // 4 ticks of 10 frames, in from c1's wire
  const ser = (1000 + PEER_OVERHEAD) * NS_PER_BYTE_25G;
  // Tick at 50 us: frame k (1..10) is at the switch at 50 us + k * ser + 2 us (pcap: whole ns).
  for (let k = 1; k <= 10; k++) {
    t.is(records[k - 1]?.timeNs, Math.floor(50_000 + k * ser + 2_000), `frame ${k}`);
  }
});

test('a flooded burst: each broadcast frame leaves the switch at its own arrival time', (t) => {
  // As the two-hop test, but broadcast: the switch floods every frame alone (to c2, the only
  // other port), and each must still start on the second wire when it has arrived, not when
  // the last frame of its burst has.
  const world = runWorld(`
name: flood timing
duration: 2ms
hosts: [{ name: h1, vfs: 0 }]
peers: [{ name: c1, host: h1 }, { name: c2, host: h1, mac: '02:00:00:00:00:22' }]
flows: [{ name: f, from: c1, to: c2, rate: 200kpps, size: 1000, cast: broadcast }]
`);
  const f = world.flows[0];
  if (f === undefined) return t.fail('no flow');
  t.is(f.received, 400);
  const ser = (1000 + PEER_OVERHEAD) * NS_PER_BYTE_25G;
  near(t, f.latencyMin, 2 * ser + 4_000);
  near(t, f.latencyMax, 11 * ser + 4_000);
});
