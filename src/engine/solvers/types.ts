/**
 * The contract between the Model Exchange driver and the ODE solvers.
 *
 * A solver owns its state vector and integrates x' = f(t, x) one step at a time:
 * the driver calls `step(tMax)` (never past tMax: time events and the stop time are hit
 * exactly), then reads the solution anywhere in the last step through `interpolate`
 * (output-grid points, event location), and calls `reset` after every event because
 * the FMU may have changed the states discontinuously.
 *
 * Hot path: `step` and `interpolate` allocate nothing; every work vector is created in the
 * constructor. `f` writes into the array it is given.
 */
import { GatewayError } from '../../errors.ts';

/** Right-hand side: write dx/dt at (t, x) into dx. Must not keep references to x or dx. */
export type OdeRhs = (t: number, x: Float64Array, dx: Float64Array) => void;

export interface SolverSettings {
  /** Relative tolerance (default 1e-4). */
  rtol: number;
  /** Absolute tolerance per state (length n); the driver passes rtol · nominal. */
  atol: Float64Array;
  /** Largest step (default Infinity). */
  maxStep: number;
  /** Total accepted steps over the solver's lifetime (across resets) before STEP_LIMIT_EXCEEDED. */
  maxSteps: number;
  /** Euler only: the fixed step. */
  fixedStep?: number;
  /** Smallest step accepted before giving up (default: a few ulps of t). */
  minStep?: number;
  /** First step after a (re)start; default: estimated from f. */
  initialStep?: number;
}

export interface SolverStats {
  steps: number;
  rejectedSteps: number;
  rhsEvaluations: number;
  jacobianEvaluations: number;
  luDecompositions: number;
}

export interface OdeSolver {
  /** For provenance, e.g. 'rk45 (built-in Dormand–Prince 5(4))'. */
  readonly name: string;
  readonly n: number;
  /** Time reached by the last accepted step (or the reset time). */
  readonly t: number;
  /** Start of the last accepted step; interpolate() is valid on [tPrev, t]. */
  readonly tPrev: number;
  /** State at t. Read-only for callers; its identity never changes. */
  readonly x: Float64Array;
  readonly stats: SolverStats;
  /** Restart at (t, x), e.g. after an event; forgets the step history (not the stats). */
  reset(t: number, x: Float64Array): void;
  /** Replace the absolute tolerances (the FMU's nominals changed). Takes effect at the next step. */
  setAbsoluteTolerance(atol: Float64Array): void;
  /** Take one accepted step towards tMax (> t) and return the time reached (≤ tMax; === tMax when reached). */
  step(tMax: number): number;
  /** Dense output over the last step: the state at time tq ∈ [tPrev, t] into out. */
  interpolate(tq: number, out: Float64Array): void;
  /** A note for the run's warnings (e.g. another solver ran than the one requested). */
  readonly warning?: string;
  /** Frees native resources (CVODE) now rather than at garbage collection. */
  dispose?(): void;
}

export function newStats(): SolverStats {
  return { steps: 0, rejectedSteps: 0, rhsEvaluations: 0, jacobianEvaluations: 0, luDecompositions: 0 };
}

/** Root-mean-square of v[i] / (atol[i] + rtol·max(|a[i]|, |b[i]|)): the usual error norm. */
export function weightedRms(v: Float64Array, a: Float64Array, b: Float64Array, atol: Float64Array, rtol: number): number {
  const n = v.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const sc = atol[i]! + rtol * Math.max(Math.abs(a[i]!), Math.abs(b[i]!));
    const q = v[i]! / sc;
    sum += q * q;
  }
  return Math.sqrt(sum / n);
}

/**
 * Smallest step a solver may take at time t: below a few ulps of t the step no longer
 * changes t, so going on would loop for ever.
 */
export function minimumStep(t: number, settings: SolverSettings): number {
  return Math.max(settings.minStep ?? 0, 16 * Number.EPSILON * Math.abs(t), Number.MIN_VALUE);
}

export function stepLimitError(solver: string, t: number, maxSteps: number): GatewayError {
  return new GatewayError(
    'STEP_LIMIT_EXCEEDED',
    `The ${solver} solver reached its limit of ${maxSteps} steps at t = ${t}. ` +
      (solver.startsWith('bdf')
        ? 'The tolerance may be too tight for this model, or it chatters: loosen the tolerance or raise max_steps.'
        : 'The model is probably stiff (or the tolerance very tight): use solver "bdf", loosen the tolerance, or raise max_steps.'),
    { solver, timeReached: t, maxSteps },
  );
}

export function stepTooSmallError(solver: string, t: number, h: number, why: string): GatewayError {
  return new GatewayError(
    'SIMULATION_FAILED',
    `The ${solver} solver could not continue at t = ${t}: the step size fell to ${h} (${why}). ` +
      'The model may have a discontinuity without an event indicator, produce non-finite ' +
      (solver.startsWith('bdf')
        ? 'derivatives: try a looser tolerance.'
        : 'derivatives, or be too stiff for this solver: try solver "bdf" or a looser tolerance.'),
    { solver, time: t, stepSize: h },
  );
}

/** Checks shared by every solver constructor (the driver validates user input before this). */
export function checkSettings(solver: string, n: number, s: SolverSettings): void {
  const bad = (what: string): never => {
    throw new GatewayError('BAD_REQUEST', `Invalid ${solver} solver setting: ${what}.`);
  };
  if (!(s.rtol > 0 && s.rtol < 1)) bad(`tolerance must be in (0, 1), got ${s.rtol}`);
  if (s.atol.length !== n) bad(`atol has ${s.atol.length} entries for ${n} states`);
  for (let i = 0; i < n; i++) if (!(s.atol[i]! > 0)) bad(`atol[${i}] must be > 0, got ${s.atol[i]}`);
  if (!(s.maxStep > 0)) bad(`max step must be > 0, got ${s.maxStep}`);
  if (!(s.maxSteps >= 1)) bad(`max steps must be ≥ 1, got ${s.maxSteps}`);
  if (s.fixedStep !== undefined && !(s.fixedStep > 0 && Number.isFinite(s.fixedStep))) {
    bad(`fixed step must be a positive number, got ${s.fixedStep}`);
  }
}
