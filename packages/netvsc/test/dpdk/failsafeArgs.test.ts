import test from 'ava';
import {
  FAILSAFE_DEVARGS_MAXLEN,
  parseFailsafeArgs,
  parseFdNumber,
  unformatEtherAddr,
} from '../../src/dpdk/exports.js';

test('sub-devices are parsed in declaration order with nested parentheses', (t) => {
  const a = parseFailsafeArgs('fd(3),dev(net_tap_vsc0,remote=eth1)');
  t.deepEqual(a.subs, [
    { kind: 'fd', text: '3' },
    { kind: 'dev', text: 'net_tap_vsc0,remote=eth1' },
  ]);
  t.is(a.hotplugPollMs, 2000);
  t.is(a.mac, null);
  const b = parseFailsafeArgs('exec(echo x(y)),dev(0002:00:02.0)');
  t.deepEqual(b.subs[0], { kind: 'exec', text: 'echo x(y)' });
});

test('mac= and hotplug_poll= are read; hotplug_poll accepts hex like strtoull', (t) => {
  const a = parseFailsafeArgs('dev(net_tap0),mac=de:ad:be:ef:00:01,hotplug_poll=0x1f4');
  t.is(a.mac?.toString(), 'de:ad:be:ef:00:01');
  t.is(a.hotplugPollMs, 500);
  t.is(parseFailsafeArgs('hotplug_poll=300,dev(net_tap0)').hotplugPollMs, 300);
});

test('hotplug_poll given twice is ignored as DPDK ignores it', (t) => {
  t.is(parseFailsafeArgs('dev(net_tap0),hotplug_poll=10,hotplug_poll=20').hotplugPollMs, 2000);
});

test('no sub-device: "This PMD requires sub-devices, none provided"', (t) => {
  for (const p of ['', 'mac=00:15:5d:00:00:01']) {
    t.throws(() => parseFailsafeArgs(p), {
      code: 'ERR_INVALID_ARGUMENT',
      message: /This PMD requires sub-devices, none provided/,
    });
  }
});

test('three sub-devices: "Cannot allocate more than 2 ports"', (t) => {
  t.throws(() => parseFailsafeArgs('dev(a),dev(b),dev(c)'), {
    code: 'ERR_INVALID_ARGUMENT',
    message: /Cannot allocate more than 2 ports/,
  });
});

test('4096 characters or more: "Parameter string too long (>=4096)"', (t) => {
  const long = `dev(net_tap0,iface=${'x'.repeat(FAILSAFE_DEVARGS_MAXLEN)})`;
  t.throws(() => parseFailsafeArgs(long), { message: /Parameter string too long \(>=4096\)/ });
  const fits = `dev(${'y'.repeat(FAILSAFE_DEVARGS_MAXLEN - 6)})`;
  t.is(fits.length, FAILSAFE_DEVARGS_MAXLEN - 1);
  t.is(parseFailsafeArgs(fits).subs.length, 1);
});

test('syntax errors carry DPDK messages', (t) => {
  t.throws(() => parseFailsafeArgs('dev(net_tap0'), {
    code: 'ERR_PARSE',
    message: /Dangling parenthesis/,
  });
  t.throws(() => parseFailsafeArgs('(x)'), { code: 'ERR_PARSE', message: /Invalid parameter/ });
  t.throws(() => parseFailsafeArgs('pci(x)'), { message: /Unrecognized device type: pci/ });
  t.throws(() => parseFailsafeArgs('dev(a)junk'), { message: /Invalid parameter/ });
  t.throws(() => parseFailsafeArgs('dev(a),bogus=1'), {
    message: /Error parsing parameters, usage:/,
  });
  t.throws(() => parseFailsafeArgs('dev(a),mac=zz'), { message: /invalid mac/ });
  t.throws(() => parseFailsafeArgs('dev(a),hotplug_poll=soon'), {
    message: /invalid hotplug_poll/,
  });
  t.throws(() => parseFailsafeArgs('dev(a),hotplug_poll=0'), { message: /invalid hotplug_poll/ });
});

test('fd numbers: decimal, hex or octal, whole text, not negative', (t) => {
  t.is(parseFdNumber('3'), 3);
  t.is(parseFdNumber('0x10'), 16);
  t.is(parseFdNumber('010'), 8);
  for (const bad of ['', '-1', '3x', 'pipe']) {
    t.throws(() => parseFdNumber(bad), { code: 'ERR_PARSE', message: /Parsing FD number failed/ });
  }
});

test('unformatEtherAddr reads the rte_ether_unformat_addr forms and nothing else', (t) => {
  const ok = [
    '00:15:5d:00:00:01',
    '00-15-5D-00-00-01',
    '0:15:5d:0:0:1',
    '00.15.5d.00.00.01',
    '0015.5d00.0001',
    '0015:5d00:0001',
    '0015-5d00-0001',
  ];
  for (const text of ok) t.is(unformatEtherAddr(text)?.toString(), '00:15:5d:00:00:01', text);
  const bad = [
    '',
    '00155d000001',
    '00:15:5d:00:00:01x',
    '00:15:5d:00:00:01:',
    ' 00:15:5d:00:00:01',
    '00:15:5d:00:00-01',
    '00:15:5d:00::01',
    '000:15:5d:00:00:01',
    '015.5d00.0001',
    '0015.5d00.0001.',
    '00:15:5d:00:00',
  ];
  for (const text of bad) t.is(unformatEtherAddr(text), null, text);
});

test('fail-safe mac= takes the rte_ether_unformat_addr forms and refuses trailing text', (t) => {
  t.is(parseFailsafeArgs('dev(a),mac=02-00-00-00-00-99').mac?.toString(), '02:00:00:00:00:99');
  t.is(parseFailsafeArgs('dev(a),mac=0200.0000.0099').mac?.toString(), '02:00:00:00:00:99');
  t.throws(() => parseFailsafeArgs('dev(a),mac=02:00:00:00:00:99zz'), {
    code: 'ERR_PARSE',
    message: /invalid mac/,
  });
});
