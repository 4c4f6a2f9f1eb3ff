/** What {@link oneVmScenario} varies. */
export interface OneVmScenario {
  /** The NIC's model. */
  readonly model: string;
  /** The NIC's options, as a YAML flow mapping; default `{}`. */
  readonly options?: string;
  /** The steps, as a YAML flow sequence. */
  readonly steps: string;
  /** Default `10s`. */
  readonly duration?: string;
  /** The VM's memory (precopy time at the default bandwidth); default `256MiB`. */
  readonly memory?: string;
  /** VFs per host; default 2. */
  readonly vfs?: number;
}

/**
 * A scenario text with VM `vm1` (NIC `eth0`, MAC 52:54:00:00:00:01) on host `src`, a second host
 * `dst`, a peer `client` on `src` and one 10 kpps flow `in` of 64-byte frames from the client
 * to the VM.
 *
 * @example
 * ```ts
 * const r = runScenario(loadScenarioText(oneVmScenario({ model: 'netvsc', steps: '[]' }), 'x.yaml'));
 * ```
 */
export function oneVmScenario(s: OneVmScenario): string {
  const vfs = s.vfs ?? 2;
  return `
name: one vm
duration: ${s.duration ?? '10s'}
hosts: [{ name: src, vfs: ${vfs} }, { name: dst, vfs: ${vfs} }]
vms:
  - name: vm1
    host: src
    memory: ${s.memory ?? '256MiB'}
    nics: [{ name: eth0, model: ${s.model}, mac: '52:54:00:00:00:01', options: ${s.options ?? '{}'} }]
peers: [{ name: client, host: src }]
flows:
  - { name: in, from: client, to: vm1/eth0, rate: 10kpps, size: 64 }
steps: ${s.steps}
`;
}
