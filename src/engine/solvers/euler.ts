/**
 * Explicit (forward) Euler with a fixed step. First order, no error control: it exists
 * because it is what many FMU users expect as a baseline, and because it is the cheapest
 * possible host loop (one derivative call per step), which the benchmark measures.
 * Dense output is the linear interpolant, which is exactly Euler's own trajectory.
 *
 * Textbook exactly: x_{n+1} = x_n + h·f(t_n, x_n) with the constant h, on the time grid
 * t_n = t0 + n·h (t0: the last reset). Accumulating t += h instead drifts off that grid by
 * rounding (≈1e-9 s after a million steps of 0.01), and output rows on the grid then come
 * from the dense output a sliver inside a step: values off the plain loop's by up to ~1e-6.
 * Only a step cut short by tMax (stop time, time event, input jump) uses tMax − t_n.
 */
import { GatewayError } from '../../errors.ts';
import {
  checkSettings,
  minimumStep,
  newStats,
  stepLimitError,
  stepTooSmallError,
  type OdeRhs,
  type OdeSolver,
  type SolverSettings,
  type SolverStats,
} from './types.ts';

export class EulerSolver implements OdeSolver {
  readonly name: string;
  readonly n: number;
  readonly x: Float64Array;
  readonly stats: SolverStats = newStats();
  t = 0;
  tPrev = 0;
  private readonly f: OdeRhs;
  private readonly settings: SolverSettings;
  private readonly h: number;
  private readonly xPrev: Float64Array;
  private readonly dx: Float64Array;
  /** The grid: t_n = t0 + n·h since the last reset. */
  private t0 = 0;
  private n0 = 0;

  constructor(n: number, f: OdeRhs, settings: SolverSettings) {
    checkSettings('euler', n, settings);
    this.n = n;
    this.f = f;
    this.settings = settings;
    this.h = Math.min(settings.fixedStep ?? settings.maxStep, settings.maxStep);
    if (!Number.isFinite(this.h)) {
      throw new GatewayError('BAD_REQUEST', 'The euler solver needs a fixed step (fixed_step) or a finite max step.');
    }
    this.name = `euler (built-in, fixed step ${this.h})`;
    this.x = new Float64Array(n);
    this.xPrev = new Float64Array(n);
    this.dx = new Float64Array(n);
  }

  reset(t: number, x: Float64Array): void {
    this.t = t;
    this.tPrev = t;
    this.t0 = t;
    this.n0 = 0;
    this.x.set(x);
    this.xPrev.set(x);
  }

  setAbsoluteTolerance(_atol: Float64Array): void {
    // Fixed step: tolerances do not apply.
  }

  step(tMax: number): number {
    if (this.stats.steps >= this.settings.maxSteps) throw stepLimitError('euler', this.t, this.settings.maxSteps);
    const t = this.t;
    let h = this.h;
    const tGrid = this.t0 + (this.n0 + 1) * h;
    // Snap to tMax when the remainder is a sliver, so no ulp-sized step follows. A tMax on the
    // grid (up to rounding) keeps the full h, as the plain loop does; only a shorter remainder
    // (an event or the stop time between grid points) shortens the step.
    const last = tGrid + h * 1e-9 >= tMax;
    if (last && tMax - t < h * (1 - 1e-9)) h = tMax - t;
    if (!(h >= minimumStep(t, this.settings)) || !(tMax > t)) throw stepTooSmallError('euler', t, h, 'tMax is not after t');
    const x = this.x;
    const dx = this.dx;
    this.f(t, x, dx);
    this.stats.rhsEvaluations++;
    // No error control to reject the step: a non-finite derivative (or an FMU's Discard, which
    // the binding reports as NaN) would silently turn every later state into NaN.
    for (let i = 0; i < this.n; i++) {
      if (!Number.isFinite(dx[i]!)) {
        throw new GatewayError(
          'SIMULATION_FAILED',
          `The euler solver got a non-finite derivative (${dx[i]}) of state ${i} at t = ${t}: the model diverged or could not be evaluated there (FMU Discard). ` +
            'Try a smaller fixed_step, or rk45 / bdf, which shorten their steps where the model cannot be evaluated.',
          { solver: 'euler', time: t, state: i },
        );
      }
    }
    const xPrev = this.xPrev;
    for (let i = 0; i < this.n; i++) {
      xPrev[i] = x[i]!;
      x[i]! += h * dx[i]!;
    }
    this.tPrev = t;
    this.t = last ? tMax : tGrid;
    this.n0++;
    this.stats.steps++;
    return this.t;
  }

  /** The grid origin t0 (last reset) and the whole steps taken since: t_n = t0 + n·h. */
  get gridOrigin(): number {
    return this.t0;
  }
  get gridSteps(): number {
    return this.n0;
  }
  get stepSize(): number {
    return this.h;
  }
  /** Steps left before the step limit. */
  get stepsLeft(): number {
    return this.settings.maxSteps - this.stats.steps;
  }

  /**
   * Takes over `steps` whole grid steps a host loop made with this method (the native chunk loop,
   * src/fmi/stepper.ts): the state at t and at the last step's start, and the grid count.
   */
  adopt(steps: number, t: number, tPrev: number, n0: number, x: Float64Array, xPrev: Float64Array): void {
    this.x.set(x);
    this.xPrev.set(xPrev);
    this.t = t;
    this.tPrev = tPrev;
    this.n0 = n0;
    this.stats.steps += steps;
    this.stats.rhsEvaluations += steps;
  }

  interpolate(tq: number, out: Float64Array): void {
    const span = this.t - this.tPrev;
    const s = span > 0 ? (tq - this.tPrev) / span : 1;
    for (let i = 0; i < this.n; i++) out[i] = this.xPrev[i]! + s * (this.x[i]! - this.xPrev[i]!);
  }
}
