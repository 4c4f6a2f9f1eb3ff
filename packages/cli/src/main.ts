// The `bypass` executable's entry (bin/bypass.js loads it from dist/, or from here through tsx).
import { nodeIo } from './io/CliIo.js';
import { runCli } from './runCli.js';

await runCli(process.argv.slice(2), nodeIo());
