import test from 'ava';
import { SlaveStatsFolder } from '../../src/bypass/SlaveStatsFolder.js';
import { MacAddress } from '../../src/netdev/MacAddress.js';
import { STATS64_FIELDS } from '../../src/netdev/NetDeviceStats.js';
import { PacketPool } from '../../src/packet/PacketPool.js';
import { TestNic } from '../helpers/TestNic.js';

function nic(): TestNic {
  return new TestNic({
    pool: new PacketPool({ slots: 1 }),
    permAddr: MacAddress.parse('02:00:00:00:00:01'),
  });
}

test('a slave that joined with zero counters and left without a read is counted', (t) => {
  const folder = new SlaveStatsFolder();
  const vf = nic();
  folder.attach(vf);
  vf.stats.txPackets = 7;
  vf.stats.rxBytes = 1500;
  folder.detach(vf);
  t.false(folder.has(vf));
  t.is(folder.fold().txPackets, 7);
  t.is(folder.fold().rxBytes, 1500);
});

test('a slave that joined with zero counters is folded at each read, every counter', (t) => {
  const folder = new SlaveStatsFolder();
  const vf = nic();
  folder.attach(vf);
  t.true(folder.fold().isZero(), 'nothing counted yet');
  STATS64_FIELDS.forEach((f, i) => (vf.stats[f] = i + 1));
  const first = folder.fold().toJSON();
  STATS64_FIELDS.forEach((f, i) => t.is(first[f], i + 1, f));
  STATS64_FIELDS.forEach((f, i) => (vf.stats[f] = 2 * (i + 1)));
  folder.detach(vf);
  const total = folder.fold();
  STATS64_FIELDS.forEach((f, i) => t.is(total[f], 2 * (i + 1), f));
});

test('a zero snapshot folds 32-bit wraps and ignores resets like any other', (t) => {
  const folder = new SlaveStatsFolder();
  const vf = nic();
  folder.attach(vf);
  // Two steps: within 32 bits a jump of 2^31 or more reads as a reset (net_failover.c).
  vf.stats.rxPackets = 2 ** 31 - 1;
  t.is(folder.fold().rxPackets, 2 ** 31 - 1);
  vf.stats.rxPackets = 2 ** 32 - 2;
  t.is(folder.fold().rxPackets, 2 ** 32 - 2);
  vf.stats.rxPackets = 3; // a 32-bit counter that wrapped
  t.is(folder.fold().rxPackets, 2 ** 32 + 3);
  vf.stats.rxPackets = 0; // a driver that reset its counters
  t.is(folder.fold().rxPackets, 2 ** 32 + 3);
  vf.stats.rxPackets = 4;
  folder.detach(vf);
  t.is(folder.fold().rxPackets, 2 ** 32 + 7);
});

test('re-attaching a followed slave restarts it from its counters of now', (t) => {
  const folder = new SlaveStatsFolder();
  const vf = nic();
  vf.stats.txPackets = 5;
  folder.attach(vf);
  vf.stats.txPackets = 8;
  folder.attach(vf); // 3 packets not counted: the slave was re-attached, not folded
  vf.stats.txPackets = 10;
  t.is(folder.fold().txPackets, 2);
  vf.stats.reset();
  folder.attach(vf); // now a zero snapshot
  vf.stats.txPackets = 1;
  folder.detach(vf);
  t.is(folder.fold().txPackets, 3);
});
