/**
 * The only wall clock of the benchmarks. The project forbids `Date.now` and `performance.now`
 * (simulated time is injected); a benchmark legitimately needs real elapsed time, and this file
 * is the one place that reads it, through the monotonic `process.hrtime.bigint()`.
 */

/** Monotonic wall-clock time in nanoseconds (as a double: exact below 2^53 ns, about 104 days). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Nanoseconds elapsed while `fn` ran. */
export function timeNs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

/** CPU time (user + system, every thread of the process) in nanoseconds, microsecond resolution. */
export function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}
