/**
 * Bugs the hardening tests found in library code and that are not fixed yet. The model test
 * counts a problem that matches one of these instead of failing on it (each bug has its own
 * named test, marked `test.failing`, in `KnownBugs.test.ts`, which starts to "fail" once the
 * bug is fixed). Remove an entry once its bug is fixed. Matchers are as narrow as the evidence
 * allows, so that another bug with the same symptom still fails the model test.
 */
import { FlowFrameReader } from '../../src/traffic/FlowFrameReader.js';
import type { Simulated } from './harness.js';

/** One open bug: its id (the name used in `KnownBugs.test.ts`) and its signature. */
export interface KnownBug {
  readonly id: string;
  readonly matches: (problem: string, sim: Simulated) => boolean;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    // A vf-plug step during a migration's pre-copy takes a source VF; Migration.complete does
    // not know it and the VM resumes on the destination with it (QEMU refuses device_add
    // while migrating).
    id: 'a VF plugged during the pre-copy stays plugged on the destination',
    matches: (problem) => /runs on \S+ with a VF of \S+ plugged/.test(problem),
  },
  {
    // World.inFlightPerFlow reads pool.mark only: a frame the guest copied out of a VMBus ring
    // (mark 0) and still holds at the end (guest down, queue not serviced) is in no count.
    id: 'frames copied out of a VMBus ring and held by the guest are not counted in flight',
    matches: (problem, sim) => {
      const m = /^flow (\S+): sent \d+ but .* (\d+) frames vanished without a counter$/.exec(
        problem,
      );
      const m2 =
        /^flow (\S+): sent (\d+) != received (\d+) - duplicated (\d+) \+ lost (\d+) \+ in flight (\d+)$/.exec(
          problem,
        );
      const name = m?.[1] ?? m2?.[1];
      const flow = sim.world.flows.find((f) => f.spec.name === name);
      if (flow === undefined) return false;
      const missing =
        m !== null
          ? Number(m[2])
          : Number(m2?.[2]) -
            (Number(m2?.[3]) - Number(m2?.[4]) + Number(m2?.[5]) + Number(m2?.[6]));
      const pool = sim.world.pool;
      let unmarked = 0;
      for (let h = 0; h < pool.capacity; h++) {
        if (
          pool.inUseMap[h] !== 0 &&
          pool.mark[h] === 0 &&
          FlowFrameReader.flow(pool, h) === flow.index
        )
          unmarked++;
      }
      return missing > 0 && unmarked >= missing;
    },
  },
  {
    // VmNic.requestUnplug returns early when an unplug is already pending: the migration's
    // callback is never registered, so it waits in wait-unplug for ever.
    id: 'a migration started while an unplug is pending waits for ever',
    matches: (problem) =>
      /stuck in wait-unplug/.test(problem) && /unplugPending=false/.test(problem),
  },
  {
    // A VF removed by surprise while the migration waits for a guest that does not eject:
    // nothing tells the migration, which waits for an eject that can no longer happen.
    id: 'a VF removed by surprise during wait-unplug leaves the migration waiting for ever',
    matches: (problem) =>
      /stuck in wait-unplug/.test(problem) && /vf=false unplugPending=true/.test(problem),
  },
  {
    // host-servicing keeps the VF slot while the VF is revoked; a migration completing in that
    // window gives the NIC a destination VF and overwrites nic.slot: the source slot leaks.
    id: 'a migration during host servicing leaks the source VF',
    matches: (problem) => /leaked VF/.test(problem),
  },
];
