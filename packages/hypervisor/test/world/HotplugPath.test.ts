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

test('pcie-native: the eject lands 5 s + eject_delay after the request; QEMU unplugs 1 s later and sees it at its next poll', (t) => {
  const r = run(world('virtio-backup', '{ hotplug: pcie-native }', MIGRATE));
  // pciehp removes the driver at 7.005 s, powers the slot off and waits 1 s before the power
  // indicator goes off (pciehp_ctrl.c remove_board); QEMU unplugs then (pcie.c), at 8.005 s, and
  // the migration thread sees it at its next 250 ms poll.
  t.deepEqual(states(r).slice(0, 3), ['setup@2s', 'wait-unplug@2s', 'active@8.25s']);
  t.deepEqual(at(r, 'vf-unplug'), ['7.005s']);
  t.deepEqual(at(r, 'vf-deleted'), ['8.005s']);
  t.is(at(r, 'datapath-switched')[0], '7.005s', 'the guest moves to virtio at the driver removal');
  const request = r.events.find((e) => e.kind === 'unplug-request');
  t.regex(request?.detail ?? '', /attention button, pciehp waits 5s/);
  t.is(r.migrations[0]?.result, 'completed');
  // The VF worked all along the 5 s wait. Then, for the second QEMU still holds the function,
  // the host's filter steers the VM's MAC to a VF no driver serves (the host script resets it
  // once the detach returns): 1 s at 10 kpps. And the stop-and-copy pause.
  t.is(r.flows['in']?.drops['vf-not-bound'], 10_000);
  t.is(r.flows['in']?.drops['vm-paused'], 3000);
  t.true(r.conservation.ok);
});

test('pcie-native: a cancel during the power-off wait of pciehp ends at the poll after QEMU unplugged, then the VF is plugged back', (t) => {
  const r = run(
    world(
      'virtio-backup',
      '{ hotplug: pcie-native }',
      '[{ at: 2s, action: migrate, vm: vm1, to: dst, cancel_at: 7500ms }]',
    ),
  );
  t.deepEqual(states(r), ['setup@2s', 'wait-unplug@2s', 'cancelling@7.5s', 'cancelled@8.25s']);
  t.deepEqual(at(r, 'vf-deleted'), ['8.005s']);
  // failover_replug_primary at the cancel: vf_plug_delay (200 ms) later, on the same host.
  t.deepEqual(at(r, 'vf-plug').slice(1), ['8.45s']);
  t.is(r.events.filter((e) => e.kind === 'vf-plug').at(-1)?.host, 'src');
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
  // The VF goes back to the host's pool only when QEMU has unplugged it.
  t.deepEqual(at(r, 'vf-deleted'), ['7.02s']);
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
