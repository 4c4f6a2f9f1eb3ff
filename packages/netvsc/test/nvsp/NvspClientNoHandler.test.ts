import test from 'ava';
import {
  DropReason,
  Ethernet,
  ETH_P,
  MacAddress,
  PacketPool,
  VirtualScheduler,
} from '@bypass/core';
import {
  NetvspHost,
  NvspClient,
  VmbusChannel,
  type NvspConnectResult,
} from '../../src/kernel/exports.js';

const MAC = MacAddress.parse('00:15:5d:00:00:01');

function world() {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 1024 });
  const channel = new VmbusChannel({ scheduler, ringPages: 16 });
  const host = new NetvspHost({ channel, pool, scheduler, mac: MAC });
  const client = new NvspClient({ channel, pool, scheduler });
  const drops: number[] = [];
  pool.onDrop = (_p, _pkts, _s, count, reason) => {
    for (let i = 0; i < count; i++) drops.push(reason);
  };
  let r: NvspConnectResult | null = null;
  client.connect({ mtu: 1500, channels: 1 }, (x) => (r = x));
  scheduler.runUntilIdle();
  if (r === null) throw new Error('connect did not finish');
  return { scheduler, pool, host, client, drops };
}

function frames(pool: PacketPool, n: number): Int32Array {
  const out = new Int32Array(n);
  pool.allocBurst(out, 0, n);
  for (let i = 0; i < n; i++)
    Ethernet.buildFrame(pool, out[i] as number, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
  return out;
}

test('frames the host sends while no onFrames handler is bound are dropped as rx-nohandler, not silently freed', (t) => {
  const w = world();
  const inUse = w.pool.inUse;
  w.host.deliver(frames(w.pool, 5), 0, 5);
  w.scheduler.runUntilIdle();
  t.deepEqual(w.drops, [
    DropReason.RX_NOHANDLER,
    DropReason.RX_NOHANDLER,
    DropReason.RX_NOHANDLER,
    DropReason.RX_NOHANDLER,
    DropReason.RX_NOHANDLER,
  ]);
  t.is(w.client.stats.rxNoHandler, 5);
  t.is(w.client.stats.rxFrames, 0);
  t.is(w.pool.inUse, inUse); // every copy went back to the pool
});

test('once a handler is bound the same frames are handed over and nothing is dropped', (t) => {
  const w = world();
  let got = 0;
  w.client.handlers.onFrames = (pkts, s, n) => {
    got += n;
    w.pool.freeBurst(pkts, s, n);
  };
  w.host.deliver(frames(w.pool, 5), 0, 5);
  w.scheduler.runUntilIdle();
  t.is(got, 5);
  t.deepEqual(w.drops, []);
  t.is(w.client.stats.rxFrames, 5);
  t.is(w.client.stats.rxNoHandler, 0);
});
