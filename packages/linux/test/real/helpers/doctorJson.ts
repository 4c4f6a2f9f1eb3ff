/**
 * What `bypass doctor --json` will run: prints the pairs and findings of `doctor()` as one JSON
 * object. The real tests run it inside a test namespace with `ip netns exec`. Argument: `--force`.
 */
import { doctor } from '../../../src/index.js';

const report = await doctor({ force: process.argv.includes('--force') });
process.stdout.write(JSON.stringify({ pairs: report.pairs, findings: report.findings }) + '\n');
