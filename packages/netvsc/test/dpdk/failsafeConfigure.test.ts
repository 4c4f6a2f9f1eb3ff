import test from 'ava';
import { BypassError, type MacAddress } from '@bypass/core';
import { SubDevState, type FailsafePort } from '../../src/dpdk/exports.js';
import { FakePort, fakeDriver } from './helpers/FakePort.js';
import { World } from './helpers/world.js';

// failsafe_ops.c fs_dev_configure: PROBED sub-devices, and ACTIVE ones unless the hot-plug alarm
// calls it; a failure fs_err() calls a removal (sdev->remove, or -EIO: our ERR_NO_DEVICE) is
// skipped, any other fails the configure; the RMV and LSC callbacks are registered right after
// each sub-device's configure, so failsafe_eth_dev_state_sync's fs_eth_dev_conf_apply runs with
// them in place.

function setup(present = ['net_fakeA', 'net_fakeB']) {
  const w = new World();
  const live = new Set(present);
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_fakeA),dev(net_fakeB)') as FailsafePort;
  const sub = (name: string) => w.registry.getByName(name) as FakePort;
  return { w, fs, live, sub };
}

const states = (fs: FailsafePort) => fs.subDevices.map((s) => s.state);

test('a sub-device gone at configure (ERR_NO_DEVICE) is skipped: not ACTIVE, no callbacks; the upkeep removes it', (t) => {
  const { w, fs, sub } = setup();
  const b = sub('net_fakeB');
  b.refuseWith = 'ERR_NO_DEVICE';
  b.refuse.add('configure');
  fs.configure(1, 1, { lsc: true });
  t.true(fs.configured);
  t.deepEqual(states(fs), [SubDevState.ACTIVE, SubDevState.PROBED]);
  t.deepEqual([b.listenerCount('intr_lsc'), b.listenerCount('intr_rmv')], [0, 0]);
  t.false(fs.subDevices[1]?.remove, 'fs_err only skips it');
  fs.start();
  t.deepEqual(states(fs), [SubDevState.STARTED, SubDevState.PROBED]);
  t.is(fs.txSubDevice?.sid, 0);
  // The upkeep configures it again from the alarm (skipped again), its queue setup fails, and
  // failsafe_eth_dev_state_sync's err_remove flags it: removed in the same round.
  w.advanceMs(2000);
  t.is(fs.subDevices[1]?.state, SubDevState.UNDEFINED);
  t.is(b.state, 'unused');
  t.true(
    w.logs.some((l) => /Unable to synchronize sub_device state: rx_queue_setup failed/.test(l)),
  );
  w.advanceMs(2000); // dev() is probed again: a fresh port that configures
  t.is(fs.subDevices[1]?.state, SubDevState.STARTED);
});

test('any other sub-device configure failure fails the fail-safe configure (fs_dev_configure)', (t) => {
  const { w, fs, sub } = setup();
  sub('net_fakeB').refuse.add('configure');
  t.throws(() => fs.configure(1, 1), { code: 'ERR_REFUSED' });
  t.false(fs.configured);
  t.true(w.logs.some((l) => /Could not configure sub_device 1/.test(l)));
  t.throws(() => fs.start(), { code: 'ERR_STATE' });
});

test('a sub-device flagged for removal is still configured, and its failure skipped (fs_err: sdev->remove)', (t) => {
  const { fs, sub } = setup();
  fs.configure(1, 1);
  fs.start();
  const a = sub('net_fakeA');
  a.unplug(); // intr_rmv: flagged, the upkeep has not run yet
  fs.stop();
  fs.configure(2, 2);
  t.is(a.calls.filter((c) => c.startsWith('configure')).at(-1), 'configure 2 2');
  a.refuse.add('configure'); // a plain refusal, but from a sub-device being removed
  fs.configure(1, 1);
  t.true(fs.configured);
  t.deepEqual(states(fs), [SubDevState.ACTIVE, SubDevState.ACTIVE]);
});

/** A FakePort whose device vanishes while its MTU is set (an RMV event in the middle). */
class VanishingPort extends FakePort {
  protected override devMtuSet(mtu: number): void {
    super.devMtuSet(mtu);
    this.unplug();
  }
}

test('a re-plugged sub-device has its RMV callback before the replay: a removal during it is heard', (t) => {
  const w = new World();
  const live = new Set(['net_fakeB']);
  w.registry.registerDriver({
    name: 'net_vanishing',
    matches: (n) => n === 'net_vanishingA',
    probe: (registry, name, args) => {
      if (!live.has(name)) throw new BypassError('ERR_NO_DEVICE', `${name} is not there`);
      return new VanishingPort({ registry, name, devargs: args }, w.pool);
    },
  });
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_vanishingA),dev(net_fakeB)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  fs.setMtu(4000);
  live.add('net_vanishingA');
  w.advanceMs(2000);
  // failsafe_eth_rmv_event_callback ran during the replay: the round does not start it and
  // completes its removal; TX never went to it
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.is(fs.txSubDevice?.sid, 1);
});

/** A FakePort that refuses a MAC address (as a default) the first time it sees it. */
class PickyPort extends FakePort {
  protected override devMacAddrSet(m: MacAddress): void {
    super.devMacAddrSet(m);
    throw new BypassError('ERR_REFUSED', `${this.name} refuses ${m.toString()}`);
  }
}

test('fixed DPDK bug: a sub-device whose replay fails is removed even while the port is stopped', (t) => {
  // DPDK marks it ACTIVE at its configure, before fs_eth_dev_conf_apply; err_remove then flags
  // only sub-devices whose state differs from the port's, so on a stopped (ACTIVE) port it stays,
  // half configured, and starts with the port. Here it is ACTIVE only once the replay succeeded.
  const w = new World();
  const live = new Set(['net_fakeB']);
  w.registry.registerDriver({
    name: 'net_picky',
    matches: (n) => n === 'net_pickyA',
    probe: (registry, name, args) => {
      if (!live.has(name)) throw new BypassError('ERR_NO_DEVICE', `${name} is not there`);
      return new PickyPort({ registry, name, devargs: args }, w.pool);
    },
  });
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_pickyA),dev(net_fakeB)') as FailsafePort;
  fs.configure(1, 1);
  live.add('net_pickyA');
  w.advanceMs(2000);
  t.is(fs.fsStateValue, SubDevState.ACTIVE);
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.is(fs.subDevices[1]?.state, SubDevState.ACTIVE);
});
