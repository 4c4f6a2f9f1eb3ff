import test from 'ava';
import { loadScenarioText, runScenario, type Report } from '../../src/index.js';

// hosts[].fdb_ageing and network.fdb_ageing in a run: a MAC that falls silent is forgotten one
// ageing time after its last frame (br_fdb.c), in the scenario's time although the switches
// learn and sweep on the scheduler's (the bonding guest makes the boot last 1 s), and the
// switch floods frames to it from then on.

const world = (hostAgeing: string, network: string): string => `
name: fdb ageing
duration: 3s
hosts:
  - { name: src${hostAgeing} }
  - { name: dst }
  - { name: idle }
${network}
vms:
  - name: vm1
    host: idle
    memory: 256MiB
    nics: [{ name: eth0, model: bonding, mac: '52:54:00:00:00:01' }]
peers:
  - { name: client, host: src }
  - { name: server, host: dst }
flows:
  - { name: up, from: client, to: server, rate: 10kpps }
  - { name: down, from: server, to: client, rate: 10kpps, stop: 500ms }
`;

const run = (hostAgeing: string, network: string): Report =>
  runScenario(loadScenarioText(world(hostAgeing, network), 'fdb-ageing.yaml'));

const aged = (r: Report): string[] =>
  r.events
    .filter((e) => e.kind === 'fdb-aged')
    .map((e) => `${e.at} ${e.host ?? '-'} ${e.detail ?? ''}`);

const drops = (r: Report, name: string): number => r.otherDrops[name] ?? 0;

test('defaults (300 s): nothing ages in a 3 s run, and the bond boots for 1 s first', (t) => {
  const r = run('', '');
  t.deepEqual(aged(r), []);
  t.regex(r.events.find((e) => e.kind === 'boot-complete')?.detail ?? '', /in 1000ms/);
  t.is(drops(r, 'no-port'), 1, 'the first frame only, flooded before anything was learned');
  t.true(r.ok);
});

test("hosts[].fdb_ageing: the host's bridge forgets the remote MACs that fell silent, 1 s after their last frame", (t) => {
  const r = run(', fdb_ageing: 1s', '');
  t.deepEqual(aged(r), [
    // the bond's gratuitous ARP at time 0, its only frame, reached src at 50us
    '1.00005s src 52:54:00:00:00:01 on port uplink',
    // the server's last frame (the flow stops at 500ms) reached src at 500.05ms
    '1.50005s src 02:00:00:00:00:02 on port uplink',
  ]);
  // src floods the client's frames to its uplink only: nothing else changes, nothing is lost.
  t.is(drops(r, 'no-port'), 1);
  t.is(r.flows['up']?.lost, 0);
  t.is(r.flows['up']?.received, 30_000);
});

test('network.fdb_ageing: the network switch forgets the silent server, then floods its frames to every host', (t) => {
  const r = run('', 'network: { fdb_ageing: 1s }');
  t.deepEqual(aged(r), [
    '1.00005s - network switch: 52:54:00:00:00:01 on port idle',
    '1.50005s - network switch: 02:00:00:00:00:02 on port dst',
  ]);
  // From 1.50005s the up flow's frames reach idle too, whose switch has no port for them:
  // 10kpps for the last 1.5s.
  const flooded = drops(r, 'no-port') - 1;
  t.true(Math.abs(flooded - 15_000) <= 2, `${flooded} copies`);
  t.is(r.flows['up']?.lost, 0, 'the original still goes to dst');
  t.is(r.flows['up']?.received, 30_000);
});

test('network.fdb_ageing: 0: the network switch learns nothing and floods every frame from the start', (t) => {
  const r = run('', 'network: { fdb_ageing: 0 }');
  t.deepEqual(aged(r), []);
  // Every frame of both flows (30000 + 5000) also reaches idle; idle's bridge learns both MACs
  // on its uplink and drops what it would send back there (stale-fdb), after the first one.
  t.is(drops(r, 'no-port') + drops(r, 'stale-fdb'), 35_000);
  t.is(r.flows['up']?.received, 30_000);
  t.is(r.flows['down']?.received, 5_000);
});
