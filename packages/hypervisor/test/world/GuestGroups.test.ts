import test from 'ava';
import { BypassError, MacAddress, type NetDevice } from '@bypass/core';
import { NDIS_PACKET_TYPE, type EthDev } from '@bypass/netvsc';
import { FlowAddress } from '../../src/index.js';
import { joinDpdkGroups } from '../../src/guest/GuestGroups.js';
import type { FailsafeNicModel } from '../../src/guest/FailsafeNicModel.js';
import type { NetvscNicModel } from '../../src/guest/NetvscNicModel.js';
import type { NetvscPmdNicModel } from '../../src/guest/NetvscPmdNicModel.js';
import type { World } from '../../src/world/World.js';
import { scenarioOf, simulate, type Simulated } from '../hardening/harness.js';
import { nicModelHarness } from '../support/nicModelHarness.js';

// The groups a guest joins: a Linux interface with IPv4 joins 224.0.0.1 when it comes up
// (igmp.c ip_mc_up), the receiving application joins its flow's group once it runs, and a DPDK
// application sets its port's multicast list (and all-multicast with the `allmulticast` option).

const ALL_HOSTS = 0x01_00_5e_00_00_01;
/** The Ethernet group of flow 0's IPv4 group. */
const GROUP = FlowAddress.multicastMac(FlowAddress.multicastGroupIpv4(0));
const ALL = NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.BROADCAST;

const yaml = (model: string, options = '{}'): string => `
name: groups
duration: 200ms
hosts: [{ name: h1, vfs: 4 }]
vms:
  - name: vm1
    host: h1
    memory: 1GiB
    nics: [{ name: eth0, model: ${model}, mac: '52:54:00:00:00:01', options: ${options} }]
peers: [{ name: client, host: h1 }]
flows:
  - { name: mc, from: client, to: vm1/eth0, rate: 10kpps, size: 64, cast: multicast, start: 150ms }
`;

const run = (model: string, options?: string): Simulated =>
  simulate(scenarioOf(yaml(model, options)));

const lost = (s: Simulated): number => s.report.flows['mc']?.lost ?? -1;
const drops = (s: Simulated): Record<string, number> => s.report.flows['mc']?.drops ?? {};
const nic = (w: World) => {
  const n = w.nic('vm1/eth0');
  if (n === undefined) throw new Error('no vm1/eth0');
  return n;
};
const groupsOf = (dev: NetDevice | null): number[] => dev?.mc.values() ?? [];

for (const model of ['virtio-backup', 'virtio', 'bonding', 'netvsc']) {
  test(`${model}: the guest's interface joins 224.0.0.1 and the application's group; the group's flow arrives`, (t) => {
    const s = run(model);
    t.is(lost(s), 0, JSON.stringify(drops(s)));
    t.true((s.report.flows['mc']?.received ?? 0) > 400);
    const master = nic(s.world).model.device('master');
    t.deepEqual(groupsOf(master), [ALL_HOSTS, GROUP]);
  });
}

test('virtio-backup: the master syncs its groups to both slaves (dev_mc_sync)', (t) => {
  const s = run('virtio-backup');
  const model = nic(s.world).model;
  t.deepEqual(groupsOf(model.device('backup')), [ALL_HOSTS, GROUP]);
  t.deepEqual(groupsOf(model.device('vf')), [ALL_HOSTS, GROUP]);
});

test('netvsc: with 224.0.0.1 joined the RNDIS filter takes every group (rndis_set_multicast: 0xd), as a real guest has it', (t) => {
  const s = simulate(scenarioOf(yaml('netvsc').replace(/flows:[^]*$/, 'flows: []\n')));
  const m = nic(s.world).model as NetvscNicModel;
  t.deepEqual(groupsOf(m.dev), [ALL_HOSTS]);
  t.is(m.side.host.packetFilter, ALL);
});

test('netvsc-pmd: the application sets its multicast list, which the PMD gives only the VF; the synthetic path drops the group', (t) => {
  const s = run('netvsc-pmd');
  const m = nic(s.world).model as NetvscPmdNicModel;
  t.deepEqual(
    m.port?.mcAddrs.map((a) => a.value),
    [GROUP],
  );
  // hn_dev_mc_addr_list: no filtering on the synthetic path, whose filter stays DIRECTED|BROADCAST
  t.is(m.side.host.packetFilter, NDIS_PACKET_TYPE.DIRECTED | NDIS_PACKET_TYPE.BROADCAST);
  t.is(s.report.flows['mc']?.received, 0);
  t.true((drops(s)['mac-filter-miss'] ?? 0) > 400);
});

test('netvsc-pmd with allmulticast: the application enables all-multicast and gets the group', (t) => {
  const s = run('netvsc-pmd', '{ allmulticast: true }');
  const m = nic(s.world).model as NetvscPmdNicModel;
  t.true(m.port?.allmulticast);
  t.is(m.side.host.packetFilter, ALL);
  t.is(lost(s), 0, JSON.stringify(drops(s)));
});

test('failsafe: the kernel netvsc joins 224.0.0.1 only, the group goes to the fail-safe port; IPv4 groups reach the TAP only with allmulticast', (t) => {
  const plain = run('failsafe');
  const m = nic(plain.world).model as FailsafeNicModel;
  t.deepEqual(groupsOf(m.netvsc), [ALL_HOSTS]);
  t.deepEqual(
    m.port?.mcAddrs.map((a) => a.value),
    [GROUP],
  );
  // tap_flow.c: the multicast list adds no redirect rule, so the group ends in the kernel netvsc
  t.is(plain.report.flows['mc']?.received, 0);
  t.true((drops(plain)['rx-nohandler'] ?? 0) > 400);

  const all = run('failsafe', '{ allmulticast: true }');
  t.true((nic(all.world).model as FailsafeNicModel).port?.allmulticast);
  t.is(lost(all), 0, JSON.stringify(drops(all)));
});

test('allmulticast on a kernel model sets IFF_ALLMULTI on the interface, which netvsc passes to the host filter', (t) => {
  const s = simulate(
    scenarioOf(yaml('netvsc', '{ allmulticast: true }').replace(/flows:[^]*$/, 'flows: []\n')),
  );
  const dev = nic(s.world).model.device('master');
  t.is(dev?.allmulti, 1);
  t.is((nic(s.world).model as NetvscNicModel).side.host.packetFilter, ALL);
});

test('the allmulticast option is a boolean', (t) => {
  const err = t.throws(() => scenarioOf(yaml('netvsc', '{ allmulticast: 1 }')));
  t.regex(err?.message ?? '', /allmulticast/);
  t.deepEqual(MacAddress.fromNumber(ALL_HOSTS).toString(), '01:00:5e:00:00:01');
});

test('a DPDK port that refuses the multicast calls: each refusal is an app-multicast event and the application carries on', (t) => {
  const h = nicModelHarness({ allmulticast: true }, [MacAddress.fromNumber(GROUP)]);
  const refuse = (what: string) => () => {
    throw new BypassError('ERR_NOT_SUPPORTED', `Port 0: ${what} not supported`);
  };
  const port = {
    setMcAddrList: refuse('multicast list'),
    setAllmulticast: refuse('all-multicast'),
  } as unknown as EthDev;
  joinDpdkGroups(port, h.ctx);
  t.deepEqual(
    h.events.map((e) => [e.kind, e.detail]),
    [
      ['app-multicast', 'rte_eth_dev_set_mc_addr_list: Port 0: multicast list not supported'],
      ['app-multicast', 'rte_eth_allmulticast_enable: Port 0: all-multicast not supported'],
    ],
  );
  const bug = {
    setMcAddrList: () => {
      throw new TypeError('bug');
    },
  } as unknown as EthDev;
  t.throws(() => joinDpdkGroups(bug, h.ctx), { instanceOf: TypeError });
});
