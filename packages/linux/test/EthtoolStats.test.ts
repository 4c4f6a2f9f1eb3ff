import test from 'ava';
import {
  CommandEthtoolStats,
  netvscEthtoolMoves,
  parseEthtoolStats,
  type CommandRunner,
} from '../src/index.js';

// What `ethtool -S eth0` prints for hv_netvsc with two channels (netvsc_drv.c
// netvsc_get_strings order: global, vf_*, per queue, per cpu), shortened.
const NETVSC_S = `NIC statistics:
     tx_scattered: 0
     tx_no_memory: 0
     vf_rx_packets: 5000
     vf_rx_bytes: 7000000
     vf_tx_packets: 4000
     vf_tx_bytes: 5000000
     vf_tx_dropped: 0
     tx_queue_0_packets: 12
     tx_queue_0_bytes: 1000
     tx_queue_0_xdp_xmit: 0
     rx_queue_0_packets: 30
     rx_queue_0_bytes: 2000
     rx_queue_0_xdp_drop: 0
     tx_queue_1_packets: 8
     rx_queue_1_packets: 10
     cpu0_rx_packets: 5040
`;

test('parseEthtoolStats reads every "name: value" line after the header', (t) => {
  const s = parseEthtoolStats(NETVSC_S);
  t.is(s.get('vf_tx_packets'), 4000);
  t.is(s.get('rx_queue_1_packets'), 10);
  t.is(s.get('cpu0_rx_packets'), 5040);
  t.is(s.size, 16);
});

test('parseEthtoolStats keeps names with spaces and colons, skips lines without a counter', (t) => {
  const s = parseEthtoolStats(
    'NIC statistics:\n     rx queue 0: drops: 7\n     link: up\n     odd line\n\n',
  );
  t.deepEqual([...s], [['rx queue 0: drops', 7]]);
});

test('parseEthtoolStats refuses text that is not ethtool -S output', (t) => {
  t.throws(() => parseEthtoolStats('Settings for eth0:\n\tSpeed: 40000Mb/s\n'), {
    code: 'ERR_PARSE',
    message: /NIC statistics/,
  });
});

test('CommandEthtoolStats runs "ethtool -S <dev>" and parses it', async (t) => {
  const calls: string[][] = [];
  const run: CommandRunner = (file, args) => {
    calls.push([file, ...args]);
    return Promise.resolve(NETVSC_S);
  };
  const r = await new CommandEthtoolStats(run).read('eth0');
  t.deepEqual(calls, [['ethtool', '-S', 'eth0']]);
  t.true(r.ok);
  t.is(r.ok ? r.stats.get('vf_rx_packets') : null, 5000);
});

test('a missing ethtool binary is unavailable, and is not spawned again', async (t) => {
  let spawned = 0;
  const run: CommandRunner = () => {
    spawned++;
    return Promise.reject(Object.assign(new Error('spawn ethtool ENOENT'), { code: 'ENOENT' }));
  };
  const source = new CommandEthtoolStats(run);
  t.deepEqual(await source.read('eth0'), { ok: false, why: 'ethtool is not installed' });
  t.deepEqual(await source.read('eth1'), { ok: false, why: 'ethtool is not installed' });
  t.is(spawned, 1);
});

test('ethtool failing, timing out or printing something else is unavailable with the reason', async (t) => {
  const failing = new CommandEthtoolStats(() =>
    Promise.reject(
      Object.assign(new Error('Command failed'), {
        code: 94,
        stderr: 'no stats available\n',
      }),
    ),
  );
  t.deepEqual(await failing.read('tap0'), {
    ok: false,
    why: 'ethtool -S failed: no stats available',
  });
  const killed = new CommandEthtoolStats(() =>
    Promise.reject(Object.assign(new Error('killed'), { killed: true, signal: 'SIGTERM' })),
  );
  const k = await killed.read('eth0');
  t.regex(k.ok ? '' : k.why, /did not answer within 2000 ms/);
  const garbage = new CommandEthtoolStats(() => Promise.resolve('hello\n'));
  const g = await garbage.read('eth0');
  t.regex(g.ok ? '' : g.why, /not 'ethtool -S' output/);
});

test('a device name starting with "-" is not passed to ethtool', async (t) => {
  let spawned = 0;
  const source = new CommandEthtoolStats(() => {
    spawned++;
    return Promise.resolve(NETVSC_S);
  });
  const r = await source.read('-h');
  t.false(r.ok);
  t.is(spawned, 0);
});

test('the real ethtool binary, when present, answers or is reported unavailable (never throws)', async (t) => {
  const r = await new CommandEthtoolStats().read('lo');
  // lo has no driver statistics: "no stats available"; or ethtool is not installed.
  t.false(r.ok);
  t.regex(r.ok ? '' : r.why, /ethtool/);
});

test('netvscEthtoolMoves: per-path growth from vf_* and the channel counters', (t) => {
  const before = parseEthtoolStats(NETVSC_S);
  const after = new Map(before);
  after.set('vf_tx_packets', 4100);
  after.set('vf_rx_packets', 5300);
  after.set('tx_queue_0_packets', 15);
  after.set('tx_queue_1_packets', 10);
  after.set('rx_queue_0_packets', 31);
  after.set('rx_queue_2_packets', 4); // a channel new since the last reading counts from 0
  t.deepEqual(netvscEthtoolMoves(before, after), {
    vfTx: 100,
    vfRx: 300,
    syntheticTx: 5,
    syntheticRx: 5,
  });
  // a channel that restarted (ethtool -L, MTU change) counts as no growth
  after.set('rx_queue_0_packets', 2);
  t.like(netvscEthtoolMoves(before, after), { syntheticRx: 4 });
});

test('netvscEthtoolMoves: a driver without vf_* counters gives the reason', (t) => {
  const virtio = new Map([
    ['rx_queue_0_packets', 1],
    ['tx_queue_0_packets', 1],
  ]);
  t.regex(netvscEthtoolMoves(virtio, virtio) as string, /vf_tx_packets/);
});
