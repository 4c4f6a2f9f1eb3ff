import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import {
  SCENARIO_JSON_SCHEMA,
  STEP_FIELDS,
  STEP_REQUIRED,
  scenarioJsonSchema,
} from '../../src/scenario/ScenarioJsonSchema.js';
import { NIC_MODELS } from '../../src/scenario/Scenario.js';
import { loadScenarioFile } from '../../src/scenario/ScenarioLoader.js';
import { withModel } from '../../src/scenario/WithModel.js';

const pkg = join(import.meta.dirname, '..', '..');
const scenariosDir = join(pkg, '..', '..', 'scenarios');

test('schema/scenario.schema.json is the schema the loader uses (regenerate: see schema/generate.ts)', (t) => {
  const file: unknown = JSON.parse(
    readFileSync(join(pkg, 'schema', 'scenario.schema.json'), 'utf8'),
  );
  t.deepEqual(
    file,
    SCENARIO_JSON_SCHEMA,
    'run: npx tsx --conditions=@bypass/source packages/hypervisor/schema/generate.ts',
  );
});

test('scenarioJsonSchema() is a copy that compiles as a strict draft-07 schema', (t) => {
  const copy = scenarioJsonSchema();
  t.deepEqual(copy, SCENARIO_JSON_SCHEMA);
  (copy['properties'] as Record<string, unknown>)['seed'] = false;
  t.notDeepEqual(copy, SCENARIO_JSON_SCHEMA);
  const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
  t.notThrows(() => ajv.compile(scenarioJsonSchema()));
});

/** Every `properties` entry, with its path, anywhere in the schema. */
function properties(node: unknown, path: string, out: [string, unknown][]): void {
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && v !== null && typeof v === 'object') {
      for (const [name, sub] of Object.entries(v)) out.push([`${path}.${name}`, sub]);
    }
    properties(v, `${path}.${k}`, out);
  }
}

test('every property has a description (editors show them)', (t) => {
  const all: [string, unknown][] = [];
  properties(SCENARIO_JSON_SCHEMA, '#', all);
  t.true(all.length > 60);
  const missing = all
    .filter(([, s]) => typeof (s as { description?: unknown }).description !== 'string')
    .map(([p]) => p)
    // `if` conditions test the action; they are not properties a user writes.
    .filter((p) => !p.includes('.if.'));
  t.deepEqual(missing, []);
});

test('every step action has its required and allowed fields, and the enum lists them all', (t) => {
  const step = (
    (SCENARIO_JSON_SCHEMA['properties'] as Record<string, { items: Record<string, unknown> }>)[
      'steps'
    ]!.items['properties'] as Record<string, { enum?: string[] }>
  )['action']!;
  t.deepEqual([...step.enum!].sort(), Object.keys(STEP_FIELDS).sort());
  t.deepEqual(Object.keys(STEP_REQUIRED).sort(), Object.keys(STEP_FIELDS).sort());
  for (const [action, req] of Object.entries(STEP_REQUIRED)) {
    for (const f of req) t.true(STEP_FIELDS[action]!.includes(f), `${action} takes ${f}`);
  }
});

const bundled = readdirSync(scenariosDir).filter((f) => /\.(ya?ml|json)$/.test(f));

test('the bundled scenarios are all there', (t) => {
  t.deepEqual(bundled.sort(), [
    'cancel-in-wait-unplug.yaml',
    'compare-all.yaml',
    'netvsc-host-servicing.yaml',
    'no-free-vf-on-destination.yaml',
    'surprise-vf-removal.yaml',
    'two-vms-at-once.yaml',
    'virtio-live-migration.yaml',
  ]);
});

for (const f of bundled) {
  test(`bundled scenario ${f} loads, is short and says what it rehearses`, (t) => {
    const path = join(scenariosDir, f);
    const s = loadScenarioFile(path);
    t.true(s.duration <= 6e9, 'at most 6 s simulated');
    for (const fl of s.flows) t.true(fl.pps <= 100_000, `${fl.name} at most 100kpps`);
    const text = readFileSync(path, 'utf8');
    t.regex(text, /^# yaml-language-server: \$schema=/);
    t.regex(text, /# Rehearses: /);
    t.regex(text, /# Look at: /);
    for (const m of NIC_MODELS) t.is(withModel(s, m).vms[0]!.nics[0]!.model, m);
  });
}

test('the bundled scenarios set up what their names say', (t) => {
  const load = (f: string) => loadScenarioFile(join(scenariosDir, f));
  const live = load('virtio-live-migration.yaml');
  t.deepEqual(
    live.steps.map((s) => [s.action, s.at, s.downtime, s.to]),
    [['migrate', 2e9, 300e6, 'dst']],
  );
  t.deepEqual(
    live.flows.map((f) => [f.from.id, f.to.id, f.pps, f.size]),
    [
      ['client', 'vm1/eth0', 100_000, 64],
      ['vm1/eth0', 'client', 50_000, 1500],
    ],
  );
  const servicing = load('netvsc-host-servicing.yaml');
  t.is(servicing.vms[0]!.nics[0]!.model, 'netvsc');
  t.deepEqual(
    servicing.steps.map((s) => [s.action, s.at, s.duration]),
    [['host-servicing', 2e9, 1e9]],
  );
  t.deepEqual(
    load('surprise-vf-removal.yaml').steps.map((s) => [s.action, s.at, s.mode]),
    [
      ['vf-unplug', 2e9, 'surprise'],
      ['vf-plug', 4e9, undefined],
    ],
  );
  const cancel = load('cancel-in-wait-unplug.yaml');
  t.false(cancel.vms[0]!.nics[0]!.options.guest_ejects);
  t.deepEqual(
    cancel.steps.map((s) => [s.action, s.at]),
    [
      ['migrate', 2e9],
      ['cancel-migration', 3e9],
    ],
  );
  t.is(load('no-free-vf-on-destination.yaml').hosts[1]!.vfs, 0);
  const two = load('two-vms-at-once.yaml');
  t.is(two.hosts[1]!.vfs, 1);
  t.deepEqual(
    two.steps.map((s) => [s.vm, s.at, s.to]),
    [
      ['vm1', 2e9, 'dst'],
      ['vm2', 2e9, 'dst'],
    ],
  );
});
