import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { BypassError, formatDuration } from '@bypass/core';
import type { Scenario } from './Scenario.js';
import { ScenarioChecks } from './ScenarioChecks.js';
import { normalizeChoreography } from './ScenarioChoreography.js';
import { ScenarioError } from './ScenarioError.js';
import type { ScenarioIssue } from './ScenarioError.js';
import type { ScenarioFileData } from './ScenarioFile.js';
import { checkScenarioSchema } from './ScenarioSchemaCheck.js';
import { parseScenarioSource } from './ScenarioSource.js';
import { normalizeWorld } from './ScenarioWorld.js';

/**
 * The text formats of a scenario file. YAML (1.2) reads JSON too; `json` parses strictly.
 *
 * @example
 * ```ts
 * const format: ScenarioFormat = file.endsWith('.json') ? 'json' : 'yaml';
 * ```
 */
export type ScenarioFormat = 'yaml' | 'json';

/** Default simulation step: 50 us. */
const DEFAULT_TICK = 50_000;
/** The finest simulation step accepted: 1 us. */
const MIN_TICK = 1_000;

function formatOf(file: string, format: ScenarioFormat | undefined): ScenarioFormat {
  if (format !== undefined) return format;
  return extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
}

function defaultName(file: string): string {
  const base = basename(file, extname(file));
  return base === '' || base.startsWith('<') ? 'scenario' : base;
}

interface Outcome {
  readonly issues: readonly ScenarioIssue[];
  readonly scenario?: Scenario;
}

/** Sorts issues into file order (those without a line keep their order, first). */
function byPosition(issues: ScenarioIssue[]): ScenarioIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.i - b.i,
    )
    .map((x) => x.issue);
}

function load(text: string, file: string, format: ScenarioFormat | undefined): Outcome {
  if (typeof text !== 'string') {
    return { issues: [{ path: '', message: 'the scenario text is not a string' }] };
  }
  // A UTF-8 byte order mark is not part of the document.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const source = parseScenarioSource(body, formatOf(file, format));
  if (source.syntaxIssues.length > 0) return { issues: source.syntaxIssues };
  const schemaIssues = checkScenarioSchema(source.data);
  if (schemaIssues.length > 0) return { issues: byPosition(schemaIssues.map(source.place)) };

  const f = source.data as ScenarioFileData;
  const c = new ScenarioChecks();
  const duration = c.duration(f.duration, ['duration'], 0);
  if (duration === 0) c.add(['duration'], 'must be > 0: how long to simulate, e.g. 6s');
  const tick = c.duration(f.tick, ['tick'], DEFAULT_TICK);
  if (tick < MIN_TICK)
    c.add(['tick'], 'must be at least 1us (a finer step only slows the run), e.g. 50us');
  else if (Number.isFinite(tick) && Number.isFinite(duration) && duration > 0 && tick > duration) {
    c.add(
      ['tick'],
      `tick ${formatDuration(tick)} is longer than the duration ${formatDuration(duration)}`,
    );
  }
  const world = normalizeWorld(c, f);
  const choreography = normalizeChoreography(c, f, world, duration);
  if (c.issues.length > 0) return { issues: byPosition(c.issues.map(source.place)) };
  return {
    issues: [],
    scenario: {
      name: f.name ?? defaultName(file),
      file,
      seed: f.seed ?? 1,
      duration,
      tick,
      ...world,
      ...choreography,
    },
  };
}

/**
 * Parses, validates and normalizes a scenario from text: JSON Schema first, then semantic
 * checks (unique names, references, units, MACs, times within the duration), then defaults
 * (see SCENARIOS.md and {@link Scenario}). `file` names the source in messages and sets the
 * default `name`; `format` defaults from its extension (`.json` is strict JSON, anything else
 * YAML, which reads JSON too).
 *
 * @throws {@link ScenarioError} (`ERR_SCENARIO`) listing every problem with its path, line and
 * column.
 * @example
 * ```ts
 * const scenario = loadScenarioText(
 *   'duration: 1s\nhosts: [{ name: h1 }]\npeers: [{ name: a, host: h1 }, { name: b, host: h1 }]\n' +
 *     'flows: [{ name: f1, from: a, to: b, rate: 10kpps }]\n',
 *   'inline.yaml',
 * );
 * scenario.flows[0]!.pps; // 10000
 * ```
 */
export function loadScenarioText(text: string, file: string, format?: ScenarioFormat): Scenario {
  const out = load(text, file, format);
  if (out.scenario === undefined) throw new ScenarioError(file, out.issues);
  return out.scenario;
}

/**
 * Like {@link loadScenarioText} but returns the problems instead of throwing: an empty list
 * when the scenario is valid.
 *
 * @example
 * ```ts
 * for (const issue of validateScenarioText(text, 'mine.yaml')) {
 *   console.error(`${issue.line ?? '?'}: ${issue.path}: ${issue.message}`);
 * }
 * ```
 */
export function validateScenarioText(
  text: string,
  file: string,
  format?: ScenarioFormat,
): ScenarioIssue[] {
  return [...load(text, file, format).issues];
}

/**
 * Reads a scenario file (YAML, or JSON for `.json`) and loads it with {@link loadScenarioText}.
 *
 * @throws `BypassError` `ERR_NOT_FOUND` when the file does not exist,
 * `ERR_INVALID_ARGUMENT` when it cannot be read, {@link ScenarioError} when it is not valid.
 * @example
 * ```ts
 * const scenario = loadScenarioFile('scenarios/virtio-live-migration.yaml');
 * console.log(scenario.name, scenario.steps.length);
 * ```
 */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new BypassError(
        'ERR_NOT_FOUND',
        `scenario file ${path} not found: check the path (bundled examples are in scenarios/)`,
      );
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `cannot read scenario file ${path}: ${why}; pass a readable YAML or JSON file`,
    );
  }
  return loadScenarioText(text, path);
}
