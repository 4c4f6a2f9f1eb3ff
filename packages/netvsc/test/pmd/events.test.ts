import test from 'ava';
import type { EthDev } from '../../src/dpdk/exports.js';
import { PmdWorld, VF_ADDR } from './world.js';

// A port raises intr_lsc / intr_rmv only when configured with lsc / rmv (EthDev). The netvsc PMD
// configures its VF with rmv on and lsc off (hn_vf.c hn_vf_configure), so it still hears of the
// VF's removal.

function listen(p: EthDev, tag: string, into: string[]): void {
  p.on('intr_lsc', () => into.push(`${tag} lsc`));
  p.on('intr_rmv', () => into.push(`${tag} rmv`));
}

for (const how of ['at configure', 'at hot-add'] as const) {
  test(`the VF (attached ${how}) gets rmv and no lsc: a carrier flap raises nothing, its removal intr_rmv and the PMD goes synthetic`, (t) => {
    const w = new PmdWorld();
    let p;
    if (how === 'at configure') {
      w.vfReady();
      p = w.probe();
      p.configure(1, 1, { lsc: true }); // the netvsc port's lsc is not passed on
      p.start();
    } else {
      p = w.probe();
      p.configure(1, 1, { lsc: true });
      p.start();
      w.plugVf();
      w.advanceMs(1000); // netvsc_hotadd_callback probes it
      w.host.sendVfAssociation(true, 1);
      w.settle();
      w.send(1); // the burst reads the association: hn_vf_add configures and starts the VF
    }
    const vfPort = p.vfPort as EthDev;
    t.true(p.vfSwitched);
    t.like(vfPort.devConf, { lsc: false, rmv: true });
    const events: string[] = [];
    listen(vfPort, 'vf', events);
    w.vfs.get(VF_ADDR)?.setLink(false);
    t.false(vfPort.linkGet().status);
    w.vfs.get(VF_ADDR)?.setLink(true);
    t.true(vfPort.linkGet().status);
    t.deepEqual(events, [], 'no intr_lsc: the VF was configured without lsc');
    w.unplugVf();
    t.deepEqual(events, ['vf rmv']);
    w.settle(); // hn_remove_delayed, 1 us later
    t.is(p.vfPort, null);
    t.false(p.vfSwitched);
    t.is(vfPort.state, 'unused');
    t.is(w.send(2), 2, 'synthetic');
  });
}

test('channel rescinded on a port configured without lsc: removed and link down, no event', (t) => {
  const w = new PmdWorld();
  const p = w.up();
  const events: string[] = [];
  listen(p, 'netvsc', events);
  w.host.revoke();
  t.is(p.state, 'removed');
  t.false(p.storedLink.status);
  t.is(p.storedLink.speed, 10_000, 'down at the host speed, as hn_dev_link_update records it');
  t.deepEqual(events, []);
});
