import test from 'ava';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { BypassError } from '@bypass/core';
import { loadScenarioText } from '../../src/scenario/ScenarioLoader.js';
import { ScenarioError } from '../../src/scenario/ScenarioError.js';
import { baseObject } from './fixtures.js';

/** Loads and reports anything thrown that is not a BypassError (the property fails on it). */
function onlyTypedErrors(text: string, file: string): boolean {
  try {
    loadScenarioText(text, file);
    return true;
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues.length > 0;
    return err instanceof BypassError;
  }
}

test('arbitrary text only ever gives a ScenarioError', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), (text, json) =>
      onlyTypedErrors(text, json ? 'f.json' : 'f.yaml'),
    ),
    { numRuns: 200, seed: 1 },
  );
  t.pass();
});

test('arbitrary JSON values, as JSON and YAML, only ever give a ScenarioError', (t) => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      const json = JSON.stringify(v) ?? 'null';
      return onlyTypedErrors(json, 'v.json') && onlyTypedErrors(stringify(v), 'v.yaml');
    }),
    { numRuns: 200, seed: 2 },
  );
  t.pass();
});

/** Paths into the base object, to mutate one at a time. */
function leafPaths(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => leafPaths(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) leafPaths(x, [...path, k], out);
  }
  return out;
}

function setAt(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let cur: unknown = root;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<string | number, unknown>)[seg];
  (cur as Record<string | number, unknown>)[path[path.length - 1]!] = value;
}

const nearValues = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '0',
    0,
    -1,
    1.5,
    '1.5ns',
    '99999999999h',
    '1e400pps',
    '0.0000001pps',
    '1bps',
    'ff:ff:ff:ff:ff:ff',
    '00:00:00:00:00:00',
    'vm1/eth0',
    'vm1/',
    'client',
    'dst',
    'src',
    '1TiB',
    '9999999TiB',
    'eth0',
    '__proto__',
    'constructor',
    null,
    [],
    {},
  ),
);

test('one mutated field of a valid scenario only ever gives a ScenarioError', (t) => {
  const paths = leafPaths(baseObject()).filter((p) => p.length > 0);
  let loaded = 0;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...paths), nearValues), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      (edits, yaml) => {
        const obj = baseObject();
        try {
          for (const [p, v] of edits) setAt(obj, p, v);
        } catch {
          return true; // an earlier edit removed the container of a later path
        }
        const ok = onlyTypedErrors(
          yaml ? stringify(obj) : JSON.stringify(obj),
          yaml ? 'm.yaml' : 'm.json',
        );
        try {
          loadScenarioText(JSON.stringify(obj), 'm.json');
          loaded++;
        } catch {
          /* counted above */
        }
        return ok;
      },
    ),
    { numRuns: 300, seed: 3 },
  );
  t.true(loaded > 0, 'some mutations are still valid scenarios');
});
