/**
 * Test problems with known solutions, shared by the solver unit tests, and a driver loop
 * that integrates to a final time with the solver's own step control.
 */
import type { OdeRhs, OdeSolver, SolverSettings } from '../../../../src/engine/solvers/types.ts';

/** x' = −x, x(0) = 1 → x = e^{−t}. */
export const decay: OdeRhs = (_t, x, dx) => {
  dx[0] = -x[0]!;
};

/** x' = cos(t)·x, x(0) = 1 → x = exp(sin t): non-autonomous, smooth. */
export const expSin: OdeRhs = (t, x, dx) => {
  dx[0] = Math.cos(t) * x[0]!;
};

/** Harmonic oscillator x'' = −ω²x as [x, v]; x(0)=1, v(0)=0 → x = cos ωt, energy (v² + ω²x²)/2 constant. */
export const OMEGA = 2;
export const oscillator: OdeRhs = (_t, x, dx) => {
  dx[0] = x[1]!;
  dx[1] = -OMEGA * OMEGA * x[0]!;
};

/** Robertson's chemical kinetics (stiff): y(0) = [1, 0, 0]. */
export const robertson: OdeRhs = (_t, y, dy) => {
  const y1 = y[0]!,
    y2 = y[1]!,
    y3 = y[2]!;
  dy[0] = -0.04 * y1 + 1e4 * y2 * y3;
  dy[1] = 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2;
  dy[2] = 3e7 * y2 * y2;
};
/**
 * Reference at t = 40 (Hairer & Wanner, Solving ODEs II; the values every stiff-solver test
 * quotes, computed by an independent high-accuracy integration).
 */
export const ROBERTSON_T40 = [0.7158270687193135, 9.185534764557763e-6, 0.2841637457458581] as const;

export function settings(n: number, rtol: number, over: Partial<SolverSettings> = {}): SolverSettings {
  return { rtol, atol: new Float64Array(n).fill(rtol), maxStep: Infinity, maxSteps: 1_000_000, ...over };
}

/** Integrate to tEnd; returns the number of step() calls. */
export function integrate(solver: OdeSolver, tEnd: number): number {
  let calls = 0;
  while (solver.t < tEnd) {
    solver.step(tEnd);
    calls++;
  }
  return calls;
}
