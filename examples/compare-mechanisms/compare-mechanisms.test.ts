import test from 'ava';
import { NIC_MODELS } from '@bypass/hypervisor';
import { runCompareExample } from './runCompareExample.js';

test('every mechanism runs the same migration; event-driven virtio-backup loses no more than polling ones', (t) => {
  const r = runCompareExample();
  t.deepEqual(
    r.rows.map((row) => row.model),
    [...NIC_MODELS],
  );
  for (const { model, report } of r.entries) {
    t.true(report.conservation.ok, `${model}: ${report.conservation.mismatches.join('; ')}`);
    t.deepEqual(
      report.migrations.map((m) => m.result),
      ['completed'],
      model,
    );
  }
  const row = (model: string) => {
    const found = r.rows.find((x) => x.model === model);
    if (found === undefined) throw new Error(`no row for ${model}`);
    return found;
  };
  // Plain virtio never gets a VF.
  t.is(row('virtio').onActiveNs, 0);
  const virtio = r.entries.find((e) => e.model === 'virtio')?.report;
  t.false(
    Object.values(virtio?.timeline.datapath ?? {}).some((segs) =>
      segs.some((s) => s[2] === 'active'),
    ),
  );
  // The others spend time on it.
  for (const x of r.rows) if (x.model !== 'virtio') t.true(x.onActiveNs > 0, x.model);
  // Event-driven failover (virtio-backup) loses no more than the fail-safe's hot-plug polling or
  // bonding's miimon, apart from the handful of frames Linux net_failover drops on the standby
  // once the primary is back (rx-nohandler); and it is back on the VF at least as long.
  const eventDriven = row('virtio-backup');
  const nohandler = eventDriven.drops['rx-nohandler'] ?? 0;
  t.true(nohandler <= 10, `${nohandler} rx-nohandler drops`);
  for (const polling of [row('failsafe'), row('bonding')]) {
    t.true(eventDriven.lost - nohandler <= polling.lost, polling.model);
    t.true(eventDriven.onActiveNs >= polling.onActiveNs, polling.model);
  }
  // Bonding notices the VF is gone only at its next miimon poll: it loses more, for longer.
  t.true(eventDriven.lost < row('bonding').lost);
  t.true(eventDriven.worstGapNs < row('bonding').worstGapNs);
  t.regex(r.table, /virtio-backup/);
});
