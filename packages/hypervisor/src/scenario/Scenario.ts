import type { FailOverMac, MacAddress } from '@bypass/core';

/**
 * The failover mechanisms a VM NIC can use (`vms[].nics[].model` in a scenario file):
 * - `virtio-backup`: virtio-net with VIRTIO_NET_F_BACKUP (mainline STANDBY) and the 3-netdev
 *   bypass master, event-driven (Linux net_failover);
 * - `virtio`: plain virtio-net, no VF ever (no acceleration);
 * - `netvsc`: the Hyper-V NetVSC kernel driver with its transparent VF (2-netdev model);
 * - `netvsc-pmd`: DPDK's netvsc PMD with the VF handled inside;
 * - `failsafe`: DPDK's vdev_netvsc + fail-safe + TAP (polling hot-plug);
 * - `bonding`: an active-backup bond over virtio-net and the VF with miimon (the pre-bypass way).
 *
 * @example
 * ```ts
 * const m: NicModelName = 'virtio-backup';
 * ```
 */
export type NicModelName =
  'virtio-backup' | 'virtio' | 'netvsc' | 'netvsc-pmd' | 'failsafe' | 'bonding';

/**
 * Every {@link NicModelName}, in the order reports and `bypass compare` list them.
 *
 * @example
 * ```ts
 * for (const m of NIC_MODELS) console.log(m);
 * ```
 */
export const NIC_MODELS: readonly NicModelName[] = [
  'virtio-backup',
  'virtio',
  'netvsc',
  'netvsc-pmd',
  'failsafe',
  'bonding',
];

/**
 * A host of a validated {@link Scenario}.
 *
 * @example
 * ```ts
 * const h: ScenarioHost = {
 *   name: 'src',
 *   vfs: 4,
 *   index: 0,
 *   vf_filter: 'reset-at-eject',
 *   fdb_ageing: 300_000_000_000,
 *   vf_to_bridge: 'pf',
 * };
 * ```
 */
export interface ScenarioHost {
  readonly name: string;
  /** SR-IOV VFs the host's NIC can hand out. */
  readonly vfs: number;
  /** Position in `hosts` (stable ids for ports and capture points). */
  readonly index: number;
  /**
   * How long the host's SR-IOV NIC steers a VM NIC's MAC to the VF the VM holds:
   * - `reset-at-eject` (default): programmed when the VF is plugged into the guest, reset when
   *   the guest ejects it, so new frames take the paravirtual port at once. This stands for a
   *   host management step such as the script in Linux's
   *   `Documentation/networking/net_failover.rst` (VF MAC zeroed, FDB entries toward the tap),
   *   not for QEMU or libvirt;
   * - `libvirt`: as libvirt leaves it: the VF's MAC is set when the slot is assigned to the VM
   *   (even while QEMU keeps the failover primary hidden) and stays until the slot goes back to
   *   the host (the VM leaves at `completed`, a `vf-unplug` step). Frames steered to a VF with no
   *   guest driver bound are dropped as `vf-not-bound`.
   */
  readonly vf_filter: 'reset-at-eject' | 'libvirt';
  /**
   * Ageing time of the entries the host's bridge learns, ns (`bridge ... ageing_time`; default
   * 300 s): an entry no frame refreshed for that long is forgotten. 0: the bridge learns nothing
   * and floods every unicast that has no static entry or VF filter.
   */
  readonly fdb_ageing: number;
  /**
   * Where the host NIC's eswitch sends a VF's unicast for a station of the host's bridge (a
   * local peer, a VM's paravirtual port):
   * - `pf` (default): to the PF, and the bridge delivers it: the host listed its bridge's MACs
   *   on the PF (`bridge fdb add MAC dev PF self`);
   * - `wire`: to the uplink, as with a bridge left as it comes (Intel VEB: the PF's promiscuous
   *   mode does not bring it a VF's frames); the network does not send a frame back to the port
   *   it came from. Unknown unicast from a VF goes to the uplink only, too.
   */
  readonly vf_to_bridge: 'pf' | 'wire';
}

/**
 * The physical network between the hosts (`network:` in a scenario file), normalized.
 *
 * @example
 * ```ts
 * const n: ScenarioNetwork = { fdb_ageing: 300_000_000_000 };
 * ```
 */
export interface ScenarioNetwork {
  /**
   * Ageing time of the entries the network switch learns, ns (default 300 s, the common default
   * of physical switches too); 0: it learns nothing and floods all unicast.
   */
  readonly fdb_ageing: number;
}

/**
 * A VM NIC of a validated {@link Scenario}. `options` keeps the model-specific knobs with
 * durations already in ns and booleans as booleans (see {@link NicOptions}).
 *
 * @example
 * ```ts
 * const n: ScenarioNic = scenario.vms[0]!.nics[0]!;
 * console.log(n.model, n.mac.toString(), n.vf);
 * ```
 */
export interface ScenarioNic {
  readonly name: string;
  readonly model: NicModelName;
  readonly mac: MacAddress;
  /** A VF with the same MAC is plugged at boot (default true except for `virtio`). */
  readonly vf: boolean;
  readonly options: NicOptions;
}

/**
 * Model-specific NIC knobs, normalized (durations in ns). Every field is optional in the file;
 * the validator fills the defaults listed here.
 *
 * @example
 * ```ts
 * const o: NicOptions = { ...DEFAULT_NIC_OPTIONS, miimon: 100_000_000 };
 * ```
 */
export interface NicOptions {
  /** The host offers BACKUP/STANDBY (QEMU `failover=on`); default true. */
  readonly offer_backup: boolean;
  /** The guest acknowledges BACKUP; default true. */
  readonly guest_accepts_backup: boolean;
  /** The guest ejects the VF when asked; default true. */
  readonly guest_ejects: boolean;
  /** How long the guest takes to release the VF after the unplug request; default 5ms. */
  readonly eject_delay: number;
  /**
   * How the guest is asked to release a VF QEMU hot-plugged, after the hot-plug controller of
   * the slot the VF sits in (`virtio-backup`, `bonding`; Hyper-V models get their VF over VMBus
   * and ignore it):
   * - `acpi` (default; q35 since QEMU 6.1, pc always): QEMU raises an ACPI event
   *   (`hw/acpi/pcihp.c` `acpi_pcihp_device_unplug_request_cb`), the guest runs `_EJ0`: the
   *   eject lands `eject_delay` after the request;
   * - `pcie-native`: QEMU presses the slot's attention button (`hw/pci/pcie.c`
   *   `pcie_cap_slot_unplug_request_cb`); Linux pciehp blinks for 5 s, during which a second
   *   press would cancel (`pciehp_ctrl.c` `pciehp_handle_button_press`), then removes the
   *   driver: the eject lands 5 s + `eject_delay` after the request. A hot-add is handled at
   *   once on both paths (the presence change QEMU signals with it cancels pciehp's wait).
   */
  readonly hotplug: 'acpi' | 'pcie-native';
  /** How long a cancelled migration waits for an unplug in progress; default 30s. */
  readonly unplug_timeout: number;
  /** Bond link monitoring interval (`bonding`); default 100ms. */
  readonly miimon: number;
  /** Time until something in the guest (udev, NetworkManager) enslaves a new VF to the bond (`bonding`); default 1s. */
  readonly enslave_delay: number;
  /**
   * The bond's `fail_over_mac` (`bonding`, bond_main.c bond_do_fail_over_mac): `none` (default:
   * every slave takes the bond's MAC at enslave), `active` (the bond takes the active slave's
   * MAC) or `follow` (the new and old active slaves swap MACs at failover).
   */
  readonly fail_over_mac: FailOverMac;
  /**
   * The VF's MAC as the host assigned it (`bonding`; libvirt hostdev `<mac>`, `ip link set PF vf
   * N mac`): the VF's permanent address and what the host NIC steers to the VF. Null (default):
   * the NIC's `mac`. The guest cannot change the VF's MAC away from it unless `vf_trust`.
   */
  readonly vf_mac: MacAddress | null;
  /**
   * The host trusts the VF (`bonding`; `ip link set PF vf N trust on`): its PF accepts the
   * guest's change of the VF's MAC and moves its MAC filter to the new address (ixgbe_sriov.c
   * `ixgbe_set_vf_mac_addr`, `ixgbe_set_vf_mac`). Default false.
   */
  readonly vf_trust: boolean;
  /**
   * The host NIC checks the source MAC of every frame the VF sends (`ip link set PF vf N
   * spoofchk on`; Intel PF drivers turn it on for every VF, ixgbe_sriov.c
   * `__ixgbe_enable_sriov`): a frame from any MAC but the VF's is dropped (`vf-spoofed`).
   * Default true.
   */
  readonly vf_spoofchk: boolean;
  /** Time the host takes to hot-plug a VF into the guest (device_add and the guest's PCI probe); default 200ms. */
  readonly vf_plug_delay: number;
  /** fail-safe hot-plug poll period (`failsafe`); default 2000ms. */
  readonly hotplug_poll: number;
  /** netvsc PMD `latency` devarg (`netvsc-pmd`); default 50us. */
  readonly latency: number;
  /** netvsc PMD `tx_copybreak` devarg (`netvsc-pmd`); default 512. */
  readonly tx_copybreak: number;
  /** Where group-addressed guest TX goes (`virtio-backup`): `active` (default) or `backup`. */
  readonly multicast_via: 'active' | 'backup';
  /**
   * Frames sent to the VM while it is paused: `drop` (default) or `queue` (held as the host
   * does: see `paused_queue`; what the source holds when the VM leaves is `left-on-source`).
   */
  readonly paused_frames: 'drop' | 'queue';
  /**
   * Frames the host holds on the paravirtual path for a paused VM with `paused_frames: queue`:
   * the tap's `txqueuelen`, 500 by default (`TUN_READQ_SIZE`, `drivers/net/tun.c`).
   */
  readonly paused_queue: number;
  /**
   * The guest application puts the NIC in all-multicast mode: `ip link set <nic> allmulticast
   * on` on a kernel model (IFF_ALLMULTI), `rte_eth_allmulticast_enable` on a DPDK port
   * (`failsafe`, `netvsc-pmd`). Every group frame then passes the NIC's filters. DPDK's netvsc
   * PMD and TAP pass IPv4 groups to the application only this way. Default false.
   */
  readonly allmulticast: boolean;
}

/**
 * The defaults of every {@link NicOptions} field.
 *
 * @example
 * ```ts
 * console.log(DEFAULT_NIC_OPTIONS.unplug_timeout); // 30_000_000_000 (30 s)
 * ```
 */
export const DEFAULT_NIC_OPTIONS: NicOptions = {
  offer_backup: true,
  guest_accepts_backup: true,
  guest_ejects: true,
  eject_delay: 5_000_000,
  hotplug: 'acpi',
  unplug_timeout: 30_000_000_000,
  miimon: 100_000_000,
  enslave_delay: 1_000_000_000,
  fail_over_mac: 'none',
  vf_mac: null,
  vf_trust: false,
  vf_spoofchk: true,
  vf_plug_delay: 200_000_000,
  hotplug_poll: 2_000_000_000,
  latency: 50_000,
  tx_copybreak: 512,
  multicast_via: 'active',
  paused_frames: 'drop',
  paused_queue: 500,
  allmulticast: false,
};

/**
 * A VM of a validated {@link Scenario}.
 *
 * @example
 * ```ts
 * const vm: ScenarioVm = scenario.vms[0]!;
 * ```
 */
export interface ScenarioVm {
  readonly name: string;
  /** The host the VM boots on. */
  readonly host: string;
  /** Guest memory in bytes (pre-copy time = memory / migration bandwidth); default 4 GiB. */
  readonly memory: number;
  readonly nics: readonly ScenarioNic[];
}

/**
 * A traffic endpoint on a host's virtual switch.
 *
 * @example
 * ```ts
 * const p: ScenarioPeer = { name: 'client', host: 'src', mac: MacAddress.parse('02:00:00:00:01:01') };
 * ```
 */
export interface ScenarioPeer {
  readonly name: string;
  readonly host: string;
  /** Default: a locally administered MAC derived from the peer's position. */
  readonly mac: MacAddress;
}

/**
 * One end of a flow: a peer (`client`) or a VM NIC (`vm1/eth0`).
 *
 * @example
 * ```ts
 * const e: FlowEndpoint = { kind: 'nic', vm: 'vm1', nic: 'eth0', id: 'vm1/eth0' };
 * ```
 */
export type FlowEndpoint =
  | { readonly kind: 'peer'; readonly peer: string; readonly id: string }
  | { readonly kind: 'nic'; readonly vm: string; readonly nic: string; readonly id: string };

/**
 * A constant-rate flow of UDP frames with sequence numbers.
 *
 * @example
 * ```ts
 * const f: ScenarioFlow = scenario.flows[0]!;
 * console.log(f.name, f.pps);
 * ```
 */
export interface ScenarioFlow {
  readonly name: string;
  readonly from: FlowEndpoint;
  readonly to: FlowEndpoint;
  /** Frames per second (a `bps` rate is converted with the frame size). */
  readonly pps: number;
  /** Ethernet frame length in bytes without FCS (60..1514 for untagged frames); default 64. */
  readonly size: number;
  readonly cast: 'unicast' | 'multicast' | 'broadcast';
  /** When the flow starts and stops sending, ns; default 0 and the scenario's duration. */
  readonly start: number;
  readonly stop: number;
}

/**
 * The step actions a scenario can schedule.
 *
 * @example
 * ```ts
 * const a: StepAction = 'migrate';
 * ```
 */
export type StepAction =
  | 'migrate'
  | 'cancel-migration'
  | 'vf-unplug'
  | 'vf-plug'
  | 'host-servicing'
  | 'link-down'
  | 'link-up'
  | 'rename'
  | 'set-mtu'
  | 'guest-down'
  | 'guest-up';

/**
 * One scheduled step, normalized: durations in ns; fields not used by the action are absent.
 *
 * @example
 * ```ts
 * const s: ScenarioStep = { at: 2e9, action: 'migrate', vm: 'vm1', to: 'dst', downtime: 3e8, path: 'steps[0]' };
 * ```
 */
export interface ScenarioStep {
  readonly at: number;
  readonly action: StepAction;
  /** Where the step is in the file (`steps[3]`), for messages. */
  readonly path: string;
  readonly vm?: string;
  readonly nic?: string;
  /** migrate: the destination host. */
  readonly to?: string;
  /** migrate: stop-and-copy pause, ns (default 300ms). */
  readonly downtime?: number;
  /** migrate: pre-copy duration, ns (default: memory / bandwidth). */
  readonly precopy?: number;
  /** migrate: migration bandwidth, bits/s (default 10 Gbit/s). */
  readonly bandwidth?: number;
  /** migrate: how the VF leaves the source (default orchestrated). */
  readonly unplug?: 'orchestrated' | 'surprise' | 'none';
  /** migrate: cancel the migration at this absolute time, ns. */
  readonly cancel_at?: number;
  /** vf-unplug: surprise or orchestrated (default orchestrated). */
  readonly mode?: 'orchestrated' | 'surprise';
  /**
   * guest-down: whether the guest's clock runs on while the guest does not (`runs`, default: a
   * stalled guest, or one whose vCPUs are not scheduled) or stands still until guest-up
   * (`frozen`: QEMU `stop`/`cont`, `virsh suspend`/`resume`).
   */
  readonly clock?: 'runs' | 'frozen';
  /** host-servicing: how long the VF stays revoked, ns (default 1s). */
  readonly duration?: number;
  /** link-down/link-up/rename/set-mtu: the guest device (`vf`, `backup`, `master` or a name). */
  readonly dev?: string;
  /** rename: the new name. */
  readonly name?: string;
  /** set-mtu: the new MTU. */
  readonly mtu?: number;
}

/**
 * One `expect` assertion: a metric path into the report and bounds.
 *
 * @example
 * ```ts
 * const e: ScenarioExpect = { metric: 'flows.f1.lost', max: 40000, path: 'expect[0]' };
 * ```
 */
export interface ScenarioExpect {
  readonly metric: string;
  /** A number, or a duration string (`250ms`) for duration metrics. */
  readonly min?: number | string;
  /** A number, or a duration string (`250ms`) for duration metrics. */
  readonly max?: number | string;
  readonly equals?: number | string;
  readonly path: string;
}

/**
 * Link parameters of the world (all optional in the file under `links:`), normalized.
 *
 * @example
 * ```ts
 * console.log(DEFAULT_LINKS.vf.latency); // 5_000 ns
 * ```
 */
export interface ScenarioLinks {
  /** Host NIC <-> VF (DMA + PCIe): fast. */
  readonly vf: LinkSpec;
  /** Host switch <-> paravirtual backend (vhost/VMBus): slower. */
  readonly paravirt: LinkSpec;
  /** Host <-> host (the physical network between hypervisors). */
  readonly network: LinkSpec;
  /** Peer <-> host switch. */
  readonly peer: LinkSpec;
}

/**
 * One link's bandwidth (bits/s) and latency (ns).
 *
 * @example
 * ```ts
 * const l: LinkSpec = { bandwidth: 25e9, latency: 5_000 };
 * ```
 */
export interface LinkSpec {
  readonly bandwidth: number;
  readonly latency: number;
}

/**
 * The default links: VF 25 Gbit/s and 5us, paravirtual 10 Gbit/s and 30us, network 25 Gbit/s
 * and 20us, peer 25 Gbit/s and 2us.
 *
 * @example
 * ```ts
 * const links = { ...DEFAULT_LINKS, vf: { bandwidth: 100e9, latency: 2_000 } };
 * ```
 */
export const DEFAULT_LINKS: ScenarioLinks = {
  vf: { bandwidth: 25e9, latency: 5_000 },
  paravirt: { bandwidth: 10e9, latency: 30_000 },
  network: { bandwidth: 25e9, latency: 20_000 },
  peer: { bandwidth: 25e9, latency: 2_000 },
};

/**
 * A validated, normalized scenario: what the runner simulates. Produced from a file by the
 * scenario loader; every reference (hosts, VMs, NICs, peers) is known to exist.
 *
 * @example
 * ```ts
 * const scenario: Scenario = loadScenarioText(text, 'migration.yaml');
 * const report = runScenario(scenario);
 * ```
 */
export interface Scenario {
  readonly name: string;
  /** Where it came from (a path or `<inline>`), for messages. */
  readonly file: string;
  readonly seed: number;
  /** Simulated time, ns. */
  readonly duration: number;
  /** Simulation step, ns (default 50us): flows emit and devices are serviced once per tick. */
  readonly tick: number;
  readonly hosts: readonly ScenarioHost[];
  readonly network: ScenarioNetwork;
  readonly vms: readonly ScenarioVm[];
  readonly peers: readonly ScenarioPeer[];
  readonly flows: readonly ScenarioFlow[];
  readonly steps: readonly ScenarioStep[];
  readonly expect: readonly ScenarioExpect[];
  readonly links: ScenarioLinks;
}
