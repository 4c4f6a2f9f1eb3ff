import test from 'ava';
import { BypassError } from '@bypass/core';
import { SubDevState, type EthDev, type FailsafePort } from '../../src/dpdk/exports.js';
import { FakePort, fakeDriver } from './helpers/FakePort.js';
import { World, mac } from './helpers/world.js';

// The VF PMD's dev_set_link_up/down as mlx4_ethdev.c mlx4_dev_set_link (mlx5_ethdev_os.c
// mlx5_set_link_up/down alike): IFF_UP of the VF's interface; its link update reads IFF_UP and
// IFF_RUNNING (mlx4_link_update), and with the interface down the port receives nothing (mlx4.rst).

const VF = '0002:00:02.0';

function startedVf(lsc: boolean) {
  const w = new World();
  const vf = w.plugVf(VF, mac(1));
  const port = w.registry.probe(VF);
  port.configure(1, 1, { lsc });
  port.start();
  const events: boolean[] = [];
  port.on('intr_lsc', () => events.push(port.storedLink.status));
  return { w, vf, port, events };
}

/** Offers one frame; returns how many the port took (the rest is freed). */
function send(w: World, port: EthDev): number {
  const pkts = w.frames(1, mac(9));
  const took = port.txBurst(0, pkts, 0, 1);
  w.pool.freeBurst(pkts, took, 1 - took);
  return took;
}

test('setLink(false) takes the link down with the carrier still on, stops the traffic; setLink(true) brings both back', (t) => {
  const { w, vf, port, events } = startedVf(true);
  port.setLink(false);
  t.true(vf.carrier, 'the wire is untouched');
  t.deepEqual(events, [false], 'the interface change is a link event');
  t.deepEqual(port.linkGet(), { status: false, speed: 0, fullDuplex: true, autoneg: true });
  t.is(send(w, port), 0, 'TX refused: the caller keeps the frame');
  const wire = w.frames(2, mac(1));
  vf.injectRx(0, wire, 0, 2);
  t.is(w.drops.get('dev-down'), 2, 'nothing received while the interface is down');
  port.setLink(false);
  t.deepEqual(events, [false], 'already down: nothing');
  port.setLink(true);
  t.deepEqual(events, [false, true]);
  t.deepEqual(port.linkGet(), { status: true, speed: 40_000, fullDuplex: true, autoneg: true });
  t.is(send(w, port), 1);
});

test('without lsc setLink raises nothing; linkGet reads the new state', (t) => {
  const { port, events } = startedVf(false);
  port.setLink(false);
  t.false(port.linkGet().status);
  port.setLink(true);
  t.true(port.linkGet().status);
  t.deepEqual(events, []);
});

test('a port whose link was set down stays down across stop and start; set up on a stopped port, start brings the traffic', (t) => {
  const { w, vf, port } = startedVf(false);
  port.setLink(false);
  port.stop();
  port.start(); // mlx4_dev_start leaves IFF_UP alone
  t.false(port.linkGet().status);
  t.false(vf.running);
  t.is(send(w, port), 0);
  port.stop();
  port.setLink(true);
  t.false(vf.running, 'a stopped port does not start the VF');
  t.true(port.linkGet().status);
  port.start();
  t.is(send(w, port), 1);
});

test('setLink on a VF that was removed fails with ERR_NO_DEVICE (eth_err: -EIO)', (t) => {
  const { w, port } = startedVf(false);
  w.unplugVf(VF);
  t.throws(() => port.setLink(true), { code: 'ERR_NO_DEVICE', message: /hot-unplugged/ });
});

/** A PMD without dev_set_link_up/down (EthDev's default: ERR_NOT_SUPPORTED, DPDK's -ENOTSUP). */
class NoSetLinkPort extends FakePort {
  protected override devSetLink(up: boolean): void {
    this.calls.push(`link ${up}`);
    throw new BypassError('ERR_NOT_SUPPORTED', `${this.name} cannot set its link`);
  }
}

test('the replay of a link status to a PMD without set_link fails (-ENOTSUP) and the sub-device is removed', (t) => {
  // failsafe_ether.c fs_eth_dev_conf_apply returns what rte_eth_dev_set_link_down returned
  // ("Failed to apply link_status"); failsafe_eth_dev_state_sync flags it for removal
  const w = new World();
  const live = new Set(['net_fakeB']);
  w.registry.registerDriver({
    name: 'net_nolink',
    matches: (n) => n === 'net_nolinkA',
    probe: (registry, name, args) => {
      if (!live.has(name)) throw new BypassError('ERR_NO_DEVICE', `${name} is not there`);
      const p = new NoSetLinkPort({ registry, name, devargs: args }, w.pool);
      p.setHwLink(true);
      return p;
    },
  });
  w.registry.registerDriver(fakeDriver(w.pool, live));
  const fs = w.registry.probe('net_failsafe0,dev(net_nolinkA),dev(net_fakeB)') as FailsafePort;
  fs.configure(1, 1);
  fs.start();
  w.registry.getByName('net_fakeB')?.setLink(false);
  t.false(fs.linkGet().status);
  live.add('net_nolinkA');
  w.advanceMs(2000);
  t.is(fs.subDevices[0]?.state, SubDevState.UNDEFINED);
  t.true(
    w.logs.some((l) => /Unable to synchronize sub_device state: .*cannot set its link/.test(l)),
  );
});
