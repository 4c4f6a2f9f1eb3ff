/** A valid scenario close to SCENARIOS.md's example, as YAML text, for the scenario tests. */
export const BASE_YAML = `name: virtio VF failover across a live migration
duration: 6s
hosts:
  - { name: src, vfs: 4 }
  - { name: dst }
vms:
  - name: vm1
    host: src
    memory: 2GiB
    nics:
      - name: eth0
        model: virtio-backup
        mac: 52:54:00:00:00:01
        options: { miimon: 250ms, tx_copybreak: 256, multicast_via: backup }
      - name: eth1
        model: virtio
        mac: 52:54:00:00:00:02
peers:
  - { name: client, host: src }
  - { name: server, host: dst, mac: 02:aa:00:00:00:01 }
flows:
  - { name: f1, from: client, to: vm1/eth0, rate: 100kpps, size: 64, cast: unicast }
  - { name: f2, from: vm1/eth0, to: client, rate: 12Mbps, size: 1500, start: 1s, stop: 5s }
steps:
  - { at: 4s, action: vf-unplug, vm: vm1, nic: eth0, mode: surprise }
  - { at: 2s, action: migrate, vm: vm1, to: dst, downtime: 250ms, bandwidth: 16Gbps }
  - { at: 2s, action: host-servicing, vm: vm1, nic: eth0 }
  - { at: 5s, action: set-mtu, vm: vm1, nic: eth0, dev: master, mtu: 9000 }
expect:
  - { metric: flows.f1.lost, max: 40000 }
`;

/** The same scenario as a JavaScript object (for JSON and for mutation by the fuzz tests). */
export function baseObject(): Record<string, unknown> {
  return {
    name: 'json scenario',
    duration: '6s',
    hosts: [{ name: 'src', vfs: 4 }, { name: 'dst' }],
    vms: [
      {
        name: 'vm1',
        host: 'src',
        nics: [{ name: 'eth0', model: 'virtio-backup', mac: '52:54:00:00:00:01' }],
      },
    ],
    peers: [{ name: 'client', host: 'src' }],
    flows: [{ name: 'f1', from: 'client', to: 'vm1/eth0', rate: '100kpps' }],
    steps: [{ at: '2s', action: 'migrate', vm: 'vm1', to: 'dst' }],
    expect: [{ metric: 'flows.f1.lost', max: 40000 }],
  };
}
