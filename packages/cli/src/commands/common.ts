import { BypassError } from '@bypass/core';
import { NIC_MODELS, loadScenarioText, type NicModelName, type Scenario } from '@bypass/hypervisor';
import { InvalidArgumentError } from 'commander';
import type { CliIo } from '../io/CliIo.js';
import { handleError } from '../io/handleError.js';
import {
  readScenarioText,
  resolveScenarioArg,
  type ScenarioTarget,
} from '../scenarios/BundledScenarios.js';

/**
 * Whether to colour stdout: a terminal, no `--no-color`, no `NO_COLOR`, not `TERM=dumb`;
 * `FORCE_COLOR` (other than `0`) forces it.
 */
export function useColor(io: CliIo, flag: boolean): boolean {
  if (!flag) return false;
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined && force !== '' && force !== '0') return true;
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  return io.isTTY.stdout && io.env['TERM'] !== 'dumb';
}

/**
 * A NIC model name from the command line.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` naming the known models.
 */
export function parseModel(text: string): NicModelName {
  const m = NIC_MODELS.find((n) => n === text.trim());
  if (m === undefined) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `unknown model '${text}'; use one of ${NIC_MODELS.join(', ')}`,
    );
  }
  return m;
}

/** Commander parser of a non-negative integer option. */
export function integerOption(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'.`);
    }
    return n;
  };
}

/** A resolved and validated scenario. */
export interface LoadedScenario {
  readonly target: ScenarioTarget;
  readonly scenario: Scenario;
}

/**
 * Resolves and loads every argument before anything runs, so one bad file means nothing is
 * simulated. Errors are printed on stderr as they come (every bad file is reported, not only the
 * first); `code` is then the exit code to return (2 for bad files), else 0.
 */
export function loadAll(
  args: readonly string[],
  io: CliIo,
): { readonly loaded: LoadedScenario[]; readonly code: number } {
  const loaded: LoadedScenario[] = [];
  let code = 0;
  for (const arg of args) {
    try {
      const target = resolveScenarioArg(arg, io);
      loaded.push({ target, scenario: loadScenarioText(readScenarioText(target), target.display) });
    } catch (err) {
      code = Math.max(code, handleError(err, io));
    }
  }
  return { loaded, code };
}

/**
 * Runs a command's work, turns a thrown error into its exit code (printed by `handleError`) and
 * hands the code to `io.exit`.
 */
export type Settle = (work: () => number | Promise<number>) => Promise<void>;

/** The {@link Settle} of `io`. */
export function settleWith(io: CliIo): Settle {
  return async (work) => {
    let code: number;
    try {
      code = await work();
    } catch (err) {
      code = handleError(err, io);
    }
    io.exit(code);
  };
}
