import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scripts = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

test('the README opens with the two commands, and both name existing npm scripts', (t) => {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const lines = block.trim().split('\n');
  t.regex(lines[0] ?? '', /^npm ci && npm run demo\b/);
  t.regex(lines[1] ?? '', /^npm ci && npm test\b/);
  t.truthy(scripts['demo']);
  t.truthy(scripts['test']);
});

test('the demo command runs the virtio live-migration scenario and says where the timeline and pcaps went', async (t) => {
  const demo = scripts['demo'] ?? '';
  const m = /^tsx (--conditions=\S+) (\S+) (.*)$/.exec(demo);
  if (m === null) return t.fail(`unexpected demo script: ${demo}`);
  const out = mkdtempSync(join(tmpdir(), 'bypass-demo-'));
  try {
    // Same arguments as the script, with the outputs in a temporary directory.
    const args = (m[3] as string).split(' ').map((a) => a.replace(/^out\//, `${out}/`));
    const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [tsx, m[1] as string, m[2] as string, ...args],
      {
        cwd: root,
        env: { ...process.env, CI: '1' },
        maxBuffer: 16 << 20,
      },
    );
    t.regex(stdout, /virtio VF failover across a live migration/);
    t.regex(stdout, /completed/);
    t.regex(stdout, /Result: OK/);
    t.regex(stdout, /timeline: .*virtio-live-migration\.svg/);
    t.regex(stdout, /pcap: \d+ files/);
    t.true(existsSync(join(out, 'virtio-live-migration.svg')));
    t.true(existsSync(join(out, 'pcap', 'src-client.pcap')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
