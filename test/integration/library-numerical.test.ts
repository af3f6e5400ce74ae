/**
 * Nonlinear / higher-order library models (Pendulum, TankLevel, FuelRail, QuarterCar):
 * FMI 2.0 and FMI 3.0 Co-Simulation results against an independent integration of the
 * documented equations (Dormand–Prince 5(4) at rtol 1e-10, test/helpers/references.ts),
 * plus physical checks that need no integrator (energy, period, steady states).
 *
 * Tolerances are stated per check, relative to each signal's scale; the FMUs' RK4 with
 * ≤ 1 ms sub-steps lands ~1e-9 of scale or better, and an error in an equation fails by O(1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSeriesClose, FMI_VERSIONS, report, runLibraryModel } from '../helpers/library-run.ts';
import { pendulumPeriod, rk45, stepMetrics } from '../helpers/references.ts';

/** Reference states at the FMU's own output times. */
function reference(rhs: Parameters<typeof rk45>[0], y0: number[], time: Float64Array): Float64Array[] {
  return rk45(rhs, y0, Array.from(time));
}

/** Times where x crosses zero downwards, by linear interpolation between rows. */
function downCrossings(time: Float64Array, x: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1] as number,
      b = x[i] as number;
    if (a > 0 && b <= 0) out.push((time[i - 1] as number) + ((time[i] as number) - (time[i - 1] as number)) * (a / (a - b)));
  }
  return out;
}

for (const v of FMI_VERSIONS) {
  describe(`Pendulum (FMI ${v} CS)`, () => {
    it('matches an independent rk45 integration from 2.5 rad (theta within 1e-6 rad)', async () => {
      const run = await runLibraryModel('Pendulum', v);
      const ref = reference(
        (_t, y, d) => {
          d[0] = y[1] as number;
          d[1] = -9.81 * Math.sin(y[0] as number);
        },
        [2.5, 0],
        run.time,
      );
      const e = assertSeriesClose('theta', run.time, run.col('theta'), (i) => ref[i]?.[0] as number, { atol: 1e-6 });
      assertSeriesClose('omega', run.time, run.col('omega'), (i) => ref[i]?.[1] as number, { atol: 1e-5 });
      const th = run.col('theta');
      assertSeriesClose('x', run.time, run.col('x'), (i) => Math.sin(th[i] as number), { atol: 1e-12 });
      assertSeriesClose('y', run.time, run.col('y'), (i) => -Math.cos(th[i] as number), { atol: 1e-12 });
      report(`Pendulum FMI ${v} max |theta err|`, e);
    });

    it('conserves energy without damping and swings with the elliptic-integral period', async () => {
      const run = await runLibraryModel('Pendulum', v, { stopTime: 10, outputInterval: 0.001 });
      const E = run.col('E');
      const E0 = 9.81 * (1 - Math.cos(2.5));
      assertSeriesClose('E', run.time, E, () => E0, { atol: 1e-8 * E0 });
      const crossings = downCrossings(run.time, run.col('omega'));
      assert.ok(crossings.length >= 2, 'at least two full swings');
      const measured = ((crossings.at(-1) as number) - (crossings[0] as number)) / (crossings.length - 1);
      const T = pendulumPeriod({ L: 1, g: 9.81, theta0: 2.5 });
      // Linear interpolation of crossings on a 1 ms grid: error well below 1e-5 s.
      assert.ok(Math.abs(measured - T) < 1e-5, `period ${measured} vs ${T}`);
      report(`Pendulum FMI ${v} |period err| s`, Math.abs(measured - T));
    });

    it('loses energy monotonically with pivot damping, as rk45 predicts', async () => {
      const run = await runLibraryModel('Pendulum', v, { startValues: { d: 0.5, L: 2, m: 3, theta: 1 } });
      const I = 3 * 4;
      const ref = reference(
        (_t, y, d) => {
          d[0] = y[1] as number;
          d[1] = (-3 * 9.81 * 2 * Math.sin(y[0] as number) - 0.5 * (y[1] as number)) / I;
        },
        [1, 0],
        run.time,
      );
      assertSeriesClose('theta', run.time, run.col('theta'), (i) => ref[i]?.[0] as number, { atol: 1e-6 });
      const E = run.col('E');
      for (let i = 1; i < E.length; i++) assert.ok((E[i] as number) <= (E[i - 1] as number) + 1e-9, `E rises at row ${i}`);
    });
  });

  describe(`TankLevel (FMI ${v} CS)`, () => {
    const tankRhs =
      (Kp: number, Ki: number, href: number) =>
      (_t: number, y: Float64Array, d: Float64Array): void => {
        const h = y[0] as number,
          e = href - h;
        const valve = Math.min(1, Math.max(0, Kp * e + Ki * (y[1] as number)));
        d[0] = 0.3 * valve - 0.1 * Math.sqrt(Math.max(h, 0));
        d[1] = e;
      };

    it('tracks the setpoint step like rk45, with the same overshoot and settling time', async () => {
      const run = await runLibraryModel('TankLevel', v);
      const ref = reference(tankRhs(1, 0.3, 1), [0.5, 0], run.time);
      const h = run.col('h');
      const e = assertSeriesClose('h', run.time, h, (i) => ref[i]?.[0] as number, { atol: 1e-6 });
      assertSeriesClose(
        'valve',
        run.time,
        run.col('valve'),
        (i) => {
          const y = ref[i] as Float64Array;
          return Math.min(1, Math.max(0, 1 - (y[0] as number) + 0.3 * (y[1] as number)));
        },
        { atol: 1e-6 },
      );
      const m = stepMetrics(run.time, h, 0.5, 1);
      const mRef = stepMetrics(
        run.time,
        ref.map((y) => y[0] as number),
        0.5,
        1,
      );
      assert.ok(Math.abs(m.overshoot - mRef.overshoot) < 1e-5, `overshoot ${m.overshoot} vs ${mRef.overshoot}`);
      assert.equal(m.settlingTime, mRef.settlingTime);
      // The documented figures (model.json): ~12 % overshoot, settling near 17.8 s.
      assert.ok(m.overshoot > 0.115 && m.overshoot < 0.125, `overshoot ${m.overshoot}`);
      assert.ok(m.settlingTime > 17 && m.settlingTime < 18.5, `settling ${m.settlingTime}`);
      // Steady state: outflow balances inflow at h_ref, valve = k_out*sqrt(h_ref)/q_max.
      assert.ok(Math.abs((run.col('valve').at(-1) as number) - 1 / 3) < 1e-4);
      report(`TankLevel FMI ${v} max |h err|`, e);
    });

    it('saturates the valve at 1 for a large step and still matches rk45', async () => {
      const run = await runLibraryModel('TankLevel', v, { startValues: { h: 0.1, h_ref: 2, Kp: 3, Ki: 0.2 } });
      const ref = reference(tankRhs(3, 0.2, 2), [0.1, 0], run.time);
      assertSeriesClose('h', run.time, run.col('h'), (i) => ref[i]?.[0] as number, { atol: 2e-6 });
      assert.equal(run.col('valve')[0], 1);
    });
  });

  describe(`FuelRail (FMI ${v} CS)`, () => {
    const kq = 4 * 0.7 * 4e-8; // n_inj * Cd * A_inj
    const railRhs =
      (qPump: number, duty: number) =>
      (_t: number, y: Float64Array, d: Float64Array): void => {
        d[0] = (1.5e9 / 3e-5) * (qPump - kq * Math.sqrt((2 * Math.max(y[0] as number, 0)) / 750) * duty);
      };

    it('builds pressure like rk45 and settles at the orifice-law steady state', async () => {
      const run = await runLibraryModel('FuelRail', v);
      const ref = reference(railRhs(2e-6, 0.1), [5e6], run.time);
      const e = assertSeriesClose('p', run.time, run.col('p'), (i) => ref[i]?.[0] as number, { atol: 1, rtol: 1e-8 });
      const pSs = (750 / 2) * (2e-6 / (kq * 0.1)) ** 2;
      assert.ok(Math.abs((run.col('p').at(-1) as number) - pSs) / pSs < 1e-3, 'near steady state after 2 s');
      const p = run.col('p');
      assertSeriesClose('p_bar', run.time, run.col('p_bar'), (i) => (p[i] as number) / 1e5, { atol: 1e-9 });
      assert.ok(Math.abs((run.col('q_inj').at(-1) as number) - 2e-6) < 1e-9, 'injector flow balances the pump');
      report(`FuelRail FMI ${v} max |p err| Pa`, e);
    });

    it('drops pressure when the injector duty rises', async () => {
      const run = await runLibraryModel('FuelRail', v, { startValues: { duty: 0.2, p: 1.2e7 } });
      const ref = reference(railRhs(2e-6, 0.2), [1.2e7], run.time);
      assertSeriesClose('p', run.time, run.col('p'), (i) => ref[i]?.[0] as number, { atol: 1, rtol: 1e-8 });
      assert.ok((run.col('p').at(-1) as number) < 4e6);
    });
  });

  describe(`QuarterCar (FMI ${v} CS)`, () => {
    const carRhs =
      (zr: number) =>
      (_t: number, y: Float64Array, d: Float64Array): void => {
        const [zs, vs, zu, vu] = y as unknown as [number, number, number, number];
        const f = 16000 * (zs - zu) + 1000 * (vs - vu);
        d[0] = vs;
        d[1] = -f / 250;
        d[2] = vu;
        d[3] = (f + 160000 * (zr - zu)) / 35;
      };

    it('responds to the 5 cm road step like rk45 and settles on the road', async () => {
      const run = await runLibraryModel('QuarterCar', v);
      const ref = reference(carRhs(0.05), [0, 0, 0, 0], run.time);
      // 5e-8 m = 1e-6 of the 5 cm step (the 11 Hz wheel hop makes RK4 at 1 ms err ~2e-8 m).
      const e = assertSeriesClose('z_s', run.time, run.col('z_s'), (i) => ref[i]?.[0] as number, { atol: 5e-8 });
      assertSeriesClose('z_u', run.time, run.col('z_u'), (i) => ref[i]?.[2] as number, { atol: 5e-8 });
      assertSeriesClose('v_u', run.time, run.col('v_u'), (i) => ref[i]?.[3] as number, { atol: 5e-6 }); // peak ~1.5 m/s
      const d = new Float64Array(4);
      assertSeriesClose(
        'a_s',
        run.time,
        run.col('a_s'),
        (i) => {
          carRhs(0.05)(0, ref[i] as Float64Array, d);
          return d[1] as number;
        },
        { atol: 1e-5 },
      );
      assertSeriesClose('F_tire', run.time, run.col('F_tire'), (i) => 160000 * (0.05 - (ref[i]?.[2] as number)), { atol: 1e-2 }); // ~1e-6 of the 8 kN peak
      assert.ok(Math.abs((run.col('z_s').at(-1) as number) - 0.05) < 5e-4, 'body settles on the raised road');
      report(`QuarterCar FMI ${v} max |z_s err| m`, e);
    });

    it('with a stiffer damper, overshoots less (and still matches rk45)', async () => {
      const soft = await runLibraryModel('QuarterCar', v);
      const stiff = await runLibraryModel('QuarterCar', v, { startValues: { c_s: 3000 } });
      const ref = rk45(
        (_t, y, d) => {
          const [zs, vs, zu, vu] = y as unknown as [number, number, number, number];
          const f = 16000 * (zs - zu) + 3000 * (vs - vu);
          d[0] = vs;
          d[1] = -f / 250;
          d[2] = vu;
          d[3] = (f + 160000 * (0.05 - zu)) / 35;
        },
        [0, 0, 0, 0],
        Array.from(stiff.time),
      );
      assertSeriesClose('z_s', stiff.time, stiff.col('z_s'), (i) => ref[i]?.[0] as number, { atol: 5e-8 });
      assert.ok(Math.max(...stiff.col('z_s')) < Math.max(...soft.col('z_s')));
    });
  });
}
