import test from 'ava';
import { loadScenarioText, runScenario, type Report } from '../../src/index.js';

// Hyper-V: once the host switched a NIC's data path to the VF, the NIC steers the MAC's unicast
// to the VF itself (Microsoft "SR-IOV VF Failover and Live Migration Support"; DPDK
// vdev_netvsc: only multicast and hypervisor control still flow through NetVSC), so VF RX
// does not take the synthetic path first.

const yaml = (model: string): string => `
name: vf rx latency
duration: 20ms
tick: 1us
hosts:
  - { name: h1, vfs: 4 }
  - { name: h2, vfs: 0 }
vms:
  - name: vm1
    host: h1
    memory: 1GiB
    nics: [{ name: eth0, model: ${model}, mac: '52:54:00:00:00:01' }]
  - name: vm2
    host: h1
    memory: 1GiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:02' }]
peers: [{ name: client, host: h1 }, { name: remote, host: h2 }]
flows:
  - { name: local, from: client, to: vm1/eth0, rate: 1kpps, size: 64 }
  - { name: wire, from: remote, to: vm1/eth0, rate: 1kpps, size: 64 }
  - { name: vv, from: vm2/eth0, to: vm1/eth0, rate: 1kpps, size: 64 }
  - { name: back, from: vm1/eth0, to: client, rate: 1kpps, size: 64 }
`;

const run = (model: string): Report => runScenario(loadScenarioText(yaml(model), 'nv.yaml'));

for (const model of ['netvsc', 'netvsc-pmd']) {
  test(`${model}: RX on the VF takes the VF's path, as virtio-backup's does`, (t) => {
    const ref = run('virtio-backup');
    const r = run(model);
    for (const f of ['local', 'wire', 'vv']) {
      t.is(r.flows[f]?.lost, 0, `${f}: ${JSON.stringify(r.flows[f]?.drops)}`);
      t.deepEqual(r.flows[f]?.latency, ref.flows[f]?.latency, f);
    }
  });
}

test('failsafe: once netvsc switched the data path, unicast from the wire and local peers skips the NetVSP host', (t) => {
  // netvsc takes the VF over 100 ms after it appears (VF_TAKEOVER_INT) and switches then: the
  // flows start after it.
  const r = runScenario(
    loadScenarioText(
      yaml('failsafe')
        .replace('duration: 20ms', 'duration: 160ms')
        .replaceAll('size: 64 }', 'size: 64, start: 120ms }'),
      'fs.yaml',
    ),
  );
  t.true(r.events.some((e) => e.vm === 'vm1' && /Data path switched to VF/.test(e.detail ?? '')));
  for (const f of ['local', 'wire', 'vv']) t.is(r.flows[f]?.lost, 0, f);
  const stats = r.nics['vm1/eth0']?.stats ?? {};
  t.is(stats['host_to_vf'], 0);
});
