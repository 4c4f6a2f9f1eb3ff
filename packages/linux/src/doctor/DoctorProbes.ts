import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ConfigMention } from './DoctorFinding.js';
import { configStanzas } from './ConfigStanza.js';

/**
 * Read-only probes `doctor` uses beyond rtnetlink and sysfs, injectable so tests point them at a
 * fixture tree. {@link FileDoctorProbes} is the real implementation.
 *
 * @example
 * ```ts
 * const probes: DoctorProbes = new FileDoctorProbes('/');
 * probes.dhcpEvidence('enP1s1', 3); // ['/var/lib/dhcp/dhclient.enP1s1.leases', 'process 812: dhclient ... enP1s1']
 * ```
 */
export interface DoctorProbes {
  /** `net.core.default_qdisc`, or null. */
  defaultQdisc(): string | null;
  /** Lease files and running DHCP clients that name the interface. */
  dhcpEvidence(name: string, ifindex: number): string[];
  /** Network configuration files that mention the interface by name or its MAC. */
  configMentions(name: string, mac: string | null): ConfigMention[];
}

const CONFIG_DIRS: ReadonlyArray<readonly [string, ConfigMention['tool']]> = [
  ['etc/NetworkManager/system-connections', 'NetworkManager'],
  ['run/NetworkManager/system-connections', 'NetworkManager'],
  ['etc/systemd/network', 'systemd-networkd'],
  ['run/systemd/network', 'systemd-networkd'],
  ['etc/netplan', 'netplan'],
  ['run/netplan', 'netplan'],
  ['etc/network/interfaces.d', 'ifupdown'],
  ['etc/sysconfig/network-scripts', 'ifcfg'],
  ['etc/cloud/cloud.cfg.d', 'cloud-init'],
];
const CONFIG_FILES: ReadonlyArray<readonly [string, ConfigMention['tool']]> = [
  ['etc/network/interfaces', 'ifupdown'],
];
const LEASE_DIRS = ['var/lib/dhcp', 'var/lib/dhclient', 'var/lib/NetworkManager', 'var/lib/dhcpcd'];
const DHCP_CLIENTS = new Set(['dhclient', 'dhcpcd', 'udhcpc', 'dhcpcd5']);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The real {@link DoctorProbes}: reads files under a root directory (`/` by default; a fixture
 * tree in tests) and never writes anything:
 * - `proc/sys/net/core/default_qdisc`;
 * - DHCP leases: `var/lib/{dhcp,dhclient,NetworkManager,dhcpcd}/*` whose name contains the
 *   interface (`dhclient.eth1.leases`, `internal-<uuid>-eth1.lease`...), and systemd-networkd's
 *   `run/systemd/netif/leases/<ifindex>`; running clients: `proc/<pid>/cmdline` of dhclient,
 *   dhcpcd or udhcpc naming the interface;
 * - configuration: NetworkManager connections, systemd-networkd `.network` files, netplan and
 *   cloud-init YAML, ifupdown and ifcfg files that name the interface or contain its MAC, one
 *   mention per stanza (netplan entry, `.network` file, keyfile connection), with the driver
 *   patterns that stanza's match requires.
 *
 * Unreadable files are skipped and listed in {@link FileDoctorProbes.skipped}.
 *
 * @example
 * ```ts
 * const probes = new FileDoctorProbes();
 * console.log(probes.defaultQdisc(), probes.configMentions('enP1s1', '00:0d:3a:00:00:01'));
 * ```
 */
export class FileDoctorProbes implements DoctorProbes {
  /** The root the files are read under. */
  readonly root: string;
  /** Files that could not be read, with the reason. */
  readonly skipped: string[] = [];

  /** @param root - directory standing for `/`; default `/` */
  constructor(root = '/') {
    this.root = root;
  }

  /** `net.core.default_qdisc`, or null when unreadable. */
  defaultQdisc(): string | null {
    return this.read(join(this.root, 'proc/sys/net/core/default_qdisc'))?.trim() || null;
  }

  /** Lease files and DHCP client processes that name the interface. */
  dhcpEvidence(name: string, ifindex: number): string[] {
    const out: string[] = [];
    const nameRe = new RegExp(`(^|[-._])${escapeRe(name)}([-._]|$)`);
    for (const dir of LEASE_DIRS) {
      for (const f of this.list(join(this.root, dir))) {
        if (/lease/.test(f) && nameRe.test(f)) out.push(`/${dir}/${f}`);
      }
    }
    const networkd = `run/systemd/netif/leases/${ifindex}`;
    if (this.read(join(this.root, networkd)) !== null) out.push(`/${networkd}`);
    for (const pid of this.list(join(this.root, 'proc'))) {
      if (!/^\d+$/.test(pid)) continue;
      const cmd = this.read(join(this.root, 'proc', pid, 'cmdline'));
      if (cmd === null) continue;
      const argv = cmd.split('\0').filter((a) => a.length > 0);
      if (argv.length === 0 || !DHCP_CLIENTS.has(basename(argv[0] as string))) continue;
      if (argv.slice(1).includes(name)) out.push(`process ${pid}: ${argv.join(' ')}`);
    }
    return out;
  }

  /** Configuration files that name the interface or contain its MAC. */
  configMentions(name: string, mac: string | null): ConfigMention[] {
    const files: Array<readonly [string, ConfigMention['tool']]> = [];
    for (const [dir, tool] of CONFIG_DIRS) {
      for (const f of this.list(join(this.root, dir))) files.push([`${dir}/${f}`, tool]);
    }
    files.push(...CONFIG_FILES);
    const nameRe = new RegExp(`(^|[^A-Za-z0-9_.-])${escapeRe(name)}($|[^A-Za-z0-9_.-])`, 'm');
    const out: ConfigMention[] = [];
    for (const [rel, tool] of files) {
      const text = this.read(join(this.root, rel));
      if (text === null) continue;
      const fileByName = basename(rel) === `ifcfg-${name}`;
      // The MAC and the driver only combine within one stanza (a netplan entry, a .network
      // file, a keyfile connection): a driver match elsewhere in the file does not restrict it.
      for (const stanza of configStanzas(text, tool)) {
        const byName = fileByName || nameRe.test(stanza.text);
        const byMac = mac !== null && stanza.text.toLowerCase().includes(mac.toLowerCase());
        if (!byName && !byMac) continue;
        const driver = stanza.drivers === null ? null : stanza.drivers.join(' ');
        out.push({ file: `/${rel}`, tool, byName, byMac, driverMatch: driver !== null, driver });
      }
    }
    return out;
  }

  private list(dir: string): string[] {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  }

  private read(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') {
        this.skipped.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return null;
    }
  }
}
