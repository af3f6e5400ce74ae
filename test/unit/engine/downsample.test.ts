import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pick, selectRows } from '../../../src/engine/downsample.ts';

function noisy(n: number, seed: number): Float64Array {
  // Deterministic LCG so the test data is fixed without a fixture file.
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

describe('selectRows', () => {
  it('returns every row when there are at most maxPoints', () => {
    assert.deepEqual([...selectRows({ rows: 5, columns: [new Float64Array(5)] }, 200)], [0, 1, 2, 3, 4]);
  });

  it('keeps at most maxPoints rows, sorted, first and last included', () => {
    for (const maxPoints of [2, 3, 10, 200, 999]) {
      const rows = 10_000;
      const idx = selectRows({ rows, columns: [noisy(rows, 1), noisy(rows, 2), noisy(rows, 3)] }, maxPoints);
      assert.ok(idx.length <= maxPoints, `${idx.length} > ${maxPoints}`);
      assert.equal(idx[0], 0);
      assert.equal(idx[idx.length - 1], rows - 1);
      for (let k = 1; k < idx.length; k++) assert.ok((idx[k] as number) > (idx[k - 1] as number));
      if (maxPoints >= 10) assert.equal(idx.length, maxPoints, 'the budget is used');
    }
  });

  it('keeps the global minimum and maximum of every column', () => {
    const rows = 50_000;
    const a = noisy(rows, 7);
    const b = noisy(rows, 11);
    a[12_345] = 10; // isolated spikes a uniform decimation would miss
    b[33_333] = -10;
    const idx = [...selectRows({ rows, columns: [a, b] }, 200)];
    assert.ok(idx.includes(12_345));
    assert.ok(idx.includes(33_333));
    assert.equal(Math.max(...pick(a, Uint32Array.from(idx)).map((v) => v ?? -Infinity)), 10);
  });

  it('keeps event rows when there is room', () => {
    const rows = 1000;
    const events = new Uint8Array(rows);
    events[500] = 1;
    events[501] = 1;
    const flat = new Float64Array(rows); // constant: extrema picks add nothing useful
    const idx = [...selectRows({ rows, columns: [flat], eventRows: events }, 50)];
    assert.ok(idx.includes(500) && idx.includes(501));
  });

  it('spreads the points evenly over a monotone signal', () => {
    const rows = 100_000;
    const ramp = Float64Array.from({ length: rows }, (_, i) => Math.exp(-i / 20_000));
    const idx = selectRows({ rows, columns: [ramp] }, 100);
    assert.equal(idx.length, 100);
    let maxGap = 0;
    for (let k = 1; k < idx.length; k++) maxGap = Math.max(maxGap, (idx[k] as number) - (idx[k - 1] as number));
    // An even spread has gaps of ~rows/99; min-max pairs would leave gaps of ~2·rows/100.
    assert.ok(maxGap <= 1.3 * (rows / 99), `largest gap ${maxGap}`);
  });

  it('is deterministic', () => {
    const c = noisy(5000, 3);
    assert.deepEqual(selectRows({ rows: 5000, columns: [c] }, 123), selectRows({ rows: 5000, columns: [c] }, 123));
  });

  it('still respects the budget with more columns than points', () => {
    const rows = 1000;
    const columns = Array.from({ length: 30 }, (_, i) => noisy(rows, i + 1));
    const idx = selectRows({ rows, columns }, 20);
    assert.equal(idx.length, 20);
    assert.equal(idx[19], rows - 1);
  });
});

describe('selectRows with a small budget', () => {
  it('keeps the global extrema of every column even when there is no room for buckets', () => {
    // 6 columns need 12 rows per bucket; a budget of 10 leaves no bucket at all.
    const rows = 1000;
    const columns = Array.from({ length: 6 }, (_, c) => Float64Array.from({ length: rows }, (_, i) => Math.sin(i / 37 + c)));
    (columns[0] as Float64Array)[500] = 99;
    (columns[3] as Float64Array)[250] = -99;
    const idx = [...selectRows({ rows, columns }, 10)];
    assert.equal(idx.length, 10);
    assert.ok(idx.includes(500) && idx.includes(250), `spikes kept: ${idx.join(', ')}`);
  });
});

describe('pick', () => {
  it('maps non-finite values to null', () => {
    assert.deepEqual(pick(Float64Array.from([1, Number.NaN, Infinity, 4]), Uint32Array.from([0, 1, 2, 3])), [1, null, null, 4]);
  });
});
