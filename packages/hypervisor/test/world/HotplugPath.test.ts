import test from 'ava';
import { loadScenarioText, runScenario, type Report } from '../../src/index.js';
import { oneVmScenario } from '../support/oneVmScenario.js';

// options.hotplug: behind a native PCIe slot the guest's pciehp waits 5 s after QEMU presses the
// attention button before it ejects (drivers/pci/hotplug/pciehp_ctrl.c
// pciehp_handle_button_press); behind ACPI hot-plug it ejects after eject_delay.

const world = (model: string, options: string, steps: string): string =>
  oneVmScenario({ model, options, steps });

const run = (yaml: string, model?: string): Report =>
  runScenario(loadScenarioText(yaml, 'hotplug.yaml'), model === undefined ? {} : { model });

const MIGRATE = '[{ at: 2s, action: migrate, vm: vm1, to: dst }]';

const states = (r: Report): string[] =>
  (r.migrations[0]?.states ?? []).map((s) => `${s.state}@${s.at}`);

const at = (r: Report, kind: string): string[] =>
  r.events.filter((e) => e.kind === kind).map((e) => e.at);

test('pcie-native: the eject lands 5 s + eject_delay after the request; QEMU sees it at its next poll', (t) => {
  const r = run(world('virtio-backup', '{ hotplug: pcie-native }', MIGRATE));
  t.deepEqual(states(r).slice(0, 3), ['setup@2s', 'wait-unplug@2s', 'active@7.25s']);
  t.deepEqual(at(r, 'vf-unplug'), ['7.005s']);
  const request = r.events.find((e) => e.kind === 'unplug-request');
  t.regex(request?.detail ?? '', /attention button, pciehp waits 5s/);
  t.is(r.migrations[0]?.result, 'completed');
  // The VF worked all along the 5 s wait: only the stop-and-copy pause costs frames.
  t.is(r.flows['in']?.drops['vm-paused'], 3000);
});

test('acpi (the default): the eject lands eject_delay after the request', (t) => {
  const r = run(world('virtio-backup', '{}', MIGRATE));
  t.deepEqual(states(r).slice(0, 3), ['setup@2s', 'wait-unplug@2s', 'active@2.25s']);
  t.deepEqual(at(r, 'vf-unplug'), ['2.005s']);
  t.is(r.events.find((e) => e.kind === 'unplug-request')?.detail, 'VF 0000:3b:02.0');
});

test('pcie-native applies to any orderly unplug (a vf-unplug step) and adds to eject_delay', (t) => {
  const r = run(
    world(
      'bonding',
      '{ hotplug: pcie-native, eject_delay: 20ms }',
      '[{ at: 1s, action: vf-unplug, vm: vm1, nic: eth0 }]',
    ),
  );
  t.deepEqual(at(r, 'vf-unplug'), ['6.02s']);
});

test('a hot-add is not delayed by pciehp (the presence change cancels the button wait)', (t) => {
  const steps =
    '[{ at: 1s, action: vf-unplug, vm: vm1, nic: eth0, mode: surprise }, { at: 2s, action: vf-plug, vm: vm1, nic: eth0 }]';
  const native = run(world('virtio-backup', '{ hotplug: pcie-native }', steps));
  const acpi = run(world('virtio-backup', '{}', steps));
  t.deepEqual(at(native, 'vf-plug'), at(acpi, 'vf-plug'));
  t.deepEqual(at(native, 'vf-plug').at(-1), '2s');
});

test('a model that gets its VF over VMBus ignores hotplug (run with --model netvsc)', (t) => {
  const r = run(world('virtio-backup', '{ hotplug: pcie-native }', MIGRATE), 'netvsc');
  t.deepEqual(at(r, 'vf-unplug'), ['2.005s']);
});
