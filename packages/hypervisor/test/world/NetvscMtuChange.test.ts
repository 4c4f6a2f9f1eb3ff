import test from 'ava';
import { loadScenarioText, runScenario } from '../../src/index.js';

// A set-mtu step on a netvsc NIC runs netvsc_change_mtu: the VF's MTU first, then netvsc detaches
// from its VMBus channel and attaches again with the new MTU. TX (VF traffic too: netvsc_xmit
// sits behind netvsc's TX queues) waits in the stopped queues meanwhile; nothing is lost.

const yaml = `
name: netvsc mtu change
duration: 3s
hosts: [{ name: src, vfs: 2 }, { name: dst, vfs: 2 }]
vms:
  - name: vm1
    host: src
    memory: 256MiB
    nics: [{ name: eth0, model: netvsc, mac: '52:54:00:00:00:01' }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 10kpps, size: 64 }
steps:
  - { at: 1s, action: set-mtu, vm: vm1, nic: eth0, dev: master, mtu: 9000 }
`;

test('netvsc set-mtu: the channel is closed and opened again, TX waits meanwhile, no frame is lost', (t) => {
  const r = runScenario(loadScenarioText(yaml, 'mtu.yaml'));
  const reattach = r.events.filter((e) => e.kind === 'netvsc-reattach').map((e) => e.detail);
  t.deepEqual(reattach, ['detached, MTU 9000', 'attached, MTU 9000']);
  const vfMtu = r.events.find((e) => e.kind === 'mtu-change' && e.dev === 'enP0s1');
  t.is(vfMtu?.detail, '1500 -> 9000', 'the VF first');
  const carrier = r.events
    .filter((e) => e.dev === 'eth0' && (e.kind === 'link-down' || e.kind === 'link-up'))
    .filter((e) => e.at.startsWith('1.'))
    .map((e) => e.kind);
  t.deepEqual(carrier, ['link-down', 'link-up'], 'carrier off in netvsc_attach, then on');
  for (const f of ['in', 'out']) {
    t.is(r.flows[f]?.lost, 0, `${f}: ${JSON.stringify(r.flows[f]?.drops)}`);
    t.is(r.flows[f]?.received, r.flows[f]?.sent);
  }
  const nic = r.nics['vm1/eth0'];
  t.not(nic?.onNone, '0s', 'the detach shows as time without a datapath');
  t.false(
    r.events.some((e) => /Data path switched from VF/.test(e.detail ?? '')),
    'the datapath stays on the VF',
  );
});
