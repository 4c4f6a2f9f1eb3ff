import { BypassError } from '@bypass/core';

/**
 * One problem found in a scenario file: where (`vms[0].nics[0].mac`, and the line and column
 * when known, both 1-based) and what is wrong. An empty `path` is the whole file.
 *
 * @example
 * ```ts
 * const issue: ScenarioIssue = {
 *   path: 'vms[0].nics[0].mac',
 *   message: 'a group (multicast) address cannot be a NIC MAC',
 *   line: 9,
 *   column: 14,
 * };
 * ```
 */
export interface ScenarioIssue {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * Formats one issue as `file:line:column: path: message` (what editors and terminals link to);
 * the line, column and path are left out when unknown or empty.
 *
 * @example
 * ```ts
 * formatScenarioIssue('a.yaml', { path: 'seed', message: 'must be an integer', line: 2, column: 7 });
 * // 'a.yaml:2:7: seed: must be an integer'
 * ```
 */
export function formatScenarioIssue(file: string, issue: ScenarioIssue): string {
  let where = file;
  if (issue.line !== undefined) {
    where += `:${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  return issue.path === ''
    ? `${where}: ${issue.message}`
    : `${where}: ${issue.path}: ${issue.message}`;
}

/**
 * A scenario file that does not parse or validate (code `ERR_SCENARIO`). Nothing was
 * simulated. `issues` lists every problem found; the message has one `file:line:col: path:
 * what is wrong` line per issue and says what to do.
 *
 * @example
 * ```ts
 * try {
 *   loadScenarioFile('scenarios/broken.yaml');
 * } catch (err) {
 *   if (err instanceof ScenarioError) for (const i of err.issues) console.error(i.path, i.message);
 * }
 * ```
 */
export class ScenarioError extends BypassError {
  /** The file (or `<inline>`) the problems are in. */
  readonly file: string;
  /** Every problem found, in file order where known. */
  readonly issues: readonly ScenarioIssue[];

  /**
   * @param file - the scenario file (or `<inline>`)
   * @param issues - the problems (at least one)
   */
  constructor(file: string, issues: readonly ScenarioIssue[]) {
    const n = issues.length;
    const lines = issues.map((i) => `  ${formatScenarioIssue(file, i)}`);
    super(
      'ERR_SCENARIO',
      `scenario file ${file} is not valid (${n} problem${n === 1 ? '' : 's'}); nothing was simulated:\n` +
        `${lines.join('\n')}\n` +
        'Fix the file and run again; `bypass schema` prints the JSON Schema of scenario files ' +
        '(point your editor at it to complete and check them), and scenarios/ has examples.',
    );
    this.name = 'ScenarioError';
    this.file = file;
    this.issues = issues;
  }
}
