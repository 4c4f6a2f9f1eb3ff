import { runNetvscMigrationExample } from './runNetvscMigrationExample.js';

// Two Hyper-V VMs migrated between hosts: the Linux netvsc driver and the DPDK netvsc PMD.
const r = runNetvscMigrationExample();
for (const nic of r.nics) {
  console.log(`== ${nic.id} (${nic.model}) ==`);
  console.log(`migration: ${nic.migration.result} (${nic.migration.states.join(' -> ')})`);
  console.log(
    `on the VF: ${nic.vfBefore} before the migration, ${nic.vfAfter} after it; back on the VF ${nic.backOnVfAfter === null ? 'never' : `${nic.backOnVfAfter} after it completed`}`,
  );
  console.log(`datapath: ${nic.segments.map((s) => `${s.path} ${s.from}..${s.to}`).join(', ')}`);
  const losses = Object.entries(nic.losses)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(`losses: ${losses || 'none'}`);
  console.log('NetVSC events:');
  for (const e of nic.netvscEvents)
    console.log(`  ${e.at.padStart(12)}  ${e.kind.padEnd(15)} ${e.detail}`);
  console.log('');
}
console.log(
  `conservation: ${r.report.conservation.ok ? 'ok' : r.report.conservation.mismatches.join('; ')}`,
);
