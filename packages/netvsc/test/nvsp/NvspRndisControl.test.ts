import test from 'ava';
import { MacAddress, PacketPool, VirtualScheduler } from '@bypass/core';
import {
  NetvspHost,
  NvspClient,
  RNDIS_MSG,
  VM_PKT,
  VMBUS_PKT_FLAG,
  VmbusChannel,
  VmbusPacket,
  type NvspConnectResult,
} from '../../src/kernel/exports.js';
import { HnControl } from '../../src/pmd/HnControl.js';

/** A client on a channel with no host behind it: what it sends stays in the host's ring. */
function unconnected(): { channel: VmbusChannel; client: NvspClient } {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 64 });
  const channel = new VmbusChannel({ scheduler, ringPages: 4 });
  return { channel, client: new NvspClient({ channel, pool, scheduler }) };
}

/** A client brought up against a NetVSP host, the bring-up run to the end. */
function connected(): {
  scheduler: VirtualScheduler;
  channel: VmbusChannel;
  client: NvspClient;
  result: NvspConnectResult;
} {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 1024 });
  const channel = new VmbusChannel({ scheduler, ringPages: 16 });
  new NetvspHost({ channel, pool, scheduler, mac: MacAddress.parse('00:15:5d:00:00:01') });
  const client = new NvspClient({ channel, pool, scheduler });
  let result: NvspConnectResult | null = null;
  client.connect({ mtu: 1500, channels: 1 }, (x) => (result = x));
  scheduler.runUntilIdle();
  if (result === null) throw new Error('the NVSP bring-up did not finish');
  return { scheduler, channel, client, result };
}

test('RNDIS control messages go with a completion requested under transaction id 0 (netvsc_send_pkt, hn_nvs_send_rndis_ctrl)', (t) => {
  const { channel, client } = unconnected();
  t.is(client.rndisSend({ kind: RNDIS_MSG.HALT, requestId: 0 }), 'ok');
  const pkt = new VmbusPacket(channel.host.rx.dataSize);
  t.true(channel.host.receive(pkt));
  t.is(pkt.type, VM_PKT.DATA_INBAND);
  t.is(pkt.flags, VMBUS_PKT_FLAG.COMPLETION_REQUESTED);
  t.is(pkt.transId, 0);
});

test("the host's completions of RNDIS control sends are expected, not unknown", (t) => {
  const { client, result } = connected();
  t.is(result.error, '');
  // RNDIS INITIALIZE, the permanent address and the media status: three control sends.
  t.is(client.stats.rndisControlCompletions, 3);
  t.is(client.stats.unknownCompletions, 0);
  t.is(client.stats.malformed, 0);
});

test('a completion under id 0 with no RNDIS control message outstanding matches nothing: unknown, not a control completion', (t) => {
  const { scheduler, channel, client } = connected();
  const before = { ...client.stats };
  // NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE (108), status success, as a stray host completion
  const bytes = new Uint8Array(40);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 108, true);
  v.setUint32(4, 1, true);
  t.is(channel.host.send(VM_PKT.COMP, 0, 0, bytes, 0, bytes.length), 'ok');
  scheduler.runUntilIdle();
  t.is(client.stats.unknownCompletions, before.unknownCompletions + 1);
  t.is(client.stats.rndisControlCompletions, before.rndisControlCompletions);
});

test("the PMD's RNDIS packet-filter SET also asks for a completion under id 0 (hn_nvs_send_rndis_ctrl)", (t) => {
  const { channel, client } = unconnected();
  t.true(new HnControl(client).setRxFilter(1));
  const pkt = new VmbusPacket(channel.host.rx.dataSize);
  t.true(channel.host.receive(pkt));
  t.is(pkt.flags, VMBUS_PKT_FLAG.COMPLETION_REQUESTED);
  t.is(pkt.transId, 0);
});

test('whenTxIdle waits for the completion of an RNDIS HALT, as rndis_filter_halt_device does', (t) => {
  const { scheduler, client } = connected();
  client.rndisSend({ kind: RNDIS_MSG.HALT, requestId: 0 });
  let idle = false;
  client.whenTxIdle(() => (idle = true));
  t.false(idle); // the host has not taken the HALT yet
  scheduler.runUntilIdle();
  t.true(idle);
  t.is(client.stats.rndisControlCompletions, 4);
});
