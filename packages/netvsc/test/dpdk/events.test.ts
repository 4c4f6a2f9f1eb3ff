import test from 'ava';
import { VfPmdPort, type EthDev } from '../../src/dpdk/exports.js';
import { FakePort } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';

// A PMD raises RTE_ETH_EVENT_INTR_LSC / _RMV only for an application that set intr_conf.lsc /
// .rmv (mlx5_ethdev_os.c mlx5_dev_interrupt_nl_cb and mlx5_dev_interrupt_device_fatal,
// mlx4_intr.c mlx4_interrupt_handler); the link and the removal are recorded either way.

const VF = '0002:00:02.0';

/** Counts a port's events as `lsc` / `rmv` strings. */
function listen(p: EthDev): string[] {
  const events: string[] = [];
  p.on('intr_lsc', () => events.push('lsc'));
  p.on('intr_rmv', () => events.push('rmv'));
  return events;
}

test('a port not configured, or configured without lsc and rmv, records link and removal silently', (t) => {
  const w = new World();
  const p = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool);
  const events = listen(p);
  p.setHwLink(true);
  t.true(p.storedLink.status, 'recorded before any configure');
  p.configure(1, 1);
  p.setHwLink(false);
  t.false(p.storedLink.status, 'recorded without lsc');
  p.unplug();
  t.is(p.state, 'removed', 'removed without rmv');
  t.deepEqual(events, []);
});

test('lsc and rmv are independent, and a later configure without them silences the port again', (t) => {
  const w = new World();
  const p = new FakePort({ registry: w.registry, name: 'net_fake0' }, w.pool);
  const events = listen(p);
  p.configure(1, 1, { lsc: true });
  p.setHwLink(true);
  p.configure(1, 1, { rmv: true });
  p.setHwLink(false);
  t.deepEqual(events, ['lsc'], 'the second configure replaced lsc');
  p.unplug();
  t.deepEqual(events, ['lsc', 'rmv']);
  const q = new FakePort({ registry: w.registry, name: 'net_fake1' }, w.pool);
  const quiet = listen(q);
  q.configure(1, 1, { lsc: true });
  q.unplug();
  t.is(q.state, 'removed');
  t.deepEqual(quiet, [], 'lsc alone: no intr_rmv');
});

test('VfPmdPort without lsc has no link handler: carrier changes are read by linkGet, no intr_lsc', (t) => {
  const w = new World();
  w.plugVf(VF, mac(1));
  const port = w.registry.probe(VF);
  port.configure(1, 1);
  port.start();
  const events = listen(port);
  w.setVfLink(VF, false);
  t.true(port.storedLink.status, 'nothing recorded until link_update');
  t.is(port.txBurst(0, w.frames(1, mac(9)), 0, 1), 1, 'no carrier: still taken (mlx4_tx_burst)');
  t.is(w.drops.get('no-carrier'), 1, 'and lost by the VF');
  t.true(port.storedLink.status, 'a burst does not read the link either');
  t.deepEqual(port.linkGet(), { status: false, speed: 0, fullDuplex: true, autoneg: true });
  w.setVfLink(VF, true);
  t.deepEqual(port.linkGet(), { status: true, speed: 40_000, fullDuplex: true, autoneg: true });
  t.deepEqual(events, []);
  t.is(w.vfLinks.subscriberCount, 0, 'mlx4_intr_install: no handler without intr_conf.lsc');
});

test('VfPmdPort with lsc handles the link interrupt at once, with no traffic: intr_lsc per carrier change', (t) => {
  const w = new World();
  w.plugVf(VF, mac(1));
  const port = w.registry.probe(VF);
  port.configure(1, 1, { lsc: true });
  port.start();
  const seen: boolean[] = [];
  port.on('intr_lsc', () => seen.push(port.storedLink.status));
  w.setVfLink(VF, false);
  t.deepEqual(seen, [false], 'recorded and raised in the interrupt, no burst needed');
  w.setVfLink(VF, true);
  t.deepEqual(seen, [false, true]);
  t.true(port.linkGet().status);
  t.is(w.scheduler.pending, 0, 'mlx4_intr.c: no alarm for a consistent link');
});

test('VfPmdPort: the link handler lives from a configure with lsc to close, started or not (mlx4_intr_install / _uninstall)', (t) => {
  const w = new World();
  w.plugVf(VF, mac(1));
  const port = w.registry.probe(VF);
  const events = listen(port);
  w.setVfLink(VF, false);
  t.deepEqual(events, [], 'not configured: no handler');
  t.true(port.storedLink.status, 'nor a link update');
  port.configure(1, 1, { lsc: true });
  t.is(w.vfLinks.subscriberCount, 1);
  w.setVfLink(VF, true);
  t.deepEqual(events, [], 'the recorded status (up) did not change');
  w.setVfLink(VF, false);
  t.deepEqual(events, ['lsc'], 'configured, never started');
  port.start();
  port.stop();
  w.setVfLink(VF, true);
  t.deepEqual(events, ['lsc', 'lsc'], 'stopped');
  port.configure(1, 1, { lsc: true });
  t.is(w.vfLinks.subscriberCount, 1, 'installed once');
  port.configure(1, 1, { rmv: true });
  t.is(w.vfLinks.subscriberCount, 0, 'a configure without lsc removes it');
  w.setVfLink(VF, false);
  t.deepEqual(events, ['lsc', 'lsc']);
  port.configure(1, 1, { lsc: true });
  port.close();
  t.is(w.vfLinks.subscriberCount, 0, 'close removes it');
  w.setVfLink(VF, true);
  t.deepEqual(events, ['lsc', 'lsc']);
});

test('VfPmdPort given no link interrupt source reads the carrier at each burst instead', (t) => {
  const w = new World();
  const vf = w.plugVf(VF, mac(1));
  const port = new VfPmdPort({ registry: w.registry, name: VF }, { vf, bus: w.bus });
  port.configure(1, 1, { lsc: true });
  port.start();
  const events = listen(port);
  vf.setLink(false);
  t.deepEqual(events, [], 'no interrupt');
  t.is(port.txBurst(0, w.frames(1, mac(9)), 0, 1), 1, 'taken whatever the link, then lost');
  t.deepEqual(events, ['lsc'], 'noticed at the burst');
  t.false(port.linkGet().status);
});

test('VfPmdPort: a link event of another VF is not its own', (t) => {
  const w = new World();
  w.plugVf(VF, mac(1));
  w.plugVf('0002:00:03.0', mac(2));
  const port = w.registry.probe(VF);
  port.configure(1, 1, { lsc: true });
  const events = listen(port);
  w.setVfLink('0002:00:03.0', false);
  t.deepEqual(events, []);
  t.true(port.storedLink.status);
});

test('VfPmdPort without rmv (or never configured) is removed silently; with rmv intr_rmv once', (t) => {
  const w = new World();
  w.plugVf(VF, mac(1));
  const silent = w.registry.probe(VF);
  const none = listen(silent);
  w.unplugVf(VF);
  t.is(silent.state, 'removed');
  t.false(silent.storedLink.status);
  t.deepEqual(none, [], 'never configured');
  silent.close();

  w.plugVf(VF, mac(1));
  const plain = w.registry.probe(VF);
  plain.configure(1, 1);
  const quiet = listen(plain);
  w.unplugVf(VF);
  t.is(plain.state, 'removed');
  t.deepEqual(quiet, [], 'configured without rmv');
  plain.close();

  w.plugVf(VF, mac(1));
  const port = w.registry.probe(VF);
  port.configure(1, 1, { rmv: true });
  port.start();
  const events = listen(port);
  w.unplugVf(VF);
  t.is(port.state, 'removed');
  t.deepEqual(events, ['rmv'], 'the link going down with it raises nothing without lsc');
});
