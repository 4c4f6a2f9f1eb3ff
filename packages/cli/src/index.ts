/**
 * `@bypass/cli`: the `bypass` command (run, compare and validate failover scenarios; watch and
 * diagnose real failover pairs), usable in-process.
 *
 * @packageDocumentation
 */
export { createProgram } from './program.js';
export { runCli } from './runCli.js';
export { ExitCode } from './ExitCode.js';
export { nodeIo, type CliIo, type CliOutput } from './io/CliIo.js';
