/** The CLI's input table reader: quoting, separators, typed cells and line-numbered errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseInputCsv, splitCsvRecord } from '../../../src/cli/args.ts';

const dir = mkdtempSync(join(tmpdir(), 'fmu-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function table(text: string): string {
  const p = join(dir, `t${n++}.csv`);
  writeFileSync(p, text);
  return p;
}

describe('input CSV', () => {
  it('splits quoted fields with separators, doubled quotes and spaces around them', () => {
    assert.deepEqual(splitCsvRecord(' "a,b" , "say ""hi""",plain ,', ','), [
      { text: 'a,b', quoted: true },
      { text: 'say "hi"', quoted: true },
      { text: 'plain', quoted: false },
      { text: '', quoted: false },
    ]);
  });

  it('types cells: numbers, booleans, text, quoted text, and integers beyond 2^53 as exact strings', () => {
    const signals = parseInputCsv(
      table('\uFEFF"time","u","s","big","flag"\r\n# comment\r\n0,1.5,hello,9223372036854775807,true\r\n1,"2",  "x, y" ,-42,false\r\n'),
    );
    assert.deepEqual(
      signals.map((s) => [s.name, s.time, s.values]),
      [
        ['u', [0, 1], [1.5, '2']],
        ['s', [0, 1], ['hello', 'x, y']],
        ['big', [0, 1], ['9223372036854775807', -42]],
        ['flag', [0, 1], [true, false]],
      ],
    );
  });

  it('accepts semicolon-separated tables', () => {
    assert.deepEqual(parseInputCsv(table('time;u\n0;1\n2;3\n'))[0]?.values, [1, 3]);
  });

  const rejects: [string, string][] = [
    ['an unclosed quote', 'time,u\n0,"abc\n'],
    ['a quote inside an unquoted field', 'time,u\n0,ab"c\n'],
    ['text after a closing quote', 'time,u\n0,"a"b\n'],
    ['a row of the wrong length', 'time,u\n0,1,2\n'],
    ['a non-numeric time', 'time,u\nnow,1\n'],
    ['an empty value', 'time,u\n0,\n'],
    ['a header not starting with time', 't,u\n0,1\n'],
  ];
  for (const [what, text] of rejects) {
    it(`refuses ${what} with INVALID_INPUT_SIGNAL and the line number`, () => {
      assert.throws(
        () => parseInputCsv(table(text)),
        (e: { code: string; message: string }) => {
          assert.equal(e.code, 'INVALID_INPUT_SIGNAL');
          if (!what.includes('header')) assert.match(e.message, /line 2/);
          return true;
        },
      );
    });
  }
});

describe('--set values', () => {
  it('keeps integers beyond 2^53 as exact digits, numbers and booleans typed', async () => {
    const { parseSetValues } = await import('../../../src/cli/args.ts');
    assert.deepEqual(parseSetValues(['big=-9223372036854775808', 'k=2.5', 'n=42', 'on=true', 's="7"']), {
      big: '-9223372036854775808',
      k: 2.5,
      n: 42,
      on: true,
      s: '7',
    });
  });
});
