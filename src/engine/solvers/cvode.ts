/**
 * solver "cvode": SUNDIALS CVODE (variable-order BDF 1-5 with Newton iteration and a dense
 * difference-quotient Jacobian) behind the OdeSolver contract, when the library is installed
 * (src/fmi/cvode.ts binds it). One CVODE step per step() call (CV_ONE_STEP with the stop time at
 * tMax, so time events and the stop time are hit exactly), dense output through CVodeGetDky,
 * a restart through CVodeReInit after every event.
 *
 * Counting: CVODE's counters restart with every CVodeReInit, so the totals of finished segments
 * are kept here; the step budget (maxSteps) is checked on our own count, without a native call.
 */
import { GatewayError } from '../../errors.ts';
import { CV_TSTOP_RETURN, cvodeAvailability, cvodeFlagName, CvodeSession, type CvodeCounters } from '../../fmi/cvode.ts';
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

export function cvodeAvailable(): boolean {
  return cvodeAvailability().available;
}

export class CvodeSolver implements OdeSolver {
  readonly name = 'cvode (SUNDIALS CVODE, BDF 1-5, Newton, dense Jacobian)';
  readonly n: number;
  readonly x: Float64Array;
  t = 0;
  tPrev = 0;
  private readonly session: CvodeSession;
  private readonly s: SolverSettings;
  private readonly totals: SolverStats = newStats();
  private readonly current: CvodeCounters = {
    steps: 0,
    rhsEvaluations: 0,
    errorTestFailures: 0,
    convergenceFailures: 0,
    linearSetups: 0,
    jacobianEvaluations: 0,
  };
  private readonly reported: SolverStats = newStats();
  private stepsTaken = 0;
  private started = false;
  private disposed = false;

  constructor(n: number, f: OdeRhs, settings: SolverSettings) {
    checkSettings('cvode', n, settings);
    this.n = n;
    this.s = settings;
    this.session = new CvodeSession(n, f);
    this.x = this.session.y;
  }

  /** Totals over every segment (CVODE's own counters restart at each reset). */
  get stats(): SolverStats {
    const r = this.reported;
    const c = this.started ? this.session.counters(this.current) : this.current;
    r.steps = this.totals.steps + c.steps;
    r.rejectedSteps = this.totals.rejectedSteps + c.errorTestFailures + c.convergenceFailures;
    r.rhsEvaluations = this.totals.rhsEvaluations + c.rhsEvaluations;
    r.jacobianEvaluations = this.totals.jacobianEvaluations + c.jacobianEvaluations;
    r.luDecompositions = this.totals.luDecompositions + c.linearSetups;
    return r;
  }

  reset(t: number, x: Float64Array): void {
    if (this.disposed) throw new GatewayError('INTERNAL', 'cvode: reset() after dispose().');
    if (this.started) {
      const totals = this.stats; // fold the finished segment into the totals
      Object.assign(this.totals, totals);
    }
    this.session.start(t, x, this.s.rtol, this.s.atol);
    if (!this.started) this.session.setStepBounds(this.s.maxStep, this.s.minStep ?? 0, this.s.initialStep ?? 0);
    this.started = true;
    this.t = t;
    this.tPrev = t;
  }

  setAbsoluteTolerance(atol: Float64Array): void {
    this.s.atol.set(atol);
    if (this.started) this.session.setTolerances(this.s.rtol, atol);
  }

  step(tMax: number): number {
    if (!this.started) throw new GatewayError('INTERNAL', 'cvode: step() before reset().');
    if (this.stepsTaken >= this.s.maxSteps) throw stepLimitError('cvode', this.t, this.s.maxSteps);
    const flag = this.session.step(tMax);
    const failure = this.session.takeFailure();
    if (failure !== undefined) throw failure; // the FMU's own error (e.g. a failed fmi2GetDerivatives)
    if (flag < 0) {
      throw new GatewayError(
        'SIMULATION_FAILED',
        `The cvode solver could not continue at t = ${this.t}: ${cvodeFlagName(flag)}${this.session.lastMessage ? ` (${this.session.lastMessage})` : ''}. ` +
          'The model may have a discontinuity without an event indicator or produce non-finite derivatives: try a looser tolerance or solver "bdf".',
        { solver: 'cvode', time: this.t, flag: cvodeFlagName(flag) },
      );
    }
    this.stepsTaken++;
    const reachedAt = this.session.tret[0] as number;
    // CVODE has no lower bound on h by default: creeping towards a point where the model cannot be
    // evaluated (every step across it fails) would take steps of vanishing size for ever.
    if (reachedAt < tMax && reachedAt - this.t <= minimumStep(reachedAt, this.s)) {
      throw stepTooSmallError('cvode', reachedAt, reachedAt - this.t, 'CVODE kept shrinking its step');
    }
    this.tPrev = this.t;
    // With the stop time set CVODE lands on tMax itself; report it exactly, as the contract asks.
    this.t = flag === CV_TSTOP_RETURN || reachedAt >= tMax ? tMax : reachedAt;
    return this.t;
  }

  interpolate(tq: number, out: Float64Array): void {
    if (tq === this.t) {
      out.set(this.x);
      return;
    }
    this.session.interpolate(tq, out);
  }

  /** Frees CVODE's native memory now instead of at garbage collection. */
  dispose(): void {
    if (this.disposed) return;
    // Keep the counts readable afterwards (the driver reports them after freeing the solver).
    if (this.started) Object.assign(this.totals, this.stats);
    for (const k of Object.keys(this.current) as (keyof CvodeCounters)[]) this.current[k] = 0;
    this.started = false;
    this.disposed = true;
    this.session.dispose();
  }
}
