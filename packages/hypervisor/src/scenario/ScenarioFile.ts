import type { NicModelName, StepAction } from './Scenario.js';

/*
 * The shape of a scenario file once it passed the JSON Schema (before units are parsed and
 * defaults filled). Internal to the loader.
 */

/** A duration as written: a string with a unit, or the integer 0. */
export type FileDuration = string | number;

export interface FileLink {
  readonly bandwidth?: string;
  readonly latency?: FileDuration;
}

export interface FileNicOptions {
  readonly offer_backup?: boolean;
  readonly guest_accepts_backup?: boolean;
  readonly guest_ejects?: boolean;
  readonly eject_delay?: FileDuration;
  readonly hotplug?: 'acpi' | 'pcie-native';
  readonly unplug_timeout?: FileDuration;
  readonly miimon?: FileDuration;
  readonly enslave_delay?: FileDuration;
  readonly fail_over_mac?: 'none' | 'active' | 'follow';
  readonly vf_mac?: string;
  readonly vf_trust?: boolean;
  readonly vf_spoofchk?: boolean;
  readonly vf_plug_delay?: FileDuration;
  readonly hotplug_poll?: FileDuration;
  readonly latency?: FileDuration;
  readonly tx_copybreak?: number;
  readonly multicast_via?: 'active' | 'backup';
  readonly paused_frames?: 'drop' | 'queue';
  readonly paused_queue?: number;
  readonly allmulticast?: boolean;
}

export interface FileNic {
  readonly name: string;
  readonly model: NicModelName;
  readonly mac: string;
  readonly vf?: boolean;
  readonly options?: FileNicOptions;
}

export interface FileVm {
  readonly name: string;
  readonly host: string;
  readonly memory?: string | number;
  readonly nics: readonly FileNic[];
}

export interface FileHost {
  readonly name: string;
  readonly vfs?: number;
  readonly vf_filter?: 'reset-at-eject' | 'libvirt';
  readonly fdb_ageing?: FileDuration;
  readonly vf_to_bridge?: 'pf' | 'wire';
}

export interface FileNetwork {
  readonly fdb_ageing?: FileDuration;
}

export interface FilePeer {
  readonly name: string;
  readonly host: string;
  readonly mac?: string;
}

export interface FileFlow {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly rate: string;
  readonly size?: number;
  readonly cast?: 'unicast' | 'multicast' | 'broadcast';
  readonly start?: FileDuration;
  readonly stop?: FileDuration;
}

export interface FileStep {
  readonly at: FileDuration;
  readonly action: StepAction;
  readonly vm?: string;
  readonly nic?: string;
  readonly to?: string;
  readonly downtime?: FileDuration;
  readonly precopy?: FileDuration;
  readonly bandwidth?: string;
  readonly unplug?: 'orchestrated' | 'surprise' | 'none';
  readonly cancel_at?: FileDuration;
  readonly mode?: 'orchestrated' | 'surprise';
  readonly clock?: 'runs' | 'frozen';
  readonly duration?: FileDuration;
  readonly dev?: string;
  readonly name?: string;
  readonly mtu?: number;
}

export interface FileExpect {
  readonly metric: string;
  readonly min?: number | string;
  readonly max?: number | string;
  readonly equals?: number | string;
}

export interface ScenarioFileData {
  readonly name?: string;
  readonly seed?: number;
  readonly duration: FileDuration;
  readonly tick?: FileDuration;
  readonly links?: {
    readonly vf?: FileLink;
    readonly paravirt?: FileLink;
    readonly network?: FileLink;
    readonly peer?: FileLink;
  };
  readonly hosts: readonly FileHost[];
  readonly network?: FileNetwork;
  readonly vms?: readonly FileVm[];
  readonly peers?: readonly FilePeer[];
  readonly flows?: readonly FileFlow[];
  readonly steps?: readonly FileStep[];
  readonly expect?: readonly FileExpect[];
}
