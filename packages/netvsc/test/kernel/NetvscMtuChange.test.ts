import test from 'ava';
import { ETH_P, Ethernet, MacAddress, isBypassError, type NetdevEvent } from '@bypass/core';
import {
  NDIS_PACKET_TYPE,
  NETVSC_TX_QUEUE_LEN,
  RNDIS_STATUS,
  rndisRxFilter,
} from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

// netvsc_drv.c netvsc_change_mtu: VF first, then netvsc_detach and netvsc_attach over a closed and
// reopened VMBus channel; TX waits in the stopped queues, nothing is lost.

const DEFAULT_FILTER =
  NDIS_PACKET_TYPE.BROADCAST | NDIS_PACKET_TYPE.ALL_MULTICAST | NDIS_PACKET_TYPE.DIRECTED;

/** Carrier changes of `name` seen in `w.ns`, as 'on' / 'off'. */
function carrierLog(w: World, name: string): string[] {
  const out: string[] = [];
  w.ns.events$.subscribe((e: NetdevEvent) => {
    if (e.type === 'change' && e.detail === 'carrier' && e.dev.name === name)
      out.push(e.dev.carrier ? 'on' : 'off');
  });
  return out;
}

test('an MTU change closes the channel (filter 0, HALT, both buffers revoked) and connects again with the new MTU', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  const carrier = carrierLog(w, 'eth0');
  const states: string[] = [];
  dev.events.on('reattach', (s, mtu) => states.push(`${s} ${mtu}`));
  dev.setMtu(9000);
  t.is(dev.mtu, 9000);
  t.is(dev.nvdevState, 'changing');
  t.true(dev.txQueues.isStopped(0), 'netvsc_tx_disable stops the queues at once');
  w.scheduler.runUntilIdle();
  t.is(dev.nvdevState, 'attached');
  t.deepEqual(states, ['detached 9000', 'attached 9000']);
  const h = w.host.stats;
  t.is(h.guestCloses, 1);
  t.is(h.rndisHalts, 1);
  t.is(h.bufferRevokes, 2);
  t.is(w.host.guestMtu, 9000);
  t.is(w.host.packetFilter, DEFAULT_FILTER);
  t.is(dev.channels, 16);
  t.is(w.channel.subchannels.length, 15, 'the subchannels were requested again');
  t.deepEqual(carrier, ['off', 'on'], 'carrier off in netvsc_attach, on once the filter is set');
  t.false(dev.txQueues.isStopped(0));
  t.true(dev.client.open);
});

test('frames sent during the change wait in the stopped queue and go out in order once attached', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  // The host copies frames into new slots: each frame carries its number in its last byte.
  const got: number[] = [];
  w.host.onGuestFrames = (pkts, s, n) => {
    for (let i = s; i < s + n; i++) {
      const h = pkts[i] as number;
      got.push(
        w.pool.bytes[(w.pool.start[h] as number) + (w.pool.length[h] as number) - 1] as number,
      );
    }
    w.pool.freeBurst(pkts, s, n);
  };
  const sendNumbered = (from: number, n: number): void => {
    const b = new Int32Array(n);
    w.pool.allocBurst(b, 0, n);
    for (let i = 0; i < n; i++) {
      const h = b[i] as number;
      Ethernet.buildFrame(w.pool, h, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, 86);
      w.pool.bytes[(w.pool.start[h] as number) + (w.pool.length[h] as number) - 1] = from + i;
    }
    dev.xmit(b, 0, n, 0);
  };
  dev.setMtu(4000);
  sendNumbered(1, 5);
  w.run(0.05);
  sendNumbered(6, 5);
  t.is(dev.txQueues.backlog(0), 10);
  t.is(got.length, 0, 'nothing reaches the host while detached');
  w.scheduler.runUntilIdle();
  t.deepEqual(
    got,
    Array.from({ length: 10 }, (_, i) => 1 + i),
  );
  t.deepEqual(w.takeDrops(), {});
  t.is(dev.getStats64().txDropped, 0);
  t.is(dev.txQueues.stats.dropped, 0);
});

test('the stopped queue holds tx_queue_len frames; the rest are dropped as qdisc-drop, not in tx_dropped', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  dev.setMtu(4000);
  for (let i = 0; i < 11; i++) w.send(100);
  t.is(dev.txQueues.backlog(0), NETVSC_TX_QUEUE_LEN);
  t.deepEqual(w.takeDrops(), { 'qdisc-drop': 100 });
  t.is(dev.txQueues.stats.dropped, 100);
  t.is(dev.getStats64().txDropped, 0);
  w.scheduler.runUntilIdle();
  t.is(w.synthetic, NETVSC_TX_QUEUE_LEN, 'all of the backlog goes out once attached');
  t.deepEqual(w.takeDrops(), {});
});

test('with TX on the VF: VF frames wait too (netvsc_xmit is behind the stopped queue); the datapath stays on the VF without a new switch', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const vf = w.vf!;
  const switches = w.host.stats.switchRequests;
  dev.setMtu(9000);
  t.is(vf.mtu, 9000, 'the VF first');
  w.send(8);
  t.is(w.drainVf(), 0, 'nothing on the VF while netvsc is detached');
  w.fromWire(3); // unicast: the host keeps sending it to the VF
  t.is(w.received.length, 3, 'VF RX goes on (netvsc_vf_handle_frame does not look at nvdev)');
  w.scheduler.runUntilIdle();
  t.is(w.drainVf(), 8);
  t.true(dev.datapath.dataPathIsVf);
  t.true(dev.txOnVf);
  t.is(w.host.dataPath, 'vf');
  t.is(w.host.stats.switchRequests, switches, 'netvsc_attach sends no SWITCH_DATA_PATH');
  t.true(w.log.includes('eth0: VF slot 1 added'), 'the host tells the reconnected guest of its VF');
  t.deepEqual(w.takeDrops(), {});
});

test('synthetic RX has a gap: a broadcast after the filter went to 0 is dropped by the host (dev-down)', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const bcast = 0xffff_ffff_ffff;
  const before = w.received.length;
  dev.setMtu(9000);
  w.run(0.03); // the host has read the SET of filter 0
  t.is(w.host.packetFilter, 0);
  w.fromWireTo([bcast]);
  t.is(w.host.stats.toGuestFiltered, 1);
  w.scheduler.runUntilIdle();
  t.is(dev.nvdevState, 'attached');
  w.fromWireTo([bcast]);
  w.scheduler.runUntilIdle();
  t.is(w.received.length, before + 1, 'after the attach broadcast arrives again');
  t.deepEqual(w.takeDrops(), { 'dev-down': 1 });
});

test('a link indication handled during the change waits one LINKCHANGE_INT (rtnl_trylock fails in netvsc_link_change)', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  dev.setMtu(4000);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT); // read by the guest before the close
  w.run(5);
  t.is(dev.nvdevState, 'attached');
  t.is(dev.link.processed, 0);
  t.is(dev.link.pending, 1);
  t.false(dev.carrier, 'the new RNDIS device queried the link: down, so no carrier on');
  w.run(2000);
  t.is(dev.link.processed, 1);
  t.is(dev.link.pending, 0);
});

test('a second change while one is in progress is refused with ERR_BUSY; the first completes', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  dev.setMtu(4000);
  t.true(
    isBypassError(
      t.throws(() => dev.setMtu(9000)),
      'ERR_BUSY',
    ),
  );
  const mac = MacAddress.parse('00:15:5d:00:00:77');
  t.true(
    isBypassError(
      t.throws(() => dev.setMacAddress(mac)),
      'ERR_BUSY',
    ),
  );
  t.true(dev.devAddr.equals(MAC));
  w.scheduler.runUntilIdle();
  t.is(dev.mtu, 4000);
  t.is(w.host.guestMtu, 4000);
});

test('an attach the host refuses is retried with the old MTU; the VF MTU is set back', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const mtus: number[] = [];
  w.ns.events$.subscribe((e) => {
    if (e.type === 'changemtu' && e.dev === dev) mtus.push(dev.mtu);
  });
  const states: string[] = [];
  dev.events.on('reattach', (s, mtu) => states.push(`${s} ${mtu}`));
  w.host.refuseConnects = 1;
  dev.setMtu(9000);
  w.scheduler.runUntilIdle();
  t.deepEqual(mtus, [9000, 1500]);
  t.is(dev.mtu, 1500);
  t.is(w.vf!.mtu, 1500);
  t.is(dev.nvdevState, 'attached');
  t.is(w.host.guestMtu, 1500);
  t.deepEqual(states, ['detached 9000', 'failed 1500']);
  t.false(w.log.includes('eth0: restoring mtu failed'));
  t.true(dev.txOnVf);
});

test('when the restore fails too, netvsc has no VMBus device: "restoring mtu failed", TX waits, changes fail with ERR_NO_DEVICE', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  w.host.refuseConnects = 2;
  dev.setMtu(9000);
  w.scheduler.runUntilIdle();
  t.true(w.log.includes('eth0: restoring mtu failed'));
  t.is(dev.nvdevState, 'detached');
  t.is(dev.mtu, 1500);
  t.false(dev.client.open);
  w.send(3);
  t.is(dev.txQueues.backlog(0), 3);
  t.true(
    isBypassError(
      t.throws(() => dev.setMtu(4000)),
      'ERR_NO_DEVICE',
    ),
  );
  dev.remove();
  t.deepEqual(w.takeDrops(), { 'no-device': 3 });
});

test('an MTU change on a netvsc that is down reopens the channel, sets no filter and leaves the carrier off until it opens', (t) => {
  const w = new World();
  const dev = w.probe({}, false);
  w.scheduler.runUntilIdle();
  dev.setMtu(4000);
  w.scheduler.runUntilIdle();
  t.is(w.host.guestMtu, 4000);
  t.is(w.host.packetFilter, 0);
  t.false(dev.carrier);
  dev.open();
  w.scheduler.runUntilIdle();
  t.true(dev.carrier);
  t.is(w.host.packetFilter, rndisRxFilter(dev.flags, dev.mc.size));
});

test('a rescind during the change removes the device; no timer and no frame are left behind', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  dev.setMtu(9000);
  w.send(4);
  w.host.revoke();
  w.scheduler.runUntilIdle();
  t.false(dev.registered);
  t.is(w.scheduler.pending, 0);
  t.is(dev.txQueues.totalBacklog, 0);
  t.deepEqual(w.takeDrops(), { 'no-device': 4 });
  t.false(w.log.some((l) => l.includes('Data path failed')));
});
