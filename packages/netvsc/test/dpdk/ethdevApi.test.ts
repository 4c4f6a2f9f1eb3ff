import test from 'ava';
import { ETH_OFFLOAD } from '../../src/dpdk/exports.js';
import { FakePort } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';

// The generic ethdev checks of lib/ethdev/rte_ethdev.c (DPDK 26.11-rc0, main of July 2026),
// function by function, on a test PMD.

function fake(w: World, name = 'net_fake0'): FakePort {
  return new FakePort({ registry: w.registry, name }, w.pool);
}

test('configure(0, 0) takes the fallback of one queue each way (rte_eth_dev_configure)', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(0, 0);
  t.is(p.nbRxQueues, 1);
  t.is(p.nbTxQueues, 1);
  t.deepEqual(p.calls, ['configure 1 1']);
  // one direction at 0 is kept as asked
  p.configure(2, 0);
  t.is(p.nbRxQueues, 2);
  t.is(p.nbTxQueues, 0);
});

test('configure: a refusal of the PMD leaves no queues; an ethdev check leaves them as they were', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(2, 2);
  t.throws(() => p.configure(17, 1), { code: 'ERR_INVALID_ARGUMENT' });
  t.is(p.nbRxQueues, 2, 'refused before the queues were touched');
  t.is(p.nbTxQueues, 2);
  p.refuse.add('configure');
  t.throws(() => p.configure(3, 3), { code: 'ERR_REFUSED' });
  t.is(p.nbRxQueues, 0, 'rte_eth_dev_configure reset_queues');
  t.is(p.nbTxQueues, 0);
});

test('configure checks the MTU before the offloads (rte_eth_dev_configure)', (t) => {
  const w = new World();
  const p = fake(w);
  t.throws(() => p.configure(1, 1, { mtu: 9001, txOffloads: ETH_OFFLOAD.MULTI_SEGS }), {
    code: 'ERR_MTU_RANGE',
  });
});

test('close: a started port is refused with ERR_STATE, as DPDK refuses it with -EINVAL', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  p.start();
  t.throws(() => p.close(), {
    code: 'ERR_STATE',
    message: /Cannot close started device \(port 0\): stop it first/,
  });
  t.is(p.state, 'attached');
});

test('close: the port is released even when the PMD dev_close fails, and the failure is reported', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  p.refuse.add('close');
  t.throws(() => p.close(), { code: 'ERR_REFUSED' });
  t.is(p.state, 'unused');
  t.false(p.configured);
  t.is(w.registry.get(0), undefined, 'rte_eth_dev_close releases the port whatever dev_close said');
});

test('vlanFilter needs VLAN_FILTER in the configured rx offloads, not only in the capabilities', (t) => {
  const w = new World();
  const p = fake(w); // rxOffloadCapa has VLAN_FILTER
  p.configure(1, 1);
  t.throws(() => p.vlanFilter(10, true), {
    code: 'ERR_NOT_SUPPORTED',
    message: /VLAN-filtering disabled.*rxOffloads/,
  });
  t.deepEqual(p.calls, ['configure 1 1']);
  // and that check comes before the range check
  t.throws(() => p.vlanFilter(4096, true), { code: 'ERR_NOT_SUPPORTED' });
  p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_FILTER });
  t.throws(() => p.vlanFilter(4096, true), { code: 'ERR_INVALID_ARGUMENT' });
  p.vlanFilter(10, true);
  t.deepEqual(p.vlanIds, [10]);
});

test('vlanFilter calls the PMD each time, even for a VLAN id already in that state', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1, { rxOffloads: ETH_OFFLOAD.VLAN_FILTER });
  p.vlanFilter(10, true);
  p.vlanFilter(10, true);
  p.vlanFilter(11, false);
  t.deepEqual(p.calls.slice(1), ['vlan 10 true', 'vlan 10 true', 'vlan 11 false']);
  t.deepEqual(p.vlanIds, [10]);
});

test('macAddrAdd refuses a pool beyond the 64 VMDq pools (rte_eth_dev_mac_addr_add)', (t) => {
  const w = new World();
  const p = fake(w);
  t.throws(() => p.macAddrAdd(mac(2), 64), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /pool 64.*0\.\.63/,
  });
  t.throws(() => p.macAddrAdd(mac(2), -1), { code: 'ERR_INVALID_ARGUMENT' });
  p.macAddrAdd(mac(2), 63);
  t.deepEqual(p.extraMacAddrs, [mac(2)]);
});

test('stop: when the PMD dev_stop fails the port stays started, its bursts already off (rte_eth_dev_stop)', (t) => {
  const w = new World();
  const p = fake(w);
  p.configure(1, 1);
  p.start();
  p.inject(0, w.frames(1, mac(9)));
  p.refuse.add('stop');
  t.throws(() => p.stop(), { code: 'ERR_REFUSED' });
  t.true(p.started, 'dev_started is cleared only when dev_stop succeeds');
  const out = new Int32Array(4);
  t.is(p.rxBurst(0, out, 0, 4), 0, 'eth_dev_fp_ops_reset ran before dev_stop');
  t.throws(() => p.configure(1, 1), { code: 'ERR_BUSY' });
  t.throws(() => p.close(), { code: 'ERR_STATE' });
  p.refuse.delete('stop');
  p.stop();
  t.false(p.started);
  p.start();
  t.is(p.rxBurst(0, out, 0, 4), 1, 'a start exposes the bursts again');
});
