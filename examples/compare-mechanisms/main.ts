import { runCompareExample } from './runCompareExample.js';

// One live migration under every failover mechanism: loss, worst gap, time on the VF, switches.
const r = runCompareExample();
console.log(r.table);
console.log('');
for (const row of r.rows) {
  console.log(
    `${row.model.padEnd(14)} lost ${String(row.lost).padStart(6)} of ${row.sent}; worst gap ${row.worstGap} (${row.worstGapFlow ?? '-'})`,
  );
}
