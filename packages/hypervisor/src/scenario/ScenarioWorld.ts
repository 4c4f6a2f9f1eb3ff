import { MacAddress } from '@bypass/core';
import { DEFAULT_FDB_AGEING_NS } from '../world/FdbAgeing.js';
import { DEFAULT_LINKS, DEFAULT_NIC_OPTIONS } from './Scenario.js';
import type {
  LinkSpec,
  NicModelName,
  NicOptions,
  ScenarioHost,
  ScenarioLinks,
  ScenarioNetwork,
  ScenarioNic,
  ScenarioPeer,
  ScenarioVm,
} from './Scenario.js';
import type { ScenarioChecks } from './ScenarioChecks.js';
import type { FileLink, FileNicOptions, ScenarioFileData } from './ScenarioFile.js';
import type { PathSegment } from './ScenarioSource.js';
import { defaultPeerMac, parseByteSize } from './ScenarioUnits.js';

/** Default VFs of a host that does not say. */
export const DEFAULT_HOST_VFS = 4;
/**
 * VF filter mode of a host that does not say: the filter follows the guest's plug and eject.
 *
 * @example
 * ```ts
 * console.log(DEFAULT_VF_FILTER); // 'reset-at-eject'
 * ```
 */
export const DEFAULT_VF_FILTER: ScenarioHost['vf_filter'] = 'reset-at-eject';
/** Default guest memory: 4 GiB. */
export const DEFAULT_VM_MEMORY = 4 * 2 ** 30;

/** The world part of a normalized scenario. */
export interface ScenarioWorldParts {
  readonly links: ScenarioLinks;
  readonly hosts: readonly ScenarioHost[];
  readonly network: ScenarioNetwork;
  readonly vms: readonly ScenarioVm[];
  readonly peers: readonly ScenarioPeer[];
}

function link(
  c: ScenarioChecks,
  file: FileLink | undefined,
  segs: PathSegment[],
  dflt: LinkSpec,
): LinkSpec {
  return {
    bandwidth: c.bandwidth(file?.bandwidth, [...segs, 'bandwidth'], dflt.bandwidth),
    latency: c.duration(file?.latency, [...segs, 'latency'], dflt.latency),
  };
}

/**
 * Models whose VF QEMU hot-plugs into a PCI slot (the others get theirs over VMBus, or none):
 * only they have a hot-plug path to choose.
 */
const PCI_HOTPLUG_MODELS: readonly NicModelName[] = ['virtio-backup', 'bonding'];

function nicOptions(
  c: ScenarioChecks,
  o: FileNicOptions | undefined,
  segs: PathSegment[],
  model: NicModelName,
): NicOptions {
  const d = DEFAULT_NIC_OPTIONS;
  const dur = (
    k:
      | 'eject_delay'
      | 'unplug_timeout'
      | 'miimon'
      | 'enslave_delay'
      | 'vf_plug_delay'
      | 'hotplug_poll'
      | 'latency',
  ): number => c.duration(o?.[k], [...segs, k], d[k]);
  const out: NicOptions = {
    offer_backup: o?.offer_backup ?? d.offer_backup,
    guest_accepts_backup: o?.guest_accepts_backup ?? d.guest_accepts_backup,
    guest_ejects: o?.guest_ejects ?? d.guest_ejects,
    eject_delay: dur('eject_delay'),
    hotplug: o?.hotplug ?? d.hotplug,
    unplug_timeout: dur('unplug_timeout'),
    miimon: dur('miimon'),
    enslave_delay: dur('enslave_delay'),
    fail_over_mac: o?.fail_over_mac ?? d.fail_over_mac,
    vf_mac:
      o?.vf_mac === undefined ? d.vf_mac : (c.unicastMac(o.vf_mac, [...segs, 'vf_mac']) ?? null),
    vf_trust: o?.vf_trust ?? d.vf_trust,
    vf_spoofchk: o?.vf_spoofchk ?? d.vf_spoofchk,
    vf_plug_delay: dur('vf_plug_delay'),
    hotplug_poll: dur('hotplug_poll'),
    latency: dur('latency'),
    tx_copybreak: o?.tx_copybreak ?? d.tx_copybreak,
    multicast_via: o?.multicast_via ?? d.multicast_via,
    paused_frames: o?.paused_frames ?? d.paused_frames,
    paused_queue: o?.paused_queue ?? d.paused_queue,
    allmulticast: o?.allmulticast ?? d.allmulticast,
  };
  if (o?.hotplug !== undefined && !PCI_HOTPLUG_MODELS.includes(model)) {
    c.add(
      [...segs, 'hotplug'],
      model === 'virtio'
        ? 'model virtio never has a VF, so it has no hot-plug path: remove hotplug'
        : `model ${model} gets its VF over VMBus, not in a PCI slot QEMU hot-plugs: remove hotplug (it applies to ${PCI_HOTPLUG_MODELS.join(' and ')})`,
    );
  }
  if (o?.vf_spoofchk !== undefined && model === 'virtio') {
    c.add(
      [...segs, 'vf_spoofchk'],
      'model virtio never has a VF, so nothing is checked: remove vf_spoofchk',
    );
  }
  for (const k of ['fail_over_mac', 'vf_mac', 'vf_trust'] as const) {
    if (o?.[k] !== undefined && model !== 'bonding') {
      c.add(
        [...segs, k],
        `${k} is an option of the bond of model bonding; model ${model} has no bond: remove ${k}${k === 'vf_mac' ? " (its VF takes the NIC's mac)" : ''}`,
      );
    }
  }
  if (o?.paused_queue !== undefined && out.paused_frames !== 'queue') {
    c.add(
      [...segs, 'paused_queue'],
      'is the hold queue of paused_frames: queue; with paused_frames: drop nothing is held: remove paused_queue or set paused_frames: queue',
    );
  }
  if (out.miimon === 0)
    c.add([...segs, 'miimon'], 'must be > 0 (a bond without link monitoring never fails over)');
  if (out.hotplug_poll === 0)
    c.add([...segs, 'hotplug_poll'], 'must be > 0 (fail-safe polls for the VF at this period)');
  return out;
}

/**
 * Checks and normalizes hosts, the network, VMs (with their NICs), peers and links. MACs must
 * be unicast and distinct across the world (a peer's default MAC counts too).
 */
export function normalizeWorld(c: ScenarioChecks, f: ScenarioFileData): ScenarioWorldParts {
  const l = f.links;
  const links: ScenarioLinks = {
    vf: link(c, l?.vf, ['links', 'vf'], DEFAULT_LINKS.vf),
    paravirt: link(c, l?.paravirt, ['links', 'paravirt'], DEFAULT_LINKS.paravirt),
    network: link(c, l?.network, ['links', 'network'], DEFAULT_LINKS.network),
    peer: link(c, l?.peer, ['links', 'peer'], DEFAULT_LINKS.peer),
  };

  const hostNames = new Map<string, string>();
  const hosts: ScenarioHost[] = f.hosts.map((h, index) => {
    c.unique(hostNames, h.name, ['hosts', index, 'name'], 'host', `hosts[${index}]`);
    return {
      name: h.name,
      vfs: h.vfs ?? DEFAULT_HOST_VFS,
      index,
      vf_filter: h.vf_filter ?? DEFAULT_VF_FILTER,
      fdb_ageing: c.duration(h.fdb_ageing, ['hosts', index, 'fdb_ageing'], DEFAULT_FDB_AGEING_NS),
      vf_to_bridge: h.vf_to_bridge ?? 'pf',
    };
  });
  const network: ScenarioNetwork = {
    fdb_ageing: c.duration(f.network?.fdb_ageing, ['network', 'fdb_ageing'], DEFAULT_FDB_AGEING_NS),
  };
  const knownHosts = [...hostNames.keys()];
  const checkHost = (name: string, segs: PathSegment[]): void => {
    if (!hostNames.has(name)) c.unknown(segs, 'host', name, knownHosts);
  };

  /** MAC value -> where it was first used. */
  const macs = new Map<number, string>();
  const claimMac = (
    value: number,
    text: string,
    segs: PathSegment[],
    where: string,
    hint = '',
  ): void => {
    const first = macs.get(value);
    if (first !== undefined) {
      c.add(
        segs,
        `MAC ${text}${hint} is already used by ${first}; every NIC and peer needs its own`,
      );
    } else macs.set(value, where);
  };

  const vmNames = new Map<string, string>();
  const vms: ScenarioVm[] = (f.vms ?? []).map((vm, vi) => {
    c.unique(vmNames, vm.name, ['vms', vi, 'name'], 'VM', `vms[${vi}]`);
    checkHost(vm.host, ['vms', vi, 'host']);
    let memory = DEFAULT_VM_MEMORY;
    if (vm.memory !== undefined) {
      try {
        memory = parseByteSize(vm.memory);
      } catch (err) {
        c.add(['vms', vi, 'memory'], err instanceof Error ? err.message : String(err));
      }
    }
    const nicNames = new Map<string, string>();
    const nics: ScenarioNic[] = [];
    vm.nics.forEach((n, ni) => {
      const segs: PathSegment[] = ['vms', vi, 'nics', ni];
      c.unique(
        nicNames,
        n.name,
        [...segs, 'name'],
        `NIC (in VM ${vm.name})`,
        `vms[${vi}].nics[${ni}]`,
      );
      const mac = c.unicastMac(n.mac, [...segs, 'mac']);
      if (mac !== undefined)
        claimMac(mac.value, mac.toString(), [...segs, 'mac'], `NIC ${vm.name}/${n.name}`);
      if (n.model === 'virtio' && n.vf === true) {
        c.add(
          [...segs, 'vf'],
          'model virtio never has a VF; use model virtio-backup (with options: { offer_backup: false } for a VF beside a plain virtio NIC) or remove vf',
        );
      }
      const options = nicOptions(c, n.options, [...segs, 'options'], n.model);
      // The VF's own MAC may be the NIC's (the default); any other must be nobody else's.
      const vfMac = options.vf_mac;
      if (vfMac !== null && vfMac.value !== mac?.value) {
        claimMac(
          vfMac.value,
          vfMac.toString(),
          [...segs, 'options', 'vf_mac'],
          `the VF of NIC ${vm.name}/${n.name}`,
        );
      }
      // A NIC whose MAC is wrong is still a NIC (the file is refused for the MAC): keeping it
      // spares the flows and steps that name it a cascade of "unknown NIC" errors.
      nics.push({
        name: n.name,
        model: n.model,
        mac: mac ?? MacAddress.fromNumber(0x02_00_00_00_00_00 + ni + 1),
        vf: n.vf ?? n.model !== 'virtio',
        options,
      });
    });
    return { name: vm.name, host: vm.host, memory, nics };
  });

  const peerNames = new Map<string, string>();
  const peers: ScenarioPeer[] = [];
  (f.peers ?? []).forEach((p, pi) => {
    const segs: PathSegment[] = ['peers', pi];
    c.unique(peerNames, p.name, [...segs, 'name'], 'peer', `peers[${pi}]`);
    checkHost(p.host, [...segs, 'host']);
    const parsed = p.mac === undefined ? defaultPeerMac(pi) : c.unicastMac(p.mac, [...segs, 'mac']);
    // As for NICs: a peer with a wrong MAC stays a peer, so what names it is not refused too.
    if (parsed === undefined) {
      peers.push({ name: p.name, host: p.host, mac: defaultPeerMac(pi) });
      return;
    }
    const mac = parsed;
    const dflt = p.mac === undefined;
    const hint = dflt ? ' (the default MAC of this peer: give the peer a mac)' : '';
    claimMac(mac.value, mac.toString(), [...segs, dflt ? 'name' : 'mac'], `peer ${p.name}`, hint);
    peers.push({ name: p.name, host: p.host, mac });
  });

  return { links, hosts, network, vms, peers };
}
