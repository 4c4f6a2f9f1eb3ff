/**
 * One matching unit of a network configuration file, the scope in which a MAC match and a
 * driver match combine: a netplan / cloud-init v2 entry under `ethernets:`, a whole
 * systemd-networkd `.network` file (its `[Match]` sections are merged), a whole
 * NetworkManager keyfile (one connection, `[match] driver=`), or a whole ifupdown / ifcfg file
 * (no driver matching at all). Comments are removed from `text`.
 *
 * @example
 * ```ts
 * for (const s of configStanzas(yaml, 'netplan')) console.log(s.driver, s.text.includes(mac));
 * ```
 */
export interface ConfigStanza {
  /** The stanza without comments. */
  readonly text: string;
  /**
   * The driver patterns the stanza's match requires (netplan `match: driver:`, networkd
   * `[Match] Driver=`, NetworkManager `[match] driver=`), or null when it matches no driver.
   */
  readonly drivers: readonly string[] | null;
}

type Tool = 'NetworkManager' | 'systemd-networkd' | 'netplan' | 'ifupdown' | 'ifcfg' | 'cloud-init';

function stripComments(text: string, yaml: boolean): string {
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*[#;]/.test(line)) return '';
      // YAML comments start at a # after whitespace; INI files only have whole-line comments.
      return yaml ? line.replace(/\s#.*$/, '') : line;
    })
    .join('\n');
}

function patterns(value: string): string[] {
  return value
    .replace(/[[\]{}"']/g, ' ')
    .split(/[\s,;]+/)
    .filter((p) => p.length > 0);
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** `driver` inside a `match:` block (block or flow style) of one YAML stanza. */
function yamlDrivers(lines: readonly string[]): string[] | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = /^(\s*)match:\s*(.*)$/.exec(line);
    if (m === null) continue;
    const flow = /driver:\s*(\[[^\]]*\]|[^,}]+)/.exec(m[2] as string);
    if (flow !== null) return patterns(flow[1] as string);
    const base = indentOf(line);
    for (let j = i + 1; j < lines.length; j++) {
      const inner = lines[j] as string;
      if (inner.trim() === '') continue;
      if (indentOf(inner) <= base) break;
      const d = /^\s*driver:\s*(.*)$/.exec(inner);
      if (d === null) continue;
      const value = (d[1] as string).trim();
      if (value !== '') return patterns(value);
      // a block sequence: "driver:" then "- name" lines
      const list: string[] = [];
      for (let k = j + 1; k < lines.length && /^\s*-\s/.test(lines[k] as string); k++) {
        list.push(...patterns((lines[k] as string).replace(/^\s*-\s/, '')));
      }
      return list;
    }
  }
  return null;
}

/** netplan / cloud-init v2: one stanza per entry under each `ethernets:` key, the rest as one. */
function yamlStanzas(text: string): ConfigStanza[] {
  const lines = text.split('\n');
  const out: ConfigStanza[] = [];
  const rest: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!/^\s*ethernets:\s*$/.test(line)) {
      rest.push(line);
      continue;
    }
    const base = indentOf(line);
    let current: string[] | null = null;
    let childIndent = -1;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const inner = lines[j] as string;
      if (inner.trim() === '') continue;
      const ind = indentOf(inner);
      if (ind <= base) break;
      if (childIndent < 0) childIndent = ind;
      if (ind === childIndent) {
        if (current !== null) out.push({ text: current.join('\n'), drivers: yamlDrivers(current) });
        current = [];
      }
      current?.push(inner);
    }
    if (current !== null) out.push({ text: current.join('\n'), drivers: yamlDrivers(current) });
    i = j - 1;
  }
  out.push({ text: rest.join('\n'), drivers: yamlDrivers(rest) });
  return out;
}

/** Values of `key=` inside sections named `section` of an INI file (case as the tool wants). */
function iniValues(text: string, section: string, key: string): string[] | null {
  let inSection = false;
  let found: string[] | null = null;
  for (const line of text.split('\n')) {
    const head = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (head !== null) {
      inSection = head[1] === section;
      continue;
    }
    const kv = /^\s*([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (inSection && kv !== null && kv[1] === key) {
      found = [...(found ?? []), ...patterns(kv[2] as string)];
    }
  }
  return found;
}

/**
 * Splits a configuration file into the stanzas its tool matches interfaces by (see
 * {@link ConfigStanza}), with the driver patterns each one requires. A plain line-based reader,
 * not a full YAML/INI parser: it understands the shapes netplan, cloud-init, systemd-networkd
 * and NetworkManager write.
 *
 * @example
 * ```ts
 * configStanzas('[Match]\nMACAddress=00:0d:3a:00:00:01\nDriver=hv_netvsc\n', 'systemd-networkd');
 * // [{ text: '[Match]\n...', drivers: ['hv_netvsc'] }]
 * ```
 */
export function configStanzas(text: string, tool: Tool): ConfigStanza[] {
  switch (tool) {
    case 'netplan':
    case 'cloud-init':
      return yamlStanzas(stripComments(text, true));
    case 'systemd-networkd': {
      // systemd.network(5): [Match] Driver= is a whitespace-separated list of globs; several
      // [Match] sections in one file are merged.
      const clean = stripComments(text, false);
      return [{ text: clean, drivers: iniValues(clean, 'Match', 'Driver') }];
    }
    case 'NetworkManager': {
      // nm-settings-keyfile(5): one connection per file, its [match] driver= is a list.
      const clean = stripComments(text, false);
      return [{ text: clean, drivers: iniValues(clean, 'match', 'driver') }];
    }
    default:
      return [{ text: stripComments(text, false), drivers: null }];
  }
}

function globRe(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * Whether a driver list matches `driver`, with systemd's rules: any positive glob must match,
 * and no `!`-negated glob may (a list of negations only matches every other driver).
 *
 * @example
 * ```ts
 * driverListMatches(['hv_netvsc'], 'mlx5_core'); // false
 * driverListMatches(['!mlx*'], 'hv_netvsc');     // true
 * ```
 */
export function driverListMatches(list: readonly string[], driver: string): boolean {
  const neg = list.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const pos = list.filter((p) => !p.startsWith('!'));
  if (neg.some((p) => globRe(p).test(driver))) return false;
  return pos.length === 0 ? neg.length > 0 : pos.some((p) => globRe(p).test(driver));
}
