import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EulerSolver } from '../../../../src/engine/solvers/euler.ts';
import { isGatewayError } from '../../../../src/errors.ts';
import { decay, integrate, oscillator, settings } from './problems.ts';

describe('euler (fixed step)', () => {
  it("reproduces the discrete closed form (1 − h)^k of x' = −x", () => {
    const h = 0.01;
    const s = new EulerSolver(1, decay, settings(1, 1e-4, { fixedStep: h, maxStep: 1 }));
    s.reset(0, new Float64Array([1]));
    const calls = integrate(s, 1);
    assert.equal(calls, 100);
    assert.equal(s.t, 1);
    assert.ok(Math.abs(s.x[0]! - (1 - h) ** 100) < 1e-13);
  });

  it('is first-order accurate: halving h halves the error', () => {
    const err = [0.01, 0.005].map((h) => {
      const s = new EulerSolver(1, decay, settings(1, 1e-4, { fixedStep: h, maxStep: 1 }));
      s.reset(0, new Float64Array([1]));
      integrate(s, 1);
      return Math.abs(s.x[0]! - Math.exp(-1));
    });
    const ratio = err[0]! / err[1]!;
    assert.ok(ratio > 1.9 && ratio < 2.1, `ratio ${ratio}`);
  });

  it('shortens only the last step to land on tMax and interpolates linearly', () => {
    const s = new EulerSolver(2, oscillator, settings(2, 1e-4, { fixedStep: 0.3, maxStep: 1 }));
    s.reset(0, new Float64Array([1, 0]));
    s.step(0.5);
    assert.ok(Math.abs(s.t - 0.3) < 1e-15);
    s.step(0.5);
    assert.equal(s.t, 0.5);
    const out = new Float64Array(2);
    s.interpolate(0.4, out);
    // Second step from (1, −1.2) with slope (−1.2, −4) over 0.2 s: half-way is 0.1 s along.
    assert.ok(Math.abs(out[0]! - (1 - 0.1 * 1.2)) < 1e-12);
    assert.ok(Math.abs(out[1]! - (-1.2 - 0.1 * 4)) < 1e-12);
  });

  it('reports STEP_LIMIT_EXCEEDED after maxSteps steps', () => {
    const s = new EulerSolver(1, decay, settings(1, 1e-4, { fixedStep: 0.01, maxStep: 1, maxSteps: 10 }));
    s.reset(0, new Float64Array([1]));
    assert.throws(
      () => integrate(s, 1),
      (e: unknown) => isGatewayError(e) && e.code === 'STEP_LIMIT_EXCEEDED',
    );
    assert.equal(s.stats.steps, 10);
  });

  it('fails clearly instead of returning NaN states when the derivative is not finite', () => {
    const s = new EulerSolver(
      1,
      (t, _x, dx) => {
        dx[0] = t > 0.55 ? NaN : 1;
      },
      settings(1, 1e-4, { fixedStep: 0.1, maxStep: 1 }),
    );
    s.reset(0, new Float64Array([0]));
    assert.throws(
      () => integrate(s, 1),
      (e: unknown) => isGatewayError(e) && e.code === 'SIMULATION_FAILED' && /0\.6/.test(e.message),
    );
    assert.ok(Number.isFinite(s.x[0]!), 'the state stays at the last good point');
  });

  it('rejects a missing step size', () => {
    assert.throws(
      () => new EulerSolver(1, decay, settings(1, 1e-4)),
      (e: unknown) => isGatewayError(e) && e.code === 'BAD_REQUEST',
    );
  });
});
