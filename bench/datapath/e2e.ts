/**
 * The end-to-end row: the simulator's own pipeline, guest -> host NIC -> virtual switch -> peer
 * sink, driven one tick at a time. A {@link World} is built from a one-VM scenario: vm1's eth0
 * is a `virtio-backup` NIC with a VF (so the guest's bypass master transmits on the VF), one peer
 * on the same host, one flow vm1/eth0 -> peer of 64-byte frames at exactly one burst per tick.
 *
 * One iteration of the harness is one `world.tick()`: timers, the host NIC takes what the guest
 * queued on the VF (`pumpVfTx`), the guests are serviced, the wires (VF wire -> switch -> peer
 * wire) deliver what is due, the peer's receiver counts each flow frame (sequence, latency,
 * timeline bucket) and frees it, and the flow generates the next burst (frames written as real
 * Ethernet/IPv4/UDP) and the guest sends it. So every tick moves one burst all the way through
 * and the harness's `burst x ticks / time` is the frames delivered per wall second (the frames
 * in flight between two ticks are a constant of the pipeline, checked by `verify`).
 *
 * The World is not part of the hypervisor package's API: it comes from the package's
 * `./internal/world` subpath, which resolves like `@bypass/hypervisor` itself, to the compiled
 * `dist` under `npm run bench` (what the other rows measure, and what users run) and to the
 * sources under `--conditions=@bypass/source` (the smoke test).
 */
import { loadScenarioText } from '@bypass/hypervisor';
import { World } from '@bypass/hypervisor/internal/world';
import type { BurstSubject, DatapathConfig } from '../definitions.js';

/** The scenario's simulation step, ns (the loader's default). */
const TICK_NS = 50_000;

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`end-to-end bench: ${what}`);
}

/**
 * The scenario text of the end-to-end row: `burst` frames of `frameLength` bytes per 50 us tick.
 * Long enough that the run never reaches its end (the harness drives the ticks itself).
 */
export function endToEndScenarioText(config: DatapathConfig): string {
  const pps = (config.burst * 1e9) / TICK_NS;
  return [
    'name: end-to-end benchmark',
    'seed: 1',
    'duration: 100000s',
    'hosts:',
    '  - { name: h1, vfs: 1 }',
    'vms:',
    '  - name: vm1',
    '    host: h1',
    '    nics:',
    '      - { name: eth0, model: virtio-backup, mac: 52:54:00:00:00:01, vf: true }',
    'peers:',
    '  - { name: sink, host: h1 }',
    'flows:',
    `  - { name: f1, from: vm1/eth0, to: sink, rate: ${pps}pps, size: ${config.frameLength} }`,
    '',
  ].join('\n');
}

/** The end-to-end subject: `run(n)` advances the world by `n` ticks of one burst each. */
export function endToEnd(config: DatapathConfig): BurstSubject {
  const scenario = loadScenarioText(endToEndScenarioText(config), 'bench-e2e.yaml');
  check(scenario.tick === TICK_NS, `scenario tick is ${scenario.tick} ns, not ${TICK_NS}`);
  const world = new World(scenario);
  world.boot();
  const nic = world.nic('vm1/eth0');
  check(nic !== undefined, 'vm1/eth0 missing');
  // The boot may end before the VF is plugged (`vf_plug_delay`) and taken over: let the world
  // run without traffic until the guest transmits on the VF (at most 5 s simulated).
  for (let i = 0; i < 100_000 && nic?.model.datapath() !== 'active'; i++) world.tick(false);
  check(nic?.model.datapath() === 'active', `the guest sends on ${nic?.model.datapath()}`);
  const flow = world.flows[0];
  check(flow !== undefined, 'flow missing');
  let ticks = 0;
  return {
    run(n: number): void {
      for (let i = 0; i < n; i++) world.tick();
      ticks += n;
    },
    verify(): void {
      if (flow === undefined) return;
      check(
        flow.sent === ticks * config.burst,
        `sent ${flow.sent}, expected ${ticks * config.burst}`,
      );
      check(flow.lost === 0, `${flow.lost} frames lost`);
      check(flow.duplicated === 0 && flow.reordered === 0, 'duplicates or reordering');
      const inFlight = world.inFlightPerFlow()[0] ?? 0;
      check(
        flow.received + inFlight === flow.sent,
        `received ${flow.received} + in flight ${inFlight} != sent ${flow.sent}`,
      );
      // The pipeline holds a few bursts at most (wires and rings between two ticks).
      check(inFlight <= 4 * config.burst, `${inFlight} frames still in flight`);
      check(nic?.model.datapath() === 'active', 'the guest left the VF');
    },
  };
}
