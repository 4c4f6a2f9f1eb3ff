import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBypassError } from '@bypass/core';
import { DEFAULT_LINKS, DEFAULT_NIC_OPTIONS } from '../../src/scenario/Scenario.js';
import {
  loadScenarioFile,
  loadScenarioText,
  validateScenarioText,
} from '../../src/scenario/ScenarioLoader.js';
import { ScenarioError } from '../../src/scenario/ScenarioError.js';
import { withModel } from '../../src/scenario/WithModel.js';
import { BASE_YAML, baseObject } from './fixtures.js';

test('a valid file normalizes: units in ns, bits/s and bytes', (t) => {
  const s = loadScenarioText(BASE_YAML, 'base.yaml');
  t.is(s.name, 'virtio VF failover across a live migration');
  t.is(s.file, 'base.yaml');
  t.is(s.duration, 6_000_000_000);
  t.is(s.vms[0]!.memory, 2 * 2 ** 30);
  const f2 = s.flows[1]!;
  t.is(f2.pps, 12e6 / (1500 * 8)); // 1000 pps
  t.is(f2.start, 1e9);
  t.is(f2.stop, 5e9);
  t.deepEqual(f2.from, { kind: 'nic', vm: 'vm1', nic: 'eth0', id: 'vm1/eth0' });
  t.deepEqual(f2.to, { kind: 'peer', peer: 'client', id: 'client' });
  t.is(s.flows[0]!.pps, 100_000);
  const migrate = s.steps.find((x) => x.action === 'migrate')!;
  t.is(migrate.downtime, 250_000_000);
  t.is(migrate.bandwidth, 16e9);
  // 2 GiB at 16 Gbit/s: 2^31 * 8 / 16e9 s.
  t.is(migrate.precopy, Math.ceil(((2 * 2 ** 30 * 8) / 16e9) * 1e9));
  t.is(s.steps.find((x) => x.action === 'set-mtu')!.mtu, 9000);
  t.is(s.steps.find((x) => x.action === 'set-mtu')!.dev, 'master');
  t.is(s.peers[1]!.mac.toString(), '02:aa:00:00:00:01');
  t.deepEqual(s.vms[0]!.nics[0]!.options, {
    ...DEFAULT_NIC_OPTIONS,
    miimon: 250_000_000,
    tx_copybreak: 256,
    multicast_via: 'backup',
  });
});

test('defaults: seed, tick, links, vfs, memory, vf per model, peer MAC, flow, steps', (t) => {
  const s = loadScenarioText(BASE_YAML, 'base.yaml');
  t.is(s.seed, 1);
  t.is(s.tick, 50_000);
  t.deepEqual(s.links, DEFAULT_LINKS);
  t.is(s.hosts[1]!.vfs, 4);
  t.deepEqual(
    s.hosts.map((h) => h.index),
    [0, 1],
  );
  t.true(s.vms[0]!.nics[0]!.vf);
  t.false(s.vms[0]!.nics[1]!.vf, 'virtio has no VF');
  t.deepEqual(s.vms[0]!.nics[1]!.options, DEFAULT_NIC_OPTIONS);
  t.is(s.peers[0]!.mac.toString(), '02:00:00:00:00:01');
  const f1 = s.flows[0]!;
  t.is(f1.size, 64);
  t.is(f1.cast, 'unicast');
  t.is(f1.start, 0);
  t.is(f1.stop, s.duration);
  const migrate = s.steps.find((x) => x.action === 'migrate')!;
  t.is(migrate.unplug, 'orchestrated');
  t.is(s.steps.find((x) => x.action === 'host-servicing')!.duration, 1e9);
  const defaults = loadScenarioText(
    BASE_YAML.replace('downtime: 250ms, bandwidth: 16Gbps', 'cancel_at: 3s'),
    'b.yaml',
  ).steps.find((x) => x.action === 'migrate')!;
  t.is(defaults.downtime, 300_000_000);
  t.is(defaults.bandwidth, 10e9);
  t.is(defaults.cancel_at, 3e9);
  t.is(defaults.precopy, Math.ceil(((2 * 2 ** 30 * 8) / 10e9) * 1e9));
  const vmDefault = loadScenarioText(BASE_YAML.replace('    memory: 2GiB\n', ''), 'c.yaml');
  t.is(vmDefault.vms[0]!.memory, 4 * 2 ** 30);
});

test('steps are sorted by at (stable) and keep their file path; unused fields are absent', (t) => {
  const s = loadScenarioText(BASE_YAML, 'base.yaml');
  t.deepEqual(
    s.steps.map((x) => [x.at, x.action, x.path]),
    [
      [2e9, 'migrate', 'steps[1]'],
      [2e9, 'host-servicing', 'steps[2]'],
      [4e9, 'vf-unplug', 'steps[0]'],
      [5e9, 'set-mtu', 'steps[3]'],
    ],
  );
  const unplug = s.steps[2]!;
  t.is(unplug.mode, 'surprise');
  t.false('downtime' in unplug);
  t.false('to' in unplug);
});

test('a step without nic on a one-NIC VM gets that NIC; the name defaults to the file name', (t) => {
  const s = loadScenarioText(
    `duration: 1s
hosts: [{ name: h }]
vms: [{ name: v, host: h, nics: [{ name: eth0, model: netvsc, mac: 00:15:5d:00:00:01 }] }]
steps: [{ at: 0, action: vf-unplug, vm: v }, { at: 500ms, action: vf-plug, vm: v }]
`,
    'dir/my-scenario.yaml',
  );
  t.is(s.name, 'my-scenario');
  t.is(s.steps[0]!.nic, 'eth0');
  t.is(s.steps[0]!.mode, 'orchestrated');
  t.is(s.steps[1]!.nic, 'eth0');
  t.deepEqual(s.vms, [
    {
      name: 'v',
      host: 'h',
      memory: 4 * 2 ** 30,
      nics: [s.vms[0]!.nics[0]!],
    },
  ]);
  t.deepEqual(s.peers, []);
  t.deepEqual(s.flows, []);
  t.deepEqual(s.expect, []);
});

test('guest-down takes clock: runs by default, frozen for a suspend; other actions refuse it', (t) => {
  const text = (steps: string): string => `duration: 1s
hosts: [{ name: h }]
vms: [{ name: v, host: h, nics: [{ name: eth0, model: netvsc, mac: 00:15:5d:00:00:01 }] }]
steps: ${steps}
`;
  const s = loadScenarioText(
    text(`[{ at: 0, action: guest-down, vm: v }, { at: 1ms, action: guest-up, vm: v },
      { at: 2ms, action: guest-down, vm: v, clock: frozen }]`),
    'c.yaml',
  );
  t.deepEqual(
    s.steps.map((x) => x.clock),
    ['runs', undefined, 'frozen'],
  );
  const onUp = validateScenarioText(
    text('[{ at: 0, action: guest-up, vm: v, clock: frozen }]'),
    'c.yaml',
  );
  t.regex(
    onUp.find((i) => i.path === 'steps[0].clock')?.message ?? '',
    /not used by action guest-up/,
  );
  const bad = validateScenarioText(
    text('[{ at: 0, action: guest-down, vm: v, clock: stopped }]'),
    'c.yaml',
  );
  t.regex(bad.find((i) => i.path === 'steps[0].clock')?.message ?? '', /runs, frozen/);
});

test('links and tick are merged per field', (t) => {
  const s = loadScenarioText(
    `duration: 1s
tick: 10us
seed: 7
links: { vf: { latency: 1us }, network: { bandwidth: 100Gbps } }
hosts: [{ name: h }]
`,
    'l.yaml',
  );
  t.is(s.tick, 10_000);
  t.is(s.seed, 7);
  t.deepEqual(s.links, {
    ...DEFAULT_LINKS,
    vf: { bandwidth: DEFAULT_LINKS.vf.bandwidth, latency: 1_000 },
    network: { bandwidth: 100e9, latency: DEFAULT_LINKS.network.latency },
  });
});

test('JSON input: by extension, by format, and through YAML', (t) => {
  const text = JSON.stringify(baseObject(), null, 2);
  const a = loadScenarioText(text, 'x.json');
  const b = loadScenarioText(text, 'x.txt', 'json');
  const c = loadScenarioText(text, 'x.yaml');
  t.is(a.name, 'json scenario');
  t.deepEqual(a, { ...b, file: 'x.json' });
  t.deepEqual(a, { ...c, file: 'x.json' });
  t.is(a.steps[0]!.to, 'dst');
  const err = t.throws(() => loadScenarioText('{ "duration": "1s", ', 'x.json'), {
    instanceOf: ScenarioError,
  });
  t.regex(err.issues[0]!.message, /JSON/);
  t.is(err.issues[0]!.line, 1);
  // Schema and semantic issues in JSON carry the line of the offending value too.
  const bad = text.replace('52:54:00:00:00:01', '52:54:00:00:00:0x').replace('"dst"', '"dts"');
  const issues = validateScenarioText(bad, 'x.json');
  t.deepEqual(
    issues.map((i) => [i.path, i.line]),
    [['vms[0].nics[0].mac', bad.split('\n').findIndex((l) => l.includes(':0x')) + 1]],
  );
  const dts = validateScenarioText(text.replace('"to": "dst"', '"to": "dts"'), 'x.json');
  t.is(dts[0]!.path, 'steps[0].to');
  t.is(dts[0]!.line, text.split('\n').findIndex((l) => l.includes('"to": "dst"')) + 1);
});

test('expect entries keep their bounds and path', (t) => {
  const s = loadScenarioText(BASE_YAML, 'base.yaml');
  t.deepEqual(s.expect, [{ metric: 'flows.f1.lost', max: 40000, path: 'expect[0]' }]);
});

test('validateScenarioText: empty for a valid file, the issues otherwise', (t) => {
  t.deepEqual(validateScenarioText(BASE_YAML, 'base.yaml'), []);
  const issues = validateScenarioText(BASE_YAML.replace('seed', 'x').replace('6s', '6'), 'b.yaml');
  t.is(issues.length, 1);
  t.is(issues[0]!.path, 'duration');
});

test('loadScenarioFile reads YAML and JSON; a missing file is ERR_NOT_FOUND naming it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bypass-scenario-'));
  writeFileSync(join(dir, 'a.yaml'), BASE_YAML);
  writeFileSync(join(dir, 'b.json'), JSON.stringify(baseObject()));
  t.is(loadScenarioFile(join(dir, 'a.yaml')).file, join(dir, 'a.yaml'));
  t.is(loadScenarioFile(join(dir, 'b.json')).name, 'json scenario');
  const missing = join(dir, 'nope.yaml');
  const err = t.throws(() => loadScenarioFile(missing));
  t.true(isBypassError(err, 'ERR_NOT_FOUND'));
  t.true(err!.message.includes(missing));
  t.true(
    isBypassError(
      t.throws(() => loadScenarioFile(dir)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});

test('withModel: every NIC takes the model; virtio has no VF; a virtio NIC gets one back', (t) => {
  const s = loadScenarioText(
    BASE_YAML.replace('model: virtio-backup\n', 'model: virtio-backup\n        vf: false\n'),
    'base.yaml',
  );
  t.deepEqual(
    s.vms[0]!.nics.map((n) => [n.model, n.vf]),
    [
      ['virtio-backup', false],
      ['virtio', false],
    ],
  );
  const netvsc = withModel(s, 'netvsc');
  t.deepEqual(
    netvsc.vms[0]!.nics.map((n) => [n.model, n.vf]),
    [
      ['netvsc', false], // the file said vf: false
      ['netvsc', true], // virtio had no VF because of its model
    ],
  );
  const virtio = withModel(loadScenarioText(BASE_YAML, 'base.yaml'), 'virtio');
  t.deepEqual(
    virtio.vms[0]!.nics.map((n) => [n.model, n.vf]),
    [
      ['virtio', false],
      ['virtio', false],
    ],
  );
  t.is(s.vms[0]!.nics[0]!.model, 'virtio-backup', 'the original is unchanged');
  t.deepEqual(netvsc.flows, s.flows);
  t.true(
    isBypassError(
      t.throws(() => withModel(s, 'e1000' as never)),
      'ERR_INVALID_ARGUMENT',
    ),
  );
});
