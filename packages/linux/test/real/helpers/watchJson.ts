/**
 * What `bypass watch --json` will run: a LinuxWatch printing NDJSON on stdout. The real tests
 * start it inside a test namespace with `ip netns exec`, since a netlink socket only sees the
 * namespace of the process that opens it. Arguments: `--force`, `--interval=<ms>`.
 * Exits on SIGTERM/SIGINT or when stdin closes (the test process went away).
 */
import { LinuxWatch } from '../../../src/index.js';

const force = process.argv.includes('--force');
const intervalArg = process.argv.find((a) => a.startsWith('--interval='));
const intervalMs =
  intervalArg === undefined ? 1000 : Number(intervalArg.slice('--interval='.length));

const watch = new LinuxWatch({ force, intervalMs });
watch.ndjson$.subscribe({
  next: (line) => process.stdout.write(line + '\n'),
  error: (err: unknown) => {
    process.stderr.write(`watch failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
  complete: () => process.exit(0),
});
const stop = (): void => watch.close();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
watch.start().catch((err: unknown) => {
  process.stderr.write(
    `watch failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(2);
});
