import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { BypassError } from '@bypass/core';

/** Where one run's optional outputs go (absolute paths; null = not asked for). */
export interface RunOutputs {
  readonly svg: string | null;
  readonly html: string | null;
  readonly pcapDir: string | null;
}

/** `out/timeline.svg` + `migration` -> `out/timeline.migration.svg`. */
export function suffixFile(file: string, tag: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.${tag}${ext}`);
}

/**
 * Unique tags for several runs: each scenario's file name without extension, with `-2`, `-3`...
 * appended to repeats (`a/x.yaml b/x.yaml` -> `x`, `x-2`).
 */
export function uniqueTags(tags: readonly string[]): string[] {
  const used = new Set<string>();
  return tags.map((tag) => {
    let candidate = tag;
    let n = 1;
    while (used.has(candidate)) candidate = `${tag}-${++n}`;
    used.add(candidate);
    return candidate;
  });
}

/**
 * The outputs of each run: with one run, exactly the paths given; with several, `--svg FILE` and
 * `--html FILE` get the scenario's tag before the extension (`timeline.<tag>.svg`) and
 * `--pcap DIR` gets a subdirectory per scenario (`DIR/<tag>/`).
 */
export function planOutputs(
  cwd: string,
  tags: readonly string[],
  options: { svg?: string | undefined; html?: string | undefined; pcap?: string | undefined },
): RunOutputs[] {
  const several = tags.length > 1;
  const unique = uniqueTags(tags);
  const abs = (p: string | undefined): string | null => (p === undefined ? null : resolve(cwd, p));
  return unique.map((tag) => {
    const svg = abs(options.svg);
    const html = abs(options.html);
    const pcap = abs(options.pcap);
    return {
      svg: svg !== null && several ? suffixFile(svg, tag) : svg,
      html: html !== null && several ? suffixFile(html, tag) : html,
      pcapDir: pcap !== null && several ? join(pcap, tag) : pcap,
    };
  });
}

/**
 * Writes a text file, creating its directory.
 *
 * @throws `BypassError` `ERR_INVALID_ARGUMENT` when it cannot be written.
 */
export function writeOutput(path: string, text: string, what: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (err) {
    throw new BypassError(
      'ERR_INVALID_ARGUMENT',
      `cannot write the ${what} to ${path}: ${(err as Error).message}; choose a writable path`,
    );
  }
}
