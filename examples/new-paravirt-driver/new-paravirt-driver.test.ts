import test from 'ava';
import {
  DeviceBus,
  BypassRegistry,
  MacAddress,
  NetNamespace,
  PacketPool,
  SeededRandom,
  VirtualScheduler,
  dropReasonName,
} from '@bypass/core';
import { DEFAULT_NIC_OPTIONS, type NicModelContext } from '@bypass/hypervisor';
import { runNewDriverExample } from './runNewDriverExample.js';
import { ToyNicModel } from './ToyNicModel.js';

test('the toy paravirtual NIC is live-migrated like the built-in mechanisms', (t) => {
  const r = runNewDriverExample();
  const report = r.report;
  t.true(report.conservation.ok, report.conservation.mismatches.join('\n'));
  t.true(report.ok);
  t.deepEqual(
    report.migrations.map((m) => [m.result, m.states.map((s) => s.state)]),
    [['completed', ['setup', 'wait-unplug', 'active', 'device', 'completed']]],
  );
  const nic = report.nics['vm1/eth0'];
  t.is(nic?.model, 'toy-paravirt');
  // On the VF, on the paravirtual path while the VM moves, then on the destination's VF.
  t.deepEqual(
    (report.timeline.datapath['vm1/eth0'] ?? []).map((s) => s[2]),
    ['active', 'backup', 'active'],
  );
  t.is(nic?.switches, 2);
  // The only loss is what reached the VM while it was paused: the paravirtual path carried
  // everything else, and a 2-netdev master takes what arrives on its own path.
  for (const [name, f] of Object.entries(report.flows))
    t.deepEqual(
      Object.keys(f.drops).filter((k) => k !== 'vm-paused'),
      [],
      name,
    );
  const kinds = report.events.filter((e) => e.vm === 'vm1').map((e) => e.kind);
  t.is(kinds.filter((k) => k === 'bypass-slave-registered').length, 2);
  t.is(kinds.filter((k) => k === 'bypass-slave-unregistered').length, 1);
  t.true(kinds.includes('announce'));
  // Stats folding: the master's counters include both VFs' traffic and its own.
  const s = nic?.stats ?? {};
  const f1 = report.flows['f1'];
  const f2 = report.flows['f2'];
  t.is(s['garp_sent'], 1);
  t.is(s['tx_packets'], (f2?.sent ?? 0) + 1);
  t.is(s['rx_packets'], f1?.received ?? -1);
  t.is((s['pv_tx_packets'] ?? 0) + (s['vf_tx_packets'] ?? 0), s['tx_packets'] ?? -1);
  t.true((s['pv_tx_packets'] ?? 0) > 0 && (s['vf_tx_packets'] ?? 0) > 0);
  // The model's own view at the end, then a clean teardown.
  const [model] = r.models;
  t.is(r.models.length, 1);
  t.is(model?.datapath(), 'active');
  t.not(model?.device('vf'), null);
  model?.dispose();
  t.is(model?.device('eth0'), null);
  t.is(model?.device('eth0vf'), null);
});

test('the toy host backend drops what does not fit in the guest ring, with a reason', (t) => {
  const pool = new PacketPool({ slots: 4096 });
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _pkts, _s, count, reason) => {
    const name = dropReasonName(reason);
    drops.set(name, (drops.get(name) ?? 0) + count);
  };
  const scheduler = new VirtualScheduler();
  const toHost: string[] = [];
  const ctx: NicModelContext = {
    scheduler,
    guestClock: scheduler,
    guestStopped: () => false,
    pool,
    random: new SeededRandom(1),
    vm: 'vm1',
    nic: 'eth0',
    mac: MacAddress.parse('52:54:00:00:00:01'),
    ipv4: 0x0a00_0002,
    groups: [],
    options: DEFAULT_NIC_OPTIONS,
    ns: new NetNamespace('vm1'),
    bus: new DeviceBus(),
    registry: new BypassRegistry(),
    toHostParavirt: (pkts, start, count) => {
      for (let i = start; i < start + count; i++) {
        const o = pool.start[pkts[i] as number] as number;
        toHost.push(Buffer.from(pool.bytes.subarray(o, o + 14)).toString('hex'));
      }
      pool.freeBurst(pkts, start, count);
    },
    toGuestVf: (pkts, start, count) => pool.freeBurst(pkts, start, count),
    deliver: (pkts, start, count) => pool.freeBurst(pkts, start, count),
    event: () => {},
  };
  const model = new ToyNicModel(ctx);
  // With no VF the announce goes out on the paravirtual path: the host takes it off the ring.
  model.announce();
  model.service();
  t.deepEqual(toHost, ['ffffffffffff' + '525400000001' + '0806']);
  t.is(model.datapath(), 'backup');
  const burst = new Int32Array(1100);
  const n = pool.allocBurst(burst, 0, burst.length);
  for (let i = 0; i < n; i++) pool.setLength(burst[i] as number, 64);
  model.fromHostParavirt(burst, 0, n);
  t.deepEqual(Object.fromEntries(drops), { 'ring-full': 1100 - 1024 });
  t.is(model.stats()['host_to_guest_ring_full'], 1100 - 1024);
  t.is(pool.inUse, 1024);
  // Frames left in the rings when the device goes away are dropped, never freed silently.
  model.dispose();
  t.deepEqual(Object.fromEntries(drops), { 'ring-full': 1100 - 1024, 'no-device': 1024 });
  t.is(pool.inUse, 0);
});
