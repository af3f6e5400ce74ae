/**
 * Library models with a closed-form solution (SpringMassDamper, RLC, DCMotor, ThermalMass):
 * FMI 2.0 and FMI 3.0 Co-Simulation results against the formulas in test/helpers/references.ts.
 *
 * Tolerance: 1e-6 of the signal's scale (absolute). The adapters' CS solver is RK4 with
 * sub-steps ≤ 1 ms, whose error on these smooth linear systems is ~1e-11, so the margin
 * allows a different (still accurate) solver while any equation or sign error (O(1)) fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../src/errors.ts';
import { assertSeriesClose, FMI_VERSIONS, report, runLibraryModel } from '../helpers/library-run.ts';
import { dampedOscillator, dcMotorStep, rlcStep, thermalStep } from '../helpers/references.ts';

for (const v of FMI_VERSIONS) {
  describe(`SpringMassDamper (FMI ${v} CS)`, () => {
    const cases = [
      { regime: 'underdamped', start: { c: 0.4 }, x0: 1, v0: 0, F: 0 },
      { regime: 'critical', start: { c: 4, x: 0.5, v: 1 }, x0: 0.5, v0: 1, F: 0 },
      { regime: 'overdamped', start: { c: 10, x: -0.2, v: 0.3, F: 2 }, x0: -0.2, v0: 0.3, F: 2 },
    ] as const;
    for (const c of cases) {
      it(`follows the ${c.regime} closed form (x and v within 1e-6 m, m/s)`, async () => {
        const run = await runLibraryModel('SpringMassDamper', v, { startValues: c.start });
        const p = { m: 1, c: c.start.c, k: 4, x0: c.x0, v0: c.v0, xEq: c.F / 4 };
        assert.equal(dampedOscillator(p, 0).regime, c.regime);
        const ex = assertSeriesClose('x', run.time, run.col('x'), (_i, t) => dampedOscillator(p, t).x, { atol: 1e-6 });
        assertSeriesClose('v', run.time, run.col('v'), (_i, t) => dampedOscillator(p, t).v, { atol: 1e-6 });
        assert.equal(run.time.at(-1), 10);
        report(`SMD ${c.regime} FMI ${v} max |x err|`, ex);
      });
    }

    it('rejects a zero mass with FMI_CALL_FAILED naming the parameters', async () => {
      await assert.rejects(runLibraryModel('SpringMassDamper', v, { startValues: { m: 0 } }), (e: unknown) => {
        assert.ok(isGatewayError(e));
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.match(e.message, /m = 0/);
        return true;
      });
    });

    it('rejects a negative mass before instantiation (below its declared minimum)', async () => {
      await assert.rejects(
        runLibraryModel('SpringMassDamper', v, { startValues: { m: -1 } }),
        (e: unknown) => isGatewayError(e) && e.code === 'INVALID_START_VALUE',
      );
    });
  });

  describe(`RLC (FMI ${v} CS)`, () => {
    it('charges the capacitor like the underdamped step-response formula', async () => {
      const run = await runLibraryModel('RLC', v);
      const p = { R: 2, L: 0.5, C: 0.05, V: 1, vC0: 0, i0: 0 };
      const e = assertSeriesClose('v_C', run.time, run.col('v_C'), (_i, t) => rlcStep(p, t).vC, { atol: 1e-6 });
      assertSeriesClose('i', run.time, run.col('i'), (_i, t) => rlcStep(p, t).i, { atol: 1e-7 });
      // Derived outputs: Ohm's law and Kirchhoff's voltage law at every row.
      const i = run.col('i'),
        vC = run.col('v_C'),
        vR = run.col('v_R'),
        vL = run.col('v_L');
      assertSeriesClose('v_R', run.time, vR, (k) => 2 * (i[k] as number), { atol: 1e-12 });
      assertSeriesClose('KVL', run.time, vL, (k) => 1 - (vR[k] as number) - (vC[k] as number), { atol: 1e-12 });
      // The first peak overshoots by exp(-alpha*pi/wd).
      const wd = Math.sqrt(1 / (0.5 * 0.05) - 4);
      assert.ok(Math.max(...vC) > 1 + 0.9 * Math.exp((-2 * Math.PI) / wd));
      report(`RLC FMI ${v} max |v_C err|`, e);
    });

    it('follows the overdamped formula with R = 10 Ohm and a 5 V source from 2 V', async () => {
      const run = await runLibraryModel('RLC', v, { startValues: { R: 10, V_in: 5, v_C: 2 } });
      const p = { R: 10, L: 0.5, C: 0.05, V: 5, vC0: 2, i0: 0 };
      assertSeriesClose('v_C', run.time, run.col('v_C'), (_i, t) => rlcStep(p, t).vC, { atol: 5e-6 });
      assertSeriesClose('i', run.time, run.col('i'), (_i, t) => rlcStep(p, t).i, { atol: 1e-6 });
    });
  });

  describe(`DCMotor (FMI ${v} CS)`, () => {
    const base = { R: 1, L: 0.5, K: 0.01, J: 0.01, b: 0.1, V: 12, tauL: 0, i0: 0, w0: 0 };
    it('spins up like the matrix-exponential solution for 12 V', async () => {
      const run = await runLibraryModel('DCMotor', v);
      const e = assertSeriesClose('w', run.time, run.col('w'), (_i, t) => dcMotorStep(base, t).w, { atol: 1e-6 });
      assertSeriesClose('i', run.time, run.col('i'), (_i, t) => dcMotorStep(base, t).i, { atol: 1e-5 });
      const w = run.col('w'),
        rpm = run.col('rpm'),
        tau = run.col('tau_m'),
        i = run.col('i');
      assertSeriesClose('rpm', run.time, rpm, (k) => ((w[k] as number) * 60) / (2 * Math.PI), { atol: 1e-9 });
      assertSeriesClose('tau_m', run.time, tau, (k) => 0.01 * (i[k] as number), { atol: 1e-12 });
      report(`DCMotor FMI ${v} max |w err|`, e);
    });

    it('slows under a load torque as the closed form predicts', async () => {
      const run = await runLibraryModel('DCMotor', v, { startValues: { tau_load: 0.05, V: 6 } });
      const p = { ...base, V: 6, tauL: 0.05 };
      assertSeriesClose('w', run.time, run.col('w'), (_i, t) => dcMotorStep(p, t).w, { atol: 1e-6 });
      assertSeriesClose('i', run.time, run.col('i'), (_i, t) => dcMotorStep(p, t).i, { atol: 1e-5 });
    });
  });

  describe(`ThermalMass (FMI ${v} CS)`, () => {
    it('heats towards T_amb + Q/hA with time constant C/hA', async () => {
      const run = await runLibraryModel('ThermalMass', v, { outputInterval: 5 });
      const p = { C: 1000, hA: 10, Q: 500, Tamb: 293.15, T0: 293.15 };
      const e = assertSeriesClose('T', run.time, run.col('T'), (_i, t) => thermalStep(p, t), { atol: 1e-6 });
      assertSeriesClose('Q_loss', run.time, run.col('Q_loss'), (_i, t) => 10 * (thermalStep(p, t) - 293.15), { atol: 1e-5 });
      report(`ThermalMass FMI ${v} max |T err|`, e);
    });

    it('cools from 350 K with no heat input', async () => {
      const run = await runLibraryModel('ThermalMass', v, { outputInterval: 5, startValues: { Q: 0, T: 350, T_amb: 280 } });
      const p = { C: 1000, hA: 10, Q: 0, Tamb: 280, T0: 350 };
      assertSeriesClose('T', run.time, run.col('T'), (_i, t) => thermalStep(p, t), { atol: 1e-6 });
    });
  });
}
