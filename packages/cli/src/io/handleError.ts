import { isBypassError } from '@bypass/core';
import { ScenarioError, formatScenarioIssue } from '@bypass/hypervisor';
import { CommanderError } from 'commander';
import { ExitCode } from '../ExitCode.js';
import type { CliIo } from './CliIo.js';

/** Error codes that mean the user's input was wrong (exit 2), not the program. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'ERR_SCENARIO',
  'ERR_PARSE',
  'ERR_INVALID_ARGUMENT',
  'ERR_NOT_FOUND',
]);

/**
 * Prints an error that ended a command on stderr and returns the exit code: scenario errors with
 * one `file:line:col: path: message` line per issue, other typed errors as `bypass: message`
 * (usage errors exit 2, the others 3), anything else with its stack (exit 3: a bug).
 */
export function handleError(err: unknown, io: CliIo): number {
  if (err instanceof ScenarioError) {
    const file = err.file;
    if (err.issues.length === 0) io.stderr.write(`${file}: ${err.message}\n`);
    for (const issue of err.issues) io.stderr.write(formatScenarioIssue(file, issue) + '\n');
    return ExitCode.USAGE;
  }
  if (err instanceof CommanderError) return ExitCode.USAGE;
  if (isBypassError(err)) {
    io.stderr.write(`bypass: ${err.message}\n`);
    return USAGE_CODES.has(err.code) ? ExitCode.USAGE : ExitCode.INTERNAL;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.stderr.write(`bypass: internal error: ${text}\n`);
  return ExitCode.INTERNAL;
}
