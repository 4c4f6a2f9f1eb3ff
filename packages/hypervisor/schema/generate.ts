/**
 * Writes scenario.schema.json from the schema the loader validates with (SCENARIO_JSON_SCHEMA),
 * formatted as prettier formats JSON. Run from the repository root:
 *
 *   npx tsx --conditions=@bypass/source packages/hypervisor/schema/generate.ts
 *
 * A test (packages/hypervisor/test/scenario/ScenarioJsonSchema.test.ts) fails when the file and the
 * schema differ.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { SCENARIO_JSON_SCHEMA } from '../src/scenario/ScenarioJsonSchema.js';

const out = join(import.meta.dirname, 'scenario.schema.json');
const options = (await resolveConfig(out)) ?? {};
const text = await format(JSON.stringify(SCENARIO_JSON_SCHEMA, null, 2), {
  ...options,
  filepath: out,
});
writeFileSync(out, text);
console.log(`wrote ${out}`);
