import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArrayValue, parseSetValues } from '../../../src/cli/args.ts';
import { GatewayError } from '../../../src/errors.ts';

const coded = (e: unknown) => e instanceof GatewayError && e.code === 'BAD_REQUEST';

describe('--set values', () => {
  it('reads FMI 3 arrays, nested and flat, with the scalar rules inside', () => {
    assert.deepEqual(parseSetValues(['A=[[-1,0],[0,-2]]', 'v=[1, 2.5, 3]', 'k=2']), {
      A: [
        [-1, 0],
        [0, -2],
      ],
      v: [1, 2.5, 3],
      k: 2,
    });
    assert.deepEqual(parseArrayValue('[9223372036854775807, true, "a,b", \'c\']'), ['9223372036854775807', true, 'a,b', 'c']);
    assert.deepEqual(parseArrayValue('[[[1],[2]],[[3],[4]]]'), [
      [[1], [2]],
      [[3], [4]],
    ]);
    assert.deepEqual(parseArrayValue(' [ ] '), []);
  });

  it('refuses malformed arrays with a coded error and a hint', () => {
    for (const bad of ['[1,2', '[1,,2]', '[1] x', '[[[[1]]]]', '["a]']) assert.throws(() => parseArrayValue(bad), coded, bad);
  });

  it('keeps a scalar that only contains brackets later as a string', () => {
    assert.deepEqual(parseSetValues(['s=a[1]']), { s: 'a[1]' });
  });
});
