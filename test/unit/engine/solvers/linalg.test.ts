import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { luFactor, luSolve, numericalJacobian } from '../../../../src/engine/solvers/linalg.ts';
import { robertson } from './problems.ts';

describe('linalg', () => {
  it('solves a system that needs pivoting', () => {
    // Zero leading pivot: fails without row exchanges.
    const a = new Float64Array([0, 2, 1, 1, 1, 1, 2, 1, 3]);
    const x = [1.5, -2, 0.25];
    const b = new Float64Array(3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) b[i]! += a[i * 3 + j]! * x[j]!;
    const piv = new Int32Array(3);
    assert.equal(luFactor(a, 3, piv), true);
    luSolve(a, 3, piv, b);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(b[i]! - x[i]!) < 1e-14);
  });

  it('reports a singular matrix', () => {
    const a = new Float64Array([1, 2, 2, 4]);
    assert.equal(luFactor(a, 2, new Int32Array(2)), false);
  });

  it('finite-difference Jacobian matches the analytic one', () => {
    const y = new Float64Array([0.9, 2e-5, 0.1]);
    const f0 = new Float64Array(3);
    robertson(0, y, f0);
    const jac = new Float64Array(9);
    numericalJacobian(robertson, 0, y, f0, new Float64Array([1, 1e-4, 1]), jac, new Float64Array(3), new Float64Array(3));
    const [, y2, y3] = [y[0]!, y[1]!, y[2]!];
    const exact = [-0.04, 1e4 * y3, 1e4 * y2, 0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2, 0, 6e7 * y2, 0];
    for (let i = 0; i < 9; i++) {
      assert.ok(Math.abs(jac[i]! - exact[i]!) <= 1e-6 * Math.max(1, Math.abs(exact[i]!)), `J[${i}] ${jac[i]} vs ${exact[i]}`);
    }
  });
});
