/**
 * Bugs the hardening tests found in library code and that are not fixed yet (numbered as in
 * docs/reliability.md). The model test counts a problem that matches one of these instead of
 * failing on it (each bug has its own named test, marked `test.failing`, in
 * `KnownBugs.test.ts`, which ava reports as an "unexpected pass" once the bug is fixed).
 * Remove an entry once its bug is fixed. Matchers are as narrow as the evidence allows, so
 * that another bug with the same symptom still fails the model test.
 */
import type { Simulated } from './harness.js';

/** One open bug: its id and its signature. */
export interface KnownBug {
  readonly id: string;
  readonly matches: (problem: string, sim: Simulated) => boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  // None open: the seven bugs these tests found are fixed; their tests in KnownBugs.test.ts are
  // regression tests now (see docs/reliability.md).
];
