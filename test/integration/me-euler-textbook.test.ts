/**
 * Fixed-step explicit Euler is the textbook method: x_{n+1} = x_n + h·f(t_n, x_n) on the grid
 * t_n = t0 + n·h, row for row what a plain loop computes. VanDerPol (nonlinear right-hand side,
 * our own C): the engine's rows against (1) the same loop in TypeScript with the equations
 * re-implemented and (2) the same loop calling the FMU's own derivatives through the binding.
 * Before the fix the solver accumulated t += h: its time drifted off the output grid and the
 * rows, taken from the dense output a sliver inside a step, were off by up to ~1e-6.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFmiLibrary } from '../../src/fmi/load.ts';
import { buildLibraryModel, openFixture } from '../helpers/fixtures.ts';
import { column, runModel } from './me-support.ts';

const STEPS = 10_000;

/** Rows of the plain loop (outputs every `every` steps): time, x0, x1. */
function plainLoop(
  t0: number,
  h: number,
  steps: number,
  every: number,
  f: (t: number, x: Float64Array, dx: Float64Array) => void,
): { t: Float64Array; x0: Float64Array; x1: Float64Array } {
  const rows = steps / every + 1;
  const out = { t: new Float64Array(rows), x0: new Float64Array(rows), x1: new Float64Array(rows) };
  const x = new Float64Array([2, 0]);
  const dx = new Float64Array(2);
  out.t[0] = t0;
  out.x0[0] = x[0]!;
  out.x1[0] = x[1]!;
  for (let n = 0; n < steps; n++) {
    f(t0 + n * h, x, dx);
    x[0]! += h * dx[0]!;
    x[1]! += h * dx[1]!;
    if ((n + 1) % every === 0) {
      const r = (n + 1) / every;
      out.t[r] = t0 + (n + 1) * h;
      out.x0[r] = x[0]!;
      out.x1[r] = x[1]!;
    }
  }
  return out;
}

function maxDiff(a: Float64Array, b: Float64Array): { max: number; differing: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differing++;
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
  }
  return { max, differing };
}

describe('fixed-step Euler is textbook Euler (VanDerPol)', () => {
  for (const v of ['2.0', '3.0'] as const) {
    for (const [mu, t0, h] of [
      [1, 0, 0.01],
      [2.5, 1000, 0.01], // a start time far from 0: rounding of t += h grows with |t|
    ] as const) {
      it(`matches the plain loop with the equations re-implemented, exactly (FMI ${v}, mu ${mu}, t0 ${t0})`, async () => {
        const r = await runModel('VanDerPol', v, 'ME', {
          startTime: t0,
          stopTime: t0 + STEPS * h,
          outputInterval: h,
          solver: 'euler',
          startValues: { mu },
          maxRows: STEPS + 10,
        });
        const ref = plainLoop(t0, h, STEPS, 1, (_t, x, dx) => {
          dx[0] = x[1]!;
          dx[1] = mu * (1 - x[0]! * x[0]!) * x[1]! - x[0]!;
        });
        assert.equal(r.rows, STEPS + 1);
        assert.equal(r.stats.steps, STEPS);
        const d0 = maxDiff(column(r, 'x0'), ref.x0);
        const d1 = maxDiff(column(r, 'x1'), ref.x1);
        assert.ok(d0.max <= 1e-12 && d1.max <= 1e-12, `x0 off by ${d0.max} in ${d0.differing} rows, x1 by ${d1.max} in ${d1.differing}`);
        // The same doubles, not merely close: the same operations in the same order.
        assert.equal(d0.differing + d1.differing, 0);
        // The time column is the grid t0 + n·h (the last row: the stop time itself).
        const dt = maxDiff(r.time.subarray(0, STEPS), ref.t.subarray(0, STEPS));
        assert.equal(dt.max, 0);
        // A positive control of the comparison: one step of a different method is seen.
        const shifted = plainLoop(t0, h * (1 + 1e-9), STEPS, 1, (_t, x, dx) => {
          dx[0] = x[1]!;
          dx[1] = mu * (1 - x[0]! * x[0]!) * x[1]! - x[0]!;
        });
        assert.ok(maxDiff(column(r, 'x0'), shifted.x0).max > 1e-12);
      });
    }

    it(`matches the plain loop on the FMU's own derivatives, fixed_step below the output interval (FMI ${v})`, async () => {
      const h = 0.001;
      const every = 10;
      const fmu = openFixture(await buildLibraryModel('VanDerPol', v));
      const lib = loadFmiLibrary(fmu, 'ME');
      let ref: ReturnType<typeof plainLoop>;
      try {
        const inst = lib.instantiate({ interface: 'ME', instanceName: 'plain' });
        try {
          inst.enterInitializationMode(0, STEPS * h, undefined);
          inst.exitInitializationMode();
          while (inst.newDiscreteStates().discreteStatesNeedUpdate);
          inst.enterContinuousTimeMode();
          ref = plainLoop(0, h, STEPS, every, (t, x, dx) => {
            inst.setTime(t);
            inst.setContinuousStates(x);
            inst.getDerivatives(dx);
          });
          inst.terminate();
        } finally {
          inst.free();
        }
      } finally {
        lib.unload();
      }
      const r = await runModel('VanDerPol', v, 'ME', {
        startTime: 0,
        stopTime: STEPS * h,
        outputInterval: h * every,
        fixedStep: h,
        solver: 'euler',
        maxRows: STEPS + 10,
      });
      assert.equal(r.rows, STEPS / every + 1);
      assert.equal(r.stats.steps, STEPS);
      // Rows every tenth step: read at the step end (t_n and the output grid agree to an ulp).
      const d0 = maxDiff(column(r, 'x0'), ref.x0);
      const d1 = maxDiff(column(r, 'x1'), ref.x1);
      assert.ok(d0.max <= 1e-12 && d1.max <= 1e-12, `x0 off by ${d0.max} in ${d0.differing} rows, x1 by ${d1.max} in ${d1.differing}`);
    });
  }
});
