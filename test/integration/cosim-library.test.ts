/**
 * The library's Dahlquist model (der(x) = -k x) through Co-Simulation in FMI 2.0 and 3.0,
 * against x0 exp(-k t) at 1e-6 relative, stop 10, step 1e-3.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { buildLibraryModel, openFixture } from '../helpers/fixtures.ts';

describe('library Dahlquist in Co-Simulation', () => {
  for (const version of ['2.0', '3.0'] as const) {
    it(`FMI ${version} matches x0 exp(-k t) to 1e-6 relative`, async () => {
      const fmu = openFixture(await buildLibraryModel('Dahlquist', version));
      const k = 0.7;
      const x0 = 2;
      const r = runSimulation(fmu, { startTime: 0, stopTime: 10, outputInterval: 1e-3, startValues: { k, x: x0 }, outputs: ['x'] });
      assert.equal(r.rows, 10001);
      const x = r.columns[0]?.values;
      assert.ok(x instanceof Float64Array);
      for (let i = 0; i < r.rows; i++) {
        const t = r.time[i] as number;
        const ref = x0 * Math.exp(-k * t);
        assert.ok(Math.abs((x[i] as number) - ref) <= 1e-6 * ref, `x(${t}) = ${x[i]}, expected ${ref}`);
      }
    });
  }
});
