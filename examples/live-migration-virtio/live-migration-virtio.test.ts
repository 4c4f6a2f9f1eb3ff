import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runVirtioMigrationExample } from './runVirtioMigrationExample.js';

test('the virtio live-migration example completes, loses only what reached the paused VM, and draws its timeline', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bypass-example-'));
  try {
    const r = runVirtioMigrationExample(dir);
    t.is(r.migration.result, 'completed');
    t.deepEqual(r.migration.states, ['setup', 'wait-unplug', 'active', 'device', 'completed']);
    t.is(r.migration.downtime, '300ms');
    t.true(r.report.conservation.ok, r.report.conservation.mismatches.join('\n'));
    t.true(r.report.ok);
    for (const [name, f] of Object.entries(r.flows)) {
      const { 'vm-paused': paused = 0, 'rx-nohandler': nohandler = 0, ...other } = f.drops;
      // Linux net_failover drops what still reaches the standby once the primary is back.
      t.true(nohandler <= 10, `${name}: ${nohandler} rx-nohandler drops`);
      t.deepEqual(other, {}, `${name}: drops other than vm-paused`);
      t.is(f.lost, paused + nohandler, name);
    }
    // 300ms of pause at 100kpps toward the VM; the VM's own flow stops while it is paused.
    t.true((r.flows['f1']?.drops['vm-paused'] ?? 0) > 0);
    t.is(r.nic.switches, 2);
    t.regex(r.text, /Conservation: ok/);
    t.regex(r.text, /completed/);
    t.true(existsSync(r.svgPath));
    t.true(readFileSync(r.svgPath, 'utf8').includes('<svg'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
