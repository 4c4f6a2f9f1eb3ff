import test, { type ExecutionContext } from 'ava';
import {
  discoverPairs,
  doctor,
  FileDoctorProbes,
  formatDoctorReport,
  RealSysfsView,
  runDoctorChecks,
  snapshotOf,
  type AddressRecord,
  type DoctorFacts,
  type LinkRecord,
} from '../src/index.js';
import { FakeSource } from './helpers/fakeSource.js';
import { link } from './helpers/links.js';
import { readFileSync } from 'node:fs';
import {
  HV_MAC,
  hyperVTree,
  KVM_MAC,
  netFailoverTree,
  SysfsTree,
} from './helpers/sysfsFixtures.js';

interface Setup {
  eth0?: Partial<LinkRecord>;
  vf?: Partial<LinkRecord>;
  enslaved?: boolean;
  extra?: LinkRecord[];
}

function links(s: Setup = {}): LinkRecord[] {
  const enslaved = s.enslaved !== false;
  return [
    link({ ifindex: 2, name: 'eth0', address: HV_MAC, up: true, carrier: true, ...s.eth0 }),
    link({
      ifindex: 3,
      name: 'enP1s1',
      address: HV_MAC,
      up: true,
      carrier: true,
      master: enslaved ? 2 : 0,
      ...s.vf,
    }),
    ...(s.extra ?? []),
  ];
}

function facts(t: ExecutionContext, s: Setup = {}, more: Partial<DoctorFacts> = {}): DoctorFacts {
  const tree = hyperVTree({ enslaved: s.enslaved !== false });
  t.teardown(() => tree.remove());
  return {
    snapshot: snapshotOf(links(s), new RealSysfsView(tree.root)),
    addresses: [],
    defaultQdisc: 'fq_codel',
    dhcpEvidence: new Map(),
    configMentions: new Map(),
    ...more,
  };
}

const ids = (f: DoctorFacts): string[] => runDoctorChecks(f).map((x) => x.id);

const addr = (
  ifindex: number,
  address: string,
  scope = 'global',
  family: 4 | 6 = 4,
): AddressRecord => ({
  ifindex,
  family,
  address,
  prefixLen: family === 4 ? 24 : 64,
  scope,
  dynamic: true,
});

test('a healthy Hyper-V pair has no findings', (t) => {
  t.deepEqual(runDoctorChecks(facts(t, {}, { addresses: [addr(2, '10.0.0.4')] })), []);
});

test('vf-has-address: an address on the enslaved VF is an error with unmanage advice', (t) => {
  const [f] = runDoctorChecks(
    facts(t, {}, { addresses: [addr(3, '10.0.0.5'), addr(3, 'fe80::1', 'link', 6)] }),
  );
  t.like(f, { id: 'vf-has-address', severity: 'error', devices: ['eth0', 'enP1s1'] });
  t.regex(f?.message ?? '', /10\.0\.0\.5\/24 \(leased\)/);
  t.notRegex(f?.message ?? '', /fe80/);
  t.regex(f?.advice ?? '', /unmanaged-devices=interface-name:enP1s1/);
  t.regex(f?.advice ?? '', /Unmanaged=yes/);
  // On Hyper-V, NetworkManager gets the hv_pci udev rule instead of "driver:mlx5_core".
  t.regex(f?.advice ?? '', /Driver=mlx5_core/);
});

test('vf-dhcp-client and config-matches-vf come from the probes', (t) => {
  const f = facts(
    t,
    {},
    {
      dhcpEvidence: new Map([['enP1s1', ['/var/lib/dhcp/dhclient.enP1s1.leases']]]),
      configMentions: new Map([
        [
          'enP1s1',
          [
            {
              file: '/etc/netplan/50-cloud-init.yaml',
              tool: 'netplan',
              byName: false,
              byMac: true,
              driverMatch: false,
              driver: null,
            },
            {
              file: '/etc/systemd/network/10-eth0.network',
              tool: 'systemd-networkd',
              byName: false,
              byMac: true,
              driverMatch: true,
              driver: 'hv_netvsc',
            },
          ],
        ],
      ]),
    },
  );
  const found = runDoctorChecks(f);
  t.deepEqual(
    found.map((x) => x.id),
    ['vf-dhcp-client', 'config-matches-vf'],
  );
  t.regex(
    found[1]?.message ?? '',
    /50-cloud-init\.yaml \(netplan, by MAC without a driver match\)/,
  );
  t.notRegex(found[1]?.message ?? '', /10-eth0/);
});

test('mtu-mismatch: master and VF MTUs differ', (t) => {
  const [f] = runDoctorChecks(facts(t, { eth0: { mtu: 9000 } }));
  t.like(f, { id: 'mtu-mismatch', severity: 'warning', devices: ['eth0', 'enP1s1'] });
  t.regex(f?.advice ?? '', /ip link set eth0 mtu 9000/);
});

test('vf-not-enslaved: a one-legged pair is an error, and the VF checks stop there', (t) => {
  const f = facts(t, { enslaved: false }, { addresses: [addr(3, '10.0.0.5')] });
  const found = runDoctorChecks(f);
  t.deepEqual(
    found.map((x) => x.id),
    ['vf-not-enslaved'],
  );
  t.regex(found[0]?.advice ?? '', /Data path switched/);
  // netvsc_drv.c: the slot serial plus permanent MAC, the dmesg strings that explain a failure;
  // netvsc_register_vf moves a VF from another namespace itself, so that is no likely cause.
  t.regex(found[0]?.advice ?? '', /can not register netvsc VF receive handler/);
  t.regex(found[0]?.advice ?? '', /no netdev found for vf serial/);
  t.regex(found[0]?.advice ?? '', /permanent MAC/);
  t.notRegex(found[0]?.advice ?? '', /namespace/);
});

test('vf-not-enslaved: a same-MAC VF held by a bond is a one-legged pair naming the bond', (t) => {
  const bond = link({
    ifindex: 9,
    name: 'bond0',
    address: HV_MAC,
    kind: 'bond',
    up: true,
    bond: { mode: 1, activeSlave: 3 },
  });
  const found = runDoctorChecks(
    facts(t, { enslaved: false, vf: { master: 9, slaveKind: 'bond' }, extra: [bond] }),
  );
  t.deepEqual(
    found.map((x) => x.id),
    ['vf-not-enslaved'],
  );
  t.like(found[0], { devices: ['eth0', 'enP1s1', 'bond0'] });
  t.regex(found[0]?.message ?? '', /enslaved to bond0 instead/);
  t.regex(found[0]?.advice ?? '', /ip link set enP1s1 nomaster/);
  const pairs = discoverPairs(
    facts(t, { enslaved: false, vf: { master: 9, slaveKind: 'bond' }, extra: [bond] }).snapshot,
  );
  t.regex(
    formatDoctorReport({ pairs, findings: [] }),
    /^pair netvsc:eth0: master eth0, backup eth0, active enP1s1 \(enslaved to bond0\)$/m,
  );
});

function failoverFacts(t: ExecutionContext, more: Partial<DoctorFacts> = {}): DoctorFacts {
  const tree = netFailoverTree();
  t.teardown(() => tree.remove());
  const links = [
    link({ ifindex: 2, name: 'ens3', address: KVM_MAC, up: true, carrier: true, qdisc: 'noqueue' }),
    link({ ifindex: 3, name: 'ens3nsby', address: KVM_MAC, master: 2, up: true, carrier: true }),
    link({ ifindex: 4, name: 'ens4', address: KVM_MAC, master: 2, up: true, carrier: true }),
  ];
  return {
    snapshot: snapshotOf(links, new RealSysfsView(tree.root)),
    addresses: [addr(4, '192.168.1.5')],
    defaultQdisc: 'fq_codel',
    dhcpEvidence: new Map(),
    configMentions: new Map(),
    ...more,
  };
}

test('net_failover advice matches the master by "driver: net_failover", never virtio_net', (t) => {
  const [f] = runDoctorChecks(failoverFacts(t));
  t.like(f, { id: 'vf-has-address', devices: ['ens3', 'ens4'] });
  // net_failover.c nfo_ethtool_get_drvinfo reports "net_failover"; virtio_net is the standby's.
  t.regex(f?.advice ?? '', /"driver: net_failover"/);
  t.regex(f?.advice ?? '', /Do not match "driver: virtio_net".*standby ens3nsby/);
  t.notRegex(f?.advice ?? '', /hv_netvsc/);
  t.notRegex(f?.advice ?? '', /68-azure/);
});

test('Hyper-V advice: the Azure hv_pci udev rule and the master driver hv_netvsc', (t) => {
  const [f] = runDoctorChecks(facts(t, {}, { addresses: [addr(3, '10.0.0.5')] }));
  t.regex(f?.advice ?? '', /68-azure-sriov-nm-unmanaged\.rules/);
  t.regex(f?.advice ?? '', /DRIVERS=="hv_pci"/);
  t.regex(f?.advice ?? '', /"driver: hv_netvsc"/);
  t.notRegex(f?.advice ?? '', /virtio_net/);
});

test('an mlx4 VF is matched by its netdev driver mlx4_en, not the PCI driver mlx4_core', (t) => {
  const tree = hyperVTree({ vfDriver: 'mlx4_core' });
  t.teardown(() => tree.remove());
  const f = runDoctorChecks({
    snapshot: snapshotOf(links(), new RealSysfsView(tree.root)),
    addresses: [addr(3, '10.0.0.5')],
    defaultQdisc: null,
    dhcpEvidence: new Map(),
    configMentions: new Map(),
  });
  t.regex(f[0]?.advice ?? '', /Driver=mlx4_en/);
});

test('config-matches-vf: a driver match counts only when it is the master driver', (t) => {
  const mention = (driver: string | null) => ({
    file: '/etc/netplan/50-cloud-init.yaml',
    tool: 'netplan' as const,
    byName: false,
    byMac: true,
    driverMatch: driver !== null,
    driver,
  });
  const run = (driver: string | null): string[] =>
    ids(facts(t, {}, { configMentions: new Map([['enP1s1', [mention(driver)]]]) }));
  t.deepEqual(run('hv_netvsc'), []);
  t.deepEqual(run('mlx5_core'), ['config-matches-vf']);
  t.deepEqual(run('*'), ['config-matches-vf']);
  t.deepEqual(run('!mlx*'), []);
  t.deepEqual(run(null), ['config-matches-vf']);
  const [f] = runDoctorChecks(
    facts(t, {}, { configMentions: new Map([['enP1s1', [mention('mlx5_core')]]]) }),
  );
  t.regex(f?.message ?? '', /by MAC with driver mlx5_core, not the master's hv_netvsc/);
});

test('FileDoctorProbes pairs each MAC with the driver of its own stanza', (t) => {
  const root = new SysfsTree();
  t.teardown(() => root.remove());
  root.file(
    'etc/netplan/50-cloud-init.yaml',
    [
      '# driver: hv_netvsc is what cloud-init should write',
      'network:',
      '  ethernets:',
      '    eth0:',
      '      match:',
      '        driver: hv_netvsc',
      '        macaddress: 00:0d:3a:00:00:99',
      '    vf:',
      '      match:',
      `        macaddress: ${HV_MAC}`,
      '        driver: mlx5_core',
      '      dhcp4: true',
      '    other:',
      `      match: {macaddress: "${HV_MAC}", driver: hv_netvsc}`,
    ].join('\n'),
  );
  root.file(
    'etc/systemd/network/10-eth0.network',
    `# Driver=hv_netvsc\n[Match]\nMACAddress=${HV_MAC}\n\n[Network]\nDHCP=yes\n`,
  );
  root.file(
    'etc/NetworkManager/system-connections/eth0.nmconnection',
    `[ethernet]\nmac-address=${HV_MAC.toUpperCase()}\n\n[match]\ndriver=hv_netvsc;\n`,
  );
  const mentions = new FileDoctorProbes(root.root).configMentions('enP1s1', HV_MAC);
  t.deepEqual(
    mentions.map((m) => [m.file, m.driver]),
    [
      ['/etc/NetworkManager/system-connections/eth0.nmconnection', 'hv_netvsc'],
      ['/etc/systemd/network/10-eth0.network', null],
      ['/etc/netplan/50-cloud-init.yaml', 'mlx5_core'],
      ['/etc/netplan/50-cloud-init.yaml', 'hv_netvsc'],
    ],
  );
  const found = runDoctorChecks(facts(t, {}, { configMentions: new Map([['enP1s1', mentions]]) }));
  t.deepEqual(
    found.map((f) => f.id),
    ['config-matches-vf'],
  );
  t.regex(
    found[0]?.message ?? '',
    /10-eth0\.network \(systemd-networkd, by MAC without a driver match\)/,
  );
  t.regex(found[0]?.message ?? '', /50-cloud-init\.yaml \(netplan, by MAC with driver mlx5_core/);
  t.notRegex(found[0]?.message ?? '', /nmconnection/);
});

test('snapshotOf: facts of another device under the same name, or unreadable ones, are left out', (t) => {
  const tree = hyperVTree();
  t.teardown(() => tree.remove());
  // enP1s1 was renamed and a new device (ifindex 7) took the name: sysfs says ifindex 3.
  const renamed = links({ vf: { ifindex: 7 } });
  const snap = snapshotOf(renamed, new RealSysfsView(tree.root));
  t.deepEqual([...snap.facts.keys()], ['eth0']);
  const unreadable = new RealSysfsView(tree.root, {
    readFileSync: (path) => {
      if (path.includes('enP1s1')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      return readFileSync(path, 'utf8');
    },
  });
  t.deepEqual([...snapshotOf(links(), unreadable).facts.keys()], ['eth0']);
});

test('vf-down: an enslaved VF that is down means the slow path', (t) => {
  t.deepEqual(ids(facts(t, { vf: { up: false, carrier: false } })), ['vf-down']);
});

test('vf-down: not when the master itself is down (netvsc_close closes the VF)', (t) => {
  const down = { up: false, carrier: false };
  t.deepEqual(ids(facts(t, { eth0: down, vf: down })), []);
});

test('qdisc-on-vf-only: a shaped VF under an unshaped master (the fallback path is unshaped)', (t) => {
  const [f] = runDoctorChecks(facts(t, { eth0: { qdisc: 'mq' }, vf: { qdisc: 'tbf' } }));
  t.like(f, { id: 'qdisc-on-vf-only', severity: 'warning', devices: ['eth0', 'enP1s1'] });
  t.regex(f?.advice ?? '', /tc qdisc del dev enP1s1 root/);
});

test('qdisc-on-both: only when both master and VF have a non-default root qdisc', (t) => {
  t.deepEqual(ids(facts(t, { eth0: { qdisc: 'htb' }, vf: { qdisc: 'tbf' } })), ['qdisc-on-both']);
  t.deepEqual(ids(facts(t, { eth0: { qdisc: 'htb' } })), []);
  t.deepEqual(
    ids(facts(t, { eth0: { qdisc: 'fq' }, vf: { qdisc: 'fq' } }, { defaultQdisc: 'fq' })),
    [],
  );
});

test('same-mac-no-master: two interfaces with one MAC and no master, with or without force', (t) => {
  const extra = [
    link({ ifindex: 7, name: 'vf0', address: '02:bb:00:00:00:01', kind: 'veth' }),
    link({ ifindex: 8, name: 'tap0', address: '02:bb:00:00:00:01', kind: 'tun' }),
  ];
  const [f] = runDoctorChecks(facts(t, { extra }));
  t.like(f, { id: 'same-mac-no-master', devices: ['vf0', 'tap0'] });
  t.deepEqual(ids(facts(t, { extra }, { force: true })), ['same-mac-no-master']);
});

function probeRoot(t: ExecutionContext): SysfsTree {
  const root = new SysfsTree();
  t.teardown(() => root.remove());
  root.file('proc/sys/net/core/default_qdisc', 'fq_codel');
  root.file('var/lib/dhcp/dhclient.enP1s1.leases', 'lease { interface "enP1s1"; }');
  root.file('var/lib/dhcp/dhclient.enP1s10.leases', 'another interface');
  root.file('run/systemd/netif/leases/3', 'ADDRESS=10.0.0.5');
  root.file('proc/812/cmdline', '/sbin/dhclient\0-v\0enP1s1\0', true);
  root.file('proc/813/cmdline', '/usr/bin/sleep\0enP1s1\0', true);
  root.file(
    'etc/netplan/50-cloud-init.yaml',
    `network:\n  ethernets:\n    eth0:\n      dhcp4: true\n      match:\n        macaddress: ${HV_MAC}\n`,
  );
  root.file(
    'etc/NetworkManager/system-connections/vf.nmconnection',
    '[connection]\ninterface-name=enP1s1\n',
  );
  root.file(
    'etc/systemd/network/10-eth0.network',
    `[Match]\nMACAddress=${HV_MAC}\nDriver=hv_netvsc\n`,
  );
  return root;
}

test('FileDoctorProbes reads leases, DHCP client processes and configs under its root', (t) => {
  const probes = new FileDoctorProbes(probeRoot(t).root);
  t.is(probes.defaultQdisc(), 'fq_codel');
  t.deepEqual(probes.dhcpEvidence('enP1s1', 3), [
    '/var/lib/dhcp/dhclient.enP1s1.leases',
    '/run/systemd/netif/leases/3',
    'process 812: /sbin/dhclient -v enP1s1',
  ]);
  t.deepEqual(probes.configMentions('enP1s1', HV_MAC), [
    {
      file: '/etc/NetworkManager/system-connections/vf.nmconnection',
      tool: 'NetworkManager',
      byName: true,
      byMac: false,
      driverMatch: false,
      driver: null,
    },
    {
      file: '/etc/systemd/network/10-eth0.network',
      tool: 'systemd-networkd',
      byName: false,
      byMac: true,
      driverMatch: true,
      driver: 'hv_netvsc',
    },
    {
      file: '/etc/netplan/50-cloud-init.yaml',
      tool: 'netplan',
      byName: false,
      byMac: true,
      driverMatch: false,
      driver: null,
    },
  ]);
  t.deepEqual(new FileDoctorProbes(`${probeRoot(t).root}/nothing`).dhcpEvidence('enP1s1', 3), []);
});

test('doctor() gathers through injected source, sysfs and probes, and formats advice', async (t) => {
  const tree = hyperVTree({ vfMtu: 1400 });
  t.teardown(() => tree.remove());
  const source = new FakeSource();
  source.links = links({ vf: { mtu: 1400 } });
  source.addresses = [addr(3, '10.0.0.5')];
  const report = await doctor({
    source,
    sysfs: new RealSysfsView(tree.root),
    probes: new FileDoctorProbes(probeRoot(t).root),
  });
  t.false(source.closed, 'an injected source is left open for its owner');
  t.deepEqual(
    report.pairs.map((p) => p.id),
    ['netvsc:eth0'],
  );
  t.deepEqual(
    report.findings.map((f) => f.id),
    ['vf-has-address', 'vf-dhcp-client', 'config-matches-vf', 'mtu-mismatch'],
  );
  const text = formatDoctorReport(report);
  t.regex(text, /^pair netvsc:eth0: master eth0, backup eth0, active enP1s1$/m);
  t.regex(text, /^ERROR vf-has-address \[eth0, enP1s1\]/m);
  t.regex(text, /^ {2}advice: /m);
});
