import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let cached: (() => void) | null = null;

/**
 * A full garbage collection, whether or not node was started with `--expose-gc` (without it the
 * flag is set at run time and `gc` is taken from a fresh context, a documented V8 idiom). Used
 * between timed runs so one run's garbage is not collected inside the next run's time.
 */
export function forceGc(): void {
  if (cached === null) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') {
      cached = g;
    } else {
      setFlagsFromString('--expose-gc');
      cached = runInNewContext('gc') as () => void;
    }
  }
  cached();
}
