import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapCapture, loadScenarioText, runScenario, type Report } from '../../src/index.js';

const bondingLinkLoss = (miimon: string): Report =>
  runScenario(
    loadScenarioText(
      `
name: bond link loss
duration: 2s
hosts: [{ name: src, vfs: 1 }]
vms:
  - name: vm1
    host: src
    memory: 64MiB
    nics: [{ name: eth0, model: bonding, mac: '52:54:00:00:00:01', options: { miimon: ${miimon} } }]
peers: [{ name: client, host: src }]
flows: [{ name: out, from: vm1/eth0, to: client, rate: 100kpps }]
steps: [{ at: 1.01s, action: link-down, vm: vm1, dev: vf }]
`,
      'bond.yaml',
    ),
  );

test('a polling mechanism loses in proportion to its poll interval: a bond notices a dead VF at its next miimon round', (t) => {
  const fast = bondingLinkLoss('20ms');
  const slow = bondingLinkLoss('200ms');
  for (const r of [fast, slow]) t.true(r.conservation.ok, r.conservation.mismatches.join('\n'));
  const lost = (r: Report): number => r.flows['out']?.drops['no-carrier'] ?? 0;
  // Frames sent to the VF between the carrier loss and the next miimon round are lost: on
  // average half an interval, at most one (100 kpps: 2000 frames per 20 ms).
  t.true(lost(fast) > 0 && lost(fast) <= 2_000 + 10, `20ms: ${lost(fast)}`);
  t.true(lost(slow) > 0 && lost(slow) <= 20_000 + 10, `200ms: ${lost(slow)}`);
  t.true(lost(slow) > 4 * lost(fast), `200ms: ${lost(slow)}, 20ms: ${lost(fast)}`);
  t.deepEqual(Object.keys(slow.flows['out']?.drops ?? {}), ['no-carrier']);
});

test('an event-driven master loses nothing on the same carrier loss (net_failover reacts to NETDEV_CHANGE)', (t) => {
  const r = runScenario(
    loadScenarioText(
      `
name: failover link loss
duration: 2s
hosts: [{ name: src, vfs: 1 }]
vms: [{ name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: client, host: src }]
flows: [{ name: out, from: vm1/eth0, to: client, rate: 100kpps }]
steps: [{ at: 1s, action: link-down, vm: vm1, dev: vf }]
`,
      'failover.yaml',
    ),
  );
  t.true(r.conservation.ok);
  // At most what was already queued on the VF when its carrier went.
  t.true((r.flows['out']?.lost ?? 0) <= 10, JSON.stringify(r.flows['out']?.drops));
  t.is(r.timeline.datapath['vm1/eth0']?.at(-1)?.[2], 'backup');
});

test('the pcaps of a run decode with tshark: real UDP frames with good checksums at each capture point', (t) => {
  const capture = new PcapCapture({ snaplen: 128 });
  runScenario(
    loadScenarioText(
      `
name: pcap
duration: 200ms
hosts: [{ name: src, vfs: 1 }]
vms: [{ name: vm1, host: src, memory: 64MiB, nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }] }]
peers: [{ name: client, host: src }]
flows: [{ name: in, from: client, to: vm1/eth0, rate: 10kpps, size: 128 }]
`,
      'pcap.yaml',
    ),
    { capture },
  );
  const dir = mkdtempSync(join(tmpdir(), 'bypass-pcap-'));
  try {
    const files = capture.write(dir);
    t.true(files.some((f) => f.endsWith('src-client.pcap')));
    t.true(files.some((f) => f.endsWith('src-vm1-eth0-vf.pcap')));
    let tshark = true;
    try {
      execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    } catch {
      tshark = false;
    }
    if (!tshark) {
      if (process.env['CI'] !== undefined)
        t.fail('tshark must be installed in CI (.ci/run installs it)');
      else t.log('tshark not installed: decoding not checked here (CI checks it)');
      return;
    }
    const vf = files.find((f) => f.endsWith('src-vm1-eth0-vf.pcap')) as string;
    const out = execFileSync(
      'tshark',
      [
        '-r',
        vf,
        '-o',
        'udp.check_checksum:TRUE',
        '-T',
        'fields',
        '-e',
        'udp.dstport',
        '-e',
        'udp.checksum.status',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const lines = out.trim().split('\n');
    // 10 kpps for 200 ms toward the VM, all through its VF port.
    t.is(lines.length, 2_000);
    // udp.checksum.status: 1 = good (0 bad, 2 not checked)
    t.true(
      lines.every((l) => /^\d+\t1$/.test(l.trim())),
      lines[0],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
