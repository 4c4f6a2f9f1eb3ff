// Bundles every ava test file, with the TypeScript sources it imports, into one JavaScript file
// per test under .test-build/ (same relative path, `.test.js`), for `ava --config
// ava.bundled.config.js`, the run `npm test` makes.
//
// Why: ava starts a process per test file, and under tsx every module those processes load goes
// through Node 20's off-thread loader hooks. Loading @bypass/hypervisor that way costs about
// 2.2 s of CPU against 0.85 s as plain JavaScript, in each of some 190 processes. A bundle is
// plain JavaScript (the test file and the chunks it shares with others): the same tests take
// about half the CPU time (docs/performance.md, "Test speed").
//
// What stays as it was under tsx:
// - sources are resolved with the `@bypass/source` condition, so the tests run the TypeScript
//   sources (not dist), transpiled by esbuild as tsx does, names kept (`keepNames`);
// - `import.meta.url`, `.dirname` and `.filename` in a source keep that source's own location
//   (tests find fixtures, scenarios and the repository root through them);
// - packages from node_modules stay outside the bundle, imported by the absolute path they
//   resolve to from the importing source (a package's own node_modules may hold another major
//   version than the root's: ajv 8 for the hypervisor, ajv 6 for eslint);
// - Node's built-in modules stay as they are.
//
// Usage: node scripts/build-tests.mjs   (from the repository root; about 1 s)
import { build } from 'esbuild';
import { readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.test-build');

// The `files` globs of ava.config.js: the tests of each package, test/, examples/ and bench/.
const TEST_ROOTS = ['packages', 'test', 'examples', 'bench'];

function isTestFile(path) {
  if (!path.endsWith('.test.ts')) return false;
  const parts = path.split('/');
  return parts[0] !== 'packages' || parts[2] === 'test';
}

async function findTests(dir, out) {
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) {
      continue;
    }
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) await findTests(path, out);
    else if (isTestFile(path)) out.push(path);
  }
  return out;
}

/** `import.meta` of a bundled source, rewritten to that source's own location. */
function ownImportMeta(text, file) {
  if (!text.includes('import.meta')) return text;
  return text
    .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href))
    .replaceAll('import.meta.dirname', JSON.stringify(dirname(file)))
    .replaceAll('import.meta.filename', JSON.stringify(file));
}

const sourcesInPlace = {
  name: 'bypass-sources-in-place',
  setup(b) {
    // Bare specifiers other than the workspace's own packages stay outside the bundle.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@bypass/') || args.pluginData === 'resolving') return undefined;
      if (args.path.startsWith('node:')) return { external: true };
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (found.errors.length > 0 || found.external) return { external: true };
      return { path: found.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: ownImportMeta(await readFile(args.path, 'utf8'), args.path),
      loader: 'ts',
    }));
  },
};

async function main() {
  const tests = [];
  for (const dir of TEST_ROOTS) await findTests(dir, tests);
  await rm(OUT, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: tests,
    outdir: OUT,
    outbase: '.',
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@bypass/source'],
    tsconfig: 'tsconfig.base.json', // what tsx is given in ava.config.js
    keepNames: true,
    sourcemap: 'linked',
    plugins: [sourcesInPlace],
    logLevel: 'warning',
  });
  if (result.errors.length > 0) process.exit(1);
  process.stdout.write(`${tests.length} test files bundled into ${relative(ROOT, OUT)}/\n`);
}

await main();
