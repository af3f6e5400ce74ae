/**
 * Dense LU factorisation with partial pivoting, and the finite-difference Jacobian, for the
 * implicit solver. Matrices are row-major Float64Arrays of n·n entries, owned by the caller
 * (preallocated once) — these routines allocate nothing. Model Exchange FMUs rarely have more
 * than a few hundred states, so dense O(n³) factorisation is the simple, adequate choice.
 */
import type { OdeRhs } from './types.ts';

/**
 * Factorise a in place as P·a = L·U (unit lower L below the diagonal, U on and above it);
 * piv[k] is the row swapped with row k at step k. Returns false when a pivot is exactly zero
 * or not finite (singular matrix): the caller then shrinks its step.
 */
export function luFactor(a: Float64Array, n: number, piv: Int32Array): boolean {
  for (let k = 0; k < n; k++) {
    let p = k;
    let big = Math.abs(a[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]!);
      if (v > big) {
        big = v;
        p = i;
      }
    }
    piv[k] = p;
    if (!(big > 0) || !Number.isFinite(big)) return false;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const tmp = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = tmp;
      }
    }
    const inv = 1 / a[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const l = (a[i * n + k]! *= inv);
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j]! -= l * a[k * n + j]!;
    }
  }
  return true;
}

/** Solve (P·a = L·U) x = b in place (b becomes x), using luFactor's output. */
export function luSolve(a: Float64Array, n: number, piv: Int32Array, b: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = piv[k]!;
    if (p !== k) {
      const tmp = b[k]!;
      b[k] = b[p]!;
      b[p] = tmp;
    }
  }
  for (let i = 1; i < n; i++) {
    let s = b[i]!;
    for (let j = 0; j < i; j++) s -= a[i * n + j]! * b[j]!;
    b[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= a[i * n + j]! * b[j]!;
    b[i] = s / a[i * n + i]!;
  }
}

/**
 * Forward-difference Jacobian J[i][j] = ∂f_i/∂x_j at (t, x), given f0 = f(t, x).
 * The increment √eps · max(|x_j|, scale_j) (scale_j ≈ the state's nominal) balances truncation
 * and rounding error; `work` and `fw` are scratch vectors of length n. Costs n evaluations of f.
 */
export function numericalJacobian(
  f: OdeRhs,
  t: number,
  x: Float64Array,
  f0: Float64Array,
  scale: Float64Array,
  jac: Float64Array,
  work: Float64Array,
  fw: Float64Array,
): void {
  const n = x.length;
  const sq = Math.sqrt(Number.EPSILON);
  work.set(x);
  for (let j = 0; j < n; j++) {
    const xj = x[j]!;
    let d = sq * Math.max(Math.abs(xj), scale[j]!);
    if (xj < 0) d = -d;
    work[j] = xj + d;
    d = work[j]! - xj; // the increment actually represented
    f(t, work, fw);
    work[j] = xj;
    const inv = 1 / d;
    for (let i = 0; i < n; i++) jac[i * n + j] = (fw[i]! - f0[i]!) * inv;
  }
}
