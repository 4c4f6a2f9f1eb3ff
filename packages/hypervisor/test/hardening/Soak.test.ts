/**
 * Soak (issue #7): a VM with flows in and out migrates back and forth between two hosts while
 * its VF is flapped (surprise unplug and plug, link down and up) and revoked by host servicing,
 * for simulated minutes in `npm test` and simulated hours in `npm run test:deep` (1 ms ticks,
 * 1 kpps each way). At the end the books balance, no VF is leaked, every migration completed,
 * and the pool holds exactly what a run without any step holds.
 */
import test from 'ava';
import { DEEP } from '../../../../test/support/modelTest.js';
import {
  flowBookProblems,
  migrationProblems,
  scenarioOf,
  simulate,
  vfBookProblems,
} from './harness.js';

/**
 * Simulated seconds per run: 2 minutes in `npm test`; 1 hour in deep mode, where each model
 * runs twice (from each host, another seed), 2 hours per model: one test stays well under
 * ava's 2-minute timeout (a test cannot yield in the middle of a run).
 */
const SECONDS = DEEP ? 3600 : 120;
const PARTS = DEEP ? 2 : 1;
/** One cycle every 10 s. */
const CYCLE = 10;

function soak(model: string, seconds: number, steps: boolean, part = 0): string {
  const home = `h${part % 2}`;
  const away = `h${(part + 1) % 2}`;
  const s: string[] = [];
  if (steps) {
    for (let c = 0; c * CYCLE + CYCLE < seconds; c++) {
      const at = c * CYCLE;
      const to = c % 2 === 0 ? away : home;
      s.push(
        `{ at: ${at + 1}s, action: vf-unplug, vm: vm1, mode: surprise }`,
        `{ at: ${at + 2}s, action: vf-plug, vm: vm1 }`,
        `{ at: ${at + 3}s, action: link-down, vm: vm1, dev: vf }`,
        `{ at: ${at + 3.5}s, action: link-up, vm: vm1, dev: vf }`,
        `{ at: ${at + 4}s, action: host-servicing, vm: vm1, duration: 500ms }`,
        `{ at: ${at + 6}s, action: migrate, vm: vm1, to: ${to}, downtime: 50ms, precopy: 200ms }`,
      );
    }
  }
  return `
name: soak
seed: ${part + 1}
duration: ${seconds}s
tick: 1ms
hosts: [{ name: h0, vfs: 1 }, { name: h1, vfs: 1 }]
vms: [{ name: vm1, host: ${home}, memory: 64MiB, nics: [{ name: eth0, model: ${model}, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: client, host: ${home} }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 1kpps, size: 64 }
  - { name: out, from: vm1/eth0, to: client, rate: 1kpps, size: 512 }
steps: [${s.join(', ')}]
`;
}

for (const model of ['virtio-backup', 'netvsc']) {
  for (let part = 0; part < PARTS; part++) {
    test(`${model}: ${SECONDS / 60} simulated minutes of flaps, servicing and migrations${PARTS > 1 ? ` (${part + 1}/${PARTS})` : ''}`, (t) => {
      const baseline = simulate(scenarioOf(soak(model, 20, false, part)));
      const sim = simulate(scenarioOf(soak(model, SECONDS, true, part)));
      t.deepEqual(flowBookProblems(sim.report), []);
      t.deepEqual(vfBookProblems(sim.world), []);
      t.deepEqual(migrationProblems(sim), []);
      const migrations = sim.report.migrations;
      t.is(migrations.length, Math.floor((SECONDS - 1) / CYCLE));
      t.true(migrations.every((m) => m.result === 'completed'));
      t.is(sim.report.events.filter((e) => e.kind === 'step-ignored').length, 0);
      t.is(sim.world.pool.inUse, baseline.world.pool.inUse, 'pool back to its level');
      const free = [...sim.world.hosts.values()].reduce((n, h) => n + h.freeVfs, 0);
      t.is(free, 1, 'one VF held (by the VM), one free');
      const sent = Object.values(sim.report.flows).reduce((n, f) => n + f.sent, 0);
      t.log(`${SECONDS} s simulated, ${migrations.length} migrations, ${sent} frames sent`);
    });
  }
}
