import test from 'ava';
import { CommandEthtoolStats } from '../../src/index.js';
import { createNetns, deleteNetns, ip, run, runAsync, whyNoNetns } from './helpers/netns.js';

/*
 * Real test: the `ethtool -S` source against the real binary and a real driver (veth), inside a
 * test namespace. CI installs ethtool (.ci/run); without it, or without root, it is skipped.
 */
function whyNoEthtool(): string | null {
  const why = whyNoNetns();
  if (why !== null) return why;
  try {
    run('ethtool', ['--version']);
    return null;
  } catch {
    return 'the ethtool binary is missing (Debian package ethtool)';
  }
}
const why = whyNoEthtool();
if (why !== null) console.warn(`@bypass/linux real ethtool test skipped: ${why}`);
const realTest = why === null ? test : test.skip;

realTest("reads a veth's driver counters through the real ethtool binary", async (t) => {
  const ns = createNetns();
  t.teardown(() => deleteNetns(ns));
  ip('-n', ns, 'link', 'add', 'name', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ip('-n', ns, 'addr', 'add', '10.250.0.1/30', 'dev', 'v0');
  ip('-n', ns, 'addr', 'add', '10.250.0.2/30', 'dev', 'v1');
  ip('-n', ns, 'link', 'set', 'v0', 'up');
  ip('-n', ns, 'link', 'set', 'v1', 'up');
  // ethtool runs inside the namespace, as `bypass watch` would run inside the VM
  const source = new CommandEthtoolStats((file, args) =>
    runAsync('ip', ['netns', 'exec', ns, file, ...args]),
  );
  const before = await source.read('v0');
  if (!before.ok) return t.fail(before.why);
  // veth_get_ethtool_stats (drivers/net/veth.c): peer_ifindex, then per-queue counters
  const peer = JSON.parse(ip('-n', ns, '-j', 'link', 'show', 'v1')) as { ifindex: number }[];
  t.is(before.stats.get('peer_ifindex'), peer[0]?.ifindex);
  const key = [...before.stats.keys()].find(
    (k) => /^rx_queue_0_/.test(k) || /^tx_queue_0_/.test(k),
  );
  t.not(key, undefined, `per-queue counters in ${[...before.stats.keys()].join(', ')}`);
  const gone = await source.read('nosuchdev0');
  t.false(gone.ok);
});
