import { formatDuration, parseDuration, parseRate } from '@bypass/core';
import type {
  FlowEndpoint,
  ScenarioExpect,
  ScenarioFlow,
  ScenarioStep,
  ScenarioVm,
} from './Scenario.js';
import type { ScenarioChecks } from './ScenarioChecks.js';
import type { FileFlow, FileStep, ScenarioFileData } from './ScenarioFile.js';
import { STEP_FIELDS } from './ScenarioJsonSchema.js';
import type { PathSegment } from './ScenarioSource.js';
import type { ScenarioWorldParts } from './ScenarioWorld.js';

/** migrate defaults. */
export const DEFAULT_DOWNTIME = 300_000_000;
/** migrate: 10 Gbit/s. */
export const DEFAULT_MIGRATION_BANDWIDTH = 10e9;
/** host-servicing: the VF is revoked for 1 s. */
export const DEFAULT_SERVICING = 1_000_000_000;
/** The highest flow rate accepted, frames/s (a 100GbE link carries 148.8 Mpps of 64B frames). */
export const MAX_PPS = 200e6;
/** Default flow frame size (bytes, no FCS). */
export const DEFAULT_FRAME_SIZE = 64;

/** The choreography part of a normalized scenario. */
export interface ScenarioChoreographyParts {
  readonly flows: readonly ScenarioFlow[];
  readonly steps: readonly ScenarioStep[];
  readonly expect: readonly ScenarioExpect[];
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

function endpoint(
  c: ScenarioChecks,
  text: string,
  segs: PathSegment[],
  world: ScenarioWorldParts,
): FlowEndpoint | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (world.peers.some((p) => p.name === text)) return { kind: 'peer', peer: text, id: text };
    const asVm = world.vms.find((v) => v.name === text);
    if (asVm !== undefined) {
      const nic = asVm.nics[0]?.name ?? 'eth0';
      c.add(segs, `"${text}" is a VM: name one of its NICs as ${text}/${nic}`);
    } else {
      c.unknown(
        segs,
        'peer',
        text,
        world.peers.map((p) => p.name),
      );
    }
    return undefined;
  }
  const vmName = text.slice(0, slash);
  const nicName = text.slice(slash + 1);
  const vm = world.vms.find((v) => v.name === vmName);
  if (vm === undefined) {
    c.unknown(
      segs,
      'VM',
      vmName,
      world.vms.map((v) => v.name),
    );
    return undefined;
  }
  if (!vm.nics.some((n) => n.name === nicName)) {
    c.unknown(
      segs,
      `NIC of VM ${vmName}`,
      nicName,
      vm.nics.map((n) => n.name),
    );
    return undefined;
  }
  return { kind: 'nic', vm: vmName, nic: nicName, id: text };
}

function flow(
  c: ScenarioChecks,
  f: FileFlow,
  i: number,
  world: ScenarioWorldParts,
  duration: number,
): ScenarioFlow | undefined {
  const segs: PathSegment[] = ['flows', i];
  const from = endpoint(c, f.from, [...segs, 'from'], world);
  const to = endpoint(c, f.to, [...segs, 'to'], world);
  if (f.from === f.to) c.add([...segs, 'to'], `a flow cannot go from ${f.from} to itself`);
  const size = f.size ?? DEFAULT_FRAME_SIZE;
  let pps = Number.NaN;
  try {
    const r = parseRate(f.rate);
    // A bit rate counts the frame bytes only (no preamble, FCS or gap): pps = bps / (size * 8).
    pps = r.kind === 'pps' ? r.value : r.value / (size * 8);
  } catch (err) {
    c.add([...segs, 'rate'], err instanceof Error ? err.message : String(err));
  }
  if (pps > MAX_PPS) {
    c.add(
      [...segs, 'rate'],
      `${Math.round(pps)} frames/s is above ${MAX_PPS / 1e6}Mpps (more than a 100GbE link carries): lower the rate`,
    );
  }
  const start = c.duration(f.start, [...segs, 'start'], 0);
  const stop = c.duration(f.stop, [...segs, 'stop'], duration);
  c.beforeEnd(start, duration, [...segs, 'start'], 'start');
  if (Number.isFinite(stop) && stop > duration) {
    c.add(
      [...segs, 'stop'],
      `stop ${formatDuration(stop)} is after the end of the scenario (duration ${formatDuration(duration)})`,
    );
  }
  if (Number.isFinite(start) && Number.isFinite(stop) && stop <= start) {
    c.add(
      [...segs, 'stop'],
      `stop ${formatDuration(stop)} must be after start ${formatDuration(start)}`,
    );
  }
  if (from === undefined || to === undefined) return undefined;
  return { name: f.name, from, to, pps, size, cast: f.cast ?? 'unicast', start, stop };
}

function step(
  c: ScenarioChecks,
  s: FileStep,
  i: number,
  world: ScenarioWorldParts,
  duration: number,
): ScenarioStep {
  const segs: PathSegment[] = ['steps', i];
  const allowed = STEP_FIELDS[s.action] ?? [];
  for (const key of Object.keys(s)) {
    if (key !== 'at' && key !== 'action' && !allowed.includes(key)) {
      c.add([...segs, key], `is not used by action ${s.action}, which takes ${allowed.join(', ')}`);
    }
  }
  const at = c.duration(s.at, [...segs, 'at'], 0);
  c.beforeEnd(at, duration, [...segs, 'at'], 'at');
  const out: Writable<ScenarioStep> = { at, action: s.action, path: `steps[${i}]` };
  let vm: ScenarioVm | undefined;
  if (s.vm !== undefined) {
    vm = world.vms.find((v) => v.name === s.vm);
    if (vm === undefined)
      c.unknown(
        [...segs, 'vm'],
        'VM',
        s.vm,
        world.vms.map((v) => v.name),
      );
    out.vm = s.vm;
  }
  if (allowed.includes('nic')) {
    if (s.nic !== undefined) {
      if (vm !== undefined && !vm.nics.some((n) => n.name === s.nic)) {
        c.unknown(
          [...segs, 'nic'],
          `NIC of VM ${vm.name}`,
          s.nic,
          vm.nics.map((n) => n.name),
        );
      }
      out.nic = s.nic;
    } else if (vm !== undefined) {
      const only = vm.nics.length === 1 ? vm.nics[0] : undefined;
      if (only !== undefined) out.nic = only.name;
      else
        c.add(
          [...segs, 'nic'],
          `is required: VM ${vm.name} has several NICs (${vm.nics.map((n) => n.name).join(', ')})`,
        );
    }
  }
  switch (s.action) {
    case 'migrate': {
      if (s.to !== undefined) {
        if (!world.hosts.some((h) => h.name === s.to)) {
          c.unknown(
            [...segs, 'to'],
            'host',
            s.to,
            world.hosts.map((h) => h.name),
          );
        }
        out.to = s.to;
      }
      out.downtime = c.duration(s.downtime, [...segs, 'downtime'], DEFAULT_DOWNTIME);
      out.bandwidth = c.bandwidth(s.bandwidth, [...segs, 'bandwidth'], DEFAULT_MIGRATION_BANDWIDTH);
      // Default pre-copy: the VM's memory sent once at the migration bandwidth.
      const memory = vm?.memory ?? Number.NaN;
      const copy = Math.ceil(((memory * 8) / out.bandwidth) * 1e9);
      if (s.precopy === undefined && Number.isFinite(copy) && !Number.isSafeInteger(copy)) {
        c.add(
          [...segs, 'bandwidth'],
          'pre-copy of the VM memory at this bandwidth takes too long: raise it or set precopy',
        );
      }
      out.precopy = c.duration(s.precopy, [...segs, 'precopy'], copy);
      out.unplug = s.unplug ?? 'orchestrated';
      // QEMU unplugs a failover primary itself at setup (hw/net/virtio-net.c
      // virtio_net_handle_migration_primary) and vfio registers no blocker for it: management
      // cannot keep it plugged, so "none" has no meaning for such a NIC. A guest that never acks
      // STANDBY never gets the primary (hw/net/virtio-net.c failover_hide_primary_device keeps it
      // hidden, unrealized, so no vfio blocker either): such a NIC migrates with "none" as well.
      if (s.unplug === 'none' && vm !== undefined) {
        const failover = vm.nics.filter(
          (n) =>
            n.model === 'virtio-backup' && n.options.offer_backup && n.options.guest_accepts_backup,
        );
        if (failover.length > 0) {
          const ids = failover.map((n) => `${vm.name}/${n.name}`).join(', ');
          c.add(
            [...segs, 'unplug'],
            `none cannot apply to ${ids} (virtio-backup with offer_backup: true, QEMU failover=on, and a guest that acks STANDBY): QEMU unplugs a failover VF itself when the migration starts; use unplug: orchestrated, or offer_backup: false for a plain VF that blocks the migration`,
          );
        }
      }
      if (s.cancel_at !== undefined) {
        const cancelAt = c.duration(s.cancel_at, [...segs, 'cancel_at'], 0);
        if (Number.isFinite(cancelAt) && Number.isFinite(at) && cancelAt <= at) {
          c.add(
            [...segs, 'cancel_at'],
            `cancel_at ${formatDuration(cancelAt)} must be after at ${formatDuration(at)}`,
          );
        }
        c.beforeEnd(cancelAt, duration, [...segs, 'cancel_at'], 'cancel_at');
        out.cancel_at = cancelAt;
      }
      break;
    }
    case 'vf-unplug':
      out.mode = s.mode ?? 'orchestrated';
      break;
    case 'guest-down':
      out.clock = s.clock ?? 'runs';
      break;
    case 'host-servicing': {
      const d = c.duration(s.duration, [...segs, 'duration'], DEFAULT_SERVICING);
      if (d === 0) c.add([...segs, 'duration'], 'must be > 0');
      out.duration = d;
      break;
    }
    default:
      break;
  }
  if (s.dev !== undefined && allowed.includes('dev')) out.dev = s.dev;
  if (s.name !== undefined && allowed.includes('name')) out.name = s.name;
  if (s.mtu !== undefined && allowed.includes('mtu')) out.mtu = s.mtu;
  return out;
}

/**
 * Checks and normalizes flows, steps (sorted by `at`, stable) and expectations against the
 * already normalized world.
 */
export function normalizeChoreography(
  c: ScenarioChecks,
  f: ScenarioFileData,
  world: ScenarioWorldParts,
  duration: number,
): ScenarioChoreographyParts {
  const flowNames = new Map<string, string>();
  const flows: ScenarioFlow[] = [];
  (f.flows ?? []).forEach((fl, i) => {
    c.unique(flowNames, fl.name, ['flows', i, 'name'], 'flow', `flows[${i}]`);
    const n = flow(c, fl, i, world, duration);
    if (n !== undefined) flows.push(n);
  });

  const steps = (f.steps ?? [])
    .map((s, i) => step(c, s, i, world, duration))
    .sort((a, b) => a.at - b.at);

  const nicIds = new Set(world.vms.flatMap((v) => v.nics.map((n) => `${v.name}/${n.name}`)));
  const expect: ScenarioExpect[] = (f.expect ?? []).map((e, i) => {
    const segs: PathSegment[] = ['expect', i];
    if (e.min === undefined && e.max === undefined && e.equals === undefined) {
      c.add(segs, 'needs at least one of min, max, equals');
    }
    const bound = (v: number | string): number => (typeof v === 'number' ? v : parseDuration(v));
    if (e.min !== undefined && e.max !== undefined && typeof e.min !== typeof e.max) {
      c.add([...segs, 'max'], 'min and max must both be numbers or both be durations');
    } else if (e.min !== undefined && e.max !== undefined && bound(e.min) > bound(e.max)) {
      c.add([...segs, 'max'], `max ${e.max} is below min ${e.min}: nothing can pass`);
    }
    const parts = e.metric.split('.');
    if (parts[0] === 'flows' && parts[1] !== undefined && !flowNames.has(parts[1])) {
      c.unknown([...segs, 'metric'], 'flow', parts[1], [...flowNames.keys()]);
    }
    if (parts[0] === 'nics' && parts[1] !== undefined && !nicIds.has(parts[1])) {
      c.unknown([...segs, 'metric'], 'NIC', parts[1], [...nicIds]);
    }
    const out: Writable<ScenarioExpect> = { metric: e.metric, path: `expect[${i}]` };
    if (e.min !== undefined) out.min = e.min;
    if (e.max !== undefined) out.max = e.max;
    if (e.equals !== undefined) out.equals = e.equals;
    return out;
  });
  return { flows, steps, expect };
}
