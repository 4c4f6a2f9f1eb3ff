// The `bypass` executable's entry (bin/bypass.js loads it from dist/, or from here through tsx).
import { nodeIo } from './io/CliIo.js';
import { runCli } from './runCli.js';

const code = await runCli(process.argv.slice(2), nodeIo());
// Exit once stdout and stderr are flushed: a closed watch may leave a netlink request waiting
// for its timeout, which must not keep the process alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
