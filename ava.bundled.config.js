// The run `npm test` makes: the bundles `node scripts/build-tests.mjs` writes (one JavaScript
// file per test file, sources included), in plain Node without tsx's loader hooks. The same tests
// as ava.config.js, which runs the TypeScript files through tsx (`npx ava <file>` while working).
import base from './ava.config.js';

export default {
  ...base,
  files: ['.test-build/**/*.test.js'],
  extensions: ['js'],
  // Resolutions at run time (import.meta.resolve, children started with the same conditions)
  // still see the sources, as under ava.config.js.
  nodeArguments: ['--enable-source-maps', '--conditions=@bypass/source'],
  // ava's default: a worker thread per file, cheaper to start than a process. ava.config.js
  // needs processes (on Node 20 worker threads do not get tsx's hooks); plain bundles do not.
  workerThreads: true,
};
