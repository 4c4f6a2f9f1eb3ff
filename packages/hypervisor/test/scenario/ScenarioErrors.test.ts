import test from 'ava';
import type { ExecutionContext } from 'ava';
import { isBypassError } from '@bypass/core';
import { loadScenarioText, validateScenarioText } from '../../src/scenario/ScenarioLoader.js';
import { ScenarioError, formatScenarioIssue } from '../../src/scenario/ScenarioError.js';
import type { ScenarioIssue } from '../../src/scenario/ScenarioError.js';
import { BASE_YAML } from './fixtures.js';

/** Replaces `from` (which must occur) in the base file and returns the issues. */
function issuesAfter(t: ExecutionContext, from: string, to: string): ScenarioIssue[] {
  t.true(BASE_YAML.includes(from), `fixture contains ${from}`);
  return validateScenarioText(BASE_YAML.replace(from, to), 'bad.yaml');
}

/** The one issue at `path` (fails when there is not exactly one issue there). */
function at(t: ExecutionContext, issues: ScenarioIssue[], path: string): ScenarioIssue {
  const here = issues.filter((i) => i.path === path);
  t.is(here.length, 1, `one issue at ${path}: ${JSON.stringify(issues)}`);
  return here[0] ?? { path, message: '' };
}

/** 1-based line of the first line of BASE_YAML (after replacement) containing `text`. */
function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test('a malformed MAC points at vms[0].nics[0].mac with its line and column', (t) => {
  const issues = issuesAfter(t, 'mac: 52:54:00:00:00:01', 'mac: 52:54:00:00:01');
  const i = at(t, issues, 'vms[0].nics[0].mac');
  t.regex(i.message, /MAC address/);
  t.is(i.line, lineOf(BASE_YAML, 'mac: 52:54:00:00:00:01'));
  t.is(i.column, 14);
  t.is(issues.length, 1);
});

test('a group MAC on a NIC or a peer is refused; MACs are distinct across the world', (t) => {
  t.regex(
    at(t, issuesAfter(t, 'mac: 52:54:00:00:00:01', 'mac: 53:54:00:00:00:01'), 'vms[0].nics[0].mac')
      .message,
    /group \(multicast\)/,
  );
  t.regex(
    at(t, issuesAfter(t, 'mac: 02:aa:00:00:00:01', 'mac: ff:ff:ff:ff:ff:ff'), 'peers[1].mac')
      .message,
    /group/,
  );
  const dup = at(
    t,
    issuesAfter(t, 'mac: 52:54:00:00:00:02', 'mac: 52:54:00:00:00:01'),
    'vms[0].nics[1].mac',
  );
  t.regex(dup.message, /already used by NIC vm1\/eth0/);
  // A NIC taking a peer's default MAC: the peer is told to get its own.
  const dflt = at(
    t,
    issuesAfter(t, 'mac: 52:54:00:00:00:02', 'mac: 02:00:00:00:00:01'),
    'peers[0].name',
  );
  t.regex(dflt.message, /default MAC of this peer/);
});

test('an unknown model is an enum error with a suggestion', (t) => {
  const i = at(
    t,
    issuesAfter(t, 'model: virtio-backup', 'model: virtio-bakup'),
    'vms[0].nics[0].model',
  );
  t.regex(i.message, /not one of virtio-backup, virtio, netvsc/);
  t.regex(i.message, /did you mean "virtio-backup"/);
});

test('unknown host references: a VM, a peer and a migrate destination', (t) => {
  const vm = at(t, issuesAfter(t, 'host: src\n', 'host: scr\n'), 'vms[0].host');
  t.regex(vm.message, /unknown host "scr" \(did you mean "src"\?\); known: src, dst/);
  t.truthy(vm.line);
  at(
    t,
    issuesAfter(t, '{ name: server, host: dst', '{ name: server, host: nowhere'),
    'peers[1].host',
  );
  at(t, issuesAfter(t, 'to: dst', 'to: dts'), 'steps[1].to');
});

test('flow endpoints must exist: peers, VMs and their NICs', (t) => {
  t.regex(
    at(
      t,
      issuesAfter(t, 'from: client, to: vm1/eth0', 'from: clinet, to: vm1/eth0'),
      'flows[0].from',
    ).message,
    /unknown peer "clinet"/,
  );
  t.regex(
    at(t, issuesAfter(t, 'to: vm1/eth0', 'to: vm1/eth9'), 'flows[0].to').message,
    /unknown NIC of VM vm1 "eth9"/,
  );
  t.regex(
    at(t, issuesAfter(t, 'to: vm1/eth0', 'to: vm2/eth0'), 'flows[0].to').message,
    /unknown VM "vm2"/,
  );
  t.regex(
    at(t, issuesAfter(t, 'to: vm1/eth0', 'to: vm1'), 'flows[0].to').message,
    /is a VM: name one of its NICs as vm1\/eth0/,
  );
  t.regex(at(t, issuesAfter(t, 'to: vm1/eth0', 'to: client'), 'flows[0].to').message, /to itself/);
});

test('duplicate names: hosts, VMs, NICs within a VM, peers, flows', (t) => {
  t.regex(
    at(t, issuesAfter(t, '{ name: dst }', '{ name: src }'), 'hosts[1].name').message,
    /duplicate host name "src" \(already used at hosts\[0\]\)/,
  );
  at(t, issuesAfter(t, '- name: eth1', '- name: eth0'), 'vms[0].nics[1].name');
  at(t, issuesAfter(t, '{ name: server', '{ name: client'), 'peers[1].name');
  at(t, issuesAfter(t, '{ name: f2', '{ name: f1'), 'flows[1].name');
  const twoVms = validateScenarioText(
    `duration: 1s
hosts: [{ name: h }]
vms:
  - { name: v, host: h, nics: [{ name: eth0, model: netvsc, mac: 00:15:5d:00:00:01 }] }
  - { name: v, host: h, nics: [{ name: eth0, model: netvsc, mac: 00:15:5d:00:00:02 }] }
`,
    'v.yaml',
  );
  t.deepEqual(
    twoVms.map((i) => [i.path, i.line]),
    [['vms[1].name', 5]],
  );
});

test('durations: a bad unit, a bare number, a step after the end, a finer-than-ns value', (t) => {
  t.regex(
    at(t, issuesAfter(t, 'downtime: 250ms', 'downtime: 250 msec'), 'steps[1].downtime').message,
    /not a duration with a unit/,
  );
  t.regex(
    at(t, issuesAfter(t, 'downtime: 250ms', 'downtime: 250'), 'steps[1].downtime').message,
    /250 has no unit/,
  );
  t.regex(
    at(t, issuesAfter(t, 'at: 4s', 'at: 7s'), 'steps[0].at').message,
    /7s is not before the end of the scenario \(duration 6s\)/,
  );
  t.regex(
    at(t, issuesAfter(t, 'at: 4s', 'at: 1.5ns'), 'steps[0].at').message,
    /resolution is 1 ns/,
  );
  t.regex(at(t, issuesAfter(t, 'stop: 5s', 'stop: 7s'), 'flows[1].stop').message, /after the end/);
  t.regex(
    at(t, issuesAfter(t, 'stop: 5s', 'stop: 500ms'), 'flows[1].stop').message,
    /must be after start 1s/,
  );
  at(t, issuesAfter(t, 'duration: 6s', 'duration: 0'), 'duration');
});

test('rates, sizes and other ranges', (t) => {
  t.regex(
    at(t, issuesAfter(t, 'rate: 100kpps', 'rate: 100kfps'), 'flows[0].rate').message,
    /not a rate such as/,
  );
  t.regex(
    at(t, issuesAfter(t, 'rate: 100kpps', 'rate: 0pps'), 'flows[0].rate').message,
    /greater than zero/,
  );
  t.regex(at(t, issuesAfter(t, 'size: 64', 'size: 59'), 'flows[0].size').message, /out of range/);
  at(t, issuesAfter(t, 'size: 1500', 'size: 1518'), 'flows[1].size');
  at(t, issuesAfter(t, '{ name: src, vfs: 4 }', '{ name: src, vfs: -1 }'), 'hosts[0].vfs');
  at(t, issuesAfter(t, '{ name: src, vfs: 4 }', '{ name: src, vfs: 1.5 }'), 'hosts[0].vfs');
  t.regex(
    at(t, issuesAfter(t, 'bandwidth: 16Gbps', 'bandwidth: 16Gpps'), 'steps[1].bandwidth').message,
    /bits per second/,
  );
  at(t, issuesAfter(t, 'mtu: 9000', 'mtu: 10'), 'steps[3].mtu');
  t.regex(
    at(t, issuesAfter(t, 'rate: 100kpps', 'rate: 300Mpps'), 'flows[0].rate').message,
    /above 200Mpps/,
  );
  t.regex(
    at(t, issuesAfter(t, 'duration: 6s', 'duration: 6s\ntick: 500ns'), 'tick').message,
    /at least 1us/,
  );
  t.regex(
    at(t, issuesAfter(t, 'duration: 6s', 'duration: 6s\ntick: 7s'), 'tick').message,
    /longer than the duration/,
  );
});

test('an unknown property (a typo) is reported at its own path, on the key', (t) => {
  const issues = issuesAfter(t, 'options: { miimon: 250ms', 'options: { miimom: 250ms');
  const i = at(t, issues, 'vms[0].nics[0].options.miimom');
  t.regex(i.message, /unknown property "miimom": did you mean "miimon"\?/);
  t.is(i.line, lineOf(BASE_YAML, 'options: { miimon'));
  t.is(i.column, 20);
  const top = at(t, issuesAfter(t, 'duration: 6s', 'duration: 6s\nsede: 3'), 'sede');
  t.regex(top.message, /did you mean "seed"/);
  t.is(top.line, 3);
});

test('a field the action does not take, a missing required field, a VM with several NICs', (t) => {
  t.regex(
    at(t, issuesAfter(t, 'mode: surprise', 'mode: surprise, downtime: 1s'), 'steps[0].downtime')
      .message,
    /not used by action vf-unplug, which takes vm, nic, mode/,
  );
  t.regex(at(t, issuesAfter(t, 'vm: vm1, to: dst', 'vm: vm1'), 'steps[1].to').message, /required/);
  t.regex(
    at(t, issuesAfter(t, 'vm: vm1, nic: eth0, mode', 'vm: vm1, mode'), 'steps[0].nic').message,
    /several NICs \(eth0, eth1\)/,
  );
  t.regex(
    at(t, issuesAfter(t, 'action: vf-unplug', 'action: vf-yank'), 'steps[0].action').message,
    /not one of migrate/,
  );
  t.regex(
    at(
      t,
      issuesAfter(
        t,
        'name: eth1\n        model: virtio',
        'name: eth1\n        model: virtio\n        vf: true',
      ),
      'vms[0].nics[1].vf',
    ).message,
    /virtio never has a VF/,
  );
});

test('YAML syntax errors carry the line; the message lists file:line:col: path: what', (t) => {
  const text = BASE_YAML.replace('to: dst, downtime', 'to: [dst, downtime');
  const err = t.throws(() => loadScenarioText(text, 'broken.yaml'), { instanceOf: ScenarioError });
  t.true(isBypassError(err, 'ERR_SCENARIO'));
  t.is(err.file, 'broken.yaml');
  t.true(err.issues.length >= 1);
  t.regex(err.issues[0]!.message, /^YAML syntax error/);
  t.is(err.issues[0]!.line, lineOf(text, 'to: [dst'));
  t.true(err.message.includes(`broken.yaml:${err.issues[0]!.line}:`));
  t.regex(err.message, /Fix the file and run again/);
  const tab = validateScenarioText('duration: 1s\nhosts:\n\t- name: h\n', 't.yaml');
  t.is(tab[0]!.line, 3);
  const dupKey = validateScenarioText(
    'duration: 1s\nduration: 2s\nhosts: [{ name: h }]\n',
    'd.yaml',
  );
  t.is(dupKey[0]!.line, 2);
});

test('the error message names every issue as file:line:col: path: message', (t) => {
  const text = BASE_YAML.replace('to: dst', 'to: dts').replace('{ name: f2', '{ name: f1');
  const err = t.throws(() => loadScenarioText(text, 'two.yaml'), { instanceOf: ScenarioError });
  t.is(err.issues.length, 2);
  t.deepEqual(
    err.issues.map((i) => i.path),
    ['flows[1].name', 'steps[1].to'], // in file order
  );
  for (const i of err.issues) t.true(err.message.includes(formatScenarioIssue('two.yaml', i)));
  t.regex(err.message, /two\.yaml:\d+:\d+: steps\[1\]\.to: unknown host "dts"/);
  t.is(formatScenarioIssue('f', { path: '', message: 'm' }), 'f: m');
});

test('empty and non-mapping files', (t) => {
  t.regex(validateScenarioText('', 'e.yaml')[0]!.message, /the file is empty/);
  t.regex(validateScenarioText('- 1\n- 2\n', 'l.yaml')[0]!.message, /must be a mapping/);
  t.regex(validateScenarioText('null', 'n.json')[0]!.message, /empty/);
  t.deepEqual(
    validateScenarioText('{}', 'o.yaml').map((i) => i.path),
    ['duration', 'hosts'],
  );
});

test('expect: bounds and metric references', (t) => {
  t.regex(
    at(t, issuesAfter(t, 'metric: flows.f1.lost, max: 40000', 'metric: flows.f1.lost'), 'expect[0]')
      .message,
    /at least one of min, max, equals/,
  );
  t.regex(
    at(t, issuesAfter(t, 'metric: flows.f1.lost', 'metric: flows.f9.lost'), 'expect[0].metric')
      .message,
    /unknown flow "f9"/,
  );
  at(t, issuesAfter(t, 'max: 40000', 'max: 4, min: 5'), 'expect[0].max');
});

test('a NIC with a wrong MAC is one error, not a cascade through the flows and steps that name it', (t) => {
  const text = `
name: bad
duration: 2s
hosts: [{ name: src }]
vms:
  - { name: vm1, host: src, nics: [{ name: eth0, model: virtio-backup, mac: '01:00:5e:00:00:01' }] }
peers: [{ name: client, host: src, mac: 'ff:ff:ff:ff:ff:ff' }]
flows:
  - { name: f1, from: client, to: vm1/eth0, rate: 10kpps }
steps:
  - { at: 1s, action: vf-unplug, vm: vm1, nic: eth0 }
`;
  const issues = validateScenarioText(text, 'bad.yaml');
  t.deepEqual(
    issues.map((i) => i.path),
    ['vms[0].nics[0].mac', 'peers[0].mac'],
  );
});
