import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultScenariosDir,
  describeScenarioText,
  listBundledScenarios,
} from '../src/scenarios/BundledScenarios.js';
import { cli, FIXTURES, ROOT } from './helpers/cli.js';

const dir = join(FIXTURES, 'scenarios');

test('list shows each bundled scenario: id, name and first comment line', async (t) => {
  const r = await cli(['list'], { scenariosDir: dir });
  t.is(r.code, 0);
  t.is(
    r.stdout,
    'short-migration  short virtio migration\n' +
      '                 A short virtio-backup live migration: the VF leaves, traffic falls back, a VF returns.\n' +
      'vf-unplug        surprise VF unplug\n',
  );
});

test('list --json gives id, name, description and file', async (t) => {
  const r = await cli(['list', '--json'], { scenariosDir: dir });
  t.is(r.code, 0);
  const items = JSON.parse(r.stdout) as {
    id: string;
    name: string;
    description: string | null;
    file: string;
  }[];
  t.deepEqual(
    items.map((i) => [i.id, i.name, i.description]),
    [
      [
        'short-migration',
        'short virtio migration',
        'A short virtio-backup live migration: the VF leaves, traffic falls back, a VF returns.',
      ],
      ['vf-unplug', 'surprise VF unplug', null],
    ],
  );
  t.is(items[0]!.file, join(dir, 'short-migration.yaml'));
});

test('list of an empty or missing directory says so on stderr', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'bypass-list-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const r = await cli(['list'], { scenariosDir: empty });
  t.is(r.code, 0);
  t.is(r.stdout, '');
  t.regex(r.stderr, /no bundled scenarios in /);
  const j = await cli(['list', '--json'], { scenariosDir: join(empty, 'nope') });
  t.deepEqual(JSON.parse(j.stdout), []);
});

test('describeScenarioText reads name: (quoted or not, with a comment) and the first comment', (t) => {
  t.deepEqual(describeScenarioText('#\n# hello\n# more\nname: "a b" # x\nseed: 1\n', 'a.yaml'), {
    name: 'a b',
    description: 'hello more',
  });
  t.deepEqual(
    describeScenarioText(
      '# yaml-language-server: $schema=x.json\n#\n# One. Two\n# three.\n#\n# other\nname: n\n# late\n',
      'a.yaml',
    ),
    { name: 'n', description: 'One.' },
  );
  t.deepEqual(describeScenarioText("name: 'q'\n# after\n", 'a.yaml'), {
    name: 'q',
    description: null,
  });
  t.deepEqual(describeScenarioText('vms:\n  - name: vm1\n', 'a.yml'), {
    name: null,
    description: null,
  });
  t.deepEqual(describeScenarioText('{"name": "j"}', 'a.json'), { name: 'j', description: null });
  t.deepEqual(describeScenarioText('{', 'a.json'), { name: null, description: null });
});

test('the default directory is the repository top-level scenarios/', (t) => {
  t.is(defaultScenariosDir(), join(ROOT, 'scenarios') + '/');
});

test('the repository bundles scenarios, each described and valid', async (t) => {
  const items = listBundledScenarios(defaultScenariosDir());
  t.true(items.length > 0, 'scenarios/ has scenario files');
  t.true(items.some((i) => i.id === 'virtio-live-migration'));
  for (const i of items) {
    t.not(i.name, null, `${i.id} has a name:`);
    t.not(i.description, null, `${i.id} has a leading comment`);
  }
  const r = await cli(['validate', ...items.map((i) => i.id)]);
  t.is(r.code, 0, r.stdout + r.stderr);
});
