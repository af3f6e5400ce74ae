import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeResult } from '../../../src/engine/summary.ts';

describe('summarizeResult', () => {
  it('summarizes numeric columns with a time-weighted mean and skips strings', () => {
    // y = t² on an uneven grid: trapezoid of t² on [0,0.5,1,2] = 0.0625+0.3125+2.5 = 2.875 → mean 1.4375
    const time = Float64Array.from([0, 0.5, 1, 2]);
    const { summary, skipped } = summarizeResult({
      time,
      columns: [
        { name: 'y', type: 'Float64', unit: 'm', values: Float64Array.from(time, (t) => t * t) },
        { name: 'label', type: 'String', values: ['a', 'b', 'c', 'd'] },
      ],
    });
    assert.deepEqual(skipped, ['label']);
    assert.deepEqual(summary, { y: { min: 0, max: 4, mean: 1.4375, final: 4, unit: 'm' } });
  });

  it('summarizes the finite samples of a column with NaN and Inf, with the count and a warning', () => {
    const { summary, warnings } = summarizeResult({
      time: Float64Array.from([0, 1, 2, 3, 4]),
      columns: [{ name: 'x', type: 'Float64', values: Float64Array.from([Number.NaN, 1, 3, Number.POSITIVE_INFINITY, 5]) }],
    });
    // Finite segments: [1, 2] only (area 2 over 1 s).
    assert.deepEqual(summary.x, { min: 1, max: 5, mean: 2, final: 5, non_finite: 2 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^x: 2 of 5 samples/);
  });

  it('reports final as null when the last sample is not finite, and all null when none is', () => {
    const { summary } = summarizeResult({
      time: Float64Array.from([0, 1, 2]),
      columns: [
        { name: 'a', type: 'Float64', values: Float64Array.from([2, 4, Number.NaN]) },
        { name: 'b', type: 'Float64', values: Float64Array.from([Number.NaN, Number.NaN, Number.NEGATIVE_INFINITY]) },
      ],
    });
    assert.deepEqual(summary.a, { min: 2, max: 4, mean: 3, final: null, non_finite: 1 });
    assert.deepEqual(summary.b, { min: null, max: null, mean: null, final: null, non_finite: 3 });
  });

  it('leaves a clean column alone (no non_finite field, no warning)', () => {
    const { summary, warnings } = summarizeResult({
      time: Float64Array.from([0, 1]),
      columns: [{ name: 'x', type: 'Float64', values: Float64Array.from([1, 3]) }],
    });
    assert.deepEqual(summary.x, { min: 1, max: 3, mean: 2, final: 3 });
    assert.deepEqual(warnings, []);
  });
});
