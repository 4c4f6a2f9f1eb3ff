/**
 * Random scenarios for the model-based test: 1-2 hosts with 0-2 VFs, 1-2 VMs with a random NIC
 * model and guest knobs, flows in and out of every VM, and random steps (migrations with random
 * downtime, pre-copy, unplug mode and cancel time; cancels; VF unplug and plug; host servicing;
 * link flaps of the VF or the backup; guest down and up; MTU changes).
 */
import fc from 'fast-check';
import { NIC_MODELS } from '../../src/scenario/Scenario.js';

/** A scenario file object (what a YAML/JSON file holds). */
export type ScenarioObject = Record<string, unknown>;

/** Sizes of the generated scenarios. */
export interface ScenarioSize {
  readonly maxDurationMs: number;
  readonly maxKpps: number;
  readonly maxSteps: number;
}

/** `npm test`: short and slow enough for a dozen runs in a few seconds. */
export const SMALL: ScenarioSize = { maxDurationMs: 1500, maxKpps: 20, maxSteps: 8 };
/** `npm run test:deep`: up to 2.5 s, 30 kpps, 16 steps. */
export const LARGE: ScenarioSize = { maxDurationMs: 2500, maxKpps: 30, maxSteps: 16 };

const ms = (n: number): string => `${n}ms`;

const nicOptions = fc
  .record(
    {
      guest_ejects: fc.constantFrom(true, true, true, false),
      guest_accepts_backup: fc.constantFrom(true, true, true, true, false),
      offer_backup: fc.constantFrom(true, true, true, true, false),
      eject_delay: fc.integer({ min: 0, max: 30 }).map(ms),
      unplug_timeout: fc.integer({ min: 20, max: 800 }).map(ms),
      vf_plug_delay: fc.integer({ min: 0, max: 300 }).map(ms),
      miimon: fc.integer({ min: 10, max: 200 }).map(ms),
      enslave_delay: fc.integer({ min: 0, max: 600 }).map(ms),
      hotplug_poll: fc.integer({ min: 50, max: 1000 }).map(ms),
      paused_frames: fc.constantFrom('drop', 'queue'),
      paused_queue: fc.integer({ min: 0, max: 2000 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => {
    // paused_queue is refused unless paused_frames is queue
    if (o.paused_frames === 'queue') return o;
    const { paused_queue: _unused, ...rest } = o;
    return rest;
  });

/** One step, given the VM count, host count and the duration (ms). */
function step(vms: number, hosts: number, durationMs: number): fc.Arbitrary<ScenarioObject> {
  const at = fc.integer({ min: 0, max: durationMs - 1 });
  const vm = fc.integer({ min: 0, max: vms - 1 }).map((i) => `vm${i}`);
  const simple = (action: string): fc.Arbitrary<ScenarioObject> =>
    fc.record({ at, action: fc.constant(action), vm });
  return fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc
          .record({
            at,
            vm,
            to: fc.integer({ min: 0, max: hosts - 1 }),
            downtime: fc.integer({ min: 1, max: 300 }),
            precopy: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
            unplug: fc.constantFrom('orchestrated', 'orchestrated', 'surprise', 'none'),
            cancelAfter: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
          })
          .map((s) => {
            const out: ScenarioObject = {
              at: ms(s.at),
              action: 'migrate',
              vm: s.vm,
              to: `h${s.to}`,
              downtime: ms(s.downtime),
              unplug: s.unplug,
            };
            if (s.precopy !== undefined) out['precopy'] = ms(s.precopy);
            if (s.cancelAfter !== undefined && s.at + s.cancelAfter < durationMs)
              out['cancel_at'] = ms(s.at + s.cancelAfter);
            return out;
          }),
      },
      { weight: 2, arbitrary: simple('cancel-migration') },
      {
        weight: 3,
        arbitrary: fc.record({
          at: at.map(ms),
          action: fc.constant('vf-unplug'),
          vm,
          mode: fc.constantFrom('surprise', 'orchestrated'),
        }),
      },
      { weight: 3, arbitrary: fc.record({ at: at.map(ms), action: fc.constant('vf-plug'), vm }) },
      {
        weight: 2,
        arbitrary: fc.record({
          at: at.map(ms),
          action: fc.constant('host-servicing'),
          vm,
          duration: fc.integer({ min: 1, max: 500 }).map(ms),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          at: at.map(ms),
          action: fc.constantFrom('link-down', 'link-up'),
          vm,
          dev: fc.constantFrom('vf', 'backup'),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc.record({
            at: at.map(ms),
            action: fc.constant('guest-down'),
            vm,
            clock: fc.constantFrom('runs', 'frozen'),
          }),
          fc.record({ at: at.map(ms), action: fc.constant('guest-up'), vm }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          at: at.map(ms),
          action: fc.constant('set-mtu'),
          vm,
          dev: fc.constantFrom('master', 'vf', 'backup'),
          mtu: fc.constantFrom(576, 1280, 1500, 9000),
        }),
      },
    )
    .map((s) => ({ ...s, at: typeof s['at'] === 'number' ? ms(s['at']) : s['at'] }));
}

/** A random scenario file object of at most `size`. */
export function scenarioObject(size: ScenarioSize): fc.Arbitrary<ScenarioObject> {
  return fc
    .record({
      // Mostly two hosts: with one, every migration is refused.
      hosts: fc.oneof(
        { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 })) },
        {
          weight: 3,
          arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        },
      ),
      vms: fc.array(
        fc.record({
          host: fc.nat(1),
          model: fc.constantFrom(...NIC_MODELS),
          vf: fc.constantFrom(true, true, true, false),
          options: nicOptions,
          // the bond's MAC handling (bonding only): a VF MAC of its own, trusted or not, and
          // the host NIC's anti-spoofing of what the VF sends
          bond: fc.record({
            fail_over_mac: fc.constantFrom('none', 'none', 'active', 'follow'),
            ownVfMac: fc.boolean(),
            vf_trust: fc.boolean(),
            vf_spoofchk: fc.constantFrom(true, true, false),
          }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      durationMs: fc.integer({ min: 1000, max: size.maxDurationMs }),
      tick: fc.constantFrom('50us', '50us', '100us'),
      // the hosts' VF filter lifetime: libvirt prepares destinations and keeps MACs set
      vfFilter: fc.constantFrom('reset-at-eject', 'reset-at-eject', 'libvirt'),
      // whether the hosts' PFs list their bridges' stations (a VF reaches local peers)
      vfToBridge: fc.constantFrom('pf', 'pf', 'wire'),
      seed: fc.integer({ min: 1, max: 1000 }),
    })
    .chain((w) => {
      const nh = w.hosts.length;
      const nv = w.vms.length;
      const flow = fc.record({
        peer: fc.nat(nh - 1),
        kpps: fc.integer({ min: 1, max: size.maxKpps }),
        size: fc.constantFrom(64, 512, 1500),
        cast: fc.constantFrom('unicast', 'unicast', 'unicast', 'multicast', 'broadcast'),
      });
      return fc.record({
        w: fc.constant(w),
        flowsIn: fc.array(flow, { minLength: nv, maxLength: nv }),
        flowsOut: fc.array(flow, { minLength: nv, maxLength: nv }),
        steps: fc.array(step(nv, nh, w.durationMs), { maxLength: size.maxSteps }),
      });
    })
    .map(({ w, flowsIn, flowsOut, steps }) => {
      const hosts = w.hosts.map((vfs, i) => ({
        name: `h${i}`,
        vfs,
        vf_filter: w.vfFilter,
        vf_to_bridge: w.vfToBridge,
      }));
      const vms = w.vms.map((v, i) => ({
        name: `vm${i}`,
        host: `h${v.host % hosts.length}`,
        memory: '64MiB',
        nics: [
          {
            name: 'eth0',
            model: v.model,
            mac: `52:54:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
            // Plain virtio never has a VF (the loader refuses `vf: true` for it).
            vf: v.model !== 'virtio' && v.vf,
            options:
              v.model === 'bonding'
                ? {
                    ...v.options,
                    fail_over_mac: v.bond.fail_over_mac,
                    vf_trust: v.bond.vf_trust,
                    vf_spoofchk: v.bond.vf_spoofchk,
                    ...(v.bond.ownVfMac ? { vf_mac: `06:00:00:00:0a:0${i + 1}` } : {}),
                  }
                : v.options,
          },
        ],
      }));
      const peers = hosts.map((h, i) => ({ name: `p${i}`, host: h.name }));
      const flows = [
        ...flowsIn.map((f, i) => ({
          name: `in${i}`,
          from: `p${f.peer}`,
          to: `vm${i}/eth0`,
          rate: `${f.kpps}kpps`,
          size: f.size,
          cast: f.cast,
        })),
        ...flowsOut.map((f, i) => ({
          name: `out${i}`,
          from: `vm${i}/eth0`,
          to: `p${f.peer}`,
          rate: `${f.kpps}kpps`,
          size: f.size,
          cast: f.cast,
        })),
      ];
      // QEMU unplugs a failover VF itself: the loader refuses `unplug: none` for a VM with a
      // virtio-backup NIC offering BACKUP to a guest that takes it, so such a migration asks for
      // the orchestrated unplug.
      const failover = new Set(
        w.vms
          .map((v, i) => ({ v, i }))
          .filter(
            ({ v }) =>
              v.model === 'virtio-backup' &&
              v.options.offer_backup !== false &&
              v.options.guest_accepts_backup !== false,
          )
          .map(({ i }) => `vm${i}`),
      );
      const stepsOk = steps.map((s) =>
        s['unplug'] === 'none' && failover.has(s['vm'] as string)
          ? { ...s, unplug: 'orchestrated' }
          : s,
      );
      return {
        name: 'model',
        seed: w.seed,
        duration: ms(w.durationMs),
        tick: w.tick,
        hosts,
        vms,
        peers,
        flows,
        steps: stepsOk,
      };
    });
}
