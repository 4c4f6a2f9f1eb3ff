import test from 'ava';
import { ARPHRD } from '@bypass/core';
import {
  FailsafePort,
  SubDevState,
  VdevNetvsc,
  VfPmdPort,
  type DpdkLogLevel,
} from '../../src/dpdk/exports.js';
import { KernelNic, World, mac } from './helpers/world.js';

function setup() {
  const w = new World();
  const lines: string[] = [];
  const vdev = new VdevNetvsc({
    registry: w.registry,
    sysfs: w.sysfs,
    scheduler: w.scheduler,
    pipes: w.pipes,
    log: (level: DpdkLogLevel, m: string) => lines.push(`${level}: ${m}`),
  });
  return { w, vdev, lines };
}

const linkLocal = { family: 'inet6', address: 'fe80::215:5dff:fe00:1', scope: 'link' } as const;
const global4 = { family: 'inet', address: '10.0.0.4', scope: 'global' } as const;

test('without iface/mac, every unrouted NetVSC interface gets a fail-safe with the generated devargs', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth0', mac(0));
  w.netvsc('eth1', mac(1));
  w.netvsc('eth2', mac(2), { classId: '00000000-0000-0000-0000-000000000000' }); // not NetVSC
  w.sysfs.setAddresses('eth0', [global4, linkLocal]);
  w.sysfs.setAddresses('eth1', [linkLocal]);
  vdev.probe();
  t.deepEqual(
    vdev.contexts.map((c) => [c.id, c.ifName, c.devname, c.devargs]),
    [[0, 'eth1', 'net_failsafe_vsc0', 'fd(3),dev(net_tap_vsc0,remote=eth1)']],
  );
  const fs = w.registry.getByName('net_failsafe_vsc0');
  t.true(fs instanceof FailsafePort);
  t.is((fs as FailsafePort).subDevices[1]?.port?.name, 'net_tap_vsc0');
  t.is(vdev.instances, 1);
});

test('fixed DPDK bug: an IPv6 link-local address does not make a NetVSC interface routed', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth1', mac(1));
  w.sysfs.setAddresses('eth1', [
    linkLocal,
    { family: 'inet', address: '169.254.0.7', scope: 'link' },
  ]);
  vdev.probe();
  t.is(vdev.contexts.length, 1);
});

test('a named routed interface is used with the "probably using routed NetVSC interface" warning', (t) => {
  const { w, vdev, lines } = setup();
  const eth0 = w.netvsc('eth0', mac(0));
  w.sysfs.setAddresses('eth0', [global4]);
  vdev.probe('net_vdev_netvsc0', 'iface=eth0');
  t.is(vdev.contexts[0]?.ifName, 'eth0');
  t.true(
    lines.includes(
      `warning: net_vdev_netvsc: probably using routed NetVSC interface "eth0" (index ${eth0.ifindex})`,
    ),
  );
});

test('mac= selects the NetVSC interface by address, in any of the DPDK formats', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth0', mac(0));
  w.netvsc('eth1', mac(1));
  w.netvsc('eth2', mac(2));
  w.netvsc('eth3', mac(3));
  vdev.probe('net_vdev_netvsc0', 'mac=00:15:5D:00:00:01');
  vdev.probe('net_vdev_netvsc1', 'mac=0015:5d00:0000');
  vdev.probe('net_vdev_netvsc2', 'mac=0015.5d00.0002');
  vdev.probe('net_vdev_netvsc3', 'mac=00-15-5d-00-00-03');
  t.deepEqual(
    vdev.contexts.map((c) => c.ifName),
    ['eth1', 'eth0', 'eth2', 'eth3'],
  );
});

test('devargs errors carry DPDK messages; the probe logs them and does not fail', (t) => {
  const { w, vdev, lines } = setup();
  w.netvsc('eth1', mac(1));
  const cases: [string, string, RegExp][] = [
    ['bogus=1', 'ERR_PARSE', /cannot parse arguments list/],
    [
      'iface=eth1,mac=00:15:5d:00:00:01',
      'ERR_INVALID_ARGUMENT',
      /More than one way used to specify the netvsc device\./,
    ],
    ['mac=00:15:5d:zz', 'ERR_PARSE', /invalid MAC address format "00:15:5d:zz"/],
    ['iface=eth9', 'ERR_NOT_FOUND', /Cannot find the specified netvsc device/],
    ['iface=eth9,force=1', 'ERR_NOT_FOUND', /Cannot find the specified device$/],
  ];
  for (const [args, code, message] of cases) {
    const r = vdev.probe('net_vdev_netvsc0', args);
    t.is(r.created, 0, args);
    t.is(r.error?.code as string | undefined, code, args);
    t.regex(r.error?.message ?? '', message, args);
    t.regex(lines.at(-1) ?? '', /^error: net_vdev_netvsc: /, args);
  }
  t.is(vdev.contexts.length, 0);
  t.is(vdev.instances, 5); // DPDK counts an instance even when its probe fails
});

test('a fail-safe port that cannot be created is logged and reported; earlier ports stay', (t) => {
  const { w, vdev, lines } = setup();
  w.netvsc('eth0', mac(0));
  w.netvsc('eth1', mac(1));
  w.registry.probe('net_failsafe_vsc1,dev(net_tap_other)'); // the second name is taken
  const r = vdev.probe();
  t.is(r.created, 1);
  t.is(r.error?.code, 'ERR_ALREADY_REGISTERED');
  t.deepEqual(
    vdev.contexts.map((c) => c.devname),
    ['net_failsafe_vsc0'],
  );
  t.true(
    lines.some((l) => l.startsWith('error: net_vdev_netvsc: cannot create "net_failsafe_vsc1"')),
  );
});

test('force=1 accepts a non-NetVSC interface with a warning', (t) => {
  const { w, vdev, lines } = setup();
  w.netvsc('eth2', mac(2), { classId: '00000000-0000-0000-0000-000000000000' });
  t.is(vdev.probe('net_vdev_netvsc0', 'iface=eth2').error?.code, 'ERR_NOT_FOUND');
  vdev.probe('net_vdev_netvsc0', 'iface=eth2,force=1');
  t.is(vdev.contexts[0]?.ifName, 'eth2');
  t.true(lines.includes('warning: net_vdev_netvsc: non-netvsc device was probed as netvsc'));
});

test('an interface already handled is skipped with a warning', (t) => {
  const { w, vdev, lines } = setup();
  const eth1 = w.netvsc('eth1', mac(1));
  vdev.probe('net_vdev_netvsc0', 'iface=eth1');
  vdev.probe('net_vdev_netvsc1', 'iface=eth1');
  t.is(vdev.contexts.length, 1);
  t.true(
    lines.includes(
      `warning: net_vdev_netvsc: interface "eth1" (index ${eth1.ifindex}) is already handled, skipping`,
    ),
  );
});

test('non-Ethernet interfaces are never NetVSC candidates', (t) => {
  const { w, vdev } = setup();
  const nic = new KernelNic({ pool: w.pool, permAddr: mac(5), type: ARPHRD.ETHER + 1 });
  const eth = w.netvsc('eth5', mac(6));
  w.ns.unregister(eth);
  // eth5's parent is a NetVSC VMBus device; give that parent to a non-Ethernet netdev
  const odd = new KernelNic({ pool: w.pool, permAddr: mac(7), type: 0x200, parent: eth.parent });
  w.ns.register(nic, 'ib0');
  w.ns.register(odd, 'odd0');
  vdev.probe();
  t.is(vdev.contexts.length, 0);
});

test('ignore=1 does nothing and suppresses auto-detection', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth1', mac(1));
  vdev.probe('net_vdev_netvsc0', 'ignore=1');
  t.is(vdev.contexts.length, 0);
  t.is(vdev.instances, 0);
  t.false(vdev.autoProbe({ onHyperV: true }));
  t.is(vdev.contexts.length, 0);
});

test('auto-detection runs only on Hyper-V and not when an explicit instance is requested', (t) => {
  const a = setup();
  a.w.netvsc('eth1', mac(1));
  t.false(a.vdev.autoProbe({ onHyperV: false }));
  t.false(a.vdev.autoProbe({ onHyperV: true, vdevs: ['net_vdev_netvsc0,iface=eth1'] }));
  t.is(a.vdev.contexts.length, 0);
  t.true(a.vdev.autoProbe({ onHyperV: true, vdevs: ['net_tap0'] }));
  t.is(a.vdev.contexts.length, 1);
  const b = setup();
  b.w.netvsc('eth1', mac(1));
  b.vdev.probe('net_vdev_netvsc0', 'iface=eth1');
  t.false(b.vdev.autoProbe({ onHyperV: true }));
});

test('a VF present at creation is written to the pipe and becomes the preferred sub-device', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth1', mac(1));
  w.plugVf('0002:00:02.0', mac(1));
  w.plugVf('0003:00:02.0', mac(9)); // another MAC: not this NetVSC's VF
  vdev.probe();
  const fs = w.registry.getByName('net_failsafe_vsc0') as FailsafePort;
  t.is(vdev.contexts[0]?.yield, '0002:00:02.0');
  t.true(fs.subDevices[0]?.port instanceof VfPmdPort);
  t.is(fs.subDevices[0]?.port?.name, '0002:00:02.0');
  t.is(fs.subDevices[0]?.state, SubDevState.PROBED);
});

test('VF discovery needs the same MAC and a PCI subsystem', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth1', mac(1));
  w.netvsc('eth3', mac(1), { classId: '00000000-0000-0000-0000-000000000000' }); // same MAC, VMBus
  vdev.probe();
  t.is(vdev.contexts[0]?.yield, '');
  t.is(w.pipes.get(3)?.pending, 0);
});

test('the re-probe every 1000 ms announces a VF that appears later', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth1', mac(1));
  vdev.probe();
  w.plugVf('0002:00:02.0', mac(1));
  w.advanceMs(999);
  t.is(w.pipes.get(3)?.pending, 0);
  w.advanceMs(1);
  t.is(w.pipes.get(3)?.pending, '0002:00:02.0\n'.length);
  t.is(vdev.contexts[0]?.yield, '0002:00:02.0');
});

test('a renamed forced interface is followed by the re-probe', (t) => {
  const { w, vdev } = setup();
  const eth2 = w.netvsc('eth2', mac(2), { classId: '00000000-0000-0000-0000-000000000000' });
  vdev.probe('net_vdev_netvsc0', 'iface=eth2,force=1');
  eth2.close();
  eth2.rename('lan2');
  vdev.reprobe();
  t.is(vdev.contexts[0]?.ifName, 'lan2');
});

test('removing the last instance stops the re-probe and closes the pipes', (t) => {
  const { w, vdev } = setup();
  w.netvsc('eth1', mac(1));
  vdev.probe('net_vdev_netvsc0', 'iface=eth1');
  vdev.probe('net_vdev_netvsc1', 'ignore=0');
  t.is(vdev.instances, 2);
  vdev.remove();
  t.is(vdev.contexts.length, 1);
  vdev.remove();
  t.is(vdev.contexts.length, 0);
  t.is(w.pipes.get(3), undefined);
  const pendingBefore = w.scheduler.pending;
  w.advanceMs(5000);
  t.is(w.scheduler.pending, pendingBefore); // only the fail-safe upkeep remains
});
