import test from 'ava';
import { MacAddress, isBypassError, type NetdevEvent } from '@bypass/core';
import {
  RNDIS_MSG,
  RNDIS_OID,
  RNDIS_STATUS,
  encodeRndisConfigParameter,
} from '../../src/kernel/exports.js';
import { MAC, World } from './world.js';

// netvsc_drv.c netvsc_set_mac_addr and rndis_filter.c rndis_filter_set_device_mac: the VF first,
// then the NetworkAddress configuration parameter, its SET_C awaited; -EIO rolls the VF back.

const NEW = MacAddress.parse('00:15:5d:00:00:77');

function addressLog(w: World, name: string): string[] {
  const out: string[] = [];
  w.ns.events$.subscribe((e: NetdevEvent) => {
    if (e.type === 'changeaddr' && e.dev.name === name) out.push(e.dev.devAddr.toString());
  });
  return out;
}

test('a MAC change reaches the host as the NetworkAddress parameter, which it applies', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const applied: string[] = [];
  w.host.events.on('address', (mac) => applied.push(mac.toString()));
  dev.setMacAddress(NEW);
  t.true(w.vf!.devAddr.equals(NEW), 'the VF first');
  t.true(w.host.currentMac.equals(MAC), 'not before the host has read it');
  w.scheduler.runUntilIdle();
  t.deepEqual(applied, ['00:15:5d:00:00:77']);
  t.true(w.host.currentMac.equals(NEW));
  t.true(w.host.mac.equals(MAC), 'the permanent address stays');
  t.true(dev.devAddr.equals(NEW));
  t.is(w.host.stats.malformed, 0);
});

test('a host that refuses the NetworkAddress: -EIO, the address and the VF are set back', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  const seen = addressLog(w, 'eth0');
  const refused: string[] = [];
  dev.events.on('address-refused', (mac, status) => refused.push(`${mac.toString()} ${status}`));
  w.host.addressPolicy = 'refuse';
  dev.setMacAddress(NEW);
  w.scheduler.runUntilIdle();
  t.true(dev.devAddr.equals(MAC));
  t.true(w.vf!.devAddr.equals(MAC));
  t.true(w.host.currentMac.equals(MAC));
  t.deepEqual(seen, ['00:15:5d:00:00:77', '00:15:5d:00:00:01']);
  t.deepEqual(refused, [`00:15:5d:00:00:77 ${RNDIS_STATUS.FAILURE}`]);
});

test('a NetworkAddress request that cannot be sent fails the change at once (ERR_BUSY), the VF set back', (t) => {
  const w = World.accelerated();
  const dev = w.netvsc;
  w.host.pause();
  // Fill the guest-to-host ring with SETs of the packet filter the host does not read, until a
  // NetworkAddress SET (about 170 bytes of ring) no longer fits.
  for (let i = 0; i < 4000 && w.channel.guest.tx.bytesToWrite() >= 150; i++)
    dev.setPromiscuity(i % 2 === 0 ? 1 : -1);
  t.true(w.channel.guest.tx.bytesToWrite() < 150);
  const err = t.throws(() => dev.setMacAddress(NEW));
  t.true(isBypassError(err, 'ERR_BUSY'));
  t.true(dev.devAddr.equals(MAC));
  t.true(w.vf!.devAddr.equals(MAC));
});

test('the host answers a malformed or unknown configuration parameter without applying it', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  const answers: number[] = [];
  const set = (info: Uint8Array): void =>
    dev.client.rndisRequest(
      { kind: RNDIS_MSG.SET, requestId: 0, oid: RNDIS_OID.CONFIG_PARAMETER, info },
      (m) => answers.push(m !== null && 'status' in m ? m.status : -1),
    );
  set(encodeRndisConfigParameter('NetworkAddress', 'nothex000000'));
  set(new Uint8Array(8));
  set(encodeRndisConfigParameter('VlanID', '5'));
  w.scheduler.runUntilIdle();
  t.deepEqual(answers, [
    RNDIS_STATUS.INVALID_DATA,
    RNDIS_STATUS.INVALID_DATA,
    RNDIS_STATUS.NOT_SUPPORTED,
  ]);
  t.is(w.host.stats.malformed, 2);
  t.true(w.host.currentMac.equals(MAC));
});

test('the host reports the address the guest set as OID_802_3_CURRENT_ADDRESS, the permanent one unchanged', (t) => {
  const w = new World();
  const dev = w.probe();
  w.scheduler.runUntilIdle();
  dev.setMacAddress(NEW);
  w.scheduler.runUntilIdle();
  const got: string[] = [];
  for (const oid of [RNDIS_OID.CURRENT_ADDRESS, RNDIS_OID.PERMANENT_ADDRESS])
    dev.client.rndisRequest(
      { kind: RNDIS_MSG.QUERY, requestId: 0, oid, info: new Uint8Array(0) },
      (m) => {
        if (m?.kind === RNDIS_MSG.QUERY_C) got.push(MacAddress.fromBytes(m.info, 0).toString());
      },
    );
  w.scheduler.runUntilIdle();
  t.deepEqual(got, ['00:15:5d:00:00:77', '00:15:5d:00:00:01']);
});
