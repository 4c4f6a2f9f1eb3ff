import { runCli, type CliIo } from '../../src/index.js';
import { captureIo } from './captureIo.js';

export { FIXTURES, ROOT } from './captureIo.js';

/** What one in-process command printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The codes handed to `io.exit` (exactly one per command). */
  readonly exits: readonly number[];
}

/** Runs `bypass ...argv` in-process with captured output. */
export async function cli(
  argv: readonly string[],
  overrides: Partial<CliIo> = {},
): Promise<CliResult> {
  const c = captureIo(overrides);
  const code = await runCli(argv, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr(), exits: c.exits };
}
