import test from 'ava';
import type { ExecutionContext } from 'ava';
import { loadScenarioText, validateScenarioText } from '../../src/scenario/ScenarioLoader.js';
import type { ScenarioIssue } from '../../src/scenario/ScenarioError.js';
import { BASE_YAML } from './fixtures.js';

// hosts[].vf_filter and vms[].nics[].options.hotplug: defaults, accepted values, refusals.

function replaced(t: ExecutionContext, from: string, to: string): string {
  t.true(BASE_YAML.includes(from), `fixture contains ${from}`);
  return BASE_YAML.replace(from, to);
}

function issuesAt(issues: ScenarioIssue[], path: string): ScenarioIssue[] {
  return issues.filter((i) => i.path === path);
}

test('defaults: hosts steer until the eject (reset-at-eject), NICs eject over ACPI', (t) => {
  const s = loadScenarioText(BASE_YAML, 'base.yaml');
  t.deepEqual(
    s.hosts.map((h) => h.vf_filter),
    ['reset-at-eject', 'reset-at-eject'],
  );
  t.is(s.vms[0]!.nics[0]!.options.hotplug, 'acpi');
  t.is(s.vms[0]!.nics[1]!.options.hotplug, 'acpi');
});

test('vf_filter: libvirt and hotplug: pcie-native are read as written', (t) => {
  let yaml = replaced(t, '{ name: src, vfs: 4 }', '{ name: src, vfs: 4, vf_filter: libvirt }');
  yaml = yaml.replace('multicast_via: backup }', 'multicast_via: backup, hotplug: pcie-native }');
  const s = loadScenarioText(yaml, 'ok.yaml');
  t.is(s.hosts[0]!.vf_filter, 'libvirt');
  t.is(s.hosts[1]!.vf_filter, 'reset-at-eject');
  t.is(s.vms[0]!.nics[0]!.options.hotplug, 'pcie-native');
});

test('an unknown vf_filter or hotplug value is refused at its path', (t) => {
  const bad = validateScenarioText(
    replaced(t, '{ name: src, vfs: 4 }', '{ name: src, vfs: 4, vf_filter: script }'),
    'bad.yaml',
  );
  t.is(issuesAt(bad, 'hosts[0].vf_filter').length, 1, JSON.stringify(bad));
  const badHp = validateScenarioText(
    replaced(t, 'multicast_via: backup }', 'multicast_via: backup, hotplug: shpc }'),
    'bad.yaml',
  );
  t.is(issuesAt(badHp, 'vms[0].nics[0].options.hotplug').length, 1, JSON.stringify(badHp));
});

test('hotplug on a model without a PCI VF QEMU hot-plugs is refused, saying why', (t) => {
  const netvsc = validateScenarioText(
    replaced(
      t,
      'model: virtio-backup\n        mac: 52:54:00:00:00:01\n        options: { miimon: 250ms, tx_copybreak: 256, multicast_via: backup }',
      'model: netvsc\n        mac: 52:54:00:00:00:01\n        options: { hotplug: pcie-native }',
    ),
    'bad.yaml',
  );
  const i = issuesAt(netvsc, 'vms[0].nics[0].options.hotplug');
  t.is(i.length, 1, JSON.stringify(netvsc));
  t.regex(i[0]!.message, /VMBus.*remove hotplug.*virtio-backup and bonding/);
  const virtio = validateScenarioText(
    replaced(
      t,
      'model: virtio\n        mac: 52:54:00:00:00:02',
      'model: virtio\n        mac: 52:54:00:00:00:02\n        options: { hotplug: acpi }',
    ),
    'bad.yaml',
  );
  t.regex(issuesAt(virtio, 'vms[0].nics[1].options.hotplug')[0]?.message ?? '', /never has a VF/);
  // bonding is a QEMU model: accepted.
  const bonding = validateScenarioText(
    replaced(
      t,
      'model: virtio-backup\n        mac: 52:54:00:00:00:01',
      'model: bonding\n        mac: 52:54:00:00:00:01',
    ).replace('multicast_via: backup }', 'hotplug: pcie-native }'),
    'ok.yaml',
  );
  t.deepEqual(bonding, []);
});
