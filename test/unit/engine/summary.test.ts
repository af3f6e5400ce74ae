import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMetric } from '../../../src/engine/kpis.ts';
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

  it('gives exactly the KPIs min, max, mean and final of the same names (one pass, same arithmetic)', () => {
    const n = 10_007;
    const time = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      time[i] = 0.3 + i * 0.0137 + (i % 7 === 0 ? 1e-9 : 0); // uneven steps
      y[i] = Math.sin(i * 0.01) * 1e3 + Math.cos(i * 0.37) / 3;
    }
    const { summary } = summarizeResult({ time, columns: [{ name: 'y', type: 'Float64', values: y }] });
    for (const m of ['min', 'max', 'mean', 'final'] as const) assert.equal(summary.y?.[m], computeMetric(m, time, y), m);
    const single = summarizeResult({ time: Float64Array.of(2), columns: [{ name: 'y', type: 'Float64', values: Float64Array.of(5) }] });
    assert.deepEqual(single.summary.y, { min: 5, max: 5, mean: 5, final: 5 });
    const empty = summarizeResult({ time: new Float64Array(0), columns: [{ name: 'y', type: 'Float64', values: new Float64Array(0) }] });
    assert.deepEqual(empty.summary.y, { min: null, max: null, mean: null, final: null });
  });
});
