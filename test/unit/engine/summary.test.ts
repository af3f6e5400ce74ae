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

  it('reports null rather than NaN for a column with NaN', () => {
    const { summary } = summarizeResult({
      time: Float64Array.from([0, 1]),
      columns: [{ name: 'x', type: 'Float64', values: Float64Array.from([Number.NaN, 1]) }],
    });
    assert.deepEqual(summary.x, { min: null, max: null, mean: null, final: 1 });
  });
});
