/**
 * Dormand–Prince 5(4) ("DOPRI5"): explicit Runge–Kutta of order 5 with an embedded order-4
 * error estimate, FSAL (the last stage of a step is the first of the next, so 6 derivative
 * calls per accepted step), PI step-size control and the order-4 continuous extension for
 * dense output. Coefficients: Dormand & Prince (1980); dense output, PI controller and
 * starting-step heuristic: Hairer, Nørsett & Wanner, Solving ODEs I, §II.4–II.6.
 * The default non-stiff solver: accurate and cheap per step for the smooth models most FMUs are.
 */
import {
  checkSettings,
  minimumStep,
  newStats,
  stepLimitError,
  stepTooSmallError,
  weightedRms,
  type OdeRhs,
  type OdeSolver,
  type SolverSettings,
  type SolverStats,
} from './types.ts';
import { estimateInitialStep } from './initial-step.ts';

// Butcher tableau.
const C2 = 1 / 5,
  C3 = 3 / 10,
  C4 = 4 / 5,
  C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40,
  A32 = 9 / 40;
const A41 = 44 / 45,
  A42 = -56 / 15,
  A43 = 32 / 9;
const A51 = 19372 / 6561,
  A52 = -25360 / 2187,
  A53 = 64448 / 6561,
  A54 = -212 / 729;
const A61 = 9017 / 3168,
  A62 = -355 / 33,
  A63 = 46732 / 5247,
  A64 = 49 / 176,
  A65 = -5103 / 18656;
const A71 = 35 / 384,
  A73 = 500 / 1113,
  A74 = 125 / 192,
  A75 = -2187 / 6784,
  A76 = 11 / 84;
// Error weights: 5th-order minus 4th-order solution.
const E1 = 71 / 57600,
  E3 = -71 / 16695,
  E4 = 71 / 1920,
  E5 = -17253 / 339200,
  E6 = 22 / 525,
  E7 = -1 / 40;
// Continuous extension of order 4.
const D1 = -12715105075 / 11282082432,
  D3 = 87487479700 / 32700410799,
  D4 = -10690763975 / 1880347072;
const D5 = 701980252875 / 199316789632,
  D6 = -1453857185 / 822651844,
  D7 = 69997945 / 29380423;

// Step-size control (HNW II.4): safety factor, bounds of h_new / h, PI stabilisation β.
const SAFE = 0.9,
  FAC_MIN = 0.2,
  FAC_MAX = 10,
  BETA = 0.04;
const EXPO1 = 0.2 - BETA * 0.75;

export class Rk45Solver implements OdeSolver {
  readonly name = 'rk45 (built-in Dormand–Prince 5(4))';
  readonly n: number;
  readonly stats: SolverStats = newStats();
  t = 0;
  tPrev = 0;
  /** State at t; k1 holds f(t, x) (FSAL). */
  readonly x: Float64Array;
  private readonly xNew: Float64Array;
  private k1: Float64Array;
  private k7: Float64Array;
  private readonly k2: Float64Array;
  private readonly k3: Float64Array;
  private readonly k4: Float64Array;
  private readonly k5: Float64Array;
  private readonly k6: Float64Array;
  private readonly xs: Float64Array;
  private readonly errv: Float64Array;
  /** Dense output coefficients of the last step (HNW's rcont1..5). */
  private readonly r1: Float64Array;
  private readonly r2: Float64Array;
  private readonly r3: Float64Array;
  private readonly r4: Float64Array;
  private readonly r5: Float64Array;
  private readonly f: OdeRhs;
  private readonly s: SolverSettings;
  private atol: Float64Array;
  private hNext = 0;
  private hLast = 0;
  private facOld = 1e-4;
  private started = false;
  private lastRejected = false;

  constructor(n: number, f: OdeRhs, settings: SolverSettings) {
    checkSettings('rk45', n, settings);
    this.n = n;
    this.f = f;
    this.s = settings;
    this.atol = Float64Array.from(settings.atol);
    const v = (): Float64Array => new Float64Array(n);
    this.x = v();
    this.xNew = v();
    this.xs = v();
    this.errv = v();
    this.k1 = v();
    this.k2 = v();
    this.k3 = v();
    this.k4 = v();
    this.k5 = v();
    this.k6 = v();
    this.k7 = v();
    this.r1 = v();
    this.r2 = v();
    this.r3 = v();
    this.r4 = v();
    this.r5 = v();
  }

  reset(t: number, x: Float64Array): void {
    this.t = t;
    this.tPrev = t;
    this.x.set(x);
    this.r1.set(x);
    this.r2.fill(0);
    this.r3.fill(0);
    this.r4.fill(0);
    this.r5.fill(0);
    this.started = false;
    this.lastRejected = false;
    this.facOld = 1e-4;
  }

  setAbsoluteTolerance(atol: Float64Array): void {
    this.atol.set(atol);
  }

  private rhs(t: number, x: Float64Array, dx: Float64Array): void {
    this.f(t, x, dx);
    this.stats.rhsEvaluations++;
  }

  private initialStep(hMax: number): number {
    if (this.s.initialStep !== undefined) return Math.min(this.s.initialStep, hMax);
    this.stats.rhsEvaluations++;
    // Order 4: the error estimate's order, which sets how the error scales with h.
    return estimateInitialStep(this.f, this.t, this.x, this.k1, this.atol, this.s.rtol, 4, hMax, this.xs, this.k2);
  }

  step(tMax: number): number {
    const s = this.s;
    if (this.stats.steps >= s.maxSteps) throw stepLimitError('rk45', this.t, s.maxSteps);
    const n = this.n;
    const t = this.t;
    if (!this.started) {
      this.rhs(t, this.x, this.k1);
      this.hNext = this.initialStep(Math.min(s.maxStep, tMax - t));
      this.started = true;
    }
    const { x, xs, k1, k2, k3, k4, k5, k6, errv } = this;
    for (;;) {
      let h = Math.min(this.hNext, s.maxStep);
      const last = t + 1.01 * h >= tMax;
      if (last) h = tMax - t;
      const hMin = minimumStep(t, s);
      if (!(h >= hMin)) {
        throw stepTooSmallError('rk45', t, h, h > 0 ? 'error test failed repeatedly' : 'tMax is not after t');
      }
      for (let i = 0; i < n; i++) xs[i] = x[i]! + h * A21 * k1[i]!;
      this.rhs(t + C2 * h, xs, k2);
      for (let i = 0; i < n; i++) xs[i] = x[i]! + h * (A31 * k1[i]! + A32 * k2[i]!);
      this.rhs(t + C3 * h, xs, k3);
      for (let i = 0; i < n; i++) xs[i] = x[i]! + h * (A41 * k1[i]! + A42 * k2[i]! + A43 * k3[i]!);
      this.rhs(t + C4 * h, xs, k4);
      for (let i = 0; i < n; i++) {
        xs[i] = x[i]! + h * (A51 * k1[i]! + A52 * k2[i]! + A53 * k3[i]! + A54 * k4[i]!);
      }
      this.rhs(t + C5 * h, xs, k5);
      for (let i = 0; i < n; i++) {
        xs[i] = x[i]! + h * (A61 * k1[i]! + A62 * k2[i]! + A63 * k3[i]! + A64 * k4[i]! + A65 * k5[i]!);
      }
      const tNew = last ? tMax : t + h;
      this.rhs(tNew, xs, k6);
      const xNew = this.xNew;
      for (let i = 0; i < n; i++) {
        xNew[i] = x[i]! + h * (A71 * k1[i]! + A73 * k3[i]! + A74 * k4[i]! + A75 * k5[i]! + A76 * k6[i]!);
      }
      const k7 = this.k7;
      this.rhs(tNew, xNew, k7);
      for (let i = 0; i < n; i++) {
        errv[i] = h * (E1 * k1[i]! + E3 * k3[i]! + E4 * k4[i]! + E5 * k5[i]! + E6 * k6[i]! + E7 * k7[i]!);
      }
      const err = weightedRms(errv, x, xNew, this.atol, s.rtol);
      if (!Number.isFinite(err)) {
        // Non-finite derivatives inside the step: shrink hard and retry (ends in stepTooSmall if it persists).
        this.hNext = h * 0.25;
        this.lastRejected = true;
        this.stats.rejectedSteps++;
        continue;
      }
      const fac11 = err ** EXPO1;
      // PI control: the previous step's error damps oscillations of h.
      const fac = Math.max(1 / FAC_MAX, Math.min(1 / FAC_MIN, fac11 / this.facOld ** BETA / SAFE));
      if (err <= 1) {
        this.facOld = Math.max(err, 1e-4);
        let hNew = h / fac;
        if (this.lastRejected) hNew = Math.min(hNew, h);
        // A step shortened only to land on tMax must not shrink the next one.
        if (last) hNew = Math.max(hNew, Math.min(this.hNext, s.maxStep));
        this.hNext = hNew;
        this.lastRejected = false;
        this.storeDense(h);
        this.tPrev = t;
        this.t = tNew;
        this.hLast = tNew - t;
        // x keeps its identity (the driver relies on it); k1 ← k7 by swapping (FSAL).
        x.set(xNew);
        this.k1 = k7;
        this.k7 = k1;
        this.stats.steps++;
        return tNew;
      }
      this.hNext = h / Math.min(1 / FAC_MIN, fac11 / SAFE);
      this.lastRejected = true;
      this.stats.rejectedSteps++;
    }
  }

  private storeDense(h: number): void {
    const { n, x, xNew, k1, k3, k4, k5, k6, k7, r1, r2, r3, r4, r5 } = this;
    for (let i = 0; i < n; i++) {
      const dy = xNew[i]! - x[i]!;
      const bspl = h * k1[i]! - dy;
      r1[i] = x[i]!;
      r2[i] = dy;
      r3[i] = bspl;
      r4[i] = dy - h * k7[i]! - bspl;
      r5[i] = h * (D1 * k1[i]! + D3 * k3[i]! + D4 * k4[i]! + D5 * k5[i]! + D6 * k6[i]! + D7 * k7[i]!);
    }
  }

  interpolate(tq: number, out: Float64Array): void {
    const { n, r1, r2, r3, r4, r5 } = this;
    const th = this.hLast > 0 ? (tq - this.tPrev) / this.hLast : 1;
    const th1 = 1 - th;
    for (let i = 0; i < n; i++) {
      out[i] = r1[i]! + th * (r2[i]! + th1 * (r3[i]! + th * (r4[i]! + th1 * r5[i]!)));
    }
  }
}
