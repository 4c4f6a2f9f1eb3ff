import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BypassError } from '@bypass/core';
import type { CliIo } from '../io/CliIo.js';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * The repository's top-level `scenarios/` directory. This file sits at
 * `packages/cli/{src,dist}/scenarios/`, so the same relative URL works from the TypeScript
 * source and from the build.
 */
export function defaultScenariosDir(): string {
  return fileURLToPath(new URL('../../../../scenarios/', import.meta.url));
}

/** The bundled scenarios directory of `io` (its override or the default). */
export function scenariosDirOf(io: CliIo): string {
  return io.scenariosDir ?? defaultScenariosDir();
}

/** One bundled scenario as `bypass list` shows it. */
export interface BundledScenario {
  /** The bare name `bypass run` accepts (the file name without extension). */
  readonly id: string;
  /** The scenario's `name:`, or null when the file has none. */
  readonly name: string | null;
  /** The file's first comment line, or null. */
  readonly description: string | null;
  /** Absolute path of the file. */
  readonly file: string;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0]) return t.slice(1, -1);
  return t;
}

/** Editor modelines at the top of a scenario (`# yaml-language-server: $schema=...`). */
const MODELINE = /^(yaml-language-server:|\$schema)/;

/** The first sentence of `text` (all of it when it has no sentence end). */
function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return m === null ? text : (m[1] ?? text);
}

/**
 * Reads a scenario file's top-level `name:` and its description without validating it: the
 * first sentence of the first paragraph of its leading comment (editor modelines skipped).
 */
export function describeScenarioText(
  text: string,
  file: string,
): Pick<BundledScenario, 'name' | 'description'> {
  if (extname(file) === '.json') {
    try {
      const doc: unknown = JSON.parse(text);
      const name = (doc as { name?: unknown } | null)?.name;
      return { name: typeof name === 'string' ? name : null, description: null };
    } catch {
      return { name: null, description: null };
    }
  }
  let name: string | null = null;
  const paragraph: string[] = [];
  let leading = true;
  let paragraphDone = false;
  for (const line of text.split(/\r?\n/)) {
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (comment !== null) {
      const c = (comment[1] ?? '').trim();
      if (!leading || paragraphDone || MODELINE.test(c)) continue;
      if (c === '') paragraphDone = paragraph.length > 0;
      else paragraph.push(c);
      continue;
    }
    leading = false;
    const n = /^name:\s*(.*?)\s*(#.*)?$/.exec(line);
    if (n !== null && name === null) name = unquote(n[1] ?? '');
  }
  const description = paragraph.length === 0 ? null : firstSentence(paragraph.join(' '));
  return { name, description };
}

/**
 * The bundled scenarios in `dir`, sorted by id; an empty list when the directory does not exist.
 */
export function listBundledScenarios(dir: string): BundledScenario[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => EXTENSIONS.includes(extname(f)))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      return {
        id: basename(f, extname(f)),
        ...describeScenarioText(readFileSync(file, 'utf8'), file),
        file,
      };
    });
}

/** A scenario argument resolved to a file. */
export interface ScenarioTarget {
  /** Absolute path. */
  readonly path: string;
  /** How to name it in messages: as typed, or relative to the working directory when bundled. */
  readonly display: string;
  /** A short tag for per-scenario output names (the file name without extension). */
  readonly tag: string;
}

/**
 * Resolves a `FILE` argument: an existing file (relative to `io.cwd`), else a bundled scenario by
 * bare name (`virtio-live-migration`).
 *
 * @throws `BypassError` `ERR_NOT_FOUND` when it is neither.
 */
export function resolveScenarioArg(arg: string, io: CliIo): ScenarioTarget {
  const path = isAbsolute(arg) ? arg : resolve(io.cwd, arg);
  if (existsSync(path)) {
    if (!statSync(path).isFile()) {
      throw new BypassError('ERR_INVALID_ARGUMENT', `${arg} is a directory; give a scenario file`);
    }
    return { path, display: arg, tag: basename(arg, extname(arg)) };
  }
  const dir = scenariosDirOf(io);
  if (!/[\\/]/.test(arg)) {
    const id = EXTENSIONS.includes(extname(arg)) ? basename(arg, extname(arg)) : arg;
    for (const ext of EXTENSIONS) {
      const bundled = join(dir, id + ext);
      if (existsSync(bundled)) {
        const rel = relative(io.cwd, bundled);
        return { path: bundled, display: rel.startsWith('..') ? bundled : rel, tag: id };
      }
    }
  }
  throw new BypassError(
    'ERR_NOT_FOUND',
    `${arg}: no such file, and no bundled scenario by that name (\`bypass list\` shows them)`,
  );
}

/**
 * The text of a resolved scenario file.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` when it cannot be read.
 */
export function readScenarioText(target: ScenarioTarget): string {
  try {
    return readFileSync(target.path, 'utf8');
  } catch (err) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `cannot read ${target.display}: ${(err as Error).message}; pass a readable YAML or JSON file`,
    );
  }
}
