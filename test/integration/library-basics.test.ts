/**
 * The five basic library models (Dahlquist, BouncingBall, Stair, VanDerPol, Feedthrough),
 * FMI 2.0 and FMI 3.0 Co-Simulation, against the references their model.json documents
 * (closed forms, or the independent rk45 of test/helpers/references.ts for VanDerPol).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSeriesClose, FMI_VERSIONS, report, runLibraryModel } from '../helpers/library-run.ts';
import { bouncingBall, dahlquist, rk45 } from '../helpers/references.ts';

for (const v of FMI_VERSIONS) {
  describe(`Dahlquist (FMI ${v} CS)`, () => {
    it('decays as x0·exp(-k t) (within 1e-9 relative)', async () => {
      const run = await runLibraryModel('Dahlquist', v);
      const e = assertSeriesClose('x', run.time, run.col('x'), (_i, t) => dahlquist({ k: 1, x0: 1 }, t), { atol: 1e-12, rtol: 1e-9 });
      report(`Dahlquist FMI ${v} max |x err|`, e);
    });

    it('honours start values for k and x from a non-zero start time', async () => {
      const run = await runLibraryModel('Dahlquist', v, { startTime: 1, stopTime: 3, startValues: { k: 2, x: 3 } });
      assertSeriesClose('x', run.time, run.col('x'), (_i, t) => dahlquist({ k: 2, x0: 3 }, t - 1), { atol: 1e-12, rtol: 1e-9 });
    });
  });

  describe(`BouncingBall (FMI ${v} CS)`, () => {
    const p = { h0: 1, g: 9.81, e: 0.7, vMin: 0.1 };

    it('follows the piecewise-parabola closed form and rests after 11 impacts at 2.4991 s', async () => {
      const run = await runLibraryModel('BouncingBall', v);
      // Impacts are located to 1e-12 s inside doStep, so h is exact up to RK4 round-off.
      const e = assertSeriesClose('h', run.time, run.col('h'), (_i, t) => bouncingBall(p, t).h, { atol: 1e-9 });
      assertSeriesClose('v', run.time, run.col('v'), (_i, t) => bouncingBall(p, t).v, { atol: 1e-9 });
      assertSeriesClose('bounces', run.time, run.col('bounces'), (_i, t) => bouncingBall(p, t).bounces, { atol: 0 });
      assertSeriesClose('resting', run.time, run.col('resting'), (_i, t) => (t >= bouncingBall(p, 3).restTime ? 1 : 0), { atol: 0 });
      report(`BouncingBall FMI ${v} max |h err|`, e);
    });

    it('bounces higher with e = 0.9 thrown upwards, still matching the closed form', async () => {
      const run = await runLibraryModel('BouncingBall', v, { startValues: { e: 0.9, v: 2, h: 0.5 } });
      const q = { h0: 0.5, g: 9.81, e: 0.9, v0: 2, vMin: 0.1 };
      assertSeriesClose('h', run.time, run.col('h'), (_i, t) => bouncingBall(q, t).h, { atol: 1e-9 });
    });

    // CS has no event mode: the FMU must run the initial event iteration an ME importer runs.
    it('bounces at the start time when thrown down from the ground, in CS as in ME', async () => {
      const q = { h0: 0, g: 9.81, e: 0.7, v0: -3, vMin: 0.1 };
      for (const iface of ['CS', 'ME'] as const) {
        const run = await runLibraryModel('BouncingBall', v, { interface: iface, stopTime: 1, startValues: { h: 0, v: -3 } });
        assertSeriesClose(`${iface} h`, run.time, run.col('h'), (_i, t) => bouncingBall(q, t).h, { atol: 1e-6 });
        assert.equal(run.col('bounces')[0], 1, `${iface}: the impact at t = 0 is counted at once`);
      }
    });

    it('stays at rest when it starts on the ground with no speed', async () => {
      const run = await runLibraryModel('BouncingBall', v, { stopTime: 1, startValues: { h: 0, v: 0 } });
      assert.ok(
        run.col('h').every((h) => h === 0),
        'h stays 0',
      );
      assert.equal(run.col('resting')[0], 1);
    });
  });

  describe(`Stair (FMI ${v} CS)`, () => {
    // floor() with a 1e-9 guard: output times k·step land on k·period up to round-off.
    const stair = (t: number, period: number): number => Math.floor(t / period + 1e-9);

    it('counts one per period on the output grid', async () => {
      const run = await runLibraryModel('Stair', v);
      assertSeriesClose('counter', run.time, run.col('counter'), (_i, t) => stair(t, 1), { atol: 0 });
      assert.equal(run.col('counter').at(-1), 10);
    });

    it('counts events that fall between output points (period 0.35 s)', async () => {
      const run = await runLibraryModel('Stair', v, { startValues: { period: 0.35 } });
      assertSeriesClose('counter', run.time, run.col('counter'), (_i, t) => stair(t, 0.35), { atol: 0 });
    });

    it('ends the run at terminate_at * period when the model asks to terminate', async () => {
      const run = await runLibraryModel('Stair', v, { startValues: { terminate_at: 3 } });
      assert.ok(run.result.terminatedEarly, 'terminatedEarly is reported');
      assert.ok(Math.abs(run.result.terminatedEarly.time - 3) < 1e-9);
      assert.equal(run.col('counter').at(-1), 3);
    });
  });

  describe(`VanDerPol (FMI ${v} CS)`, () => {
    const vdp =
      (mu: number) =>
      (_t: number, y: Float64Array, d: Float64Array): void => {
        const x = y[0] as number,
          xd = y[1] as number;
        d[0] = xd;
        d[1] = mu * (1 - x * x) * xd - x;
      };

    it('matches an independent rk45 integration for mu = 1 (x0 within 1e-6)', async () => {
      const run = await runLibraryModel('VanDerPol', v);
      const ref = rk45(vdp(1), [2, 0], Array.from(run.time));
      const e = assertSeriesClose('x0', run.time, run.col('x0'), (i) => ref[i]?.[0] as number, { atol: 1e-6 });
      assertSeriesClose('x1', run.time, run.col('x1'), (i) => ref[i]?.[1] as number, { atol: 1e-6 });
      report(`VanDerPol FMI ${v} max |x0 err|`, e);
    });

    it('has the documented limit-cycle amplitude 2.00862 for mu = 1', async () => {
      const run = await runLibraryModel('VanDerPol', v, { stopTime: 40, outputInterval: 0.001 });
      const x = run.col('x0');
      let peak = 0;
      for (let i = Math.floor(x.length / 2); i < x.length; i++) peak = Math.max(peak, Math.abs(x[i] as number));
      // 1 ms output grid: the sampled peak is below the true one by at most ~|x''|·dt²/2 ≈ 1e-6.
      assert.ok(Math.abs(peak - 2.0086198608) < 1e-5, `amplitude ${peak}`);
    });

    it('is the harmonic oscillator 2 cos t for mu = 0', async () => {
      const run = await runLibraryModel('VanDerPol', v, { startValues: { mu: 0 } });
      assertSeriesClose('x0', run.time, run.col('x0'), (_i, t) => 2 * Math.cos(t), { atol: 1e-8 });
    });
  });

  describe(`Feedthrough (FMI ${v} CS)`, () => {
    it('passes interpolated and held inputs straight to the outputs', async () => {
      const run = await runLibraryModel('Feedthrough', v, {
        stopTime: 1,
        outputInterval: 0.125,
        inputSignals: [
          { name: 'Float64_input', time: [0, 1], values: [-1, 3] },
          { name: 'Int32_input', time: [0, 0.5], values: [1, -7] },
          { name: 'Boolean_input', time: [0, 0.5], values: [false, true] },
        ],
        startValues: { Float32_input: 0.75, Float64_tunable_parameter: 4.5 },
      });
      assertSeriesClose('Float64_output', run.time, run.col('Float64_output'), (_i, t) => -1 + 4 * t, { atol: 1e-12 });
      assertSeriesClose('Int32_output', run.time, run.col('Int32_output'), (_i, t) => (t < 0.5 ? 1 : -7), { atol: 0 });
      assertSeriesClose('Boolean_output', run.time, run.col('Boolean_output'), (_i, t) => (t < 0.5 ? 0 : 1), { atol: 0 });
      assertSeriesClose('Float32_output', run.time, run.col('Float32_output'), () => 0.75, { atol: 0 });
      assertSeriesClose('tunable', run.time, run.col('Float64_tunable_output'), () => 4.5, { atol: 0 });
    });
  });
}
