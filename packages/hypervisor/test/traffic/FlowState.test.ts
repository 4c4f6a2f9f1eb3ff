import test from 'ava';
import { PacketPool } from '@bypass/core';
import { loadScenarioText } from '../../src/scenario/ScenarioLoader.js';
import { FlowAddress } from '../../src/traffic/FlowFrameAddress.js';
import { FlowFrameWriter } from '../../src/traffic/FlowFrameWriter.js';
import { FlowState } from '../../src/traffic/FlowState.js';

const SCENARIO = `
name: one flow
duration: 1s
hosts: [{ name: h1, vfs: 1 }]
peers: [{ name: a, host: h1 }, { name: b, host: h1 }]
flows: [{ name: f1, from: a, to: b, rate: 1kpps, size: 64 }]
`;

function setup(): { pool: PacketPool; flow: () => FlowState; writer: FlowFrameWriter } {
  const scenario = loadScenarioText(SCENARIO, 'one-flow.yaml');
  const spec = scenario.flows[0];
  if (spec === undefined) throw new Error('no flow');
  const pool = new PacketPool({ slots: 64 });
  const writer = new FlowFrameWriter({
    flow: 0,
    size: 64,
    cast: 'unicast',
    srcMac: 0x0200_0000_0001,
    dstMac: 0x0200_0000_0002,
    srcIp: FlowAddress.endpointIpv4(0),
    dstIp: FlowAddress.endpointIpv4(1),
  });
  return { pool, writer, flow: () => new FlowState(0, spec, writer, pool, 1_000_000, 1000) };
}

test('receive frame by frame and receiveRun over the burst count the same', (t) => {
  const { pool, writer, flow } = setup();
  // sequence 0 1 3 2 3 (a reordering and a duplicate), sent at 1 ms, plus a frame that is not
  // a flow frame (its header does not check), all arriving at 1.25 ms
  const seqs = [0, 1, 3, 2, 3];
  const pkts = new Int32Array(seqs.length + 1);
  seqs.forEach((s, i) => {
    const h = pool.alloc();
    writer.write(pool, h, s, 1_000_000);
    pkts[i] = h;
  });
  const junk = pool.alloc();
  pool.setLength(junk, 64);
  pkts[seqs.length] = junk;
  const one = flow();
  for (const h of pkts) one.receive(h, 1_250_000);
  const run = flow();
  run.receiveRun(pkts, 0, pkts.length, 1_250_000);
  for (const f of [one, run]) {
    t.is(f.received, 5);
    t.is(f.duplicated, 1);
    t.is(f.reordered, 1);
    t.is(f.uniqueReceived, 4);
    t.is(f.latencyMin, 250_000);
    t.is(f.latencyMax, 250_000);
    t.is(f.latencySum, 4 * 250_000);
    t.is(f.perBucket[1], 4);
  }
  t.is(one.longestGapNs, run.longestGapNs);
});
