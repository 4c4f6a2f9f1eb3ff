/**
 * The notifier events net_failover raises besides JOIN (drivers/net/net_failover.c):
 * NETDEV_CHANGELOWERSTATE for a slave at join and at every link change it handles
 * (net_failover_lower_state_changed), NETDEV_FEAT_CHANGE on the master at join and leave
 * (net_failover_compute_features -> netdev_change_features).
 */
import test from 'ava';
import { BypassMaster } from '../../src/bypass/BypassMaster.js';
import type { NetdevEvent } from '../../src/netdev/NetdevEvent.js';
import { world } from './fixtures.js';

function setup() {
  const w = world();
  const virtio = w.virtio({ name: 'virtio0' });
  const master = BypassMaster.create({
    registry: w.registry,
    backup: virtio,
    ns: w.ns,
    name: 'ens10',
  });
  const seen: string[] = [];
  const states: Record<string, string[]> = {};
  w.ns.events$.subscribe((e: NetdevEvent) => {
    if (e.type === 'changelowerstate' && e.lowerState !== undefined) {
      const s = e.lowerState;
      (states[e.dev.name] ??= []).push(
        `link ${s.linkUp ? 'up' : 'down'}, tx ${s.txEnabled ? 'on' : 'off'}`,
      );
    }
    if (e.type === 'changelowerstate' || e.type === 'feat-change' || e.type === 'join')
      seen.push(`${e.type} ${e.dev.name}`);
  });
  return { ...w, virtio, master, seen, states };
}

test('a join reports the slave lower state, then the master features, then JOIN', (t) => {
  const s = setup();
  s.ns.register(s.virtio, 'ens10nsby');
  t.deepEqual(s.seen, ['changelowerstate ens10nsby', 'feat-change ens10', 'join ens10nsby']);
  t.deepEqual(s.states['ens10nsby'], ['link down, tx off']); // master down: the standby is closed
});

test('tx_enabled: the running active has it, the standby not while the active runs', (t) => {
  const s = setup();
  s.virtio.carrierOn();
  s.ns.register(s.virtio, 'ens10nsby');
  s.master.open();
  const vf = s.vf({ name: 'ens11' });
  vf.carrierOn();
  s.ns.register(vf);
  t.deepEqual(s.states['ens11'], ['link up, tx on']);
  // The standby's next link event reports it with TX off: the VF runs.
  s.virtio.carrierOff();
  t.deepEqual(s.states['ens10nsby']?.at(-1), 'link down, tx off');
  // Without the VF running the standby may transmit again.
  vf.close();
  t.deepEqual(s.states['ens11']?.at(-1), 'link up, tx off');
  s.virtio.carrierOn();
  t.deepEqual(s.states['ens10nsby']?.at(-1), 'link up, tx on');
});

test('link changes of a slave are reported only while the master runs (failover_slave_link_change)', (t) => {
  const s = setup();
  s.virtio.carrierOn();
  s.ns.register(s.virtio, 'ens10nsby');
  s.seen.length = 0;
  s.virtio.carrierOff();
  t.deepEqual(s.seen, []);
  s.master.open();
  s.seen.length = 0;
  s.virtio.carrierOn();
  t.deepEqual(s.seen, ['changelowerstate ens10nsby']);
});

test('a slave leaving makes the master recompute its features (NETDEV_FEAT_CHANGE)', (t) => {
  const s = setup();
  s.ns.register(s.virtio, 'ens10nsby');
  const vf = s.vf({ name: 'ens11' });
  s.ns.register(vf);
  s.seen.length = 0;
  s.ns.unregister(vf);
  t.deepEqual(s.seen, ['feat-change ens10']);
  s.seen.length = 0;
  s.master.destroy();
  t.deepEqual(s.seen, ['feat-change ens10']); // the standby released by destroy
});
