import test from 'ava';
import { BondMaster, isBypassError } from '@bypass/core';
import { World } from './world.js';

// Seed 002: "if you use the old bonding script, then everything still works but in a
// sub-optimum manner ... bonding is unable to steal the VF from the netvsc device so it creates a
// one legged bond: bond0 <--> eth0 <--> VF".
test('the old bonding script makes a one-legged bond that still carries traffic over the VF', (t) => {
  const w = new World();
  const dev = w.probe({}, false);
  w.host.sendVfAssociation(true, 1);
  const vf = w.plugVf();
  w.run(100);
  const bond = new BondMaster({
    pool: w.pool,
    scheduler: w.scheduler,
    name: 'bond0',
    miimon: 100_000_000,
  });
  w.ns.register(bond);
  t.true(
    isBypassError(
      t.throws(() => bond.enslave(vf)),
      'ERR_BUSY',
    ),
  );
  bond.enslave(dev);
  bond.open();
  w.run(200);
  t.is(bond.activeSlave, dev);
  t.true(vf.isUp);
  t.true(dev.txOnVf);
  const got: number[] = [];
  bond.bindSink((_d, pkts, s, n) => {
    for (let i = s; i < s + n; i++) got.push(pkts[i] as number);
    w.pool.freeBurst(pkts, s, n);
  });
  const b = new Int32Array(4);
  w.pool.allocBurst(b, 0, 4);
  for (const h of b) w.pool.setLength(h, 64);
  bond.xmit(b, 0, 4);
  t.is(w.drainVf(), 4); // bond0 -> eth0 -> VF
  w.fromWire(3); // VF -> eth0 -> bond0
  t.is(got.length, 3);
  t.is(dev.ethtool.vfRxPackets, 3);
});
