import test from 'ava';
import { loadScenarioText, runScenario, type Report } from '../../src/index.js';
import { validateScenarioText } from '../../src/scenario/ScenarioLoader.js';

// hosts[].vf_to_bridge: where the NIC's eswitch sends a VF's unicast for a station of the host's
// bridge. `pf`: the host listed the bridge's MACs on the PF (bridge fdb add MAC dev PF self);
// `wire`: a bridge as it comes, the frame leaves on the uplink and the network does not send it
// back (a well-known SR-IOV pitfall).

/** vm1's VF at boot, ejected at 1 s; vm1 sends to a peer on its own host, and to one on dst. */
const yaml = (mode: string, extraFlow = ''): string => `
name: vf to bridge
duration: 2s
hosts: [{ name: src, vfs: 2${mode === '' ? '' : `, vf_to_bridge: ${mode}`} }, { name: dst, vfs: 2 }]
vms:
  - name: vm1
    host: src
    memory: 64MiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }]
peers: [{ name: client, host: src }, { name: far, host: dst }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps }
  - { name: out, from: vm1/eth0, to: client, rate: 10kpps }
  - { name: outfar, from: vm1/eth0, to: far, rate: 10kpps }
${extraFlow}
steps:
  - { at: 1s, action: vf-unplug, vm: vm1 }
`;

const run = (text: string): Report => runScenario(loadScenarioText(text, 'vf-to-bridge.yaml'));

test('pf (the default): a VF frame for a local peer goes through the PF and the bridge', (t) => {
  t.is(loadScenarioText(yaml(''), 'x.yaml').hosts[0]?.vf_to_bridge, 'pf');
  const r = run(yaml(''));
  t.true(r.conservation.ok, r.conservation.mismatches.join());
  for (const f of Object.values(r.flows)) t.is(f.lost, 0, JSON.stringify(f.drops));
});

test('wire: while the VF carries it, traffic to a local peer leaves on the uplink and is lost there; remote peers and the way in are unaffected', (t) => {
  const r = run(yaml('wire'));
  t.true(r.conservation.ok, r.conservation.mismatches.join());
  // Until the eject (1.005 s) vm1 sends on its VF: the network has never seen the client's
  // MAC, so it floods the frame to dst, where the client is not.
  const out = r.flows['out'];
  t.true((out?.lost ?? 0) >= 10_000 && (out?.lost ?? 0) <= 10_060, String(out?.lost));
  t.deepEqual(Object.keys(out?.drops ?? {}), ['flooded-elsewhere']);
  // After the eject vm1 sends through virtio and its tap, which are the bridge's own.
  t.is(r.flows['outfar']?.lost, 0);
  t.is(
    r.flows['in']?.lost,
    0,
    'the bridge to the VF goes through the PF, whose frames the eswitch does switch',
  );
  // Once the network learned the client (its broadcasts), it refuses to send the frames back
  // out of the port they came in by.
  const known = run(
    yaml('wire', '  - { name: bcast, from: client, to: far, rate: 1kpps, cast: broadcast }'),
  );
  t.true(known.conservation.ok, known.conservation.mismatches.join());
  t.true(
    (known.flows['out']?.drops['stale-fdb'] ?? 0) > 10_000 - 50,
    JSON.stringify(known.flows['out']?.drops),
  );
});

test('vf_to_bridge takes pf or wire', (t) => {
  const issues = validateScenarioText(yaml('both'), 'bad.yaml');
  t.true(
    issues.some((i) => i.path === 'hosts[0].vf_to_bridge'),
    JSON.stringify(issues),
  );
});
