import test from 'ava';
import { Ethernet, ETH_P, MacAddress, PacketPool, VirtualScheduler, NS_PER_MS } from '@bypass/core';
import {
  NVSP_CAP,
  NVSP_DATAPATH,
  NVSP_MESSAGE_SIZE,
  NVSP_MSG,
  NVSP_STATUS,
  NVSP_VERSION,
  NetvspHost,
  NvspClient,
  RNDIS_STATUS,
  VM_PKT,
  VMBUS_PKT_FLAG,
  VmbusChannel,
  VmbusPacket,
  encodeNvsp,
  type NvspConnectResult,
  type VmbusEndpoint,
} from '../../src/kernel/exports.js';

const MAC = MacAddress.parse('00:15:5d:00:00:01');

function world(versions?: readonly number[]) {
  const scheduler = new VirtualScheduler();
  const pool = new PacketPool({ slots: 4096 });
  const channel = new VmbusChannel({ scheduler, ringPages: 16 });
  const host = new NetvspHost(
    versions === undefined
      ? { channel, pool, scheduler, mac: MAC }
      : { channel, pool, scheduler, mac: MAC, versions },
  );
  const client = new NvspClient({ channel, pool, scheduler });
  return { scheduler, pool, channel, host, client };
}

function connect(w: ReturnType<typeof world>, channels = 16): NvspConnectResult {
  let r: NvspConnectResult | null = null;
  w.client.connect({ mtu: 1500, channels }, (x) => (r = x));
  w.scheduler.runUntilIdle();
  if (r === null) throw new Error('connect did not finish');
  return r;
}

function frames(pool: PacketPool, n: number, len = 100): Int32Array {
  const out = new Int32Array(n);
  pool.allocBurst(out, 0, n);
  for (let i = 0; i < n; i++) {
    const h = out[i] as number;
    Ethernet.buildFrame(pool, h, 0x0000_5e00_0053, MAC.value, ETH_P.IPV4, len - 14);
    pool.mark[h] = i;
    pool.bytes[(pool.start[h] as number) + 20] = i;
  }
  return out;
}

test('the guest negotiates NVSP 6.1 with a current host and gets 16 channels by default', (t) => {
  const w = world();
  const r = connect(w);
  t.is(r.error, '');
  t.is(r.version, NVSP_VERSION.V61);
  t.is(r.mac, MAC.value);
  t.true(r.linkUp);
  t.is(r.channels, 16);
  t.is(r.sendSectionSize, 6144);
  t.is(w.host.version, NVSP_VERSION.V61);
  t.is(w.host.guestMtu, 1500);
  t.is(
    w.host.guestCapabilities,
    NVSP_CAP.IEEE8021Q | NVSP_CAP.SRIOV | NVSP_CAP.TEAMING | NVSP_CAP.RSC,
  );
  t.is(w.host.channels, 16);
});

test('version negotiation walks down to what an older host accepts; NVSP 4 has no subchannels', (t) => {
  const w = world([NVSP_VERSION.V4, NVSP_VERSION.V2]);
  const r = connect(w);
  t.is(r.version, NVSP_VERSION.V4);
  t.is(r.channels, 1);
  t.is(w.host.guestCapabilities, NVSP_CAP.IEEE8021Q);
});

test('a host that accepts no version fails the connect with a reason', (t) => {
  const w = world([0x12345]);
  t.is(connect(w).error, 'the host accepted no NVSP version');
});

test('the host grants at most its channel limit (64 in all)', (t) => {
  const w = world();
  t.is(connect(w, 200).channels, 64);
});

test('frames cross the synthetic path both ways, with their bytes and VLAN tags', (t) => {
  const w = world();
  connect(w, 4);
  const got: number[] = [];
  w.host.onGuestFrames = (pkts, s, n) => {
    for (let i = s; i < s + n; i++)
      got.push(w.pool.bytes[(w.pool.start[pkts[i] as number] as number) + 20] as number);
    w.pool.freeBurst(pkts, s, n);
  };
  const tx = frames(w.pool, 10);
  t.is(w.client.sendFrames(tx, 0, 10, 2), 10);
  w.pool.freeBurst(tx, 0, 10);
  w.scheduler.runUntilIdle();
  t.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.is(w.host.stats.fromGuestFrames, 10);
  const rxTci: number[] = [];
  w.client.handlers.onFrames = (pkts, s, n, q) => {
    for (let i = s; i < s + n; i++) {
      const h = pkts[i] as number;
      rxTci.push(w.pool.vlanTci[h] as number, q, w.pool.length[h] as number);
    }
    w.pool.freeBurst(pkts, s, n);
  };
  const rx = frames(w.pool, 1, 80);
  w.pool.vlanTci[rx[0] as number] = 42;
  w.pool.flags[rx[0] as number] = PacketPool.F_VLAN;
  t.is(w.host.deliver(rx, 0, 1, 1), 1);
  w.scheduler.runUntilIdle();
  t.deepEqual(rxTci, [42, 1, 80]);
  t.is(w.pool.inUse, 0);
});

test('host RX goes to the VF only after the guest switched, and back after it switched back', (t) => {
  const w = world();
  connect(w, 1);
  let toVf = 0;
  w.host.vfSink = (pkts, s, n) => {
    toVf += n;
    w.pool.freeBurst(pkts, s, n);
  };
  w.host.deliver(frames(w.pool, 3), 0, 3);
  t.is(toVf, 0);
  const results: string[] = [];
  w.client.switchDataPath(true, (r) => results.push(r));
  w.scheduler.runUntilIdle();
  t.is(w.host.dataPath, 'vf');
  w.host.deliver(frames(w.pool, 3), 0, 3);
  t.is(toVf, 3);
  w.client.switchDataPath(false, (r) => results.push(r));
  w.scheduler.runUntilIdle();
  t.deepEqual(results, ['ok', 'ok']);
  t.is(w.host.dataPath, 'synthetic');
  t.is(w.host.stats.switchRequests, 2);
});

test('the host completes SWITCH_DATA_PATH with an empty completion carrying the request id (netvsc.c netvsc_send_completion)', (t) => {
  const w = world();
  connect(w, 1);
  const ep = w.channel.guest;
  const pkt = new VmbusPacket(ep.rx.dataSize);
  const seen: number[][] = [];
  ep.onSignal = () => {
    while (ep.receive(pkt)) seen.push([pkt.type, pkt.transId, pkt.length]);
  };
  const msg = new Uint8Array(NVSP_MESSAGE_SIZE);
  encodeNvsp({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: NVSP_DATAPATH.VF }, msg, 0);
  ep.send(VM_PKT.DATA_INBAND, VMBUS_PKT_FLAG.COMPLETION_REQUESTED, 77, msg, 0, NVSP_MESSAGE_SIZE);
  w.scheduler.runUntilIdle();
  t.deepEqual(seen, [[VM_PKT.COMP, 77, 0]]);
  t.is(w.host.dataPath, 'vf');
});

test('a switch completion with a payload is not recognised (Linux keeps waiting): counted, the switch times out', (t) => {
  const w = world();
  connect(w, 1);
  // A host completing the switch the way this simulator once did: an NVSP 129 echo.
  const h = w.host as unknown as { completeSwitch(ep: VmbusEndpoint, id: number): void };
  h.completeSwitch = (ep, id) => {
    const m = new Uint8Array(NVSP_MESSAGE_SIZE);
    encodeNvsp({ type: NVSP_MSG.SWITCH_DATA_PATH, datapath: NVSP_DATAPATH.VF }, m, 0);
    ep.send(VM_PKT.COMP, 0, id, m, 0, NVSP_MESSAGE_SIZE);
  };
  let r = '';
  w.client.switchDataPath(true, (x) => (r = x));
  w.scheduler.advanceBy(500 * NS_PER_MS);
  t.is(r, '');
  t.is(w.client.stats.malformed, 1);
  w.scheduler.runUntilIdle();
  t.is(r, 'timeout');
  t.is(w.client.stats.malformed, 3);
  t.is(w.client.stats.switchTimeouts, 3);
});

test('a refusing host neither applies nor completes a switch to the VF; the guest gives up after 3 sends', (t) => {
  const w = world();
  connect(w, 1);
  w.host.switchPolicy = 'refuse';
  let r = '';
  w.client.switchDataPath(true, (x) => (r = x));
  w.scheduler.runUntilIdle();
  t.is(r, 'timeout');
  t.is(w.host.stats.switchRequests, 3);
  t.is(w.host.dataPath, 'synthetic');
  w.client.switchDataPath(false, (x) => (r = x)); // a switch to synthetic is always completed
  w.scheduler.runUntilIdle();
  t.is(r, 'ok');
});

test('a busy host (its ring full) makes the switch retry 5-10 ms apart until it reads again', (t) => {
  const w = world();
  connect(w, 1);
  w.host.pause();
  let posted = 0;
  while (w.client.post({ type: NVSP_MSG.SEND_NDIS_VER, ndisMajor: 6, ndisMinor: 30 }) === 'ok')
    posted++;
  t.true(posted > 100);
  let r = '';
  w.client.switchDataPath(true, (x) => (r = x));
  w.scheduler.advanceBy(50 * NS_PER_MS);
  t.is(r, '');
  t.true(w.client.stats.switchRetries >= 5 && w.client.stats.switchRetries <= 10);
  w.host.resume();
  w.scheduler.advanceBy(20 * NS_PER_MS);
  t.is(r, 'ok');
});

test('VF association and link indications reach the guest; a revoke closes pending requests', (t) => {
  const w = world();
  connect(w, 1);
  const seen: string[] = [];
  w.client.handlers.onVfAssociation = (a, s) => seen.push(`vf ${a} ${s}`);
  w.client.handlers.onStatus = (st) => seen.push(`status ${st.toString(16)}`);
  w.client.handlers.onRescind = () => seen.push('rescind');
  w.host.sendVfAssociation(true, 7);
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_DISCONNECT);
  w.scheduler.runUntilIdle();
  t.is(w.client.vfSerial, 7);
  let r = '';
  w.host.pause();
  w.client.switchDataPath(true, (x) => (r = x));
  w.host.revoke();
  t.is(r, 'closed');
  t.deepEqual(seen, ['vf true 7', 'status 4001000c', 'rescind']);
});

test('a malformed message from the guest is counted by the host, not acted on', (t) => {
  const w = world();
  connect(w, 1);
  const reasons: string[] = [];
  w.host.events.on('malformed', (why) => reasons.push(why));
  const bad = Uint8Array.of(NVSP_MSG.INIT, 0, 0, 0); // no version fields (8 bytes with padding)
  w.channel.guest.send(VM_PKT.DATA_INBAND, 1, 99, bad, 0, 4);
  w.scheduler.runUntilIdle();
  t.is(w.host.stats.malformed, 1);
  t.regex(reasons[0] ?? '', /needs 12 bytes/);
  t.is(w.host.dataPath, 'synthetic');
  void NVSP_STATUS;
});

test('a malformed or unexpected message from the host is counted by the guest, not trusted', (t) => {
  const w = world();
  connect(w, 1);
  const short = Uint8Array.of(NVSP_MSG.SEND_VF_ASSOCIATION, 0, 0, 0, 1, 0, 0, 0);
  w.channel.host.send(VM_PKT.DATA_INBAND, 0, 0, short, 0, 4); // 8 bytes after padding: still too short
  w.channel.host.send(VM_PKT.COMP, 0, 12345, short, 0, 8); // nobody asked
  w.scheduler.runUntilIdle();
  t.is(w.client.stats.malformed, 1);
  t.is(w.client.stats.unknownCompletions, 1);
  t.false(w.client.vfAllocated);
});

test('a hostile host writing ring indices beyond the ring is counted by the guest and never read', (t) => {
  const w = world();
  connect(w, 1);
  const ring = w.channel.guest.rx;
  ring.header.setUint32(0, 0xfffffff8, true); // write_index far outside the data area
  w.channel.host.signal();
  w.scheduler.runUntilIdle();
  t.true(ring.stats.badIndex >= 1);
  t.is(w.client.stats.rxFrames, 0);
  ring.header.setUint32(0, ring.readIndex, true); // the host repairs it: the channel works again
  w.host.indicateStatus(RNDIS_STATUS.MEDIA_CONNECT);
  let status = 0;
  w.client.handlers.onStatus = (s) => (status = s);
  w.scheduler.runUntilIdle();
  t.is(status, RNDIS_STATUS.MEDIA_CONNECT);
});

test('a bring-up on a ring the host never drains fails instead of waiting forever', (t) => {
  const w = world();
  w.host.pause();
  for (let i = 0; i < 1000; i++)
    w.client.post({ type: NVSP_MSG.SEND_NDIS_VER, ndisMajor: 6, ndisMinor: 30 });
  let error = '';
  w.client.connect({ mtu: 1500, channels: 1 }, (r) => (error = r.error));
  t.is(error, 'the VMBus ring was full during the bring-up');
});
