import test from 'ava';
import { Ethernet, MacAddress, PacketPool, isBypassError } from '@bypass/core';
import { ETH_OFFLOAD } from '../../src/dpdk/exports.js';
import { NVSP_MESSAGE_SIZE } from '../../src/nvsp/NvspConstants.js';
import { isRndisDataMessage } from '../../src/nvsp/NvspMessage.js';
import { RndisPacket, RndisPacketInfo } from '../../src/rndis/RndisPacket.js';
import { VmbusPacket } from '../../src/vmbus/VmbusPacket.js';
import { PmdWorld } from './world.js';

test('TX copybreak: frames up to tx_copybreak are copied into one send-buffer section and aggregated', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  t.is(w.send(5, 200), 5);
  const s = p.pmdStats;
  t.is(s.txCopied, 5);
  t.is(s.txAggregates, 1);
  t.is(s.txDirect, 0);
  t.is(p.txSectionsBusy, 1);
  w.settle();
  t.deepEqual(
    w.hostRx.map((f) => f.seq),
    [1, 2, 3, 4, 5],
  );
  t.true(w.hostRx.every((f) => f.len === 200));
  // the completion frees the section when the application polls
  w.receive();
  t.is(p.txSectionsBusy, 0);
  t.is(p.pmdStats.txCompletions, 1);
  t.is(w.pool.inUse, 0);
});

test('TX copybreak: frames longer than tx_copybreak go as direct requests, held until completed', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  t.is(w.send(3, 600), 3);
  t.is(p.pmdStats.txDirect, 3);
  t.is(p.pmdStats.txCopied, 0);
  t.is(w.pool.inUse, 3); // the driver owns them until the host completes
  w.settle();
  t.deepEqual(
    w.hostRx.map((f) => f.seq),
    [1, 2, 3],
  );
  w.receive();
  t.is(p.pmdStats.txCompletions, 3);
  t.is(w.pool.inUse, 0);
});

test('TX copybreak 0 sends every frame as its own request; a full aggregate (8 packets) is sent at once', (t) => {
  const w = new PmdWorld();
  const p = w.up('tx_copybreak=0');
  w.send(4, 64);
  t.is(p.pmdStats.txDirect, 4);
  const w2 = new PmdWorld();
  const p2 = w2.up();
  w2.send(20, 64);
  t.is(p2.pmdStats.txCopied, 20);
  t.is(p2.pmdStats.txAggregates, 3); // 8 + 8 + 4
  w2.settle();
  t.deepEqual(
    w2.hostRx.map((f) => f.seq),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
});

test('TX: a small frame after a large one keeps order: the aggregate is flushed before a direct request', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const pkts = new Int32Array([...w.frames(2, 100), ...w.frames(1, 1000), ...w.frames(2, 100)]);
  t.is(p.txBurst(0, pkts, 0, 5), 5);
  t.is(p.pmdStats.txAggregates, 2);
  t.is(p.pmdStats.txDirect, 1);
  w.settle();
  t.deepEqual(
    w.hostRx.map((f) => f.seq),
    [1, 2, 3, 4, 5],
  );
});

test('TX: a frame larger than a send-buffer section is sent directly even with a huge tx_copybreak', (t) => {
  const w = new PmdWorld({ slotSize: 16384, slots: 256 });
  const p = w.up('tx_copybreak=100000');
  w.send(1, 9000);
  w.send(1, 1500);
  t.is(p.pmdStats.txDirect, 1);
  t.is(p.pmdStats.txCopied, 1);
});

test('TX: no length rule (hn_xmit_pkts has none): short frames and frames over 64 KiB are sent', (t) => {
  const w = new PmdWorld({ slotSize: 70_000, slots: 64 });
  const p = w.up();
  const pkts = new Int32Array([
    ...w.frames(1, 100),
    ...w.frames(1, 42), // an ARP request, unpadded
    ...w.frames(1, 60),
    ...w.frames(1, 65537),
    ...w.frames(1, 65536),
    ...w.frames(1, 64),
  ]);
  t.is(p.txBurst(0, pkts, 0, 6), 6);
  t.is(p.pmdStats.txBadSize, 0);
  t.is(w.drops.size, 0);
  t.is(p.pmdStats.txDirect, 2); // the two large ones, past tx_copybreak
  w.settle();
  t.deepEqual(
    w.hostRx.map((f) => f.len),
    [100, 42, 60, 65537, 65536, 64],
  );
  w.receive(); // the poll reads the host's send completions: TX is counted then
  const st = p.statsGet();
  t.is(st.opackets, 6);
  t.is(st.oerrors, 0);
});

test('TX: a direct request the VMBus ring could never hold is taken and dropped, not left blocking', (t) => {
  // 64 ring pages hold about 252 KiB; the model's direct request carries the bytes inline
  const w = new PmdWorld({ slotSize: 300_000, slots: 8 });
  const p = w.up();
  const pkts = new Int32Array([...w.frames(1, 100), ...w.frames(1, 260_000), ...w.frames(1, 100)]);
  t.is(p.txBurst(0, pkts, 0, 3), 3);
  t.is(p.pmdStats.txBadSize, 1);
  t.is(w.drops.get('mtu-exceeded'), 1);
  w.settle();
  t.deepEqual(
    w.hostRx.map((f) => f.len),
    [100, 100],
  );
  w.receive(); // the send completions
  const st = p.statsGet();
  t.is(st.opackets, 2);
  t.is(st.oerrors, 1);
});

test('TX: an in-band 802.1Q tag is moved into the per-packet info', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const pkts = w.frames(1, 200);
  Ethernet.insertVlan(w.pool, pkts[0] as number, 0x2064);
  t.is(p.txBurst(0, pkts, 0, 1), 1);
  w.settle();
  t.is(w.hostRx[0]?.tci, 0x2064);
  t.is(w.hostRx[0]?.len, 200);
});

test('TX: every RNDIS packet carries the queue index as an NBL_HASH_VALUE per-packet info first (hn_encap)', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const pkts = w.frames(1, 600); // over tx_copybreak: a direct request, one RNDIS packet
  Ethernet.insertVlan(w.pool, pkts[0] as number, 0x2064);
  t.is(p.txBurst(0, pkts, 0, 1), 1);
  const pkt = new VmbusPacket(w.channel.host.rx.dataSize);
  // read before the host model does; skip what else is waiting (control messages)
  while (w.channel.host.receive(pkt) && !isRndisDataMessage(pkt.data, pkt.length));
  t.true(isRndisDataMessage(pkt.data, pkt.length));
  const info = new RndisPacketInfo();
  t.true(RndisPacket.parse(pkt.data, NVSP_MESSAGE_SIZE, pkt.length - NVSP_MESSAGE_SIZE, info));
  t.is(info.hashValue, 0);
  t.is(info.vlanTci, 0x2064);
  const v = pkt.view;
  const r = NVSP_MESSAGE_SIZE;
  t.is(v.getUint32(r + 8, true), 36 + 32); // data_offset: after both elements
  t.is(v.getUint32(r + 28, true), 36); // per_pkt_info_offset
  t.is(v.getUint32(r + 32, true), 32); // per_pkt_info_len
  t.is(v.getUint32(r + 48, true), 8); // NBL_HASH_VALUE (NDIS_PKTINFO_TYPE_HASHVAL) first
  t.is(v.getUint32(r + 64, true), 6); // then IEEE_8021Q_INFO
});

test('TX: a full VMBus ring ends the burst; the caller keeps the rest (DPDK ownership)', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.host.pause();
  let taken = 0;
  for (let i = 0; i < 100; i++) taken += w.send(64, 1400);
  t.true(taken < 6400);
  t.true(p.pmdStats.txChannelFull > 0);
  // hn_nvs_send_completed: TX is counted when the host completes a request, none has yet
  t.is(p.statsGet().opackets, 0);
  w.host.resume();
  w.settle();
  t.is(w.hostRx.length, taken);
  w.receive();
  t.is(p.statsGet().opackets, taken);
});

test('RX: frames are copied by default (rx_extmbuf_enable 0); without VLAN_STRIP the tag is put back in the frame', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  t.is(p.devConf.rxOffloads, 0);
  w.deliver(3, 1000, 0x0123);
  w.settle();
  const hs = w.receive();
  t.is(hs.length, 3);
  for (const h of hs) {
    const o = w.pool.start[h]!;
    t.is(w.pool.length[h], 1004);
    t.is(w.pool.view.getUint16(o + 12), 0x8100);
    t.is(w.pool.view.getUint16(o + 14), 0x0123);
    t.is(w.pool.flags[h]! & PacketPool.F_VLAN, 0);
    t.is(w.pool.port[h], p.portId);
  }
  t.is(p.pmdStats.rxCopied, 3);
  t.is(p.pmdStats.rxExtbuf, 0);
  t.is(p.statsGet().ibytes, 3 * 1004); // hn_rxpkt counts pkt_len after the insert
  w.pool.freeBurst(Int32Array.from(hs), 0, hs.length);
});

test('RX: configured with VLAN_STRIP the tag stays in the tci; an offload the port cannot do is refused', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  const e = t.throws(() => p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_FILTER }));
  t.true(isBypassError(e, 'ERR_INVALID_ARGUMENT'));
  t.regex(e.message, /does not support Rx offloads 0x2/);
  p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_STRIP });
  p.start();
  t.is(p.devConf.rxOffloads, ETH_OFFLOAD.VLAN_STRIP);
  w.deliver(2, 1000, 0x0123);
  w.settle();
  const hs = w.receive();
  t.is(hs.length, 2);
  for (const h of hs) {
    t.is(w.pool.length[h], 1000);
    t.is(w.pool.vlanTci[h], 0x0123);
    t.true((w.pool.flags[h]! & PacketPool.F_VLAN) !== 0);
  }
  w.pool.freeBurst(Int32Array.from(hs), 0, hs.length);
});

test('RX: without VLAN_STRIP a tagged frame handed over as an external buffer is an error (rte_vlan_insert refuses it)', (t) => {
  const w = new PmdWorld();
  const p = w.up('rx_extmbuf_enable=1,rx_copybreak=256');
  w.deliver(1, 300, 0x0005); // external buffer: dropped
  w.deliver(1, 200, 0x0005); // copied: the tag goes back in
  w.deliver(1, 300); // untagged external buffer: delivered
  w.settle();
  const hs = w.receive();
  t.deepEqual(
    hs.map((h) => w.pool.length[h]),
    [204, 300],
  );
  t.is(p.pmdStats.rxErrors, 1);
  t.is(w.drops.get('malformed'), 1);
  const st = p.statsGet();
  t.is(st.ierrors, 1);
  t.is(st.ipackets, 2);
  w.pool.freeBurst(Int32Array.from(hs), 0, hs.length);
});

test('RX extbuf: only when enabled, longer than rx_copybreak and fewer than half the sections lent', (t) => {
  const w = new PmdWorld();
  const p = w.up('rx_extmbuf_enable=1,rx_copybreak=256', { rxSections: 8 });
  w.deliver(2, 200); // not longer than rx_copybreak: copied
  w.deliver(6, 300); // 4 lent (half of 8), then copied
  w.settle();
  const hs = w.receive();
  t.is(hs.length, 8);
  t.is(p.pmdStats.rxCopied, 4);
  t.is(p.pmdStats.rxExtbuf, 4);
  t.is(p.rxSectionsLent(0), 4);
  // the application frees them: the sections come back and the next large frame is lent again
  w.pool.freeBurst(Int32Array.from(hs), 0, hs.length);
  t.is(p.rxSectionsLent(0), 0);
  w.deliver(1, 300);
  w.settle();
  const more = w.receive();
  t.is(p.pmdStats.rxExtbuf, 5);
  w.pool.freeBurst(Int32Array.from(more), 0, more.length);
});

test('RX: nothing is read without a poll (no interrupts)', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.deliver(2);
  w.advanceMs(100);
  t.is(p.statsGet().ipackets, 0);
  t.is(w.receive().length, 2);
  t.is(p.statsGet().ipackets, 2);
});

test('one MAC: from the host; changing or adding MACs is refused', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  t.is(p.macAddr.toString(), '00:15:5d:00:00:01');
  t.is(p.devInfo().maxMacAddrs, 1);
  t.throws(() => p.setDefaultMacAddr(MacAddress.parse('02:00:00:00:00:01')), {
    message: /does not support/,
  });
  // hn_eth_dev_ops has no mac_addr_add: -ENOTSUP before the address is looked at
  t.throws(() => p.macAddrAdd(MacAddress.parse('02:00:00:00:00:02')), {
    code: 'ERR_NOT_SUPPORTED',
    message: /net_netvsc cannot add MAC addresses.*setPromiscuous\(true\)/,
  });
  t.throws(() => p.macAddrAdd(MacAddress.ZERO), { code: 'ERR_NOT_SUPPORTED' });
  t.deepEqual(p.extraMacAddrs, []);
  // nor mac_addr_remove: -ENOTSUP before the address is looked up, the default one included
  t.throws(() => p.macAddrRemove(MacAddress.parse('02:00:00:00:00:02')), {
    code: 'ERR_NOT_SUPPORTED',
    message: /net_netvsc cannot remove MAC addresses/,
  });
  t.throws(() => p.macAddrRemove(p.macAddr), { code: 'ERR_NOT_SUPPORTED' });
});

test('MTU range: hn_dev_info_get states none, so ethdev defaults apply (46..65535) and the 16128-byte frame limit decides', (t) => {
  const w = new PmdWorld();
  const p = w.probe();
  const info = p.devInfo();
  t.deepEqual([info.minMtu, info.maxMtu, info.maxRxPktLen], [46, 65535, 0x3f00]);
  p.configure(1, 1);
  t.is(p.mtu, 1500);
  p.setMtu(9216);
  t.is(p.mtu, 9216);
  p.setMtu(16110); // + 18 bytes of header and CRC: 16128
  t.is(p.mtu, 16110);
  t.throws(() => p.setMtu(16111), {
    code: 'ERR_MTU_RANGE',
    message: /Frame size \(16129\) > device max frame size \(16128\)/,
  });
  p.setMtu(46);
  t.is(p.mtu, 46);
  t.throws(() => p.setMtu(45), { code: 'ERR_MTU_RANGE', message: /min MTU \(46\)/ });
  w.settle();
  t.is(w.host.guestMtu, 46);
});

test('stats: the 8 basic counters and stats reset', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.send(4, 100);
  w.deliver(3, 200);
  w.settle();
  w.receiveSeqs();
  const s = p.statsGet();
  t.is(s.opackets, 4);
  t.is(s.obytes, 400);
  t.is(s.ipackets, 3);
  t.is(s.ibytes, 600);
  p.statsReset();
  t.deepEqual(Object.values(p.statsGet()), [0, 0, 0, 0, 0, 0, 0, 0]);
  t.is(p.pmdStats.txCopied, 0);
});

test('stop: frames received while stopped are dropped and counted, not delivered at restart', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  w.deliver(2);
  w.settle();
  p.stop();
  t.is(p.pmdStats.rxStopped, 2);
  p.start();
  t.is(w.receive().length, 0);
});

test('frames the host sends during the bring-up are dropped and counted, never silently lost', (t) => {
  const w = new PmdWorld();
  w.host.events.once('guest-ready', () => w.deliver(2));
  const p = w.probe();
  t.is(p.pmdStats.rxStopped, 2);
  t.is(w.drops.get('dev-down'), 2);
  t.is(w.pool.inUse, 0);
});
