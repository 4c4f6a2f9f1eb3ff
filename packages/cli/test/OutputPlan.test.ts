import test from 'ava';
import { join } from 'node:path';
import { planOutputs, suffixFile, uniqueTags } from '../src/output/OutputPlan.js';

test('suffixFile puts the tag before the extension', (t) => {
  t.is(suffixFile('/o/timeline.svg', 'mig'), '/o/timeline.mig.svg');
  t.is(suffixFile('/o/timeline', 'mig'), '/o/timeline.mig');
});

test('uniqueTags numbers repeats', (t) => {
  t.deepEqual(uniqueTags(['a', 'b', 'a', 'a', 'a-2']), ['a', 'b', 'a-2', 'a-3', 'a-2-2']);
});

test('one run gets the paths as given; several get per-scenario paths', (t) => {
  t.deepEqual(planOutputs('/w', ['x'], { svg: 't.svg', pcap: 'p' }), [
    { svg: '/w/t.svg', html: null, pcapDir: '/w/p' },
  ]);
  t.deepEqual(planOutputs('/w', ['x', 'x', 'y'], { html: '/abs/t.html', pcap: 'p' }), [
    { svg: null, html: '/abs/t.x.html', pcapDir: join('/w/p', 'x') },
    { svg: null, html: '/abs/t.x-2.html', pcapDir: join('/w/p', 'x-2') },
    { svg: null, html: '/abs/t.y.html', pcapDir: join('/w/p', 'y') },
  ]);
});
