/**
 * Discard from the derivative evaluation (test/fixtures/domain: x' = −√x, Discard with a
 * meaningless derivative for x < 0). FMI lets a Model Exchange FMU say "cannot evaluate here";
 * the importer must shorten the step rather than use the returned values. Closed form
 * x(t) = (1 − t/2)², which reaches 0 at t = 2, so large steps near the end overshoot x < 0.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';
import { column } from './me-support.ts';

const exact = (t: number): number => (1 - t / 2) ** 2;

for (const v of ['2.0', '3.0'] as const) {
  describe(`Discard from the derivatives, Model Exchange FMI ${v}`, () => {
    it('rk45 retries shorter steps and stays within the tolerance of the closed form', async () => {
      const fmu = openFixture(await buildFixture('domain', v));
      const r = runSimulation(fmu, {
        startTime: 0,
        stopTime: 1.999,
        outputInterval: 0.5,
        interface: 'ME',
        solver: 'rk45',
        tolerance: 1e-3,
      });
      assert.ok(r.stats.rejectedSteps > 0, 'the overshooting steps are rejected');
      const x = column(r, 'x');
      // atol = rtol · nominal (1) = 1e-3; using the Discarded derivative (0) was off by 7e-3.
      for (let i = 0; i < r.rows; i++)
        assert.ok(Math.abs(x[i]! - exact(r.time[i]!)) < 1e-3, `t = ${r.time[i]}: ${x[i]} vs ${exact(r.time[i]!)}`);
    });

    it('euler fails with SIMULATION_FAILED instead of integrating a Discarded derivative', async () => {
      const fmu = openFixture(await buildFixture('domain', v));
      assert.throws(
        () => runSimulation(fmu, { startTime: 0, stopTime: 3, outputInterval: 0.5, interface: 'ME', solver: 'euler', fixedStep: 0.1 }),
        { code: 'SIMULATION_FAILED' },
      );
    });
  });
}
