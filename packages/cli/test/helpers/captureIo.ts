import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/io/CliIo.js';

/** The repository root (tests run commands from there, like a user would). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The cli test fixtures. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A {@link CliIo} writing into strings: not a terminal, empty environment, cwd the repo root. */
export function captureIo(overrides: Partial<CliIo> = {}): {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
  exits: number[];
} {
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    isTTY: { stdout: false, stderr: false },
    env: {},
    cwd: ROOT,
    exit: (code) => exits.push(code),
    ...overrides,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join(''), exits };
}
