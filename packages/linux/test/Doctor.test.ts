import test, { type ExecutionContext } from 'ava';
import {
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
import { HV_MAC, hyperVTree, SysfsTree } from './helpers/sysfsFixtures.js';

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
  t.regex(f?.advice ?? '', /driver:mlx5_core/);
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
            },
            {
              file: '/etc/systemd/network/10-eth0.network',
              tool: 'systemd-networkd',
              byName: false,
              byMac: true,
              driverMatch: true,
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
});

test('vf-down: an enslaved VF that is down means the slow path', (t) => {
  t.deepEqual(ids(facts(t, { vf: { up: false, carrier: false } })), ['vf-down']);
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
    },
    {
      file: '/etc/systemd/network/10-eth0.network',
      tool: 'systemd-networkd',
      byName: false,
      byMac: true,
      driverMatch: true,
    },
    {
      file: '/etc/netplan/50-cloud-init.yaml',
      tool: 'netplan',
      byName: false,
      byMac: true,
      driverMatch: false,
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
