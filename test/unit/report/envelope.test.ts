import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvelopeBuilder, envelopeOf, envelopeRange } from '../../../src/report/envelope.ts';

describe('envelope (per pixel column first/min/max/last)', () => {
  it('keeps a one-row spike and a jump at an event, whatever the number of rows', () => {
    const n = 1_000_001;
    const time = Float64Array.from({ length: n }, (_, i) => i * 1e-6);
    const values = new Float64Array(n);
    values[123_457] = 42; // one row
    const e = envelopeOf(time, values, 0, 1, 100);
    assert.equal(e.count, n);
    assert.equal(Math.max(...e.max), 42);
    assert.equal(e.max[12], 42);
    assert.equal(e.max[11], 0);
    // An event: two rows at t = 0.5, before and after a jump, both in column 50.
    const ev = envelopeOf([0.49, 0.5, 0.5, 0.51], [1, 1, 3, 3], 0, 1, 100);
    assert.deepEqual([ev.first[50], ev.min[50], ev.max[50], ev.last[50]], [1, 1, 3, 3]);
  });

  it('marks gaps (NaN, null) and skips empty columns without breaking the line', () => {
    const e = envelopeOf([0, 0.1, 0.2, 0.3, 0.9], [1, NaN, 2, null, 3], 0, 1, 10);
    assert.equal(e.breakBefore[2], 1);
    assert.equal(e.breakBefore[9], 1);
    assert.ok(Number.isNaN(e.first[5] as number));
    assert.equal(e.breakBefore[0], 0);
    const dense = envelopeOf([0, 0.5, 0.9], [1, 2, 3], 0, 1, 10);
    assert.equal(dense.breakBefore[5], 0, 'an empty column between values is not a gap');
  });

  it('adds blocks and 64-bit integers; clamps times outside the span', () => {
    const b = new EnvelopeBuilder(0, 1, 4);
    b.add([0, 0.3], new BigInt64Array([-5n, 7n]));
    b.add([0.99, 2], [1, 9]);
    const e = b.result();
    assert.deepEqual(envelopeRange(e), { lo: -5, hi: 9 });
    assert.equal(e.last[3], 9);
  });
});
