/**
 * Variable-order (1–5), variable-step BDF for stiff models, in the quasi-constant-step
 * backward-difference form of Shampine & Reichelt ("The MATLAB ODE Suite", 1997): the history
 * is a table D of backward differences; a step-size change re-expresses the same interpolating
 * polynomial on the new grid (matrices R·U), so D doubles as the dense output.
 *
 * Why BDF rather than a Rosenbrock method: BDF needs the Jacobian only to converge Newton's
 * iteration, not for its order, so one finite-difference Jacobian (n derivative calls, the
 * dominant cost for an FMU) can serve many steps. Strategy: J is kept until Newton fails to
 * converge with it, then re-evaluated at the current point; the LU of (I − c·J) is redone only
 * when c = h/α_k changes. A Rosenbrock method would need a fresh Jacobian every step.
 */
import { GatewayError } from '../../errors.ts';
import { estimateInitialStep } from './initial-step.ts';
import { luFactor, luSolve, numericalJacobian } from './linalg.ts';
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

const MAX_ORDER = 5;
const NEWTON_MAXITER = 4;
const MIN_FACTOR = 0.2;
const MAX_FACTOR = 10;
const SZ = MAX_ORDER + 1; // stride of the small R/U matrices
/** γ_k = Σ_{j≤k} 1/j; for BDF α_k = γ_k and the error constant is 1/(k+1). */
const GAMMA = [0, 1, 1.5, 11 / 6, 25 / 12, 137 / 60, 49 / 20];
const ERROR_CONST = [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7];

export class BdfSolver implements OdeSolver {
  readonly name = 'bdf (built-in variable-order BDF 1-5)';
  readonly n: number;
  readonly stats: SolverStats = newStats();
  readonly x: Float64Array;
  t = 0;
  tPrev = 0;
  private readonly f: OdeRhs;
  private readonly s: SolverSettings;
  private readonly atol: Float64Array;
  private readonly jacScale: Float64Array;
  /** Backward differences, row i (0..MAX_ORDER+2) at offset i·n. */
  private readonly D: Float64Array;
  private readonly Dtmp: Float64Array;
  private readonly J: Float64Array;
  private readonly LU: Float64Array;
  private readonly piv: Int32Array;
  private readonly R: Float64Array = new Float64Array(SZ * SZ);
  private readonly U: Float64Array = new Float64Array(SZ * SZ);
  private readonly RU: Float64Array = new Float64Array(SZ * SZ);
  private readonly yPred: Float64Array;
  private readonly yNew: Float64Array;
  private readonly psi: Float64Array;
  private readonly scale: Float64Array;
  private readonly d: Float64Array;
  private readonly dy: Float64Array;
  private readonly fv: Float64Array;
  private readonly work: Float64Array;
  private readonly fw: Float64Array;
  private h = 0;
  private order = 1;
  private nEqualSteps = 0;
  private started = false;
  private haveJac = false;
  /** J was evaluated at the current point (re-evaluating would not help Newton). */
  private jacCurrent = false;
  private luC = NaN;
  private newtonIters = 0;

  constructor(n: number, f: OdeRhs, settings: SolverSettings) {
    checkSettings('bdf', n, settings);
    this.n = n;
    this.f = f;
    this.s = settings;
    this.atol = Float64Array.from(settings.atol);
    this.jacScale = new Float64Array(n);
    this.updateJacScale();
    const v = (): Float64Array => new Float64Array(n);
    this.x = v();
    this.yPred = v();
    this.yNew = v();
    this.psi = v();
    this.scale = v();
    this.d = v();
    this.dy = v();
    this.fv = v();
    this.work = v();
    this.fw = v();
    this.D = new Float64Array((MAX_ORDER + 3) * n);
    this.Dtmp = new Float64Array((MAX_ORDER + 1) * n);
    this.J = new Float64Array(n * n);
    this.LU = new Float64Array(n * n);
    this.piv = new Int32Array(n);
  }

  private updateJacScale(): void {
    // atol = rtol·nominal, so atol/rtol recovers the nominal: the natural perturbation size.
    for (let i = 0; i < this.n; i++) this.jacScale[i] = this.atol[i]! / this.s.rtol;
  }

  reset(t: number, x: Float64Array): void {
    this.t = t;
    this.tPrev = t;
    this.x.set(x);
    this.started = false;
    // J from before the event is kept (the model is usually the same); Newton failure renews it.
    this.jacCurrent = false;
  }

  setAbsoluteTolerance(atol: Float64Array): void {
    this.atol.set(atol);
    this.updateJacScale();
  }

  private rhs(t: number, x: Float64Array, dx: Float64Array): void {
    this.f(t, x, dx);
    this.stats.rhsEvaluations++;
  }

  private start(tMax: number): void {
    const { n, D, x, fv } = this;
    this.rhs(this.t, x, fv);
    const hMax = Math.min(this.s.maxStep, tMax - this.t);
    let h = this.s.initialStep;
    if (h === undefined) {
      this.stats.rhsEvaluations++;
      h = estimateInitialStep(this.f, this.t, x, fv, this.atol, this.s.rtol, 1, hMax, this.work, this.fw);
    }
    this.h = Math.min(h, hMax);
    D.fill(0);
    for (let i = 0; i < n; i++) {
      D[i] = x[i]!;
      D[n + i] = this.h * fv[i]!;
    }
    this.order = 1;
    this.nEqualSteps = 0;
    this.luC = NaN;
    this.started = true;
  }

  private evaluateJacobian(t: number, x: Float64Array, fx: Float64Array): void {
    numericalJacobian(this.f, t, x, fx, this.jacScale, this.J, this.work, this.fw);
    this.stats.rhsEvaluations += this.n;
    this.stats.jacobianEvaluations++;
    this.haveJac = true;
    this.jacCurrent = true;
    this.luC = NaN;
  }

  private jacobianFinite(): boolean {
    const J = this.J;
    for (let i = 0; i < J.length; i++) if (!Number.isFinite(J[i]!)) return false;
    return true;
  }

  /** R(order, factor) of Shampine & Reichelt, into out (stride SZ). */
  private computeR(factor: number, out: Float64Array): void {
    const k = this.order;
    for (let j = 0; j <= k; j++) out[j] = 1;
    for (let i = 1; i <= k; i++) {
      out[i * SZ] = 0;
      for (let j = 1; j <= k; j++) out[i * SZ + j] = out[(i - 1) * SZ + j]! * ((i - 1 - factor * j) / i);
    }
  }

  /** Rescale the history for h ← factor·h: D[0..k] ← (R·U)ᵀ D[0..k]. */
  private rescale(factor: number): void {
    const { n, D, Dtmp, R, U, RU } = this;
    const k = this.order;
    this.computeR(factor, R);
    this.computeR(1, U);
    for (let i = 0; i <= k; i++) {
      for (let j = 0; j <= k; j++) {
        let s = 0;
        for (let m = 0; m <= k; m++) s += R[i * SZ + m]! * U[m * SZ + j]!;
        RU[i * SZ + j] = s;
      }
    }
    Dtmp.set(D.subarray(0, (k + 1) * n));
    for (let i = 0; i <= k; i++) {
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let m = 0; m <= k; m++) s += RU[m * SZ + i]! * Dtmp[m * n + c]!;
        D[i * n + c] = s;
      }
    }
    this.h *= factor;
    this.nEqualSteps = 0;
  }

  /** Simplified Newton on c·f(tNew, y) − ψ − d = 0 with d = y − yPred. */
  private newton(tNew: number, c: number, tol: number): boolean {
    const { n, yNew, yPred, d, dy, fv, psi, scale } = this;
    d.fill(0);
    yNew.set(yPred);
    let dyNormOld = -1;
    for (let k = 0; k < NEWTON_MAXITER; k++) {
      this.rhs(tNew, yNew, fv);
      let finite = true;
      for (let i = 0; i < n; i++) {
        const v = c * fv[i]! - psi[i]! - d[i]!;
        if (!Number.isFinite(v)) finite = false;
        dy[i] = v;
      }
      if (!finite) return false;
      luSolve(this.LU, n, this.piv, dy);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const q = dy[i]! / scale[i]!;
        sum += q * q;
      }
      const dyNorm = Math.sqrt(sum / n);
      const rate = dyNormOld < 0 ? NaN : dyNorm / dyNormOld;
      if (rate >= 1 || (rate ** (NEWTON_MAXITER - k) / (1 - rate)) * dyNorm > tol) return false;
      for (let i = 0; i < n; i++) {
        yNew[i]! += dy[i]!;
        d[i]! += dy[i]!;
      }
      if (dyNorm === 0 || (rate / (1 - rate)) * dyNorm < tol) {
        this.newtonIters = k + 1;
        return true;
      }
      dyNormOld = dyNorm;
    }
    return false;
  }

  private scaledNorm(row: Float64Array, offset: number, factor: number): number {
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      const q = (factor * row[offset + i]!) / this.scale[i]!;
      sum += q * q;
    }
    return Math.sqrt(sum / this.n);
  }

  step(tMax: number): number {
    const s = this.s;
    if (this.stats.steps >= s.maxSteps) throw stepLimitError('bdf', this.t, s.maxSteps);
    if (!(tMax > this.t)) throw stepTooSmallError('bdf', this.t, tMax - this.t, 'tMax is not after t');
    if (!this.started) this.start(tMax);
    const { n, D, yPred, yNew, psi, scale, d } = this;
    const t = this.t;
    const rtol = s.rtol;
    const newtonTol = Math.max((10 * Number.EPSILON) / rtol, Math.min(0.03, Math.sqrt(rtol)));
    if (this.h > s.maxStep) this.rescale(s.maxStep / this.h);
    for (;;) {
      const last = t + 1.01 * this.h >= tMax;
      if (last && this.h !== tMax - t) this.rescale((tMax - t) / this.h);
      const h = this.h;
      if (!(h >= minimumStep(t, s))) throw stepTooSmallError('bdf', t, h, 'error test or Newton iteration failed repeatedly');
      const tNew = last ? tMax : t + h;
      const k = this.order;
      const alpha = GAMMA[k]!;
      for (let i = 0; i < n; i++) {
        let yp = 0;
        for (let j = 0; j <= k; j++) yp += D[j * n + i]!;
        yPred[i] = yp;
        let ps = 0;
        for (let j = 1; j <= k; j++) ps += GAMMA[j]! * D[j * n + i]!;
        psi[i] = ps / alpha;
        scale[i] = this.atol[i]! + rtol * Math.abs(yp);
      }
      const c = h / alpha;
      let converged = false;
      for (;;) {
        if (!this.haveJac) {
          this.rhs(t, this.x, this.fv);
          this.evaluateJacobian(t, this.x, this.fv);
        }
        let factored = true;
        if (this.luC !== c) {
          const { J, LU } = this;
          for (let i = 0; i < n * n; i++) LU[i] = -c * J[i]!;
          for (let i = 0; i < n; i++) LU[i * n + i]! += 1;
          factored = luFactor(LU, n, this.piv);
          this.stats.luDecompositions++;
          this.luC = factored ? c : NaN;
        }
        if (factored) converged = this.newton(tNew, c, newtonTol);
        if (converged || this.jacCurrent) break;
        this.rhs(tNew, yPred, this.fv);
        this.evaluateJacobian(tNew, yPred, this.fv);
        // The predictor may lie where the model cannot be evaluated (non-finite f, an FMU's
        // Discard): that J would poison every smaller retry of this step, so take it at the
        // last accepted point instead.
        if (!this.jacobianFinite()) {
          this.rhs(t, this.x, this.fv);
          this.evaluateJacobian(t, this.x, this.fv);
        }
      }
      if (!converged) {
        this.rescale(0.5);
        this.stats.rejectedSteps++;
        continue;
      }
      const safety = (0.9 * (2 * NEWTON_MAXITER + 1)) / (2 * NEWTON_MAXITER + this.newtonIters);
      for (let i = 0; i < n; i++) scale[i] = this.atol[i]! + rtol * Math.abs(yNew[i]!);
      const errNorm = this.scaledNorm(d, 0, ERROR_CONST[k]!);
      if (!(errNorm <= 1)) {
        const factor = Number.isFinite(errNorm) ? Math.max(MIN_FACTOR, safety * errNorm ** (-1 / (k + 1))) : MIN_FACTOR;
        this.rescale(factor);
        this.stats.rejectedSteps++;
        continue;
      }
      this.accept(t, tNew, errNorm, safety);
      return tNew;
    }
  }

  private accept(t: number, tNew: number, errNorm: number, safety: number): void {
    const { n, D, d } = this;
    const k = this.order;
    this.stats.steps++;
    this.nEqualSteps++;
    this.tPrev = t;
    this.t = tNew;
    this.jacCurrent = false;
    for (let i = 0; i < n; i++) {
      D[(k + 2) * n + i] = d[i]! - D[(k + 1) * n + i]!;
      D[(k + 1) * n + i] = d[i]!;
    }
    for (let j = k; j >= 0; j--) for (let i = 0; i < n; i++) D[j * n + i]! += D[(j + 1) * n + i]!;
    this.x.set(D.subarray(0, n));
    if (this.nEqualSteps < k + 1) return;
    // Enough equal steps: consider orders k−1, k, k+1 by their error estimates.
    const errM = k > 1 ? this.scaledNorm(D, k * n, ERROR_CONST[k - 1]!) : Infinity;
    const errP = k < MAX_ORDER ? this.scaledNorm(D, (k + 2) * n, ERROR_CONST[k + 1]!) : Infinity;
    const fM = errM ** (-1 / k);
    const f0 = errNorm ** (-1 / (k + 1));
    const fP = errP ** (-1 / (k + 2));
    let best = f0;
    let delta = 0;
    if (fM > best) {
      best = fM;
      delta = -1;
    }
    if (fP > best) {
      best = fP;
      delta = 1;
    }
    this.order = k + delta;
    this.rescale(Math.min(MAX_FACTOR, safety * best));
  }

  interpolate(tq: number, out: Float64Array): void {
    const { n, D } = this;
    if (!this.started) {
      out.set(this.x);
      return;
    }
    const k = this.order;
    const h = this.h;
    for (let i = 0; i < n; i++) out[i] = D[i]!;
    let p = 1;
    for (let j = 1; j <= k; j++) {
      p *= (tq - (this.t - (j - 1) * h)) / (j * h);
      for (let i = 0; i < n; i++) out[i]! += D[j * n + i]! * p;
    }
  }
}

/** Guard used by select.ts: BDF's dense LU is O(n²) memory. */
export function checkBdfSize(n: number): void {
  if (n > 5000) {
    throw new GatewayError(
      'BAD_REQUEST',
      `The bdf solver uses dense matrices and supports at most 5000 states; this model has ${n}. Use rk45.`,
    );
  }
}
