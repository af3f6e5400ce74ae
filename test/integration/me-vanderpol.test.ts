/**
 * VanDerPol under Model Exchange: agreement with Co-Simulation (the FMU's own RK4 with 1e-3 s
 * substeps) for mu = 1, the limit cycle's amplitude against the model's independent reference,
 * and the stiff case mu = 1000: bdf in a bounded number of steps, rk45 stopped by its step limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cvodeAvailable } from '../../src/engine/solvers/cvode.ts';
import { isGatewayError } from '../../src/errors.ts';
import { column, runModel } from './me-support.ts';

/** Independent reference (model.json): the amplitude of the mu = 1 limit cycle. */
const AMPLITUDE_MU1 = 2.0086198608;

for (const v of ['2.0', '3.0'] as const) {
  describe(`VanDerPol, Model Exchange FMI ${v}`, () => {
    it('ME (rk45, rtol 1e-9) and CS agree to 1e-6 on mu = 1', async () => {
      const opts = { startTime: 0, stopTime: 20, outputInterval: 0.05, startValues: { mu: 1 } };
      const me = await runModel('VanDerPol', v, 'ME', { ...opts, tolerance: 1e-9 });
      const cs = await runModel('VanDerPol', v, 'CS', opts);
      assert.equal(me.rows, cs.rows);
      let worst = 0;
      for (const name of ['x0', 'x1']) {
        const a = column(me, name),
          b = column(cs, name);
        for (let i = 0; i < me.rows; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      }
      assert.ok(worst < 1e-6, `max |ME − CS| = ${worst}`);
      // Amplitude over the last limit cycle (grid sampling near the peak costs < 1e-4).
      const x0 = column(me, 'x0');
      let amp = 0;
      for (let i = 0; i < me.rows; i++) if (me.time[i]! > 12) amp = Math.max(amp, Math.abs(x0[i]!));
      assert.ok(Math.abs(amp - AMPLITUDE_MU1) < 1e-4, `amplitude ${amp}`);
    });

    for (const solver of ['bdf', 'cvode'] as const) {
      it(
        `${solver} integrates the stiff mu = 1000 case in a bounded number of steps`,
        { skip: solver === 'cvode' && !cvodeAvailable() && 'SUNDIALS CVODE is not installed' },
        async () => {
          const mu = 1000;
          const r = await runModel('VanDerPol', v, 'ME', {
            startTime: 0,
            stopTime: 1000,
            outputInterval: 0.5,
            maxStep: 50,
            tolerance: 1e-6,
            solver,
            startValues: { mu },
          });
          assert.match(r.solver ?? '', new RegExp(`^${solver} `));
          assert.deepEqual(r.warnings, []);
          assert.ok(r.stats.steps < 3000, `${r.stats.steps} steps`);
          // Relaxation oscillation: from x0 = 2 the slow branch reaches x0 = 1 after
          // mu·(3/2 − ln 2) ≈ 806.9 s (leading-order asymptotics, corrections O(mu^(−1/3)) ≈ 0.4 s),
          // then x0 jumps to about −2 within a fraction of a second.
          const x0 = column(r, 'x0');
          const jump = r.time[x0.findIndex((x) => x < 0)]!;
          const predicted = mu * (1.5 - Math.log(2));
          assert.ok(Math.abs(jump - predicted) < 2, `jump at ${jump}, predicted ${predicted}`);
          assert.ok(x0[r.rows - 1]! < -1.5);
        },
      );
    }

    it('rk45 reports STEP_LIMIT_EXCEEDED on mu = 1000 and points to bdf', async () => {
      await assert.rejects(
        runModel('VanDerPol', v, 'ME', {
          startTime: 0,
          stopTime: 1000,
          outputInterval: 0.5,
          maxStep: 50,
          solver: 'rk45',
          maxSteps: 5000,
          startValues: { mu: 1000 },
        }),
        (e: unknown) => {
          assert.ok(isGatewayError(e));
          assert.equal(e.code, 'STEP_LIMIT_EXCEEDED');
          assert.match(e.message, /bdf/);
          assert.ok((e.data?.timeReached as number) < 1000);
          return true;
        },
      );
    });
  });
}
