import test from 'ava';
import { formatTextTable } from '../../src/report/TextTable.js';

test('columns are as wide as their widest cell; right-aligned columns end together', (t) => {
  const text = formatTextTable({
    headers: ['NAME', 'N', 'NOTE'],
    align: ['left', 'right', 'left'],
    rows: [
      ['a', '1', 'short'],
      ['longer-name', '12345', ''],
    ],
  });
  t.is(
    text,
    ['NAME             N  NOTE', 'a                1  short', 'longer-name  12345'].join('\n'),
  );
});

test('colour paints the text only: the layout is the same once escapes are removed', (t) => {
  const spec = {
    headers: ['A', 'B'],
    align: ['right', 'left'] as const,
    rows: [
      [
        { text: '7', tone: 'bad' as const },
        { text: 'ok', tone: 'good' as const },
      ],
    ],
  };
  const plain = formatTextTable(spec, { indent: 2 });
  const colored = formatTextTable(spec, { indent: 2, color: true });
  t.is(plain, '  A  B\n  7  ok');
  t.is(colored, '  \x1b[1mA\x1b[0m  \x1b[1mB\x1b[0m\n  \x1b[31m7\x1b[0m  \x1b[32mok\x1b[0m');
});

test('width counts characters, not UTF-16 units or bytes', (t) => {
  const text = formatTextTable({
    headers: ['T', 'X'],
    rows: [
      ['5µs', 'a'],
      ['𝑥', 'b'],
    ],
  });
  t.is(text, 'T    X\n5µs  a\n𝑥    b');
});

test('control characters in cells cannot break the layout or reach the terminal', (t) => {
  const text = formatTextTable({ headers: ['A', 'B'], rows: [['x\ny', '\x1b[2Jz']] });
  t.is(text, 'A    B\nx y  ?[2Jz');
});
