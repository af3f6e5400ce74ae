import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rk45Solver } from '../../../../src/engine/solvers/rk45.ts';
import { isGatewayError } from '../../../../src/errors.ts';
import { decay, expSin, integrate, OMEGA, oscillator, robertson, settings } from './problems.ts';

/** Run with an effectively fixed step h: error test always passes, maxStep caps growth. */
function fixedStepRun(h: number, tEnd: number): Rk45Solver {
  const s = new Rk45Solver(1, expSin, settings(1, 0.5, { atol: new Float64Array([1e10]), maxStep: h, initialStep: h }));
  s.reset(0, new Float64Array([1]));
  integrate(s, tEnd);
  return s;
}

describe('rk45 (Dormand–Prince 5(4))', () => {
  it("solves x' = −x to within the tolerance of e^{−t}", () => {
    const s = new Rk45Solver(1, decay, settings(1, 1e-8, { atol: new Float64Array([1e-10]) }));
    s.reset(0, new Float64Array([1]));
    integrate(s, 5);
    assert.equal(s.t, 5);
    assert.ok(Math.abs(s.x[0]! - Math.exp(-5)) < 1e-9, `error ${s.x[0]! - Math.exp(-5)}`);
    assert.ok(s.stats.steps < 200, `${s.stats.steps} steps`);
  });

  it('converges with order 5 in the step size', () => {
    const errors = [0.2, 0.1, 0.05].map((h) => Math.abs(fixedStepRun(h, 2).x[0]! - Math.exp(Math.sin(2))));
    for (let i = 1; i < errors.length; i++) {
      const order = Math.log2(errors[i - 1]! / errors[i]!);
      assert.ok(order > 4.6 && order < 5.6, `observed order ${order} (errors ${errors.join(', ')})`);
    }
  });

  it('dense output is continuous at the step ends and 4th-order accurate inside', () => {
    const midErrors: number[] = [];
    for (const h of [0.2, 0.1]) {
      const s = new Rk45Solver(1, expSin, settings(1, 0.5, { atol: new Float64Array([1e10]), maxStep: h, initialStep: h }));
      s.reset(0, new Float64Array([1]));
      const out = new Float64Array(1);
      let worst = 0;
      // Measure the interpolation error against a local exact solution through the step start.
      while (s.t < 2) {
        s.step(2);
        s.interpolate(s.t, out);
        assert.equal(out[0], s.x[0]);
        const t0 = s.tPrev;
        s.interpolate(t0, out);
        const x0 = out[0]!;
        for (const frac of [0.25, 0.5, 0.75]) {
          const tq = t0 + frac * (s.t - t0);
          s.interpolate(tq, out);
          const exact = x0 * Math.exp(Math.sin(tq) - Math.sin(t0));
          worst = Math.max(worst, Math.abs(out[0]! - exact));
        }
      }
      midErrors.push(worst);
    }
    const order = Math.log2(midErrors[0]! / midErrors[1]!);
    // Local error of the order-4 interpolant is O(h^5).
    assert.ok(order > 4.3, `interpolation error order ${order} (${midErrors.join(', ')})`);
    assert.ok(midErrors[1]! < 1e-6);
  });

  it("keeps the harmonic oscillator's energy and phase at rtol 1e-8", () => {
    const s = new Rk45Solver(2, oscillator, settings(2, 1e-8, { atol: new Float64Array([1e-10, 1e-10]) }));
    s.reset(0, new Float64Array([1, 0]));
    const tEnd = 10 * Math.PI; // 10 periods for ω = 2
    integrate(s, tEnd);
    const energy = (s.x[1]! ** 2 + OMEGA ** 2 * s.x[0]! ** 2) / 2;
    assert.ok(Math.abs(energy - 2) / 2 < 1e-6, `energy ${energy}`);
    assert.ok(Math.abs(s.x[0]! - Math.cos(OMEGA * tEnd)) < 1e-6);
  });

  it('lands exactly on tMax and respects maxStep', () => {
    const s = new Rk45Solver(1, decay, settings(1, 1e-4, { maxStep: 0.3 }));
    s.reset(0, new Float64Array([1]));
    let prev = 0;
    while (s.t < 1.234) {
      s.step(1.234);
      assert.ok(s.t - prev <= 0.3 + 1e-15);
      prev = s.t;
    }
    assert.equal(s.t, 1.234);
  });

  it("reports STEP_LIMIT_EXCEEDED on Robertson's stiff problem, naming the time reached", () => {
    const s = new Rk45Solver(3, robertson, settings(3, 1e-6, { atol: new Float64Array([1e-8, 1e-12, 1e-8]), maxSteps: 2000 }));
    s.reset(0, new Float64Array([1, 0, 0]));
    assert.throws(
      () => integrate(s, 40),
      (e: unknown) => {
        assert.ok(isGatewayError(e));
        assert.equal(e.code, 'STEP_LIMIT_EXCEEDED');
        assert.equal(e.data?.maxSteps, 2000);
        const reached = e.data?.timeReached as number;
        assert.ok(reached > 0 && reached < 40);
        assert.match(e.message, /bdf/);
        return true;
      },
    );
    assert.equal(s.stats.steps, 2000);
  });

  it('fails clearly instead of looping when the derivative is not finite', () => {
    const s = new Rk45Solver(
      1,
      (t, _x, dx) => {
        dx[0] = t > 0.5 ? NaN : 1;
      },
      settings(1, 1e-4),
    );
    s.reset(0, new Float64Array([0]));
    assert.throws(
      () => integrate(s, 1),
      (e: unknown) => isGatewayError(e) && e.code === 'SIMULATION_FAILED',
    );
  });

  it('rejects invalid settings', () => {
    assert.throws(
      () => new Rk45Solver(1, decay, settings(1, 0)),
      (e: unknown) => isGatewayError(e) && e.code === 'BAD_REQUEST',
    );
    assert.throws(
      () => new Rk45Solver(2, decay, settings(1, 1e-4)),
      (e: unknown) => isGatewayError(e) && e.code === 'BAD_REQUEST',
    );
  });
});
