import test from 'ava';
import type { PacketPool } from '@bypass/core';
import { loadScenarioText, runScenario, type FrameCapture, type Report } from '../../src/index.js';

// QEMU's RARP goes out through the virtio NIC's net client (net/announce.c
// qemu_announce_self_iter -> net/net.c qemu_send_packet_raw), which sends nothing while the
// NIC's link is down (qemu_send_packet_async_with_flags).

const ETH_P_RARP = 0x8035;

/** Counts RARP frames per capture point. */
class RarpCounter implements FrameCapture {
  readonly names: string[] = [];
  readonly counts: number[] = [];

  point(name: string): number {
    this.names.push(name);
    this.counts.push(0);
    return this.names.length - 1;
  }

  record(point: number, pool: PacketPool, pkts: Int32Array, start: number, count: number): void {
    for (let i = start; i < start + count; i++) {
      const o = pool.start[pkts[i] as number] as number;
      if ((((pool.bytes[o + 12] as number) << 8) | (pool.bytes[o + 13] as number)) === ETH_P_RARP)
        this.counts[point] = (this.counts[point] as number) + 1;
    }
  }

  at(name: string): number {
    return this.counts[this.names.indexOf(name)] ?? -1;
  }
}

const world = (steps: string): string => `
name: announce
duration: 4s
hosts: [{ name: src, vfs: 2 }, { name: dst, vfs: 2 }]
vms:
  - name: vm1
    host: src
    memory: 256MiB
    nics: [{ name: eth0, model: virtio-backup, mac: '52:54:00:00:00:01' }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps, size: 64 }
steps: ${steps}
`;

const run = (yaml: string): { report: Report; rarps: number } => {
  const capture = new RarpCounter();
  const report = runScenario(loadScenarioText(yaml, 'announce.yaml'), { capture });
  // What the VM's paravirtual port on dst takes in (a flooded RARP never goes back there).
  return { report, rarps: capture.at('dst-vm1-eth0-paravirt') };
};

const announceDetail = (r: Report): string =>
  r.events.find((e) => e.kind === 'announce')?.detail ?? '';

test('after a migration QEMU sends its 5 RARP rounds from the virtio NIC', (t) => {
  const { report, rarps } = run(world('[{ at: 1s, action: migrate, vm: vm1, to: dst }]'));
  t.is(report.migrations[0]?.result, 'completed');
  t.is(rarps, 5);
  t.regex(announceDetail(report), /^QEMU self-announce: RARP and guest announce/);
});

test('no RARP leaves a virtio NIC whose link is down; the guest is still asked to announce', (t) => {
  const { report, rarps } = run(
    world(
      '[{ at: 500ms, action: link-down, vm: vm1, nic: eth0, dev: backup }, { at: 1s, action: migrate, vm: vm1, to: dst }]',
    ),
  );
  t.is(report.migrations[0]?.result, 'completed');
  t.is(rarps, 0);
  t.regex(
    announceDetail(report),
    /^QEMU self-announce: no RARP \(the NIC link is down\) and guest announce/,
  );
});

test('rounds after the link comes back send their RARP again', (t) => {
  // Completed at about 1.765 s: rounds at +0, 50, 200, 450, 800 ms; the link is back at 1.9 s,
  // so the rounds at +200, 450 and 800 ms send theirs.
  const { report, rarps } = run(
    world(
      '[{ at: 500ms, action: link-down, vm: vm1, nic: eth0, dev: backup }, { at: 1s, action: migrate, vm: vm1, to: dst }, { at: 1.9s, action: link-up, vm: vm1, nic: eth0, dev: backup }]',
    ),
  );
  const done = report.migrations[0]?.states.find((s) => s.state === 'completed')?.at ?? '';
  t.regex(done, /^1\.76/);
  t.is(rarps, 3);
});
