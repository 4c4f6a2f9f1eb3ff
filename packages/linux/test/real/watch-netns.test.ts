import test, { type ExecutionContext } from 'ava';
import {
  canDropRoot,
  createNetns,
  deleteNetns,
  ip,
  runAsync,
  runDoctor,
  sweepLeftovers,
  JsonChild,
  whyNoNetns,
} from './helpers/netns.js';

/*
 * Real tests: network namespaces with a veth pair and a tap device sharing a MAC, driven with
 * iproute2 while `bypass watch --json --force` (the watchJson helper) runs inside the namespace.
 * Only addresses inside the test namespaces are used; every namespace is deleted in teardown.
 */
const why = whyNoNetns();
if (why !== null) {
  console.warn(`@bypass/linux real netns tests skipped: ${why}`);
}
const realTest = why === null ? test : test.skip;
if (why === null) sweepLeftovers();
const nobody = why === null && canDropRoot();
if (why === null && !nobody)
  console.warn('@bypass/linux: setpriv cannot drop root here; the unprivileged runs are skipped');
const unprivilegedTest = nobody ? test : test.skip;

const MAC = '02:bb:00:00:00:01';

interface Lab {
  ns: string;
  peerNs: string;
  watch: JsonChild;
}

/** ns: vf0 (veth, MAC) + tap0 (tap, same MAC); the veth peer sits in peerNs (carrier control). */
async function lab(t: ExecutionContext, watchArgs: string[], asNobody = false): Promise<Lab> {
  const ns = createNetns();
  t.teardown(() => deleteNetns(ns));
  const peerNs = createNetns();
  t.teardown(() => deleteNetns(peerNs));
  ip(
    '-n',
    ns,
    'link',
    'add',
    'name',
    'vf0',
    'type',
    'veth',
    'peer',
    'name',
    'vfpeer',
    'netns',
    peerNs,
  );
  ip('-n', ns, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
  ip('-n', ns, 'link', 'set', 'vf0', 'address', MAC);
  ip('-n', ns, 'link', 'set', 'tap0', 'address', MAC);
  const watch = new JsonChild(ns, 'watchJson.ts', watchArgs, asNobody);
  t.teardown(() => watch.stop());
  return { ns, peerNs, watch };
}

function pairsOf(line: Record<string, unknown>): Array<Record<string, unknown>> {
  return line['pairs'] as Array<Record<string, unknown>>;
}

realTest(
  'watch --json --force reports a veth and a tap sharing a MAC as a same-mac pair',
  async (t) => {
    const { watch } = await lab(t, ['--force', '--interval=0']);
    const snap = await watch.next('first snapshot', (l) => l['type'] === 'snapshot', 15_000);
    const pair = pairsOf(snap).find((p) => p['id'] === 'same-mac:tap0');
    t.like(pair, { model: 'same-mac', mac: MAC, master: null, backup: 'tap0', active: 'vf0' });
    t.like(pair?.['pathByRelation'], { path: 'none' });
  },
);

realTest(
  'link up, carrier, down, MTU, rename and delete become core events in order',
  async (t) => {
    const { ns, peerNs, watch } = await lab(t, ['--force', '--interval=0']);
    await watch.next('first snapshot', (l) => l['type'] === 'snapshot', 15_000);

    ip('-n', ns, 'link', 'set', 'vf0', 'up');
    await watch.event('up', 'vf0');
    ip('-n', peerNs, 'link', 'set', 'vfpeer', 'up');
    await watch.event('change', 'vf0', { detail: 'carrier', carrier: true });
    const path = await watch.next(
      'path change to active',
      (l) => l['type'] === 'path' && l['pair'] === 'same-mac:tap0',
    );
    t.like(path, { by: 'relation', from: 'none', to: 'active' });

    ip('-n', peerNs, 'link', 'set', 'vfpeer', 'down');
    await watch.event('change', 'vf0', { detail: 'carrier', carrier: false });
    ip('-n', ns, 'link', 'set', 'vf0', 'mtu', '1400');
    const mtu = await watch.event('changemtu', 'vf0');
    t.like(mtu['event'], { mtu: 1400, oldMtu: 1500 });
    ip('-n', ns, 'link', 'set', 'vf0', 'down');
    await watch.event('going-down', 'vf0');
    await watch.event('down', 'vf0');
    ip('-n', ns, 'link', 'set', 'vf0', 'name', 'vfr0');
    await watch.event('changename', 'vfr0', { oldName: 'vf0' });
    ip('-n', ns, 'link', 'set', 'tap0', 'address', '02:bb:00:00:00:02');
    await watch.event('changeaddr', 'tap0', { address: '02:bb:00:00:00:02', oldAddress: MAC });
    const gone = await watch.next(
      'pair gone after the MAC change',
      (l) => l['type'] === 'snapshot' && pairsOf(l).length === 0,
    );
    t.deepEqual(pairsOf(gone), []);
    ip('-n', ns, 'link', 'del', 'vfr0');
    await watch.event('unregister', 'vfr0');
    t.pass();
  },
);

realTest('a new same-MAC interface appears as register and forms a pair', async (t) => {
  const { ns, watch } = await lab(t, ['--force', '--interval=0']);
  await watch.next('first snapshot', (l) => l['type'] === 'snapshot', 15_000);
  ip('-n', ns, 'tuntap', 'add', 'dev', 'tap1', 'mode', 'tap');
  await watch.event('register', 'tap1');
  ip('-n', ns, 'link', 'set', 'tap1', 'address', '02:cc:00:00:00:01');
  ip('-n', ns, 'link', 'add', 'name', 'vf1', 'type', 'veth', 'peer', 'name', 'vf1p');
  ip('-n', ns, 'link', 'set', 'vf1', 'address', '02:cc:00:00:00:01');
  const snap = await watch.next(
    'snapshot with the second pair',
    (l) => l['type'] === 'snapshot' && pairsOf(l).some((p) => p['id'] === 'same-mac:tap1'),
  );
  t.like(
    pairsOf(snap).find((p) => p['id'] === 'same-mac:tap1'),
    { backup: 'tap1', active: 'vf1' },
  );
});

realTest('master changes (a bridge) become changeupper events', async (t) => {
  const { ns, watch } = await lab(t, ['--force', '--interval=0']);
  await watch.next('first snapshot', (l) => l['type'] === 'snapshot', 15_000);
  try {
    ip('-n', ns, 'link', 'add', 'name', 'br0', 'type', 'bridge');
  } catch {
    t.log(
      'bridge devices are not available on this kernel: changeupper checked by the unit tests only',
    );
    t.pass();
    return;
  }
  await watch.event('register', 'br0');
  ip('-n', ns, 'link', 'set', 'tap0', 'master', 'br0');
  await watch.event('changeupper', 'tap0', { upper: 'br0', linking: true });
  ip('-n', ns, 'link', 'set', 'tap0', 'nomaster');
  await watch.event('changeupper', 'tap0', { upper: 'br0', linking: false });
  t.pass();
});

realTest('counter deltas show which path carries the traffic, with rates', async (t) => {
  const { ns, peerNs, watch } = await lab(t, ['--force', '--interval=150']);
  ip('-n', ns, 'addr', 'add', '10.77.0.1/24', 'dev', 'vf0');
  ip('-n', peerNs, 'addr', 'add', '10.77.0.2/24', 'dev', 'vfpeer');
  ip('-n', ns, 'link', 'set', 'vf0', 'up');
  ip('-n', peerNs, 'link', 'set', 'vfpeer', 'up');
  await watch.next('first snapshot', (l) => l['type'] === 'snapshot', 15_000);
  // UDP datagrams from inside the namespace to the peer namespace, over vf0 only.
  const sender =
    "const s=require('dgram').createSocket('udp4');let n=0;const i=setInterval(()=>{s.send(Buffer.alloc(64),9,'10.77.0.2');if(++n===60){clearInterval(i);setTimeout(()=>s.close(),50);}},10);";
  await runAsync('ip', ['netns', 'exec', ns, process.execPath, '-e', sender], 10_000);
  const snap = await watch.next('snapshot with counters on the active path', (l) => {
    if (l['type'] !== 'snapshot') return false;
    const p = pairsOf(l).find((x) => x['id'] === 'same-mac:tap0');
    const rates = p?.['rates'] as Record<string, { txPps: number }> | undefined;
    return (
      (p?.['pathByCounters'] as { path?: string } | null)?.path === 'active' &&
      (rates?.['vf0']?.txPps ?? 0) > 0
    );
  });
  const p = pairsOf(snap).find((x) => x['id'] === 'same-mac:tap0');
  t.like(p?.['pathByRelation'], { path: 'active' });
});

unprivilegedTest(
  'watch runs read-only as an unprivileged user and still sees the changes',
  async (t) => {
    const { ns, watch } = await lab(t, ['--force', '--interval=100'], true);
    const snap = await watch.next('first snapshot', (l) => l['type'] === 'snapshot', 15_000);
    t.like(pairsOf(snap)[0], { id: 'same-mac:tap0', active: 'vf0' });
    ip('-n', ns, 'link', 'set', 'vf0', 'mtu', '1280');
    await watch.event('changemtu', 'vf0', { mtu: 1280 });
  },
);

realTest(
  'doctor in a namespace: a same-MAC veth and tap without a master are reported',
  async (t) => {
    const ns = createNetns();
    t.teardown(() => deleteNetns(ns));
    ip('-n', ns, 'link', 'add', 'name', 'vf0', 'type', 'veth', 'peer', 'name', 'vf0p');
    ip('-n', ns, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
    ip('-n', ns, 'link', 'set', 'vf0', 'address', MAC);
    ip('-n', ns, 'link', 'set', 'tap0', 'address', MAC);
    const plain = await runDoctor(ns, [], nobody);
    t.deepEqual(plain['pairs'], []);
    const findings = plain['findings'] as Array<Record<string, unknown>>;
    t.is(findings.length, 1);
    t.like(findings[0], {
      id: 'same-mac-no-master',
      severity: 'warning',
      devices: ['vf0', 'tap0'],
    });
    const forced = await runDoctor(ns, ['--force'], nobody);
    t.like((forced['pairs'] as unknown[])[0], {
      id: 'same-mac:tap0',
      backup: 'tap0',
      active: 'vf0',
    });
  },
);
