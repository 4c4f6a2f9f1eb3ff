import { resolve } from 'node:path';
import { runVirtioMigrationExample } from './runVirtioMigrationExample.js';

// A virtio-net + VF pair (QEMU failover=on) live-migrated between two hosts: the text report,
// and the SVG timeline written to out/examples (or the directory given as first argument).
const r = runVirtioMigrationExample(resolve(process.argv[2] ?? 'out/examples'));
console.log(r.text);
console.log(`migration: ${r.migration.result} (${r.migration.states.join(' -> ')})`);
for (const [name, f] of Object.entries(r.flows)) {
  const drops = Object.entries(f.drops)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `${name}: lost ${f.lost} of ${f.sent} (${drops || 'no drops'}), longest gap ${f.longestGap}`,
  );
}
console.log(
  `vm1/eth0: ${r.nic.onActive} on the VF, ${r.nic.onBackup} on virtio, ${r.nic.switches} switches`,
);
console.log(`timeline: ${r.svgPath}`);
