import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketPool } from '@bypass/core';
import { PcapCapture } from '../../src/capture/PcapCapture.js';
import { readPcap } from '../../src/capture/PcapReader.js';
import { FlowAddress } from '../../src/traffic/FlowFrameAddress.js';
import { FlowFrameReader } from '../../src/traffic/FlowFrameReader.js';
import { FlowFrameWriter } from '../../src/traffic/FlowFrameWriter.js';
import type { FlowCast } from '../../src/traffic/FlowFrame.js';

/*
 * Decodes a capture of flow frames with Wireshark's tshark: every frame must be Ethernet/IPv4/UDP
 * with good IPv4 and UDP checksums. tshark is installed by .ci/run; in CI a missing tshark fails
 * the test, elsewhere the test is skipped with a warning (the in-process checksum tests still run).
 */
const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
if (!hasTshark && !inCi) {
  console.warn('@bypass/hypervisor: tshark not on PATH, pcap decoding test skipped');
}
const tsharkTest = hasTshark || inCi ? test : test.skip;

const CASTS: FlowCast[] = ['unicast', 'multicast', 'broadcast'];
const SIZES = [60, 64, 333, 1514];

function tshark(file: string, ...fields: string[]): string[][] {
  const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
  args.push('-T', 'fields', '-E', 'separator=|');
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => line.split('|'));
}

tsharkTest('tshark decodes flow frames as UDP with good checksums', (t) => {
  t.true(hasTshark, 'tshark must be installed in CI (.ci/run installs the tshark package)');
  const dir = mkdtempSync(join(tmpdir(), 'bypass-tshark-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pool = new PacketPool({ slots: 8 });
  const pkts = new Int32Array(2);
  t.is(pool.allocBurst(pkts, 0, 2), 2);
  const cap = new PcapCapture();
  const good = cap.point('vm1/eth0');
  const bad = cap.point('corrupted');
  const want: string[][] = [];
  let flow = 0;
  for (const cast of CASTS) {
    for (const size of SIZES) {
      const w = new FlowFrameWriter({
        flow,
        size,
        cast,
        srcMac: 0x0200_0000_0001,
        dstMac: 0x5254_0000_0001,
        srcIp: FlowAddress.endpointIpv4(flow),
        dstIp: cast === 'unicast' ? FlowAddress.endpointIpv4(100) : undefined,
      });
      // Sequence numbers across the 16-bit wrap (IP id); times from 1.5 s, one frame per us.
      w.writeBurst(pool, pkts, 0, 2, 0xfffe + flow, 1_500_000_000 + flow * 1000, 1000);
      cap.record(good, pool, pkts, 0, 2, 1_500_000_000 + flow * 1000);
      const dst = FlowAddress.formatIpv4(w.dstIp);
      for (let i = 0; i < 2; i++) {
        want.push([
          String(size),
          'eth:ethertype:ip:udp',
          FlowAddress.formatIpv4(w.srcIp),
          dst,
          String(FlowAddress.dstPort(flow)),
          '1',
          '1',
        ]);
      }
      flow++;
    }
  }
  // A frame with a flipped payload bit: tshark must call its UDP checksum bad (status 0).
  const h = pkts[0]!;
  pool.bytes[pool.start[h]! + 70]! ^= 1;
  t.false(FlowFrameReader.verifyChecksums(pool, h));
  cap.record(bad, pool, pkts, 0, 1, 0);

  const [goodFile, badFile] = cap.write(dir);
  const rows = tshark(
    goodFile!,
    'frame.len',
    'frame.protocols',
    'ip.src',
    'ip.dst',
    'udp.dstport',
    'ip.checksum.status',
    'udp.checksum.status',
  );
  // Only the first four layers: tshark guesses an application protocol from some ports.
  t.deepEqual(
    rows.map((r) => r.map((v, i) => (i === 1 ? v.split(':').slice(0, 4).join(':') : v))),
    want,
  );
  const times = tshark(goodFile!, 'frame.time_epoch').map((r) => r[0]);
  t.deepEqual(
    times,
    readPcap(cap.pcap(good)).records.map((r) => (r.timeNs / 1e9).toFixed(9)),
  );
  t.is(times[0], '1.500000000');
  t.deepEqual(tshark(badFile!, 'ip.checksum.status', 'udp.checksum.status'), [['1', '0']]);
});
