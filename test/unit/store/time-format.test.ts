import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decimalsOf, timeFormatter } from '../../../src/store/time-format.ts';

describe('times without float noise', () => {
  it('prints grid times as the grid value rounded to the step and start decimals', () => {
    const f = timeFormatter({ start: 0, step: 0.01 });
    assert.equal(47 * 0.01, 0.47000000000000003);
    assert.equal(f(47 * 0.01), '0.47');
    assert.equal(f(0.1 + 0.2), '0.3');
    const g = timeFormatter({ start: 0, step: 0.002 });
    assert.equal(g(9 * 0.002), '0.018');
    assert.equal(9 * 0.002, 0.018000000000000002);
    const h = timeFormatter({ start: 0.1, step: 1e-7 });
    assert.equal(h(0.1 + 3 * 1e-7), '0.1000003');
  });

  it('keeps event times between grid points exact (shortest round trip)', () => {
    const f = timeFormatter({ start: 0, step: 0.01 });
    assert.equal(f(0.45152364098577435), '0.45152364098577435');
    assert.equal(Number(f(0.45152364098577435)), 0.45152364098577435);
  });

  it('without a grid prints the shortest round trip', () => {
    assert.equal(timeFormatter(undefined)(0.47000000000000003), '0.47000000000000003');
  });

  it('counts decimals of plain and exponent forms', () => {
    assert.equal(decimalsOf(0.25), 2);
    assert.equal(decimalsOf(1e-7), 7);
    assert.equal(decimalsOf(1.5e-7), 8);
    assert.equal(decimalsOf(3), 0);
  });
});
