/**
 * Starting step size after a (re)start, for a method of the given order: the heuristic of
 * Hairer, Nørsett & Wanner (Solving ODEs I, §II.4): a first guess from ‖x‖/‖f‖, then a
 * correction from a finite-difference estimate of the second derivative. Costs one f call.
 */
import type { OdeRhs } from './types.ts';

export function estimateInitialStep(
  f: OdeRhs,
  t: number,
  x: Float64Array,
  f0: Float64Array,
  atol: Float64Array,
  rtol: number,
  order: number,
  hMax: number,
  work: Float64Array,
  fWork: Float64Array,
): number {
  const n = x.length;
  if (n === 0) return hMax;
  let dnf = 0,
    dny = 0;
  for (let i = 0; i < n; i++) {
    const sk = atol[i]! + rtol * Math.abs(x[i]!);
    dnf += (f0[i]! / sk) ** 2;
    dny += (x[i]! / sk) ** 2;
  }
  dnf = Math.sqrt(dnf / n);
  dny = Math.sqrt(dny / n);
  let h = dnf <= 1e-5 || dny <= 1e-5 ? 1e-6 : 0.01 * (dny / dnf);
  h = Math.min(h, hMax);
  for (let i = 0; i < n; i++) work[i] = x[i]! + h * f0[i]!;
  f(t + h, work, fWork);
  let der2 = 0;
  for (let i = 0; i < n; i++) {
    const sk = atol[i]! + rtol * Math.abs(x[i]!);
    der2 += ((fWork[i]! - f0[i]!) / sk) ** 2;
  }
  der2 = Math.sqrt(der2 / n) / h;
  const der12 = Math.max(der2, dnf);
  const h1 = !(der12 > 1e-15) ? Math.max(1e-6, h * 1e-3) : (0.01 / der12) ** (1 / (order + 1));
  const result = Math.min(100 * h, h1, hMax);
  // Non-finite derivatives make every estimate NaN; fall back to a small step the controller can grow.
  return Number.isFinite(result) && result > 0 ? result : Math.min(1e-6, hMax);
}
