import {
  execFile,
  execFileSync,
  spawn,
  type ChildProcessWithoutNullStreams,
} from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every namespace these tests create starts with this; the pid makes it unique per run. */
export const NS_PREFIX = 'bpt-';
let counter = 0;

/** Runs a command, returning stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  });
}

/** Runs `ip <args>`. */
export function ip(...args: string[]): string {
  return run('ip', args);
}

/** Null when the real tests can run here, else why not (the skip message). */
export function whyNoNetns(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0)
    return 'not root (network namespaces, veth and tap need CAP_NET_ADMIN; CI runs as root)';
  try {
    ip('-V');
  } catch {
    return "iproute2's ip command is missing (Debian package iproute2)";
  }
  const probe = `${NS_PREFIX}${process.pid}-probe`;
  try {
    ip('netns', 'add', probe);
    ip('-n', probe, 'link', 'add', 'name', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    ip('-n', probe, 'tuntap', 'add', 'dev', 't0', 'mode', 'tap');
  } catch (err) {
    return `cannot create a namespace with veth and tap devices: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    try {
      ip('netns', 'del', probe);
    } catch {
      // it was not created
    }
  }
  return null;
}

/** Deletes `bpt-<pid>-*` namespaces left by runs whose process is gone (a crashed earlier run). */
export function sweepLeftovers(): string[] {
  const removed: string[] = [];
  let list: string;
  try {
    list = ip('netns', 'list');
  } catch {
    return removed;
  }
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^bpt-(\d+)-/.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as { code?: string }).code === 'EPERM';
    }
    if (alive && pid !== process.pid) continue;
    if (pid === process.pid) continue;
    try {
      ip('netns', 'del', name);
      removed.push(name);
    } catch {
      // already gone
    }
  }
  return removed;
}

/** A new namespace named `bpt-<pid>-<n>`, with `lo` up; delete it with {@link deleteNetns}. */
export function createNetns(): string {
  const name = `${NS_PREFIX}${process.pid}-${++counter}`;
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

/** Deletes a namespace (and with it every interface inside); ignores one that is gone. */
export function deleteNetns(name: string): void {
  try {
    ip('netns', 'del', name);
  } catch {
    // already gone
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..', '..', '..');

/** Drops root for the child (uid/gid 65534, "nobody"): watch and doctor must work read-only. */
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/** The command line running one of the helper scripts inside `ns`, as root or as nobody. */
function helperArgv(ns: string, script: string, args: string[], asNobody: boolean): string[] {
  return [
    'netns',
    'exec',
    ns,
    ...(asNobody ? AS_NOBODY : []),
    process.execPath,
    '--import=tsx',
    '--conditions=@bypass/source',
    join(here, script),
    ...args,
  ];
}

const childEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.base.json'),
});

/** True when `setpriv` (util-linux) can drop privileges here. */
export function canDropRoot(): boolean {
  try {
    run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command without blocking the event loop (other tests' children keep streaming). */
export function runAsync(cmd: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: repoRoot, env: childEnv(), encoding: 'utf8', timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (err !== null)
          reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Runs `doctor` (the doctorJson helper) inside `ns` and returns its JSON report. */
export async function runDoctor(
  ns: string,
  args: string[],
  asNobody = false,
): Promise<Record<string, unknown>> {
  const out = await runAsync('ip', helperArgv(ns, 'doctorJson.ts', args, asNobody));
  return JSON.parse(out) as Record<string, unknown>;
}

/**
 * A helper script (`watchJson.ts`, `mirrorJson.ts`) running inside a namespace, with its NDJSON lines parsed. `next`
 * waits (bounded) for the next line after the previous match that satisfies a predicate, so a
 * sequence of `next` calls asserts the order of the stream.
 */
export class JsonChild {
  readonly lines: Array<Record<string, unknown>> = [];
  private cursor = 0;
  private stderr = '';
  private exited: string | null = null;
  private waiters: Array<() => void> = [];
  private readonly child: ChildProcessWithoutNullStreams;

  /**
   * @param script - a helper in this directory (`watchJson.ts`, `mirrorJson.ts`)
   */
  constructor(ns: string, script: string, args: string[], asNobody = false) {
    this.child = spawn('ip', helperArgv(ns, script, args, asNobody), {
      cwd: repoRoot,
      env: childEnv(),
    });
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim().length > 0) this.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      this.wakeAll();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.child.on('exit', (code, signal) => {
      this.exited = `exited with ${code ?? signal}`;
      this.wakeAll();
    });
  }

  /** Waits for the next line (after the previous match) satisfying `pred`. */
  async next(
    what: string,
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.wakeAll();
    }, timeoutMs);
    try {
      for (;;) {
        for (; this.cursor < this.lines.length; this.cursor++) {
          const line = this.lines[this.cursor] as Record<string, unknown>;
          if (pred(line)) {
            this.cursor++;
            return line;
          }
        }
        if (timedOut || this.exited !== null) {
          const tail = this.lines
            .slice(-8)
            .map((l) => JSON.stringify(l))
            .join('\n');
          throw new Error(
            `no ${what} within ${timeoutMs} ms (${this.exited ?? 'still running'}); last lines:\n${tail}\nstderr:\n${this.stderr}`,
          );
        }
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the next live netdev event of `name` matching `fields`. */
  event(
    type: string,
    name: string,
    fields: Record<string, unknown> = {},
  ): Promise<Record<string, unknown>> {
    return this.next(`${type} event of ${name} ${JSON.stringify(fields)}`, (l) => {
      if (l['type'] !== 'event') return false;
      const e = l['event'] as Record<string, unknown>;
      return (
        e['type'] === type &&
        e['name'] === name &&
        Object.entries(fields).every(([k, v]) => e[k] === v)
      );
    });
  }

  /** Writes a command line to the child's stdin. */
  send(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  /** Stops the child (SIGTERM, then SIGKILL after 2 s) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.exited !== null) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await done;
    clearTimeout(kill);
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
