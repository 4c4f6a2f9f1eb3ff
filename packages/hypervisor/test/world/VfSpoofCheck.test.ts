import { ETH_P, Ethernet, MacAddress } from '@bypass/core';
import test from 'ava';
import { PcapCapture, loadScenarioText, readPcap } from '../../src/index.js';
import { VF_SPOOFED } from '../../src/world/VmNic.js';
import { World } from '../../src/world/World.js';

// The host NIC's anti-spoofing on what a VF sends (vf_spoofchk): frame by frame, in a burst
// that mixes the VF's own source MAC with others.

const MAC = MacAddress.parse('52:54:00:00:00:01').value;
const CLIENT = MacAddress.parse('02:00:00:00:00:01').value;
const OTHER = MacAddress.parse('52:54:00:00:00:77').value;

const yaml = (spoofchk: boolean): string => `
name: spoof check
duration: 10ms
hosts: [{ name: src, vfs: 1 }]
vms:
  - name: vm1
    host: src
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01', options: { vf_spoofchk: ${spoofchk} } }]
peers: [{ name: client, host: src }]
`;

/** Boots the world, puts [own, other, other, own, other-header-only] on the VF's wire out. */
function run(spoofchk: boolean): { world: World; capture: PcapCapture } {
  const capture = new PcapCapture();
  const world = new World(loadScenarioText(yaml(spoofchk), 'spoof.yaml'), { capture });
  world.boot();
  const pool = world.pool;
  const sources = [MAC, OTHER, OTHER, MAC];
  const pkts = new Int32Array(sources.length);
  sources.forEach((src, i) => {
    const h = pool.alloc();
    const p = Ethernet.buildFrame(pool, h, CLIENT, src, ETH_P.IPV4, 46);
    pool.bytes[p] = i; // which one it was
    pkts[i] = h;
  });
  world.nics[0]!.vfOut.push(pkts, 0, pkts.length, world.wire.now);
  for (let i = 0; i < 10; i++) world.tick(false);
  return { world, capture };
}

/** The first payload byte of each frame recorded at `point`, in order. */
function order(capture: PcapCapture, point: string): number[] {
  const i = capture.points().indexOf(point);
  return readPcap(capture.pcap(i)).records.map((r) => r.data[14]!);
}

test('spoofchk drops exactly the frames from another MAC and forwards the rest in order', (t) => {
  const { world, capture } = run(true);
  t.is(world.otherDrops[VF_SPOOFED], 2);
  t.deepEqual(order(capture, 'src-vm1-eth0-vf'), [0, 3], 'the switch saw the VF own frames');
  t.deepEqual(order(capture, 'src-client'), [0, 3]);
  const reports = world.log.events.filter((e) => e.detail?.includes('Spoofed') === true);
  t.is(reports.length, 1);
  t.regex(reports[0]?.detail ?? '', /^PF 0000:3b:00\.0: 1 Spoofed packets detected/);
  const dropped = world.otherDrops.reduce<number>((a, n) => a + (n ?? 0), 0);
  t.is(dropped, 2, 'nothing else was dropped');
});

test('with spoofchk off every frame goes on', (t) => {
  const { world, capture } = run(false);
  t.is(world.otherDrops[VF_SPOOFED] ?? 0, 0);
  t.deepEqual(order(capture, 'src-client'), [0, 1, 2, 3]);
});
