import test from 'ava';
import {
  BypassRegistry,
  ETH_P,
  Ethernet,
  MacAddress,
  NetNamespace,
  PacketPool,
  VirtualScheduler,
  dropReasonName,
} from '@bypass/core';
import { NetvscDevice, NetvspHost, VmbusChannel } from '../../src/kernel/exports.js';

// netvsc.c netvsc_send_pkt / netvsc_send_tx_complete and netvsc_drv.c netvsc_xmit: every data
// packet asks for a completion and counts as sent then; a send below 10 % free ring stops the
// queue, -EAGAIN stops it too and hands the frame back to the qdisc (tx_busy), -EAGAIN with
// nothing outstanding wakes it and drops the frame (tx_no_space); completions wake it.

const MAC = MacAddress.parse('00:15:5d:00:00:01');

/**
 * Probes netvsc on `channel` with `scheduler` as its clock, lets it settle and opens it; with
 * `freeRx` what it receives is freed.
 */
function probeOpen(
  channel: VmbusChannel,
  pool: PacketPool,
  scheduler: VirtualScheduler,
  settle: () => void,
  freeRx = false,
): NetvscDevice {
  let dev: NetvscDevice | null = null;
  NetvscDevice.probe(
    {
      channel,
      pool,
      scheduler,
      registry: new BypassRegistry(),
      ns: new NetNamespace('vm'),
      name: 'eth0',
      channels: 1,
    },
    (err, d) => {
      if (err !== null) throw err;
      dev = d;
    },
  );
  settle();
  const netvsc = dev as unknown as NetvscDevice;
  if (freeRx) netvsc.bindSink((_d, pkts, s0, n) => pool.freeBurst(pkts, s0, n));
  netvsc.open();
  return netvsc;
}

/** A netvsc on one channel of `ringPages` pages, probed and up, its host paused. */
function rig(ringPages: number) {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 4096, slotSize: 8192 });
  const channel = new VmbusChannel({ scheduler, ringPages, signalLatencyNs: 20_000 });
  const host = new NetvspHost({ channel, pool, scheduler, mac: MAC });
  const drops = new Map<string, number>();
  pool.onDrop = (_p, _k, _s, count, reason) => {
    const name = dropReasonName(reason);
    drops.set(name, (drops.get(name) ?? 0) + count);
  };
  const netvsc = probeOpen(channel, pool, scheduler, () => scheduler.runUntilIdle());
  scheduler.runUntilIdle();
  host.pause();
  /** Sends `n` frames of `payload` bytes through netvsc. */
  const send = (n: number, payload: number): void => {
    const b = new Int32Array(n);
    pool.allocBurst(b, 0, n);
    for (let i = 0; i < n; i++)
      Ethernet.buildFrame(pool, b[i] as number, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, payload);
    netvsc.xmit(b, 0, n, 0);
  };
  return { scheduler, pool, host, dev: netvsc, drops, send };
}

test('a send below 10 % free ring stops the queue (stop_queue); the rest waits in the qdisc, nothing is dropped; completions wake it (wake_queue)', (t) => {
  const r = rig(32);
  for (let i = 0; i < 10; i++) r.send(64, 86);
  const written = r.dev.client.stats.txFrames;
  const e = r.dev.ethtool;
  t.is(e.stopQueue, 1);
  t.is(e.txBusy, 0, 'the LOWATER stop came before the ring was full');
  t.true(r.dev.txQueues.isStopped(0));
  t.is(r.dev.txQueues.backlog(0), 640 - written);
  t.is(r.drops.size, 0);
  t.is(r.dev.getStats64().txPackets, 0, 'nothing completed yet');
  t.is(r.dev.ethtoolStats()['tx_queue_0_packets'], 0);
  r.host.resume();
  r.scheduler.runUntilIdle();
  t.is(r.host.stats.fromGuestFrames, 640);
  t.is(r.dev.getStats64().txPackets, 640);
  t.is(r.dev.ethtoolStats()['tx_queue_0_packets'], 640);
  t.true(e.wakeQueue >= 1);
  t.is(e.wakeQueue, e.stopQueue, 'every stop was followed by a wake');
  t.false(r.dev.txQueues.isStopped(0));
  t.is(r.drops.size, 0);
});

test('-EAGAIN with sends outstanding: tx_busy, the queue stops and the frame goes back to the qdisc (NETDEV_TX_BUSY); sent after the completions', (t) => {
  const r = rig(2); // 4 KiB of ring: a 1000-byte frame takes a quarter
  r.send(4, 1000);
  const e = r.dev.ethtool;
  t.is(r.dev.client.stats.txFrames, 3);
  t.is(e.txBusy, 1);
  t.is(e.stopQueue, 1);
  t.is(r.dev.txQueues.backlog(0), 1);
  t.is(r.dev.txQueues.stats.requeues, 1);
  t.is(r.dev.client.queueSends(0), 3);
  t.is(r.drops.size, 0);
  r.host.resume();
  r.scheduler.runUntilIdle();
  t.is(r.host.stats.fromGuestFrames, 4);
  t.is(e.wakeQueue, 1);
  t.is(r.dev.getStats64().txDropped, 0);
});

test('-EAGAIN with nothing outstanding becomes -ENOSPC: the queue is woken at once and the frame dropped (tx_no_space, tx_dropped)', (t) => {
  const r = rig(2);
  r.host.resume();
  r.send(1, 5000); // larger than the whole ring
  const e = r.dev.ethtool;
  t.is(e.stopQueue, 1);
  t.is(e.wakeQueue, 1);
  t.is(e.txNoSpace, 1);
  t.is(e.txBusy, 0);
  t.is(r.dev.getStats64().txDropped, 1);
  t.deepEqual(Object.fromEntries(r.drops), { 'ring-full': 1 });
  t.false(r.dev.txQueues.isStopped(0));
  r.send(2, 100);
  r.scheduler.runUntilIdle();
  t.is(r.host.stats.fromGuestFrames, 2);
});

test('completions the host cannot write while the guest ring is full are owed, not lost: written once the guest reads', (t) => {
  const hostClock = new VirtualScheduler();
  const guestClock = new VirtualScheduler(); // holds the guest's VMBus interrupts until run
  const pool = new PacketPool({ slots: 4096, slotSize: 8192 });
  const channel = new VmbusChannel({
    scheduler: hostClock,
    guestScheduler: guestClock,
    ringPages: 2,
  });
  const host = new NetvspHost({ channel, pool, scheduler: hostClock, mac: MAC });
  const settle = (): void => {
    while (hostClock.pending > 0 || guestClock.pending > 0) {
      hostClock.runUntilIdle();
      guestClock.runUntilIdle();
    }
  };
  const netvsc = probeOpen(channel, pool, guestClock, settle, true);
  settle();
  // The guest does not read: frames from the wire fill its inbound ring.
  const b = new Int32Array(64);
  pool.allocBurst(b, 0, 64);
  for (let i = 0; i < 64; i++)
    Ethernet.buildFrame(pool, b[i] as number, MAC.value, 0x0000_5e00_0099, ETH_P.IPV4, 200);
  host.deliver(b, 0, 64);
  t.true(host.stats.toGuestDropped > 0, 'the guest ring is full');
  const frames = new Int32Array(10);
  pool.allocBurst(frames, 0, 10);
  for (let i = 0; i < 10; i++)
    Ethernet.buildFrame(pool, frames[i] as number, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
  netvsc.xmit(frames, 0, 10, 0);
  hostClock.runUntilIdle(); // the host reads them; the completions do not all fit
  t.is(host.stats.fromGuestFrames, 10);
  t.true(host.stats.completionsDeferred > 0);
  t.is(netvsc.client.queueSends(0), 10);
  settle(); // the guest reads, signals room; the host writes what it owed
  t.is(netvsc.client.queueSends(0), 0);
  t.is(netvsc.getStats64().txPackets, 10);
});
