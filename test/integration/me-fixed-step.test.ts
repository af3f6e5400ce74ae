/**
 * fixed_step: the step of euler (default: the output interval, as FMPy and OpenModelica do) and
 * the largest step of the adaptive solvers. Dahlquist x' = -k·x: forward Euler with step h gives
 * x_n = x0·(1 − k·h)^n exactly, so the step the engine used is visible in the numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column, runModel } from './me-support.ts';

const base = { startTime: 0, stopTime: 2, outputInterval: 0.25, startValues: { k: 1.5 } } as const;

describe('fixed_step', () => {
  for (const v of ['2.0', '3.0'] as const) {
    it(`euler steps at the output interval by default (FMI ${v})`, async () => {
      const r = await runModel('Dahlquist', v, 'ME', { ...base, solver: 'euler' });
      const x = column(r, 'x');
      for (let i = 0; i < r.rows; i++) assert.ok(Math.abs(x[i]! - (1 - 1.5 * 0.25) ** i) < 1e-13, `row ${i}: ${x[i]}`);
      assert.equal(r.stats.steps, 8);
      assert.match(r.solver ?? '', /fixed step 0\.25/);
    });

    it(`euler takes fixed_step, rows interpolated between its steps (FMI ${v})`, async () => {
      const h = 0.05;
      const r = await runModel('Dahlquist', v, 'ME', { ...base, solver: 'euler', fixedStep: h });
      const x = column(r, 'x');
      // Grid rows fall on every fifth Euler step.
      for (let i = 0; i < r.rows; i++) assert.ok(Math.abs(x[i]! - (1 - 1.5 * h) ** (5 * i)) < 1e-12, `row ${i}: ${x[i]}`);
      assert.equal(r.stats.steps, 40);
    });

    it(`caps the steps of rk45 and bdf at fixed_step (FMI ${v})`, async () => {
      for (const solver of ['rk45', 'bdf'] as const) {
        const free = await runModel('Dahlquist', v, 'ME', { ...base, solver, tolerance: 1e-3 });
        const capped = await runModel('Dahlquist', v, 'ME', { ...base, solver, tolerance: 1e-3, fixedStep: 0.01 });
        assert.ok(capped.stats.steps >= 200, `${solver}: ${capped.stats.steps} steps with fixed_step 0.01 over 2 s`);
        assert.ok(free.stats.steps < capped.stats.steps, `${solver}: ${free.stats.steps} steps without the cap`);
        const x = column(capped, 'x');
        assert.ok(Math.abs(x[capped.rows - 1]! - Math.exp(-3)) < 1e-4);
      }
    });
  }
});
