import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSweepValues } from '../../../src/cli/sweep.ts';
import { expandGrid } from '../../../src/service/sweep.ts';

describe('sweep grids', () => {
  it('expands parameters into their cartesian product, first parameter slowest', () => {
    assert.deepEqual(expandGrid({ a: [1, 2], b: [10, 20, 30] }), [
      { a: 1, b: 10 },
      { a: 1, b: 20 },
      { a: 1, b: 30 },
      { a: 2, b: 10 },
      { a: 2, b: 20 },
      { a: 2, b: 30 },
    ]);
  });

  it('rejects a parameter without values', () => {
    assert.throws(
      () => expandGrid({ a: [1], b: [] }),
      (e: unknown) => (e as { code: string }).code === 'BAD_REQUEST',
    );
  });

  it('parses a:b:n as n values from a to b inclusive', () => {
    const v = parseSweepValues('c', '0.1:0.5:5') ?? [];
    assert.equal(v.length, 5);
    [0.1, 0.2, 0.3, 0.4, 0.5].forEach((x, i) => assert.ok(Math.abs((v[i] as number) - x) < 1e-12));
    assert.equal(v[4], 0.5, 'the end point is exact');
  });

  it('parses comma lists and single numbers, and leaves text for constants', () => {
    assert.deepEqual(parseSweepValues('k', '1,2,3'), [1, 2, 3]);
    assert.deepEqual(parseSweepValues('k', '2'), [2]);
    assert.equal(parseSweepValues('name', 'hello'), undefined);
  });

  it('rejects malformed ranges and mixed lists', () => {
    assert.throws(
      () => parseSweepValues('c', '0:1:0'),
      (e: unknown) => (e as { code: string }).code === 'BAD_REQUEST',
    );
    assert.throws(
      () => parseSweepValues('c', '0:1:2.5'),
      (e: unknown) => (e as { code: string }).code === 'BAD_REQUEST',
    );
    assert.throws(
      () => parseSweepValues('c', '1,abc'),
      (e: unknown) => (e as { code: string }).code === 'BAD_REQUEST',
    );
  });
});
