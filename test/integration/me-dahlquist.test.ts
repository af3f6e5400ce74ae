/**
 * Model Exchange of the Dahlquist FMU (dx/dt = −k·x) against its closed form
 * x(t) = x0·e^{−k t}, with FMI 2.0 and 3.0, each solver, and the driver's error paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../src/errors.ts';
import { column, runModel } from './me-support.ts';

const K = 2;
const X0 = 1.5;
const base = { startTime: 0, stopTime: 5, outputInterval: 0.25, startValues: { k: K, x: X0 } };

for (const v of ['2.0', '3.0'] as const) {
  describe(`Model Exchange of Dahlquist, FMI ${v}`, () => {
    it('rk45 matches x0·e^{−kt} at every output point to 1e-7 at rtol 1e-9', async () => {
      const r = await runModel('Dahlquist', v, 'ME', { ...base, tolerance: 1e-9 });
      assert.equal(r.interface, 'ME');
      assert.equal(r.fmiVersion, v);
      assert.match(r.solver ?? '', /^rk45/);
      assert.equal(r.rows, 21);
      const x = column(r, 'x');
      for (let i = 0; i < r.rows; i++) {
        assert.ok(Math.abs(r.time[i]! - 0.25 * i) < 1e-12);
        const exact = X0 * Math.exp(-K * r.time[i]!);
        assert.ok(Math.abs(x[i]! - exact) < 1e-7, `t=${r.time[i]}: ${x[i]} vs ${exact}`);
      }
      assert.ok(r.eventRows && r.eventRows.every((e) => e === 0));
    });

    it('records output points from the dense output when steps are longer than the output interval', async () => {
      const r = await runModel('Dahlquist', v, 'ME', { ...base, tolerance: 1e-5, maxStep: 5 });
      assert.ok(r.stats.steps < 20, `${r.stats.steps} steps for 20 output intervals`);
      const x = column(r, 'x');
      for (let i = 0; i < r.rows; i++) assert.ok(Math.abs(x[i]! - X0 * Math.exp(-K * r.time[i]!)) < 2e-5, `t=${r.time[i]}`);
    });

    it('bdf matches the closed form to 1e-5 at rtol 1e-7', async () => {
      const r = await runModel('Dahlquist', v, 'ME', { ...base, tolerance: 1e-7, solver: 'bdf' });
      assert.match(r.solver ?? '', /^bdf/);
      const x = column(r, 'x');
      for (let i = 0; i < r.rows; i++) assert.ok(Math.abs(x[i]! - X0 * Math.exp(-K * r.time[i]!)) < 1e-5);
    });

    it('euler reproduces its discrete closed form x0·(1 − k·h)^n', async () => {
      const h = 0.01;
      const r = await runModel('Dahlquist', v, 'ME', { ...base, solver: 'euler', fixedStep: h });
      const x = column(r, 'x');
      for (let i = 0; i < r.rows; i++) {
        const n = Math.round(r.time[i]! / h);
        assert.ok(Math.abs(x[i]! - X0 * (1 - K * h) ** n) < 1e-12, `t=${r.time[i]}`);
      }
      assert.equal(r.stats.steps, 500);
    });

    it('reports STEP_LIMIT_EXCEEDED with the time reached when max_steps is too small', async () => {
      await assert.rejects(runModel('Dahlquist', v, 'ME', { ...base, solver: 'euler', fixedStep: 0.01, maxSteps: 7 }), (e: unknown) => {
        assert.ok(isGatewayError(e));
        assert.equal(e.code, 'STEP_LIMIT_EXCEEDED');
        assert.ok(Math.abs((e.data?.timeReached as number) - 0.07) < 1e-12);
        return true;
      });
    });
  });
}

describe('Model Exchange option errors', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['rejects a tolerance outside (0, 1)', { tolerance: 2 }],
    ['rejects a non-positive max_step', { maxStep: 0 }],
    ['rejects a fractional max_steps', { maxSteps: 2.5 }],
    ['rejects stop_time before start_time', { stopTime: -1 }],
  ];
  for (const [name, over] of cases) {
    it(name, async () => {
      await assert.rejects(
        runModel('Dahlquist', '2.0', 'ME', { ...base, ...over }),
        (e: unknown) => isGatewayError(e) && e.code === 'BAD_REQUEST',
      );
    });
  }
});
