import test from 'ava';
import { loadScenarioText, validateScenarioText } from '../../src/scenario/ScenarioLoader.js';

// vms[].nics[].options.fail_over_mac, vf_mac and vf_trust: bonding only, vf_mac a station MAC of
// its own.

const yaml = (model: string, options: string, peerMac = '02:00:00:00:00:99'): string => `
name: bond mac options
duration: 1s
hosts: [{ name: src }]
vms:
  - name: vm1
    host: src
    nics:
      - { name: eth0, model: ${model}, mac: '52:54:00:00:00:01', options: ${options} }
      - { name: eth1, model: bonding, mac: '52:54:00:00:00:02' }
peers: [{ name: client, host: src, mac: '${peerMac}' }]
`;

test('defaults: fail_over_mac none, vf_mac null (the NIC mac); values are read as written', (t) => {
  const d = loadScenarioText(yaml('bonding', '{}'), 'ok.yaml').vms[0]!.nics[0]!.options;
  t.is(d.fail_over_mac, 'none');
  t.is(d.vf_mac, null);
  t.false(d.vf_trust);
  const o = loadScenarioText(
    yaml('bonding', "{ fail_over_mac: follow, vf_mac: '52:54:00:00:00:a1', vf_trust: true }"),
    'ok.yaml',
  ).vms[0]!.nics[0]!.options;
  t.is(o.fail_over_mac, 'follow');
  t.is(o.vf_mac?.toString(), '52:54:00:00:00:a1');
  t.true(o.vf_trust);
  // The NIC's own mac is the default written out.
  t.deepEqual(
    validateScenarioText(yaml('bonding', "{ vf_mac: '52:54:00:00:00:01' }"), 'ok.yaml'),
    [],
  );
});

test('fail_over_mac and vf_mac on another model are refused, saying what to do', (t) => {
  for (const model of ['virtio-backup', 'netvsc', 'failsafe']) {
    const issues = validateScenarioText(
      yaml(model, "{ fail_over_mac: active, vf_mac: '52:54:00:00:00:a1', vf_trust: true }"),
      'bad.yaml',
    );
    const at = (k: string) => issues.find((i) => i.path === `vms[0].nics[0].options.${k}`);
    t.regex(
      at('fail_over_mac')?.message ?? '',
      /model bonding; model \S+ has no bond: remove fail_over_mac/,
    );
    t.regex(at('vf_mac')?.message ?? '', /remove vf_mac \(its VF takes the NIC's mac\)/);
    t.regex(at('vf_trust')?.message ?? '', /model bonding; model \S+ has no bond: remove vf_trust/);
  }
  t.throws(() => loadScenarioText(yaml('netvsc', '{ fail_over_mac: none }'), 'bad.yaml'), {
    name: 'ScenarioError',
  });
});

test('vf_spoofchk: on by default, off as written, on every model with a VF; refused on virtio and when not a boolean', (t) => {
  t.true(loadScenarioText(yaml('bonding', '{}'), 'ok.yaml').vms[0]!.nics[0]!.options.vf_spoofchk);
  for (const model of ['bonding', 'virtio-backup', 'netvsc', 'netvsc-pmd', 'failsafe']) {
    const o = loadScenarioText(yaml(model, '{ vf_spoofchk: false }'), 'ok.yaml').vms[0]!.nics[0]!
      .options;
    t.false(o.vf_spoofchk, model);
  }
  const issues = validateScenarioText(yaml('virtio', '{ vf_spoofchk: true }'), 'bad.yaml');
  t.deepEqual(
    issues.map((i) => [i.path, i.message]),
    [
      [
        'vms[0].nics[0].options.vf_spoofchk',
        'model virtio never has a VF, so nothing is checked: remove vf_spoofchk',
      ],
    ],
  );
  const typed = validateScenarioText(yaml('bonding', "{ vf_spoofchk: 'off' }"), 'bad.yaml');
  t.regex(typed[0]?.message ?? '', /must be true or false/);
});

test('vf_mac must be a unicast MAC nobody else has; an unknown fail_over_mac is refused', (t) => {
  const at = (options: string, peer?: string) =>
    validateScenarioText(yaml('bonding', options, peer), 'bad.yaml').filter((i) =>
      i.path.startsWith('vms[0].nics[0].options.'),
    );
  t.regex(at("{ vf_mac: '01:00:5e:00:00:01' }")[0]?.message ?? '', /group \(multicast\) address/);
  // eth1 comes after eth0's VF: refused at eth1's mac.
  t.regex(
    validateScenarioText(yaml('bonding', "{ vf_mac: '52:54:00:00:00:02' }"), 'bad.yaml').find(
      (i) => i.path === 'vms[0].nics[1].mac',
    )?.message ?? '',
    /already used by the VF of NIC vm1\/eth0/,
  );
  t.is(
    at("{ vf_mac: '02:00:00:00:00:99' }").length,
    0,
    'the peer comes later: it is refused there',
  );
  t.regex(
    validateScenarioText(yaml('bonding', "{ vf_mac: '02:00:00:00:00:99' }"), 'bad.yaml').find(
      (i) => i.path === 'peers[0].mac',
    )?.message ?? '',
    /already used by the VF of NIC vm1\/eth0/,
  );
  t.is(at('{ fail_over_mac: always }').length, 1);
  t.regex(at("{ vf_trust: 'yes' }")[0]?.message ?? '', /must be true or false/);
});
