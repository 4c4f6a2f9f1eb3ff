/**
 * The JSON Schema (draft-07) of a scenario file: the one definition the loader validates with
 * and `bypass schema` prints. `schema/scenario.schema.json` is a copy of it (regenerate with
 * `npx tsx packages/hypervisor/schema/generate.ts`; a test fails when they differ).
 */

/** A JSON Schema document (a plain JSON object). */
/**
 * A JSON Schema object (the subset of draft-07 the scenario schema uses, as plain data).
 *
 * @example
 * ```ts
 * const s: JsonSchemaObject = { type: 'string', description: 'a host name' };
 * ```
 */
export type JsonSchemaObject = { readonly [key: string]: unknown };

/** `250us`, `100ms`, `2s`, `1.5s` (units as `parseDuration` reads them) or the bare `0`. */
export const DURATION_PATTERN = '^(0|[0-9]+(\\.[0-9]+)?\\s*(ns|us|µs|μs|ms|s|m|h))$';
/** `100pps`, `10kpps`, `1.5Mpps`, `100Mbps`, `10Gbps`. */
export const RATE_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*[kKmMgG]?(pps|bps)$';
/** A bandwidth in bits per second: `100Mbps`, `10Gbps`. */
export const BANDWIDTH_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*[kKmMgG]?bps$';
/** Six two-digit hex octets separated by `:` (or `-`). */
export const MAC_PATTERN =
  '^([0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}|[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){5})$';
/** A memory size: `512MiB`, `4GiB`, `1.5GB`. */
export const BYTE_SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*(B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB)$';
/** Names of hosts, VMs, peers, flows: letters, digits, `_` and `-` (no `/` or `.`). */
export const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_-]*$';
/** A flow endpoint: a peer name or `vm/nic`. */
export const ENDPOINT_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_-]*(/[A-Za-z0-9_][A-Za-z0-9_-]*)?$';
/** A report metric path such as `flows.f1.lost` or `nics.vm1/eth0.switches`. */
export const METRIC_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_./\\[\\]-]*$';

/**
 * What each pattern means, in words, for error messages (keyed by the pattern text).
 */
export const PATTERN_HINTS: Readonly<Record<string, string>> = {
  [DURATION_PATTERN]: 'a duration with a unit (ns, us, ms, s, m, h) such as 250us, 100ms or 2s',
  [RATE_PATTERN]: 'a rate such as 100pps, 10kpps, 1.5Mpps, 100Mbps or 10Gbps',
  [BANDWIDTH_PATTERN]: 'a bandwidth in bits per second such as 100Mbps or 10Gbps',
  [MAC_PATTERN]:
    "a MAC address: six two-digit hex octets separated by ':' such as 52:54:00:12:34:56",
  [BYTE_SIZE_PATTERN]: 'a size with a unit (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB) such as 4GiB',
  [NAME_PATTERN]: "a name made of letters, digits, '_' and '-' (no '/', '.' or spaces)",
  [ENDPOINT_PATTERN]: 'a peer name (client) or a VM NIC as vm/nic (vm1/eth0)',
  [METRIC_PATTERN]: 'a report metric path such as flows.f1.lost',
};

const NIC_MODEL_NAMES = ['virtio-backup', 'virtio', 'netvsc', 'netvsc-pmd', 'failsafe', 'bonding'];

const STEP_ACTIONS = [
  'migrate',
  'cancel-migration',
  'vf-unplug',
  'vf-plug',
  'host-servicing',
  'link-down',
  'link-up',
  'rename',
  'set-mtu',
  'guest-down',
  'guest-up',
];

/** Required step fields per action (beyond `at` and `action`). */
export const STEP_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  migrate: ['vm', 'to'],
  'cancel-migration': ['vm'],
  'vf-unplug': ['vm'],
  'vf-plug': ['vm'],
  'host-servicing': ['vm'],
  'link-down': ['vm', 'dev'],
  'link-up': ['vm', 'dev'],
  rename: ['vm', 'dev', 'name'],
  'set-mtu': ['vm', 'dev', 'mtu'],
  'guest-down': ['vm'],
  'guest-up': ['vm'],
};

/** Every field each action takes (beyond `at` and `action`). */
export const STEP_FIELDS: Readonly<Record<string, readonly string[]>> = {
  migrate: ['vm', 'to', 'downtime', 'precopy', 'bandwidth', 'unplug', 'cancel_at'],
  'cancel-migration': ['vm'],
  'vf-unplug': ['vm', 'nic', 'mode'],
  'vf-plug': ['vm', 'nic'],
  'host-servicing': ['vm', 'nic', 'duration'],
  'link-down': ['vm', 'nic', 'dev'],
  'link-up': ['vm', 'nic', 'dev'],
  rename: ['vm', 'nic', 'dev', 'name'],
  'set-mtu': ['vm', 'nic', 'dev', 'mtu'],
  'guest-down': ['vm', 'clock'],
  'guest-up': ['vm'],
};

function duration(description: string): JsonSchemaObject {
  return {
    description,
    type: ['string', 'integer'],
    pattern: DURATION_PATTERN,
    minimum: 0,
    maximum: 0,
    examples: ['100ms'],
  };
}

function name(description: string, maxLength = 63): JsonSchemaObject {
  return { description, type: 'string', pattern: NAME_PATTERN, minLength: 1, maxLength };
}

function bool(description: string): JsonSchemaObject {
  return { description, type: 'boolean' };
}

function link(description: string): JsonSchemaObject {
  return {
    description,
    type: 'object',
    additionalProperties: false,
    properties: {
      bandwidth: {
        description: 'Link bandwidth in bits per second, e.g. 25Gbps.',
        type: 'string',
        pattern: BANDWIDTH_PATTERN,
      },
      latency: duration('One-way propagation latency, e.g. 5us.'),
    },
  };
}

const nicOptions: JsonSchemaObject = {
  description:
    'Model-specific host and guest knobs; each is optional and keeps its default when absent.',
  type: 'object',
  additionalProperties: false,
  properties: {
    offer_backup: bool(
      'The host offers the BACKUP (STANDBY) feature; false is QEMU failover=off: both devices are plain NICs to the guest. Default true.',
    ),
    guest_accepts_backup: bool(
      'The guest acknowledges BACKUP; a guest that does not never sees the VF while failover is on. Default true.',
    ),
    guest_ejects: bool(
      'The guest ejects the VF when the host asks (false: a guest that ignores unplug requests, so a migration stays in wait-unplug). Default true.',
    ),
    eject_delay: duration(
      'How long the guest takes to release the VF after the unplug request. Default 5ms.',
    ),
    hotplug: {
      description:
        "How the guest is asked to release the VF (models virtio-backup and bonding): acpi (default; QEMU's ACPI PCI hot-plug, the eject lands eject_delay after the request) or pcie-native (the slot's attention button: Linux pciehp waits 5 s first, so the eject lands 5 s + eject_delay after the request).",
      enum: ['acpi', 'pcie-native'],
    },
    unplug_timeout: duration(
      'How long a cancelled migration waits for an unplug still in progress. Default 30s.',
    ),
    miimon: duration('Bond link monitoring interval (model bonding). Default 100ms.'),
    enslave_delay: duration(
      'Time until the guest (udev, NetworkManager, ifenslave) enslaves a new VF to the bond (model bonding). Default 1s.',
    ),
    fail_over_mac: {
      description:
        "The bond's fail_over_mac (model bonding): none (default; every slave takes the bond's MAC when enslaved, which an untrusted VF refuses when vf_mac differs from mac), active (the bond's MAC is the active slave's) or follow (the new and old active slaves swap MACs at failover).",
      enum: ['none', 'active', 'follow'],
    },
    vf_mac: {
      description:
        "The VF's MAC as the host assigned it (model bonding; libvirt hostdev <mac>, ip link set PF vf N mac): the VF's permanent address, which the guest cannot change unless vf_trust, and what the host NIC steers to the VF. A unicast address distinct from every NIC and peer MAC. Default: the NIC's mac.",
      type: 'string',
      pattern: MAC_PATTERN,
    },
    vf_trust: bool(
      "The host trusts the VF (model bonding; ip link set PF vf N trust on): the PF accepts the guest's change of the VF's MAC and moves its MAC filter to the new address, so a bond with fail_over_mac none or follow can give the VF its MAC. Default false.",
    ),
    vf_spoofchk: bool(
      "The host NIC drops every frame the VF sends from a MAC that is not the VF's (ip link set PF vf N spoofchk on, what Intel PF drivers set for every VF): dropped as vf-spoofed, reported by the PF driver as 'Spoofed packets detected'. Default true.",
    ),
    vf_plug_delay: duration(
      'Time the host takes to hot-plug a VF into the guest: device_add and the guest PCI probe. Default 200ms.',
    ),
    hotplug_poll: duration('fail-safe hot-plug poll period (model failsafe). Default 2000ms.'),
    latency: duration('netvsc PMD latency devarg (model netvsc-pmd). Default 50us.'),
    tx_copybreak: {
      description:
        'netvsc PMD tx_copybreak devarg in bytes (model netvsc-pmd): frames up to this length are copied into the send buffer. Default 512.',
      type: 'integer',
      minimum: 0,
      maximum: 65535,
    },
    multicast_via: {
      description:
        'Where group-addressed guest TX goes (model virtio-backup): the active slave (default) or the backup.',
      enum: ['active', 'backup'],
    },
    paused_frames: {
      description:
        "Frames sent to the VM while it is paused: drop (default) or queue (the paravirtual path holds up to paused_queue frames, as the source's tap does; the VF's NIC fills the RX ring the guest posted). What the source holds when the VM leaves it at completed is dropped as left-on-source.",
      enum: ['drop', 'queue'],
    },
    paused_queue: {
      description:
        "Frames the host holds on the paravirtual path for a paused VM with paused_frames: queue (the tap's txqueuelen). Default 500 (TUN_READQ_SIZE).",
      type: 'integer',
      minimum: 0,
      maximum: 65536,
    },
    allmulticast: bool(
      "The guest application puts the NIC in all-multicast mode (ip link set allmulticast on; rte_eth_allmulticast_enable on failsafe and netvsc-pmd): every group frame passes the NIC's filters. DPDK's netvsc PMD (synthetic path) and TAP pass IPv4 groups to the application only this way. Default false.",
    ),
  },
};

const nic: JsonSchemaObject = {
  description: 'A VM NIC: a paravirtual device, possibly paired with an SR-IOV VF of the same MAC.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'model', 'mac'],
  properties: {
    name: name('The guest interface name (1 to 15 characters), e.g. eth0.', 15),
    model: {
      description:
        'The failover mechanism: virtio-backup (virtio-net with BACKUP/STANDBY, net_failover), virtio (plain virtio-net, never a VF), netvsc (Hyper-V kernel driver), netvsc-pmd (DPDK netvsc PMD), failsafe (DPDK vdev_netvsc + fail-safe + tap), bonding (active-backup bond with miimon).',
      enum: NIC_MODEL_NAMES,
    },
    mac: {
      description:
        'The NIC MAC (a unicast address, distinct in the world); the VF gets the same one.',
      type: 'string',
      pattern: MAC_PATTERN,
    },
    vf: bool(
      'A VF with the same MAC is plugged at boot. Default true, except for model virtio (always false).',
    ),
    options: nicOptions,
  },
};

const step: JsonSchemaObject = {
  description: 'One scheduled action of the choreography.',
  type: 'object',
  additionalProperties: false,
  required: ['at', 'action'],
  properties: {
    at: duration('When the step runs, simulated time from the start, e.g. 2s.'),
    action: {
      description:
        'What happens: migrate, cancel-migration, vf-unplug, vf-plug, host-servicing (the host revokes the VF for a while), link-down, link-up, rename, set-mtu, guest-down, guest-up.',
      enum: STEP_ACTIONS,
    },
    vm: name('The VM the step acts on.'),
    nic: name('The VM NIC the step acts on (may be left out when the VM has one NIC).', 15),
    to: name('migrate: the destination host.'),
    downtime: duration('migrate: the stop-and-copy pause. Default 300ms.'),
    precopy: duration('migrate: the pre-copy duration. Default: VM memory / bandwidth.'),
    bandwidth: {
      description: 'migrate: the migration bandwidth in bits per second. Default 10Gbps.',
      type: 'string',
      pattern: BANDWIDTH_PATTERN,
    },
    unplug: {
      description:
        'migrate: how the VF leaves the source: orchestrated (unplug request, the guest ejects; default: QEMU unplugs a failover VF at setup, management unplugs a plain VF before migrate), surprise (pulled), none (kept: QEMU refuses the migration when a plain VF is plugged; not allowed for a virtio-backup NIC offering BACKUP to a guest that acks it).',
      enum: ['orchestrated', 'surprise', 'none'],
    },
    cancel_at: duration('migrate: cancel the migration at this time (from the start of the run).'),
    mode: {
      description:
        'vf-unplug: orchestrated (the guest is asked and ejects; default) or surprise (the VF disappears).',
      enum: ['orchestrated', 'surprise'],
    },
    clock: {
      description:
        "guest-down: the guest's clock while the guest does not run: runs (default; a stalled guest, or vCPUs not scheduled: guest timers that fall due run at guest-up) or frozen (QEMU stop and cont, virsh suspend and resume: kvmclock stands still, so every guest timer comes later by the time the guest was down).",
      enum: ['runs', 'frozen'],
    },
    duration: duration('host-servicing: how long the VF stays revoked. Default 1s.'),
    dev: {
      description:
        'link-down, link-up, rename, set-mtu: the guest device: vf, backup, master or an interface name.',
      type: 'string',
      minLength: 1,
      maxLength: 15,
    },
    name: {
      description: 'rename: the new interface name (1 to 15 characters).',
      type: 'string',
      minLength: 1,
      maxLength: 15,
    },
    mtu: { description: 'set-mtu: the new MTU.', type: 'integer', minimum: 68, maximum: 65535 },
  },
  allOf: Object.entries(STEP_REQUIRED).map(([action, required]) => ({
    if: { properties: { action: { const: action } }, required: ['action'] },
    then: { required },
  })),
};

/**
 * The JSON Schema (draft-07) of a scenario file, as a plain JSON object. Validation with it is
 * the first half of loading a scenario; the loader's semantic checks (references, units,
 * uniqueness) are the second.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * writeFileSync('scenario.schema.json', JSON.stringify(SCENARIO_JSON_SCHEMA, null, 2) + '\n');
 * ```
 */
export const SCENARIO_JSON_SCHEMA: JsonSchemaObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'bypass scenario',
  description:
    'A small world (hosts, VMs, NICs, peers, traffic flows) and a choreography (steps) that `bypass run` simulates deterministically.',
  type: 'object',
  additionalProperties: false,
  required: ['duration', 'hosts'],
  properties: {
    $schema: { description: 'The schema this file follows (for editors).', type: 'string' },
    name: {
      description: 'A title for reports. Default: the file name without its extension.',
      type: 'string',
      minLength: 1,
      maxLength: 200,
    },
    seed: {
      description: 'Random seed: same scenario and seed, same report. Default 1.',
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
    },
    duration: duration('Simulated time, e.g. 6s.'),
    tick: duration(
      'Simulation step, at least 1us: flows emit and devices are serviced once per tick. Default 50us.',
    ),
    links: {
      description: 'Link bandwidths and latencies; each field left out keeps its default.',
      type: 'object',
      additionalProperties: false,
      properties: {
        vf: link('Host NIC <-> VF (DMA + PCIe). Default 25Gbps, 5us.'),
        paravirt: link('Host switch <-> paravirtual backend (vhost, VMBus). Default 10Gbps, 30us.'),
        network: link('Host <-> host (the physical network). Default 25Gbps, 20us.'),
        peer: link('Peer <-> host switch. Default 25Gbps, 2us.'),
      },
    },
    hosts: {
      description: 'The hypervisor hosts.',
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        description: 'A hypervisor host with an SR-IOV NIC and a virtual switch.',
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: name('The host name, e.g. src.'),
          vfs: {
            description: "SR-IOV VFs this host's NIC can hand out. Default 4.",
            type: 'integer',
            minimum: 0,
            maximum: 4096,
          },
          vf_filter: {
            description:
              "How long this host's NIC steers a VM NIC's MAC to its VF: reset-at-eject (default: from the VF plug until the guest ejects it, as a host script does) or libvirt (from the slot's assignment, even while the VF is hidden, until the slot goes back to the host; frames for a VF with no guest driver are dropped as vf-not-bound).",
            enum: ['reset-at-eject', 'libvirt'],
          },
          fdb_ageing: duration(
            "Ageing time of the entries this host's bridge learns (its ageing_time): an entry no frame from its MAC refreshed for that long is forgotten, and frames to the MAC are flooded until it is seen again. 0: the bridge learns nothing and floods all unicast without a static entry or VF filter. Default 300s.",
          ),
          vf_to_bridge: {
            description:
              "Where this host NIC's eswitch sends a VF's unicast for a station of the host's bridge (a local peer, a VM's paravirtual port): pf (default; the host listed the bridge's MACs on the PF with bridge fdb add MAC dev PF self, so the bridge delivers it) or wire (a bridge left as it comes, Intel VEB: the frame goes to the uplink and the network does not send it back; unknown unicast from a VF goes to the uplink only).",
            enum: ['pf', 'wire'],
          },
        },
      },
    },
    network: {
      description: 'The physical network switch between the hosts.',
      type: 'object',
      additionalProperties: false,
      properties: {
        fdb_ageing: duration(
          'Ageing time of the entries the network switch learns: an entry no frame from its MAC refreshed for that long is forgotten, and frames to the MAC are flooded to every host until it is seen again. 0: the switch learns nothing and floods all unicast. Default 300s.',
        ),
      },
    },
    vms: {
      description: 'The virtual machines.',
      type: 'array',
      maxItems: 1024,
      items: {
        description: 'A virtual machine.',
        type: 'object',
        additionalProperties: false,
        required: ['name', 'host', 'nics'],
        properties: {
          name: name('The VM name, e.g. vm1.'),
          host: name('The host the VM boots on.'),
          memory: {
            description:
              'Guest memory (pre-copy time = memory / migration bandwidth), e.g. 4GiB; a bare integer is bytes. Default 4GiB.',
            type: ['string', 'integer'],
            pattern: BYTE_SIZE_PATTERN,
            minimum: 1,
          },
          nics: {
            description: "The VM's NICs.",
            type: 'array',
            minItems: 1,
            maxItems: 16,
            items: nic,
          },
        },
      },
    },
    peers: {
      description: "Traffic endpoints outside the VMs, each on a host's virtual switch.",
      type: 'array',
      maxItems: 1024,
      items: {
        description: "A traffic endpoint on a host's virtual switch.",
        type: 'object',
        additionalProperties: false,
        required: ['name', 'host'],
        properties: {
          name: name('The peer name, e.g. client.'),
          host: name('The host whose switch the peer is on.'),
          mac: {
            description:
              'The peer MAC (unicast, distinct in the world). Default 02:00:00:00:HI:LO from the peer position + 1.',
            type: 'string',
            pattern: MAC_PATTERN,
          },
        },
      },
    },
    flows: {
      description: 'Constant-rate flows of UDP frames with sequence numbers.',
      type: 'array',
      maxItems: 1024,
      items: {
        description: 'A constant-rate flow from one endpoint to another.',
        type: 'object',
        additionalProperties: false,
        required: ['name', 'from', 'to', 'rate'],
        properties: {
          name: name('The flow name (report metrics are flows.<name>.*), e.g. f1.'),
          from: {
            description: 'The sender: a peer name or vm/nic.',
            type: 'string',
            pattern: ENDPOINT_PATTERN,
          },
          to: {
            description: 'The receiver: a peer name or vm/nic.',
            type: 'string',
            pattern: ENDPOINT_PATTERN,
          },
          rate: {
            description:
              'Frames per second (100kpps) or bits per second (100Mbps, converted with the frame size); at most 200Mpps.',
            type: 'string',
            pattern: RATE_PATTERN,
          },
          size: {
            description: 'Ethernet frame length in bytes without FCS, 60 to 1514. Default 64.',
            type: 'integer',
            minimum: 60,
            maximum: 1514,
          },
          cast: {
            description: 'Destination address kind. Default unicast.',
            enum: ['unicast', 'multicast', 'broadcast'],
          },
          start: duration('When the flow starts sending. Default 0.'),
          stop: duration('When the flow stops sending. Default: the scenario duration.'),
        },
      },
    },
    steps: {
      description: 'The choreography: actions at given times (run in time order).',
      type: 'array',
      maxItems: 10000,
      items: step,
    },
    expect: {
      description:
        'Assertions on report metrics; the run fails (exit code 1) when one does not hold.',
      type: 'array',
      maxItems: 1000,
      items: {
        description: 'A metric and its bounds (at least one of min, max, equals).',
        type: 'object',
        additionalProperties: false,
        required: ['metric'],
        properties: {
          metric: {
            description: 'A path into the report, e.g. flows.f1.lost or nics.vm1/eth0.switches.',
            type: 'string',
            pattern: METRIC_PATTERN,
            maxLength: 200,
          },
          min: {
            description:
              'The metric must be >= min: a number, or a duration (250ms) for a duration metric such as flows.f1.longestGap.',
            type: ['number', 'string'],
            pattern: DURATION_PATTERN,
          },
          max: {
            description:
              'The metric must be <= max: a number, or a duration (250ms) for a duration metric such as flows.f1.longestGap.',
            type: ['number', 'string'],
            pattern: DURATION_PATTERN,
          },
          equals: {
            description: 'The metric must equal this number or string.',
            type: ['number', 'string'],
          },
        },
      },
    },
  },
};

/**
 * A fresh deep copy of {@link SCENARIO_JSON_SCHEMA} (what `bypass schema` prints); changing it
 * does not change what the loader validates.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(scenarioJsonSchema(), null, 2));
 * ```
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(SCENARIO_JSON_SCHEMA)) as Record<string, unknown>;
}
