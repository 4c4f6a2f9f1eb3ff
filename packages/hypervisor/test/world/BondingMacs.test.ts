import { MacAddress, type VfDevice } from '@bypass/core';
import test from 'ava';
import {
  PcapCapture,
  loadScenarioText,
  readPcap,
  runScenario,
  type Report,
} from '../../src/index.js';
import type { BondingNicModel } from '../../src/guest/BondingNicModel.js';
import { World } from '../../src/world/World.js';
import { VF_SPOOFED } from '../../src/world/VmNic.js';
import { STALE_FDB } from '../../src/world/VirtualSwitch.js';

// options.fail_over_mac and options.vf_mac of model bonding: the VF keeps the MAC the host
// assigned it (the PF refuses a change: ixgbe_sriov.c ixgbe_set_vf_mac_addr), and the bond's
// fail_over_mac decides what the bond does about it (bond_main.c bond_enslave,
// bond_do_fail_over_mac).

const MAC = '52:54:00:00:00:01';
const VF_MAC = '52:54:00:00:00:a1';

/** vm1's bonding NIC with `options`, a client on `peerHost`, flows both ways, then `steps`. */
const yaml = (options: string, duration = '500ms', peerHost = 'src', steps = '[]'): string => `
name: bond macs
duration: ${duration}
hosts: [{ name: src, vfs: 2 }, { name: dst, vfs: 2 }]
vms:
  - name: vm1
    host: src
    memory: 256MiB
    nics: [{ name: eth0, model: bonding, mac: '${MAC}', options: ${options} }]
peers: [{ name: client, host: ${peerHost} }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 10kpps, size: 64 }
steps: ${steps}
`;

function runWorld(options: string, capture?: PcapCapture): World {
  const world = new World(
    loadScenarioText(yaml(options), 'macs.yaml'),
    capture === undefined ? {} : { capture },
  );
  world.boot();
  while (world.now < world.scenario.duration) world.tick();
  for (let i = 0; i < 100; i++) world.tick(false);
  world.finish();
  return world;
}

const model = (w: World): BondingNicModel => w.nics[0]!.model as BondingNicModel;
const kinds = (w: World, kind: string): string[] =>
  w.log.events.filter((e) => e.kind === kind).map((e) => e.detail ?? '');
const mac = (s: string): MacAddress => MacAddress.parse(s);
const vfOf = (m: BondingNicModel): VfDevice => m.device('vf') as VfDevice;

/** Source MACs of the ARP frames captured at `point`. */
function arpSources(capture: PcapCapture, point: string): string[] {
  const i = capture.points().indexOf(point);
  if (i < 0) return [];
  return readPcap(capture.pcap(i))
    .records.filter((r) => r.data[12] === 0x08 && r.data[13] === 0x06)
    .map((r) => MacAddress.fromBytes(r.data.subarray(6, 12)).toString());
}

/** The client's MAC (a peer's default). */
const CLIENT_MAC = '02:00:00:00:00:01';

/**
 * The VM's MACs on the flow frames (UDP over IPv4) captured at `point`, both directions: the
 * destination of the client's frames (`in`), the source of the VM's (`out`).
 */
function vmAddresses(capture: PcapCapture, point: string, flow: 'in' | 'out'): string[] {
  const i = capture.points().indexOf(point);
  if (i < 0) return [];
  const macAt = (d: Uint8Array, o: number): string =>
    MacAddress.fromBytes(d.subarray(o, o + 6)).toString();
  return readPcap(capture.pcap(i))
    .records.filter((r) => r.data[12] === 0x08 && r.data[13] === 0x00 && r.data[23] === 17)
    .filter((r) => (macAt(r.data, 6) === CLIENT_MAC) === (flow === 'in'))
    .map((r) => macAt(r.data, flow === 'in' ? 0 : 6));
}

test('default (vf_mac = mac, none): the VF is enslaved and carries the traffic, one MAC everywhere', (t) => {
  const w = runWorld('{}');
  const m = model(w);
  t.is(m.datapath(), 'active');
  t.is(kinds(w, 'vf-enslave-failed').length, 0);
  t.true(vfOf(m).devAddr.equals(mac(MAC)));
  t.true(m.bond.devAddr.equals(mac(MAC)));
});

test('none with a vf_mac of its own: the PF refuses the bond MAC, the VF stays out, traffic stays on virtio', (t) => {
  const w = runWorld(`{ vf_mac: '${VF_MAC}' }`);
  const m = model(w);
  const [failed] = kinds(w, 'vf-enslave-failed');
  t.regex(failed ?? '', /eth0vf: the PF refused to change eth0vf's MAC to 52:54:00:00:00:01/);
  t.is(kinds(w, 'vf-enslave').length, 0);
  t.false(m.bond.slaves.includes(vfOf(m)));
  t.false(vfOf(m).running, 'ifenslave took it down; the failed enslave leaves it down');
  t.true(vfOf(m).devAddr.equals(mac(VF_MAC)));
  t.true(vfOf(m).permAddr.equals(mac(VF_MAC)));
  t.is(m.datapath(), 'backup');
  t.is(kinds(w, 'boot-timeout').length, 0, 'a refused enslave settles the boot on virtio');
  // The host steers vf_mac, not the NIC's mac, to the VF: both flows stay whole on virtio.
  const sw = w.host('src').switch;
  t.true(sw.hasVfFilter(mac(VF_MAC).value));
  t.false(sw.hasVfFilter(mac(MAC).value));
  for (const f of w.flows) t.is(f.received, f.sent, f.spec.name);
  t.is(m.stats()['vf_tx_packets'], 0);
});

test('active with a vf_mac: the VF becomes active, the bond takes vf_mac and its GARP carries it', (t) => {
  const capture = new PcapCapture();
  const w = runWorld(`{ vf_mac: '${VF_MAC}', fail_over_mac: active }`, capture);
  const m = model(w);
  t.is(m.datapath(), 'active');
  t.is(kinds(w, 'vf-enslave').length, 1);
  t.true(m.bond.devAddr.equals(mac(VF_MAC)), m.bond.devAddr.toString());
  t.true(vfOf(m).devAddr.equals(mac(VF_MAC)));
  t.true(m.virtio.devAddr.equals(mac(MAC)), 'fail_over_mac=active leaves the slaves alone');
  // The failover GARP left through the VF from vf_mac; the network learned it where it is.
  t.deepEqual(arpSources(capture, 'src-vm1-eth0-vf'), [VF_MAC]);
  t.not(w.network.lookup(mac(VF_MAC).value), -1);
  // Guest TX leaves from the bond's MAC through the VF.
  const out = w.flows.find((f) => f.spec.name === 'out')!;
  t.is(out.received, out.sent);
  t.true(m.stats()['vf_tx_packets']! > 0);
  t.deepEqual(new Set(vmAddresses(capture, 'src-vm1-eth0-vf', 'out')), new Set([VF_MAC]));
  // The client took the GARP: its frames go to vf_mac, which the host steers to the VF.
  const [update] = kinds(w, 'neigh-update');
  t.is(update, `client: 10.0.0.2 lladdr ${VF_MAC} (was ${MAC}), from an ARP`);
  t.deepEqual(new Set(vmAddresses(capture, 'src-vm1-eth0-vf', 'in')), new Set([VF_MAC]));
  const inbound = w.flows.find((f) => f.spec.name === 'in')!;
  t.is(inbound.received, inbound.sent);
});

test('active with a vf_mac across a VF unplug: each failover moves the bond MAC, its GARP readdresses the client', (t) => {
  const capture = new PcapCapture();
  const scenario = loadScenarioText(
    yaml(
      `{ vf_mac: '${VF_MAC}', fail_over_mac: active }`,
      '3s',
      'src',
      '[{ at: 500ms, action: vf-unplug, vm: vm1 }, { at: 1s, action: vf-plug, vm: vm1 }]',
    ),
    'unplug.yaml',
  );
  const report = runScenario(scenario, { capture });
  t.true(report.conservation.ok, report.conservation.mismatches.join());
  const updates = report.events.filter((e) => e.kind === 'neigh-update');
  t.deepEqual(
    updates.map((e) => [e.host, e.detail?.replace(/ \(was .*/, '')]),
    [
      ['src', `client: 10.0.0.2 lladdr ${VF_MAC}`], // the enslave at boot
      ['src', `client: 10.0.0.2 lladdr ${MAC}`], // the unplug: the bond takes virtio's MAC
      ['src', `client: 10.0.0.2 lladdr ${VF_MAC}`], // the enslave of the re-plugged VF
    ],
  );
  // While virtio is active both directions use the NIC's MAC on the paravirtual port.
  t.deepEqual(new Set(vmAddresses(capture, 'src-vm1-eth0-paravirt', 'in')), new Set([MAC]));
  t.deepEqual(new Set(vmAddresses(capture, 'src-vm1-eth0-paravirt', 'out')), new Set([MAC]));
  // Each direction loses at most the frames on the wire at a failover: the bond drops frames
  // still addressed to the old MAC arriving on its new inactive slave (rx-nohandler).
  for (const name of ['in', 'out']) {
    const f = report.flows[name]!;
    t.true(f.lost <= 3, `${name}: ${JSON.stringify(f.drops)}`);
  }
});

test('follow with a vf_mac: bond_do_fail_over_mac asks the VF for the old active MAC, the PF refuses', (t) => {
  const w = runWorld(`{ vf_mac: '${VF_MAC}', fail_over_mac: follow }`);
  const m = model(w);
  t.is(m.datapath(), 'active', 'follow does not touch the MAC at enslave: the VF is enslaved');
  const [warning] = kinds(w, 'bond-warning');
  t.regex(warning ?? '', /eth0: error setting the address of eth0vf: the PF refused/);
  // The swap stopped at its first half: every address is where it was.
  t.true(vfOf(m).devAddr.equals(mac(VF_MAC)));
  t.true(m.virtio.devAddr.equals(mac(MAC)));
  t.true(m.bond.devAddr.equals(mac(MAC)));
  // So the bond sends from its MAC through a VF whose MAC is vf_mac: the NIC's anti-spoofing
  // (spoofchk, on by default) drops all of it, and the PF driver says so. The client's frames
  // for the bond's MAC reach virtio, now the inactive slave, which delivers them exactly only.
  const byName = (n: string) => w.flows.find((f) => f.spec.name === n)!;
  t.is(byName('out').received, 0);
  t.is(byName('out').drops[VF_SPOOFED], byName('out').sent);
  t.is(byName('in').received, 0);
  const [report] = kinds(w, 'driver-log').filter((d) => d.includes('Spoofed'));
  t.regex(
    report ?? '',
    /^PF 0000:3b:00\.0: 1 Spoofed packets detected \(the PF driver's watchdog report, as ixgbe words it: VF 0000:3b:02\.0, MAC 52:54:00:00:00:a1, sent from another source MAC\)$/,
  );
});

test('follow with a vf_mac and spoofchk off: the NIC lets the bond MAC out through the VF', (t) => {
  const w = runWorld(`{ vf_mac: '${VF_MAC}', fail_over_mac: follow, vf_spoofchk: false }`);
  const out = w.flows.find((f) => f.spec.name === 'out')!;
  t.is(out.received, out.sent);
  t.is(out.drops[VF_SPOOFED] ?? 0, 0);
  t.is(kinds(w, 'driver-log').filter((d) => d.includes('Spoofed')).length, 0);
  // The bridge learns the bond's MAC behind the PF, but the eswitch hands frames to the VF by
  // its filter (vf_mac) only: the client's frames go to the wire, where the network switch
  // learned that MAC on the same port (the GARP) and drops them.
  const inbound = w.flows.find((f) => f.spec.name === 'in')!;
  t.is(inbound.received, 0);
  t.is(inbound.drops[STALE_FDB], inbound.sent);
});

test('spoofchk reports at most once per watchdog period, each report with the frames since the last', (t) => {
  const w = new World(
    loadScenarioText(yaml(`{ vf_mac: '${VF_MAC}', fail_over_mac: follow }`, '5s'), 'spoof.yaml'),
  );
  w.boot();
  while (w.now < w.scenario.duration) w.tick();
  const reports = w.log.events.filter(
    (e) => e.kind === 'driver-log' && e.detail?.includes('Spoofed') === true,
  );
  // The first spoofed frame at once, then about every 2 s (ixgbe's service timer) while they
  // go on: at the first spoofed frame after each period.
  const at = reports.map((e) => e.atNs);
  t.is(at.length, 3);
  for (let i = 1; i < at.length; i++) {
    const since = at[i]! - at[0]!;
    t.true(since >= i * 2e9 && since < i * 2e9 + 1e6, `report ${i} ${since} ns after the first`);
  }
  const counts = reports.map((e) => Number(/: (\d+) Spoofed/.exec(e.detail ?? '')?.[1]));
  t.is(counts[0], 1, 'the bond GARP, first through the VF');
  t.true(Math.abs(counts[1]! - 20_000) <= 10, `2 s of 10 kpps: ${counts[1]}`);
  const out = w.flows.find((f) => f.spec.name === 'out')!;
  t.is(out.received, 0);
  t.true(out.sent - out.drops[VF_SPOOFED]! <= 1, 'all but the frame still on the wire');
});

test('follow with vf_mac = mac (the default): the swap is between equal MACs, no warning', (t) => {
  const w = runWorld('{ fail_over_mac: follow }');
  const m = model(w);
  t.is(m.datapath(), 'active');
  t.is(kinds(w, 'bond-warning').length, 0);
  t.true(vfOf(m).devAddr.equals(mac(MAC)));
});

test('none with a vf_mac and a trusted VF: the PF takes the bond MAC and moves its filter there', (t) => {
  const w = runWorld(`{ vf_mac: '${VF_MAC}', vf_trust: true }`);
  const m = model(w);
  t.is(kinds(w, 'vf-enslave-failed').length, 0);
  t.is(kinds(w, 'vf-enslave').length, 1);
  t.is(m.datapath(), 'active');
  t.true(vfOf(m).devAddr.equals(mac(MAC)), vfOf(m).devAddr.toString());
  t.true(vfOf(m).permAddr.equals(mac(VF_MAC)), 'the permanent address stays the host-assigned one');
  // ixgbe_set_vf_mac: the old filter goes, the new one steers the bond's MAC to the VF.
  const sw = w.host('src').switch;
  t.false(sw.hasVfFilter(mac(VF_MAC).value));
  t.true(sw.hasVfFilter(mac(MAC).value));
  for (const f of w.flows) t.is(f.received, f.sent, f.spec.name);
  t.true(m.stats()['vf_tx_packets']! > 0);
});

test('follow with a vf_mac and a trusted VF: the swap goes through, the VF ends with the bond MAC', (t) => {
  const w = runWorld(`{ vf_mac: '${VF_MAC}', fail_over_mac: follow, vf_trust: true }`);
  const m = model(w);
  t.is(kinds(w, 'bond-warning').length, 0);
  t.is(m.datapath(), 'active');
  t.true(vfOf(m).devAddr.equals(mac(MAC)));
  t.true(m.virtio.devAddr.equals(mac(VF_MAC)));
  t.true(m.bond.devAddr.equals(mac(MAC)));
  t.true(w.host('src').switch.hasVfFilter(mac(MAC).value));
  for (const f of w.flows) t.is(f.received, f.sent, f.spec.name);
});

/** A client behind the uplink (its frames reach the host NIC's filter), a VF re-plugged at 1.5 s. */
const replugFromWire = (options: string): Report =>
  runScenario(
    loadScenarioText(
      yaml(
        options,
        '4s',
        'dst',
        '[{ at: 1s, action: vf-unplug, vm: vm1 }, { at: 1.5s, action: vf-plug, vm: vm1 }]',
      ),
      'replug.yaml',
    ),
  );

test('a trusted VF with a MAC of its own takes no RX before the bond enslaves it; one MAC loses the enslave delay', (t) => {
  const oneMac = replugFromWire('{}');
  const trusted = replugFromWire(`{ vf_mac: '${VF_MAC}', vf_trust: true }`);
  for (const r of [oneMac, trusted]) t.true(r.conservation.ok, r.conservation.mismatches.join());
  // With one MAC the host steers the NIC's MAC to the VF at the plug, 1 s (enslave_delay)
  // before the bond opens it: 10 kpps for 1 s dropped as dev-down.
  t.is(oneMac.flows['in']?.drops['dev-down'], 10_000);
  // With vf_mac the plug steers only vf_mac; the bond's MAC reaches the VF when the enslave
  // moves the filter, by then the VF is open.
  t.is(trusted.flows['in']?.drops['dev-down'], undefined);
  t.true((trusted.flows['in']?.lost ?? 0) <= 1, JSON.stringify(trusted.flows['in']?.drops));
  t.is(trusted.timeline.datapath['vm1/eth0']?.at(-1)?.[2], 'active');
});
