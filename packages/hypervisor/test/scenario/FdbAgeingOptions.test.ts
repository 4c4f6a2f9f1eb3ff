import test from 'ava';
import type { ExecutionContext } from 'ava';
import { loadScenarioText, validateScenarioText } from '../../src/scenario/ScenarioLoader.js';
import type { ScenarioIssue } from '../../src/scenario/ScenarioError.js';
import { DEFAULT_FDB_AGEING_NS } from '../../src/world/FdbAgeing.js';
import { BASE_YAML } from './fixtures.js';

// hosts[].fdb_ageing and network.fdb_ageing: defaults, accepted values, refusals.

function replaced(t: ExecutionContext, from: string, to: string): string {
  t.true(BASE_YAML.includes(from), `fixture contains ${from}`);
  return BASE_YAML.replace(from, to);
}

/** The one issue at `path` (fails when there is not exactly one issue there, or any other). */
function only(t: ExecutionContext, issues: ScenarioIssue[], path: string): ScenarioIssue {
  t.is(issues.length, 1, JSON.stringify(issues));
  const here = issues.filter((i) => i.path === path);
  t.is(here.length, 1, `one issue at ${path}: ${JSON.stringify(issues)}`);
  return here[0] ?? { path, message: '' };
}

test('defaults: every host bridge and the network age learned entries after 300 s', (t) => {
  const s = loadScenarioText(BASE_YAML, 'base.yaml');
  t.is(DEFAULT_FDB_AGEING_NS, 300_000_000_000);
  t.deepEqual(
    s.hosts.map((h) => h.fdb_ageing),
    [DEFAULT_FDB_AGEING_NS, DEFAULT_FDB_AGEING_NS],
  );
  t.deepEqual(s.network, { fdb_ageing: DEFAULT_FDB_AGEING_NS });
});

test('fdb_ageing is read as written, per host and for the network; 0 is allowed', (t) => {
  let yaml = replaced(t, '{ name: src, vfs: 4 }', '{ name: src, vfs: 4, fdb_ageing: 30s }');
  yaml = yaml.replace('{ name: dst }', '{ name: dst, fdb_ageing: 0 }');
  yaml = yaml.replace('hosts:\n', 'network: { fdb_ageing: 1.5m }\nhosts:\n');
  const s = loadScenarioText(yaml, 'ok.yaml');
  t.is(s.hosts[0]!.fdb_ageing, 30e9);
  t.is(s.hosts[1]!.fdb_ageing, 0);
  t.is(s.network.fdb_ageing, 90e9);
  const empty = loadScenarioText(BASE_YAML.replace('hosts:\n', 'network: {}\nhosts:\n'), 'e.yaml');
  t.is(empty.network.fdb_ageing, DEFAULT_FDB_AGEING_NS);
});

test('a negative, unitless or malformed fdb_ageing is refused at its path', (t) => {
  const host = (value: string): ScenarioIssue[] =>
    validateScenarioText(
      replaced(t, '{ name: src, vfs: 4 }', `{ name: src, vfs: 4, fdb_ageing: ${value} }`),
      'bad.yaml',
    );
  t.regex(only(t, host('-5s'), 'hosts[0].fdb_ageing').message, /not a duration with a unit/);
  t.regex(only(t, host('-1'), 'hosts[0].fdb_ageing').message, /has no unit/);
  t.regex(only(t, host('300'), 'hosts[0].fdb_ageing').message, /has no unit/);
  t.regex(only(t, host('1.5ns'), 'hosts[0].fdb_ageing').message, /resolution is 1 ns/);
  t.regex(only(t, host('forever'), 'hosts[0].fdb_ageing').message, /not a duration/);
  const network = (value: string): ScenarioIssue[] =>
    validateScenarioText(replaced(t, 'hosts:\n', `network: ${value}\nhosts:\n`), 'bad.yaml');
  t.regex(
    only(t, network('{ fdb_ageing: -300s }'), 'network.fdb_ageing').message,
    /not a duration with a unit/,
  );
  t.regex(only(t, network('{ fdb_ageing: 60 }'), 'network.fdb_ageing').message, /has no unit/);
  t.regex(
    only(t, network('{ fdb_aging: 60s }'), 'network.fdb_aging').message,
    /unknown property "fdb_aging": did you mean "fdb_ageing"\?/,
  );
  t.regex(only(t, network('300s'), 'network').message, /mapping/);
});
