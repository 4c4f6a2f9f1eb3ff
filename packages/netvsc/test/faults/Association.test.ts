import test from 'ava';
import { World } from '../kernel/world.js';
import { PmdWorld, VF_ADDR } from '../pmd/world.js';

/**
 * Association faults (issue 7): the host's VF association before and after the PCI device, and
 * duplicated, for the kernel netvsc and the netvsc PMD. Whatever the order, the end state is the
 * same: one switch request, TX on the VF, nothing on the synthetic path, no drop.
 */

function kernel(order: 'assoc-first' | 'pci-first', duplicates: number) {
  const w = new World();
  const dev = w.probe();
  const assoc = (): void => {
    for (let i = 0; i <= duplicates; i++) w.host.sendVfAssociation(true, 1);
    w.scheduler.runUntilIdle();
  };
  if (order === 'assoc-first') assoc();
  w.plugVf();
  w.run(100);
  w.scheduler.runUntilIdle();
  const waited = dev.datapath.waitingForAssociation;
  if (order === 'pci-first') assoc();
  w.scheduler.runUntilIdle();
  return { w, dev, waited };
}

for (const order of ['assoc-first', 'pci-first'] as const) {
  for (const duplicates of [0, 2]) {
    test(`kernel netvsc, association ${order === 'assoc-first' ? 'before' : 'after'} the PCI device, sent ${duplicates + 1} time(s): one switch, TX on the VF`, (t) => {
      const { w, dev, waited } = kernel(order, duplicates);
      t.is(waited, order === 'pci-first'); // the switch waited for the association
      t.true(dev.txOnVf);
      t.is(w.host.stats.switchRequests, 1);
      t.is(w.host.dataPath, 'vf');
      t.is(w.log.filter((l) => l.includes('joined to eth0')).length, 1);
      t.is(w.log.filter((l) => l.includes('Data path switched to VF')).length, 1);
      const before = w.synthetic;
      w.send(8);
      t.is(w.drainVf(), 8);
      t.is(w.synthetic, before);
      t.deepEqual(w.takeDrops(), {});
    });
  }
}

test('kernel netvsc: a duplicate association while switched changes nothing; repeated withdrawals keep TX safe', (t) => {
  const { w, dev } = kernel('assoc-first', 0);
  w.host.sendVfAssociation(true, 1);
  w.scheduler.runUntilIdle();
  t.true(dev.txOnVf);
  t.is(w.host.stats.switchRequests, 1);
  w.host.sendVfAssociation(false, 1);
  w.host.sendVfAssociation(false, 1);
  w.scheduler.runUntilIdle();
  w.unplugVf();
  w.scheduler.runUntilIdle();
  t.false(dev.txOnVf);
  w.send(4);
  w.scheduler.runUntilIdle();
  t.deepEqual(w.takeDrops(), {});
  t.is(w.synthetic, 4);
});

test('netvsc PMD: a duplicated association, before and after the PCI device, attaches and switches once', (t) => {
  for (const order of ['assoc-first', 'pci-first'] as const) {
    const w = new PmdWorld();
    const p = w.up();
    const assoc = (): void => {
      for (let i = 0; i < 3; i++) w.host.sendVfAssociation(true, 1);
      w.settle();
      w.receive();
    };
    if (order === 'assoc-first') assoc();
    w.plugVf();
    w.advanceMs(1000);
    if (order === 'pci-first') assoc();
    w.settle();
    w.send(1);
    w.settle();
    t.true(p.vfSwitched, order);
    t.is(w.host.dataPath, 'vf', order);
    t.is(w.host.stats.switchRequests, 1, order);
    t.not(w.registry.getByName(VF_ADDR), undefined, order);
    t.is(w.send(3), 3, order);
  }
});
