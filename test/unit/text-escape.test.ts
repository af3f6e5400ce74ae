/** escapeForText: FMU strings in text outputs cannot carry terminal escapes, line breaks or bidi overrides. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeForText, needsEscape } from '../../src/text-escape.ts';

describe('escapeForText', () => {
  it('leaves ordinary names (including non-ASCII) alone', () => {
    for (const s of ['h', 'der(x)', 'body.v[1]', 'Temperatur °C', 'ü', '日本']) {
      assert.equal(escapeForText(s), s);
      assert.equal(needsEscape(s), false);
    }
  });
  it('writes control, line-separator and bidi characters as visible escapes', () => {
    assert.equal(escapeForText('a\nb\rc\td'), 'a\\nb\\rc\\td');
    assert.equal(escapeForText('\u001b[2Jx'), '\\u001b[2Jx');
    assert.equal(escapeForText('x\u0000\u007f\u0085'), 'x\\u0000\\u007f\\u0085');
    assert.equal(escapeForText('ab\u202ecd\u2066'), 'ab\\u202ecd\\u2066');
    assert.equal(escapeForText('a\u2028b'), 'a\\u2028b');
    assert.equal(needsEscape('a\u001bb'), true);
    assert.equal(needsEscape('ok'), false, 'repeatable: no lastIndex state leaks from the global regex');
  });
  it('cuts long strings when asked', () => {
    assert.equal(escapeForText('abcdef', 3), 'abc…');
  });
});
