import test from 'ava';
import { runNetvscMigrationExample } from './runNetvscMigrationExample.js';

test('both Hyper-V NICs are migrated and end up back on a VF of the destination', (t) => {
  const r = runNetvscMigrationExample();
  t.true(r.report.conservation.ok, r.report.conservation.mismatches.join('\n'));
  t.deepEqual(
    r.report.migrations.map((m) => [m.vm, m.to, m.result]),
    [
      ['kernel-vm', 'hv2', 'completed'],
      ['dpdk-vm', 'hv2', 'completed'],
    ],
  );
  t.deepEqual(
    r.nics.map((n) => [n.id, n.model]),
    [
      ['kernel-vm/eth0', 'netvsc'],
      ['dpdk-vm/eth0', 'netvsc-pmd'],
    ],
  );
  for (const nic of r.nics) {
    t.deepEqual(
      nic.migration.states,
      ['setup', 'wait-unplug', 'active', 'device', 'completed'],
      nic.id,
    );
    // On the VF, then on the synthetic path across the migration, then on the new host's VF.
    t.deepEqual(
      nic.segments.map((s) => s.path),
      ['active', 'backup', 'active'],
      nic.id,
    );
    t.is(nic.lastPath, 'active', nic.id);
    t.is(r.report.timeline.datapath[nic.id]?.at(-1)?.[2], 'active', nic.id);
    t.not(nic.backOnVfAfter, null, nic.id);
    t.not(nic.vfBefore, '0s', nic.id);
    t.not(nic.vfAfter, '0s', nic.id);
    // Only what reached the paused VM is lost: the synthetic path carried the rest.
    t.deepEqual(Object.keys(nic.losses), ['vm-paused'], nic.id);
    // The host withdrew the VF association and switched its RX to VMBus, then offered the new VF.
    const kinds = nic.netvscEvents.map((e) => `${e.kind}: ${e.detail}`);
    t.true(
      kinds.some((k) => /vf-association: .*removed/.test(k)),
      nic.id,
    );
    t.true(
      kinds.some((k) => /host-datapath: host RX on VMBus/.test(k)),
      nic.id,
    );
    t.regex(kinds.at(-1) ?? '', /host-datapath: host RX to the VF/, nic.id);
  }
});
