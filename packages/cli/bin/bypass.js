#!/usr/bin/env node
// The `bypass` executable. Runs the build (dist/main.js) when there is one; otherwise the
// TypeScript source through tsx, in a child node with the `@bypass/source` export condition (so
// the workspace packages resolve to their src/ too). BYPASS_FROM_SOURCE=1 forces the source.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { URL, fileURLToPath } from 'node:url';

const built = new URL('../dist/main.js', import.meta.url);
if (existsSync(built) && !process.env.BYPASS_FROM_SOURCE) {
  await import(built.href);
} else {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write(
      'bypass: no build (packages/cli/dist/main.js) and tsx is not installed; run `npm run build` or `npm install`\n',
    );
    process.exit(3);
  }
  const child = spawn(
    process.execPath,
    ['--conditions=@bypass/source', '--import', tsx, main, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        // our own tsconfig, whatever the working directory (a relative inherited one would not resolve)
        TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
      },
    },
  );
  // Signals go to the child, which decides how to stop (watch stops cleanly on Ctrl-C). A
  // terminal's Ctrl-C reaches both processes; stopping twice is harmless.
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    process.stderr.write(`bypass: cannot start node: ${err.message}\n`);
    process.exitCode = 3;
  });
  child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 3;
  });
}
