import test from 'ava';
import { parseDuration } from '@bypass/core';
import {
  PcapCapture,
  loadScenarioText,
  readPcap,
  runScenario,
  type Report,
} from '../../src/index.js';
import { oneVmScenario } from '../support/oneVmScenario.js';

/** Runs vm1 with a 10 kpps flow into it (`oneVmScenario`) for `duration`. */
function run(model: string, duration: string, steps: string, options = '{}'): Report {
  return runScenario(
    loadScenarioText(oneVmScenario({ model, options, steps, duration }), 'guest-timers.yaml'),
  );
}

/** When the first event of `kind` whose detail starts with `detail` was logged. */
function when(r: Report, kind: string, detail = ''): string | undefined {
  return r.events.find((e) => e.kind === kind && (e.detail ?? '').startsWith(detail))?.at;
}

test('a bond notices a dead VF at the first miimon round the guest runs: after guest-up, not while it is down', (t) => {
  const linkDown = '{ at: 1.01s, action: link-down, vm: vm1, dev: vf }';
  const running = run('bonding', '2s', `[${linkDown}]`, '{ miimon: 100ms }');
  const stopped = run(
    'bonding',
    '2s',
    `[{ at: 1.005s, action: guest-down, vm: vm1 }, ${linkDown}, { at: 1.3s, action: guest-up, vm: vm1 }]`,
    '{ miimon: 100ms }',
  );
  for (const r of [running, stopped]) t.true(r.conservation.ok, r.conservation.mismatches.join());
  // The round due at 1.1 s runs at once in a running guest, at guest-up in a stopped one
  // (bond_mii_monitor is delayed work: it runs when the guest's clock passed its time).
  t.is(when(running, 'bond-link', 'eth0vf up -> down'), '1.1s');
  t.is(when(stopped, 'bond-link', 'eth0vf up -> down'), '1.3s');
  t.is(when(stopped, 'bond-active', 'eth0vf -> eth0v'), '1.3s');
});

test('a netvsc guest reads the host messages and ejects the VF only when it runs again', (t) => {
  const r = run(
    'netvsc',
    '2s',
    `[{ at: 1.005s, action: guest-down, vm: vm1 }, { at: 1.01s, action: link-down, vm: vm1, dev: master },
      { at: 1.02s, action: vf-unplug, vm: vm1 }, { at: 1.3s, action: guest-up, vm: vm1 }]`,
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join());
  // The host acts at once: RX back on VMBus, the association withdrawn.
  t.is(when(r, 'host-datapath', 'host RX on VMBus'), '1.02s');
  t.is(when(r, 'vf-association', 'host: VF slot 1 removed'), '1.02s');
  // The guest's VMBus interrupt, its ACPI eject and the link change it queues all wait for it.
  t.is(when(r, 'driver-log', 'eth0: VF slot 1 removed'), '1.3s');
  t.is(when(r, 'vf-unplug', 'orderly'), '1.3s');
  t.is(when(r, 'link-down', 'carrier'), '1.3s');
  // Nothing of the guest's own between the stop and guest-up (boot events have negative times).
  const guestEvents = r.events.filter((e) => {
    if (!['driver-log', 'vf-unplug', 'datapath-switched'].includes(e.kind)) return false;
    const at = e.at.startsWith('-') ? -1 : parseDuration(e.at);
    return at > 1.005e9 && at < 1.3e9;
  });
  t.deepEqual(guestEvents, []);
});

test('after a pause the fail-safe polls at the phase of the resume: a poll due in the pause runs at the resume', (t) => {
  // Pause 3.25 s .. 4.25 s (precopy 1 s from 2.25 s): the fail-safe's poll due at 4 s
  // (hotplug_poll 2 s since the boot) and vdev_netvsc's scan due at 4 s run at 4.25 s and are
  // re-armed from there (rte_eal_alarm_set in their callbacks): the VF plugged at 4.45 s is found
  // by the scan at 5.25 s and taken by the poll at 6.25 s.
  const long = run(
    'failsafe',
    '9s',
    '[{ at: 2s, action: migrate, vm: vm1, to: dst, downtime: 1s, precopy: 1s }]',
  );
  t.true(long.conservation.ok, long.conservation.mismatches.join());
  t.is(when(long, 'migration-state', 'completed'), '4.25s');
  t.is(when(long, 'vf-plug', 'dst VF'), '4.45s');
  const toVf = long.events.filter(
    (e) => e.kind === 'datapath-switched' && e.detail === 'to active',
  );
  t.is(toVf.at(-1)?.at, '6.25s');
  // A pause with no poll in it (2.25 s .. 3.25 s) keeps the boot's phase: the poll at 6 s.
  const short = run(
    'failsafe',
    '9s',
    '[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 1s, precopy: 1s }]',
  );
  const shortToVf = short.events.filter(
    (e) => e.kind === 'datapath-switched' && e.detail === 'to active',
  );
  t.is(shortToVf.at(-1)?.at, '6s');
});

test('a suspended guest (guest-down clock: frozen) does not count the stop: its miimon round comes later by the stop', (t) => {
  const steps = (clock: string): string =>
    `[{ at: 1.005s, action: guest-down, vm: vm1, clock: ${clock} },
      { at: 1.01s, action: link-down, vm: vm1, dev: vf }, { at: 1.3s, action: guest-up, vm: vm1 }]`;
  const stalled = run('bonding', '2s', steps('runs'), '{ miimon: 100ms }');
  const suspended = run('bonding', '2s', steps('frozen'), '{ miimon: 100ms }');
  for (const r of [stalled, suspended]) t.true(r.conservation.ok, r.conservation.mismatches.join());
  // A stalled guest's clock ran on: the round due at 1.1 s runs at guest-up. A suspended one's
  // stood at 1.005 s for 295 ms (kvmclock saved at the stop, set back at cont), so the round is
  // due at 1.1 s of its clock, 1.395 s of the world's.
  t.is(when(stalled, 'bond-link', 'eth0vf up -> down'), '1.3s');
  t.is(when(suspended, 'bond-link', 'eth0vf up -> down'), '1.395s');
  t.is(when(suspended, 'bond-active', 'eth0vf -> eth0v'), '1.395s');
  t.is(when(suspended, 'guest-down', 'clock frozen'), '1.005s');
  t.is(when(suspended, 'guest-up', "the guest's clock is 295ms behind"), '1.3s');
  t.is(when(stalled, 'guest-up'), '1.3s');
  t.is(stalled.events.find((e) => e.kind === 'guest-up')?.detail, undefined);
});

test('a suspended netvsc guest takes the interrupt the host raised during the stop right after the resume', (t) => {
  const r = run(
    'netvsc',
    '2s',
    `[{ at: 1.005s, action: guest-down, vm: vm1, clock: frozen }, { at: 1.02s, action: vf-unplug, vm: vm1 },
      { at: 1.3s, action: guest-up, vm: vm1 }]`,
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join());
  t.is(when(r, 'vf-association', 'host: VF slot 1 removed'), '1.02s');
  // The VMBus interrupt was pending at guest time 1.005 s (+ the channel's latency): after cont
  // it is as far from the resume as it was from the stop.
  const removed = when(r, 'driver-log', 'eth0: VF slot 1 removed');
  t.truthy(removed);
  const at = parseDuration(removed as string);
  t.true(at > 1.3e9 && at < 1.31e9, removed);
});

test('a VF plugged while the guest is down is probed when it runs; one gone before that is never seen', (t) => {
  const down = `{ at: 1s, action: vf-unplug, vm: vm1, mode: surprise },
    { at: 1.005s, action: guest-down, vm: vm1 }, { at: 1.05s, action: vf-plug, vm: vm1 }`;
  const up = '{ at: 1.3s, action: guest-up, vm: vm1 }';
  const probed = run('virtio-backup', '2s', `[${down}, ${up}]`);
  t.true(probed.conservation.ok, probed.conservation.mismatches.join());
  const afterUnplug = (r: Report, kind: string): string[] =>
    r.events
      .filter((e) => e.kind === kind && !e.at.startsWith('-') && parseDuration(e.at) > 1e9)
      .map((e) => e.at);
  // The host plugs it at once; acpiphp and the VF driver run in the guest, at guest-up.
  t.deepEqual(afterUnplug(probed, 'vf-plug'), ['1.05s']);
  t.regex(
    probed.events.find((e) => e.kind === 'vf-plug' && e.at === '1.05s')?.detail ?? '',
    /the guest probes it when it runs/,
  );
  t.deepEqual(afterUnplug(probed, 'netdev-register'), ['1.3s']);
  t.deepEqual(afterUnplug(probed, 'datapath-switched'), ['1.3s']);
  // Unplugged again before guest-up: the guest never registers it, and nothing leaks.
  const gone = run(
    'virtio-backup',
    '2s',
    `[${down}, { at: 1.1s, action: vf-unplug, vm: vm1, mode: surprise }, ${up},
      { at: 1.5s, action: vf-plug, vm: vm1 }]`,
  );
  t.true(gone.conservation.ok, gone.conservation.mismatches.join());
  t.deepEqual(afterUnplug(gone, 'netdev-register'), ['1.5s']);
  t.deepEqual(afterUnplug(gone, 'netdev-unregister'), []);
  t.deepEqual(afterUnplug(gone, 'vf-unplug'), ['1.1s']);
});

test('a virtio guest takes a link change only when it runs: the config interrupt waits for guest-up', (t) => {
  const r = run(
    'virtio',
    '2s',
    `[{ at: 1.005s, action: guest-down, vm: vm1 }, { at: 1.01s, action: link-down, vm: vm1, dev: backup },
      { at: 1.3s, action: guest-up, vm: vm1 }]`,
  );
  t.true(r.conservation.ok, r.conservation.mismatches.join());
  // hw/virtio/virtio.c virtio_notify_config raises the line at 1.01 s; virtio_net's config work
  // (carrier off) runs when the guest's vCPUs do.
  t.is(when(r, 'link-down', 'carrier'), '1.3s');
});

test('after a migration a stopped guest sends no gratuitous ARP: the rounds of virtio-net wait for it, then step on its acks', (t) => {
  const capture = new PcapCapture();
  const r = runScenario(
    loadScenarioText(
      oneVmScenario({
        model: 'virtio',
        options: '{}',
        duration: '4s',
        steps: `[{ at: 1s, action: migrate, vm: vm1, to: dst, downtime: 100ms, precopy: 300ms },
          { at: 1.41s, action: guest-down, vm: vm1 }, { at: 3s, action: guest-up, vm: vm1 }]`,
      }),
      'announce.yaml',
    ),
    { capture },
  );
  t.is(r.migrations[0]?.result, 'completed');
  const point = capture.points().indexOf('dst-vm1-eth0-paravirt');
  t.true(point >= 0, capture.points().join());
  // ARP frames the guest sent (the RARPs are QEMU's, ethertype 0x8035).
  const garps = readPcap(capture.pcap(point))
    .records.filter((f) => f.data[12] === 0x08 && f.data[13] === 0x06)
    .map((f) => f.timeNs / 1e6);
  // Round 1 at completed (1.4 s). Round 2 fell due at 1.45 s on the guest's clock, while it was
  // down: it runs at guest-up, and each ack arms the next (qemu_announce_timer_step): 150, 250
  // and 350 ms later.
  t.deepEqual(
    garps.map((ms) => Math.round(ms)),
    [1400, 3000, 3150, 3400, 3750],
  );
});
