/**
 * Fuzz targets: text parsers (MACs, durations, rates) and the DPDK devargs parsers (kvargs,
 * fail-safe, fd numbers, netvsc PMD, device-name split, TAP and vdev_netvsc probes).
 */
import {
  BusDevice,
  DeviceBus,
  MacAddress,
  NetDevice,
  NetNamespace,
  PacketPool,
  VirtualScheduler,
  parseDuration,
  parseRate,
} from '@bypass/core';
import {
  EthDevRegistry,
  FAILSAFE_MAX_SUBDEVICES,
  PipeTable,
  SimulatedSysfs,
  VdevNetvsc,
  atoi,
  failsafeDriver,
  parseFailsafeArgs,
  parseFdNumber,
  parseKvargs,
  parseNetvscPmdArgs,
  splitDevargs,
  tapDriver,
} from '@bypass/netvsc';
import fc from 'fast-check';
import {
  expect,
  fuzzTarget,
  refusedOrOk,
  stringInputs,
  stringTarget,
  type FuzzTarget,
} from './harness.js';

const MAX_NS = 2 ** 53;

fuzzTarget(
  stringTarget(
    'mac-parse',
    400,
    ['00:15:5d:00:00:01', 'ff:ff:ff:ff:ff:ff', '00-15-5D-00-00-01', '0:1:2:3:4:5', '001122334455'],
    (s, exec) => {
      refusedOrOk(() => {
        exec.tick();
        const m = MacAddress.parse(s);
        expect(
          Number.isSafeInteger(m.value) && m.value >= 0 && m.value < 2 ** 48,
          `value ${m.value}`,
        );
        exec.tick();
        expect(MacAddress.parse(m.toString()).value === m.value, 'toString does not parse back');
      }, exec);
    },
  ),
);

interface DurationInput {
  readonly text: string | number;
}
const durationTarget: FuzzTarget<DurationInput> = {
  name: 'duration-parse',
  cases: 400,
  arbitrary: fc.oneof(
    stringInputs(
      ['10ms', '1.5s', '250us', '7ns', '2m', '1h', '0', '100', '0.000000001s'],
      ['ms', 'us', 'ns', 's', 'h', 'e9'],
    ).map((text) => ({ text })),
    fc
      .oneof(
        fc.double(),
        fc.constantFrom(0, -0, 1, -1, 0.5, MAX_NS, MAX_NS + 2, 2 ** 31, 2 ** 32 - 1, NaN, Infinity),
      )
      .map((text) => ({ text })),
  ),
  check: ({ text }, exec) => {
    refusedOrOk(() => {
      exec.tick();
      const ns = parseDuration(text);
      expect(Number.isSafeInteger(ns) || ns === MAX_NS, `duration ${ns} is not an integer of ns`);
      expect(ns >= 0 && ns <= MAX_NS, `duration ${ns} out of 0..2^53`);
    }, exec);
  },
  toJson: (i) =>
    typeof i.text === 'number' && !Number.isFinite(i.text) ? { num: String(i.text) } : i,
  fromJson: (j) => {
    const o = j as { text?: string | number; num?: string };
    return { text: o.num !== undefined ? Number(o.num) : (o.text ?? '') };
  },
};
fuzzTarget(durationTarget);

fuzzTarget(
  stringTarget(
    'rate-parse',
    400,
    ['10kpps', '1.5Mpps', '100Mbps', '1Gbps', '64pps', '0.001bps'],
    (s, exec) => {
      refusedOrOk(() => {
        exec.tick();
        const r = parseRate(s);
        expect(r.value > 0 && Number.isFinite(r.value), `rate value ${r.value}`);
        expect(r.kind === 'pps' || r.kind === 'bps', `rate kind ${String(r.kind)}`);
      }, exec);
    },
    ['k', 'M', 'G', 'pps', 'bps', 'e400'],
  ),
);

const DEVARGS_VALID = [
  'iface=eth1,force=1',
  'mac=00:15:5d:00:00:01',
  'remote=eth1',
  'latency=50,rx_copybreak=0x100,tx_copybreak=0600,rx_extmbuf_enable=1',
  'hotplug_poll=100,mac=00:15:5d:00:00:02',
  '',
];

fuzzTarget(
  stringTarget('kvargs', 400, DEVARGS_VALID, (s, exec) => {
    refusedOrOk(() => {
      exec.tick(3);
      for (const keys of [undefined, ['iface', 'mac', 'force', 'ignore']]) {
        const pairs = parseKvargs(s, keys);
        if (pairs === null) continue;
        for (const p of pairs) {
          expect(p.key.length > 0 && !p.key.includes('=') && !p.key.includes(','), `key ${p.key}`);
          expect(keys === undefined || keys.includes(p.key), `key ${p.key} not allowed`);
        }
      }
      const n = atoi(s);
      expect(Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31, `atoi ${n}`);
    }, exec);
  }),
);

const FAILSAFE_VALID = [
  'fd(3),dev(net_tap_vsc0,remote=eth1)',
  'dev(0000:00:02.0),dev(net_tap0,iface=tap0)',
  'exec(echo net_tap0),dev(0000:00:03.0),hotplug_poll=100',
  'dev(0002:00:02.0),fd(4),mac=00:15:5d:00:00:01',
  'dev(a(b)c)',
];

fuzzTarget(
  stringTarget(
    'failsafe-devargs',
    400,
    FAILSAFE_VALID,
    (s, exec) => {
      refusedOrOk(() => {
        exec.tick();
        const a = parseFailsafeArgs(s);
        expect(
          a.subs.length >= 1 && a.subs.length <= FAILSAFE_MAX_SUBDEVICES,
          `${a.subs.length} subs`,
        );
        expect(
          Number.isSafeInteger(a.hotplugPollMs) && a.hotplugPollMs > 0,
          `hotplug_poll ${a.hotplugPollMs}`,
        );
        for (const sub of a.subs) {
          if (sub.kind !== 'fd') continue;
          refusedOrOk(() => {
            exec.tick();
            const fd = parseFdNumber(sub.text);
            expect(Number.isSafeInteger(fd) && fd >= 0 && fd <= 0x7fffffff, `fd ${fd}`);
          });
        }
      }, exec);
    },
    ['dev(', 'exec(', 'fd(', ')', '0x7fffffff', '0x80000000', '017', '08'],
  ),
);

fuzzTarget(
  stringTarget('netvsc-pmd-devargs', 400, DEVARGS_VALID, (s, exec) => {
    refusedOrOk(() => {
      exec.tick();
      const a = parseNetvscPmdArgs(s);
      for (const v of [a.latencyUs, a.rxCopybreak, a.txCopybreak]) {
        expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `value ${v}`);
      }
      expect(typeof a.rxExtmbufEnable === 'boolean', 'rxExtmbufEnable');
    }, exec);
  }),
);

/** A kernel netdev standing in for hv_netvsc: frees what it transmits. */
class Nic extends NetDevice {
  protected override ndoStartXmit(pkts: Int32Array, start: number, count: number): number {
    this.pool.freeBurst(pkts, start, count);
    return count;
  }
}

/** A small simulated world with the TAP and fail-safe drivers and two NetVSC interfaces. */
class DpdkWorld {
  readonly pool = new PacketPool({ slots: 64 });
  readonly ns = new NetNamespace('vm');
  readonly bus = new DeviceBus();
  readonly scheduler = new VirtualScheduler();
  readonly registry = new EthDevRegistry();
  readonly pipes = new PipeTable();
  readonly sysfs = new SimulatedSysfs({ ns: this.ns, bus: this.bus });
  readonly vdev: VdevNetvsc;

  constructor() {
    this.registry.registerDriver(tapDriver({ ns: this.ns, pool: this.pool }));
    this.registry.registerDriver(
      failsafeDriver({
        pool: this.pool,
        scheduler: this.scheduler,
        fds: this.pipes,
        commands: { run: () => null },
      }),
    );
    for (const [i, name] of ['eth0', 'eth1'].entries()) {
      const parent = new BusDevice({
        id: `vmbus-${name}`,
        bus: 'vmbus',
        vmbus: { classId: 'f8615163-df3e-46c5-913f-f2d2f965ed0e', instanceId: `inst-${name}` },
      });
      this.bus.add(parent);
      const nic = new Nic({
        pool: this.pool,
        permAddr: MacAddress.fromNumber(0x00155d000000 + i),
        parent,
        driver: 'hv_netvsc',
      });
      this.ns.register(nic, name);
      nic.carrierOn();
      nic.open();
    }
    this.vdev = new VdevNetvsc({
      registry: this.registry,
      sysfs: this.sysfs,
      scheduler: this.scheduler,
      pipes: this.pipes,
    });
  }
}

fuzzTarget(
  stringTarget(
    'devargs-probe',
    300,
    [
      'net_tap0,remote=eth1',
      'net_tap_vsc0,iface=dtap3,mac=00:15:5d:00:00:09',
      'net_tap1,mac=fixed',
      'net_failsafe0,dev(net_tap_vsc0,remote=eth1)',
      'net_failsafe_vsc0,dev(net_tap2),hotplug_poll=10',
    ],
    (s, exec) => {
      const w = new DpdkWorld();
      refusedOrOk(() => {
        exec.tick();
        const { name } = splitDevargs(s);
        expect(name.length > 0 && !name.includes(','), `device name ${JSON.stringify(name)}`);
      }, exec);
      refusedOrOk(() => {
        exec.tick();
        w.registry.probe(s);
      }, exec);
      // Virtual time moves on: hot-plug polls of a fail-safe run and must end.
      exec.tick();
      w.scheduler.advanceBy(50_000_000);
    },
    ['net_tap', 'net_failsafe', 'dev(net_tap', 'remote=eth0', 'remote=nosuch', 'remote=a/b'],
  ),
);

fuzzTarget(
  stringTarget(
    'vdev-netvsc-devargs',
    300,
    [
      'iface=eth1',
      'mac=00:15:5d:00:00:01',
      'iface=eth0,force=1',
      'ignore=1',
      '',
      'mac=00-15-5d-00-00-00',
    ],
    (s, exec) => {
      const w = new DpdkWorld();
      refusedOrOk(() => {
        exec.tick();
        w.vdev.probe('net_vdev_netvsc0', s);
      }, exec);
      expect(w.vdev.contexts.length <= 2, `${w.vdev.contexts.length} contexts for 2 interfaces`);
      exec.tick();
      w.scheduler.advanceBy(3_000_000_000);
    },
    ['iface=', 'mac=', 'force=', 'ignore=', 'eth0', 'eth1'],
  ),
);
