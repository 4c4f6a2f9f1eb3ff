import test from 'ava';
import { BusDevice, IFF, MacAddress, NetDevice, NetNamespace, PRIV_FLAG } from '@bypass/core';
import { HV_NIC_CLASS_ID, NVSP_VERSION, NetvscDevice } from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

class PlainNic extends NetDevice {
  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    this.pool.freeBurst(pkts, start, count);
    return count;
  }
}

test('probe registers the netdev with the host MAC, 16 channels and the netvsc MTU range', (t) => {
  const w = new World();
  const dev = w.probe();
  t.is(dev.name, 'eth0');
  t.true(dev.permAddr.equals(MAC));
  t.is(dev.driver, 'hv_netvsc');
  t.is(dev.parent?.bus, 'vmbus');
  t.is(dev.parent?.vmbus?.classId, HV_NIC_CLASS_ID);
  t.is(dev.channels, 16);
  t.is(dev.realNumTxQueues, 16);
  t.is(dev.minMtu, 68);
  t.is(dev.maxMtu, 65521);
  t.is(dev.nvspVersion, NVSP_VERSION.V61);
  t.true(dev.carrier);
  t.true((dev.privFlags & PRIV_FLAG.FAILOVER) !== 0);
});

test('an NVSP 1 host limits the MTU to 1500', (t) => {
  const w = new World({ hostVersions: [NVSP_VERSION.V1] });
  t.is(w.probe().maxMtu, 1500);
});

test('a probe the host refuses reports ERR_REFUSED', (t) => {
  const w = new World({ hostVersions: [7] });
  let code = '';
  NetvscDevice.probe(
    { channel: w.channel, pool: w.pool, scheduler: w.scheduler, registry: w.registry, ns: w.ns },
    (err) => {
      code = err?.code ?? '';
    },
  );
  w.scheduler.runUntilIdle();
  t.is(code, 'ERR_REFUSED');
});

test('a PCI VF with the same MAC is enslaved at once with IFF_SLAVE and a join event, seen before its register', (t) => {
  const w = new World();
  const dev = w.probe();
  const events: string[] = [];
  w.ns.events$.subscribe((e) => {
    const slave = (e.dev.flags & IFF.SLAVE) !== 0 ? ' (slave)' : '';
    events.push(`${e.type} ${e.dev.name}${slave}`);
  });
  const vf = w.plugVf();
  t.is(dev.vf, vf);
  t.is(vf.master, dev);
  t.true((vf.flags & IFF.SLAVE) !== 0);
  // netvsc flags the VF at post-init (netvsc_prepare_bonding), so every later listener sees a
  // slave; nested notifier events: it is enslaved before its own register event reaches them.
  t.deepEqual(events.slice(0, 4), [
    'post-init enP1s1 (slave)',
    'changeupper enP1s1 (slave)',
    'join enP1s1 (slave)',
    'register enP1s1 (slave)',
  ]);
  t.true(w.log.includes('eth0: VF registering: enP1s1'));
  t.false(vf.isUp); // the takeover comes 100 ms later
});

test('prepareVf sets IFF_SLAVE and IFF_NO_ADDRCONF before the VF registers (netvsc_prepare_bonding)', (t) => {
  const w = new World();
  const dev = w.probe();
  let flagsAtRegister = 0;
  w.ns.events$.subscribe((e) => {
    if (e.type === 'register' && e.dev !== dev) flagsAtRegister = e.dev.flags;
  });
  w.plugVf({
    before: (vf) => {
      t.true(dev.prepareVf(vf));
      t.true((vf.privFlags & PRIV_FLAG.NO_ADDRCONF) !== 0);
    },
  });
  t.true((flagsAtRegister & IFF.SLAVE) !== 0);
  t.false(dev.prepareVf(new PlainNic({ pool: w.pool, permAddr: MAC })));
});

test('a same-MAC device that is not PCI is not taken as the VF', (t) => {
  const w = new World();
  const dev = w.probe();
  const nic = new PlainNic({
    pool: w.pool,
    permAddr: MAC,
    parent: new BusDevice({ id: 'v0', bus: 'virtual' }),
  });
  w.ns.register(nic, 'macvtap0');
  t.is(dev.vf, null);
  t.true(
    w.log.includes('bypass slave-rejected macvtap0 (pre-register: macvtap0 is not a PCI device)'),
  );
});

test('a second VF is refused while one is present', (t) => {
  const w = new World();
  const dev = w.probe();
  const first = w.plugVf({ serial: 1 });
  w.plugVf({ serial: 2 });
  t.is(dev.vf, first);
  t.true(
    w.log.some((l) =>
      l.startsWith('bypass slave-rejected enP1s2 (pre-register: enP1s1 is already the VF'),
    ),
  );
});

test('a VF whose slot serial differs from the announced one still pairs by its MAC (get_netvsc_byslot fallback)', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 5);
  w.scheduler.runUntilIdle();
  const vf = w.plugVf({ serial: 3 });
  t.is(dev.vf, vf); // before: refused ("has slot serial 3, the host announced 5")
  t.false(w.log.some((l) => l.includes('slave-rejected')));
});

test('a VF registered before netvsc is found by the registration scan', (t) => {
  const w = new World();
  const vf = w.plugVf();
  const dev = w.probe();
  t.is(dev.vf, vf);
  w.run(100);
  t.true(vf.isUp);
});

test('a VF already up when netvsc probes is set up at once (VF_REG_IN_PROBE): closed while netvsc is down, no datapath switch until an event', (t) => {
  const w = new World();
  const vf = w.plugVf();
  vf.setMtu(9000);
  vf.open();
  let dev: NetvscDevice | null = null;
  NetvscDevice.probe(
    {
      channel: w.channel,
      pool: w.pool,
      scheduler: w.scheduler,
      registry: w.registry,
      ns: w.ns,
      name: 'eth0',
    },
    (err, d) => {
      if (err !== null) throw err;
      dev = d;
      // Probe has returned: the takeover already ran, with no 100 ms timer.
      t.is(vf.mtu, 1500);
      t.false(vf.isUp);
      t.false(d!.datapath.inFlight);
    },
  );
  w.scheduler.runUntilIdle();
  const nv = dev as NetvscDevice | null;
  if (nv === null) throw new Error('probe did not finish');
  t.is(nv.vf, vf);
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  t.is(w.host.stats.switchRequests, 0); // enslaving alone switches nothing
  nv.open(); // netvsc_open opens the VF: its UP event switches the datapath
  w.scheduler.runUntilIdle();
  t.true(vf.isUp);
  t.is(w.host.stats.switchRequests, 1);
  t.true(nv.txOnVf);
});

test('with the namespace option, a VF appearing in another namespace is moved in and paired', (t) => {
  const w = new World();
  const other = new NetNamespace('init');
  const dev = w.probe({ vfNamespaces: [other] });
  const vf = w.plugVf({ ns: other });
  t.is(vf.ns, w.ns);
  t.is(vf.name, 'eth1');
  t.is(dev.vf, vf);
  const stranger = w.plugVf({ ns: other, serial: 2, mac: MacAddress.parse('00:15:5d:00:00:99') });
  t.is(stranger.ns, other);
});

test('a VF plugged while the guest still holds a stale association pairs at once, not when its own arrives', (t) => {
  const w = new World();
  const dev = w.probe();
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  w.host.sendVfAssociation(true, 2); // sent, not yet processed by the guest
  const vf = w.plugVf({ serial: 2 });
  t.is(dev.vf, vf); // before: refused, then paired by the association
  t.like(dev.vfs.lookup(vf), { ok: true, by: 'mac' }); // the guest still has serial 1
  w.scheduler.runUntilIdle();
  t.is(dev.vf, vf);
  t.like(dev.vfs.lookup(vf), { ok: true, by: 'serial' });
  t.is(w.log.filter((l) => l.includes('joined to eth0')).length, 1);
  // netvsc_vf_join logs from the VF device: "enP1s2: joined to eth0".
  t.true(w.log.includes('enP1s2: joined to eth0'));
});

test('removing netvsc releases its VF first, then leaves the registry and the namespace', (t) => {
  const w = new World();
  const dev = w.probe();
  const vf = w.plugVf();
  dev.remove();
  t.is(vf.master, null);
  t.is(vf.flags & IFF.SLAVE, IFF.SLAVE); // netvsc_unregister_vf leaves it
  t.is(vf.rxHandler, null);
  t.is(dev.ns, null);
  t.is(w.registry.instances().length, 0);
  t.is(w.ns.leakedLinks, 0);
  w.scheduler.runUntilIdle();
  t.is(w.scheduler.pending, 0);
});
