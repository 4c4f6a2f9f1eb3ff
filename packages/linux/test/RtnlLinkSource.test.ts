import test from 'ava';
import { firstValueFrom, filter, toArray, takeWhile } from 'rxjs';
import { RtnlLinkSource } from '../src/index.js';

/*
 * Read-only checks of the real rtnetlink source in the test process's own namespace: nothing is
 * changed there (the tests that change links run in their own namespaces, see test/real).
 */
const linux = process.platform === 'linux';
const linuxTest = linux ? test : test.skip;

linuxTest(
  'start dumps the current links between sync-start and synced, loopback among them',
  async (t) => {
    const source = new RtnlLinkSource();
    t.teardown(() => source.close());
    const dumped = firstValueFrom(
      source.updates$.pipe(
        takeWhile((u) => u.op !== 'synced'),
        filter((u) => u.op === 'new'),
        toArray(),
      ),
    );
    source.start();
    const links = await dumped;
    t.true(links.every((u) => u.op === 'new' && u.dump));
    const lo = links.find((u) => u.op === 'new' && u.link.name === 'lo');
    t.like(lo?.op === 'new' ? lo.link : undefined, { ifindex: 1, type: 772, up: true });
    t.is(source.dumps, 1);
    t.is(source.skipped, 0);
    t.throws(() => source.start(), { code: 'ERR_STATE' });
  },
);

linuxTest('links with stats64 and addresses are read on demand', async (t) => {
  const source = new RtnlLinkSource();
  t.teardown(() => source.close());
  const links = await source.readLinks();
  const lo = links.find((l) => l.name === 'lo');
  t.truthy(lo?.stats64);
  t.true((lo?.stats64?.rxPackets ?? -1) >= 0);
  const addrs = await source.readAddresses();
  t.true(addrs.every((a) => a.ifindex > 0 && (a.family === 4 || a.family === 6)));
});

linuxTest('after close, updates complete and reads are refused', async (t) => {
  const source = new RtnlLinkSource();
  let completed = false;
  source.updates$.subscribe({ complete: () => (completed = true) });
  source.start();
  source.close();
  source.close();
  t.true(completed);
  await t.throwsAsync(source.readLinks(), { code: 'ERR_STATE', message: /closed/ });
});
