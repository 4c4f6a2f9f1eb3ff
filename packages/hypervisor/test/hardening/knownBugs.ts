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
  {
    // Bug 7: a vf-plug step (or the VF given back after host servicing) during a migration
    // takes a source VF; Migration.complete does not know it and the VM resumes on the
    // destination with it (QEMU refuses device_add while migrating).
    id: 'a VF plugged during a migration stays plugged on the destination',
    matches: (problem) => /runs on \S+ with a VF of \S+ plugged/.test(problem),
  },
];
