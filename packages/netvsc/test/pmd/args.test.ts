import test from 'ava';
import { isBypassError } from '@bypass/core';
import {
  NETVSC_PMD_DEFAULTS,
  hostLatencyUnits,
  parseNetvscPmdArgs,
} from '../../src/pmd/exports.js';
import { PmdWorld } from './world.js';

function parseError(args: string): string {
  try {
    parseNetvscPmdArgs(args);
  } catch (err) {
    if (!isBypassError(err, 'ERR_PARSE')) throw err;
    return err.message;
  }
  throw new Error(`${args} parsed`);
}

test('devargs defaults: latency 50 us, rx_copybreak 256, tx_copybreak 512, rx_extmbuf_enable off', (t) => {
  t.deepEqual(parseNetvscPmdArgs(''), {
    latencyUs: 50,
    rxCopybreak: 256,
    txCopybreak: 512,
    rxExtmbufEnable: false,
  });
  t.deepEqual(parseNetvscPmdArgs(''), { ...NETVSC_PMD_DEFAULTS });
});

test('devargs values are read like strtoul base 0: decimal, 0x hex, 0 octal; last one wins', (t) => {
  const a = parseNetvscPmdArgs(
    'latency=100,rx_copybreak=0x40,tx_copybreak=010,rx_extmbuf_enable=1',
  );
  t.deepEqual(a, { latencyUs: 100, rxCopybreak: 64, txCopybreak: 8, rxExtmbufEnable: true });
  t.is(parseNetvscPmdArgs('tx_copybreak=1,tx_copybreak=0').txCopybreak, 0);
  t.false(parseNetvscPmdArgs('rx_extmbuf_enable=0').rxExtmbufEnable);
  t.is(parseNetvscPmdArgs('latency= 7').latencyUs, 7);
});

test('a bad value or trailing junk gives DPDK "invalid parameter k=v"', (t) => {
  t.regex(parseError('latency=5us'), /invalid parameter latency=5us/);
  t.regex(parseError('rx_copybreak='), /invalid parameter rx_copybreak=/);
  t.regex(parseError('tx_copybreak=0x'), /invalid parameter tx_copybreak=0x/);
  t.regex(parseError('rx_extmbuf_enable=yes'), /invalid parameter rx_extmbuf_enable=yes/);
  t.regex(parseError('tx_copybreak=09'), /invalid parameter tx_copybreak=09/);
});

test('fixed DPDK quirk: negative or 33-bit values are refused instead of wrapping', (t) => {
  t.regex(parseError('rx_copybreak=-1'), /invalid parameter rx_copybreak=-1/);
  t.regex(parseError('tx_copybreak=4294967296'), /invalid parameter tx_copybreak=4294967296/);
  t.is(parseNetvscPmdArgs('tx_copybreak=4294967295').txCopybreak, 4294967295);
});

test('an unknown key or a token without = gives DPDK "invalid parameters"', (t) => {
  t.regex(parseError('copybreak=1'), /invalid parameters/);
  t.regex(parseError('latency'), /invalid parameters/);
  t.regex(parseError('numa_aware=1'), /invalid parameters/);
  t.notRegex(parseError('copybreak=1'), /invalid parameter copybreak/);
});

test('errors are logged with the DPDK text', (t) => {
  const lines: string[] = [];
  t.throws(() => parseNetvscPmdArgs('latency=x', (l, m) => lines.push(`${l}: ${m}`)));
  t.throws(() => parseNetvscPmdArgs('foo=1', (l, m) => lines.push(`${l}: ${m}`)));
  t.deepEqual(lines, ['error: invalid parameter latency=x', 'error: invalid parameters']);
});

test('latency goes to the host in 100 ns units; the bus refuses 6.5535 ms and more', (t) => {
  t.is(hostLatencyUnits(50), 500);
  t.is(hostLatencyUnits(0), 0);
  t.is(hostLatencyUnits(6553), 65530);
  t.is(hostLatencyUnits(6554), -1);
});

test('probe with bad devargs throws before any I/O and allocates no port', (t) => {
  const w = new PmdWorld();
  const err = t.throws(() => w.probe('tx_copybreak=big'));
  t.true(isBypassError(err, 'ERR_PARSE'));
  t.is(w.registry.ports().length, 0);
  t.is(w.host.version, 0);
});

test('probe applies the devargs; an out-of-range latency is logged and left to the host', (t) => {
  const w = new PmdWorld();
  const p = w.probe('latency=7000,rx_copybreak=100');
  t.is(p.args.rxCopybreak, 100);
  t.is(p.hostLatency, -1);
  t.true(w.log.includes('error: invalid latency value 7000000'));
  const w2 = new PmdWorld();
  t.is(w2.probe('').hostLatency, 500);
});
