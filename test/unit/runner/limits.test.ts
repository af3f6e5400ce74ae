import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkJobLimits, outputRows } from '../../../src/runner/limits.ts';
import type { SimulationJob } from '../../../src/runner/types.ts';

const job = (startTime: number, stopTime: number, outputInterval: number, maxRows?: number): SimulationJob => ({
  fmu: { sha256: 'x', unpackedDir: '/nonexistent' },
  options: maxRows === undefined ? { startTime, stopTime, outputInterval } : { startTime, stopTime, outputInterval, maxRows },
});

describe('runner limits', () => {
  it('counts output rows including both ends, tolerant of rounding', () => {
    assert.equal(outputRows(0, 1, 0.1), 11);
    assert.equal(outputRows(0, 0.3, 0.1), 4); // 0.3/0.1 = 2.9999999999999996
    assert.equal(outputRows(2, 2, 1), 1);
    assert.equal(outputRows(0, 1, 0.3), 4); // 0, .3, .6, .9
  });

  it('rejects a grid larger than the row limit before anything runs', () => {
    assert.throws(
      () => checkJobLimits(job(0, 1000, 1e-3), 100_000),
      (e: unknown) => (e as { code: string }).code === 'OUTPUT_LIMIT_EXCEEDED',
    );
    assert.equal(checkJobLimits(job(0, 1000, 1e-2), 100_001), 100_001);
  });

  it('applies the job own maxRows when it is stricter', () => {
    assert.throws(
      () => checkJobLimits(job(0, 1, 0.01, 50), 1000),
      (e: unknown) => (e as { code: string }).code === 'OUTPUT_LIMIT_EXCEEDED',
    );
  });

  it('rejects stop_time before start_time', () => {
    assert.throws(
      () => checkJobLimits(job(1, 0, 0.1), 1000),
      (e: unknown) => (e as { code: string }).code === 'BAD_REQUEST',
    );
  });

  it('rejects a non-positive or non-finite step', () => {
    for (const h of [0, -1, Number.NaN, Infinity]) {
      assert.throws(
        () => checkJobLimits(job(0, 1, h), 1000),
        (e: unknown) => (e as { code: string }).code === 'BAD_REQUEST',
      );
    }
  });
});
