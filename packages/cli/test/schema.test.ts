import test from 'ava';
import { cli } from './helpers/cli.js';

test('bypass schema prints the JSON Schema as pretty JSON', async (t) => {
  const r = await cli(['schema']);
  t.is(r.code, 0);
  t.is(r.stderr, '');
  const schema = JSON.parse(r.stdout) as Record<string, unknown>;
  t.is(typeof schema['$schema'], 'string');
  t.regex(String(schema['$schema']), /json-schema\.org/);
  t.is(schema['type'], 'object');
  t.true(r.stdout.includes('\n  "'), 'indented');
  const props = schema['properties'] as Record<string, unknown>;
  for (const key of ['name', 'duration', 'hosts', 'vms', 'flows', 'steps', 'expect']) {
    t.true(key in props, key);
  }
});
