/**
 * State-event location: the earliest time inside a solver step at which an event indicator
 * changes domain. FMI 3 (§3.1) defines the event as z_j changing from z_j > 0 to z_j ≤ 0 or
 * back, so a "crossing" here is a change of (z > 0), not of the sign: z = 0 counts as negative.
 *
 * Method: Illinois-modified regula falsi over all indicators at once (the idea of CVODE's
 * rootfinder): each crossing indicator proposes its secant root, the earliest proposal is
 * evaluated, and the bracket keeps the earliest crossing. When one end of the bracket is kept
 * twice in a row its function values are halved (Illinois), which restores superlinear
 * convergence; a bisection step is forced if the bracket stops shrinking. The result is the
 * right end of the final bracket, so the indicators there have already changed domain — the
 * FMU, set to that time, sees the event.
 */

/** Evaluate every event indicator at time t (states taken from the solver's dense output). */
export type IndicatorFunction = (t: number, z: Float64Array) => void;

/** True when any indicator is in a different domain (z > 0 vs z ≤ 0) in a and b. */
export function hasCrossing(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]! > 0 !== b[i]! > 0) return true;
  return false;
}

/** Time tolerance of the located event: far below any solver error, well above rounding of t. */
export function defaultTimeTolerance(t: number): number {
  return 1e-13 * Math.max(1, Math.abs(t));
}

const MAX_ITERATIONS = 200;

export class RootLocator {
  /** Indicators at the located time (the right end of the final bracket). */
  readonly zRight: Float64Array;
  /** Left end of the final bracket: no crossing in [ta, tLeft]. */
  tLeft = 0;
  /** Indicator evaluations made by the last locate(). */
  evaluations = 0;
  private readonly zl: Float64Array;
  private readonly zm: Float64Array;

  constructor(readonly n: number) {
    this.zRight = new Float64Array(n);
    this.zl = new Float64Array(n);
    this.zm = new Float64Array(n);
  }

  /**
   * Given indicators za at ta and zb at tb with hasCrossing(za, zb), return tr ∈ (ta, tb] with a
   * crossing between ta and tr and none between ta and tr − tol (for the sampled indicators).
   * g is called only at points strictly inside (ta, tb).
   */
  locate(ta: number, za: Float64Array, tb: number, zb: Float64Array, g: IndicatorFunction, tol = defaultTimeTolerance(tb)): number {
    const { n, zl, zm } = this;
    const zr = this.zRight;
    zl.set(za);
    zr.set(zb);
    let tl = ta,
      tr = tb;
    // Illinois weights applied to the kept end's values; side: −1 left kept last time, +1 right.
    let wl = 1,
      wr = 1,
      lastKept = 0;
    // Bracket widths at the start of the previous two iterations.
    let width1 = Infinity,
      width2 = Infinity;
    this.evaluations = 0;
    for (let iter = 0; iter < MAX_ITERATIONS && tr - tl > tol; iter++) {
      let tm = Infinity;
      const width = tr - tl;
      const stalled = width > 0.5 * width2;
      width2 = width1;
      width1 = width;
      if (stalled) {
        tm = 0.5 * (tl + tr); // secant is stalling: bisect
      } else {
        for (let i = 0; i < n; i++) {
          const a = zl[i]!,
            b = zr[i]!;
          if (a > 0 === b > 0) continue;
          const ga = wl * a,
            gb = wr * b;
          const cand = ga === gb ? 0.5 * (tl + tr) : tl + ((tr - tl) * ga) / (ga - gb);
          if (cand < tm) tm = cand;
        }
      }
      // Keep the trial point away from the ends so the bracket always shrinks by ≥ tol/2.
      const margin = 0.5 * tol;
      if (!(tm > tl + margin)) tm = tl + margin;
      if (!(tm < tr - margin)) tm = tr - margin;
      if (!(tm > tl && tm < tr)) break; // bracket at the resolution of doubles
      g(tm, zm);
      this.evaluations++;
      if (hasCrossing(zl, zm)) {
        tr = tm;
        zr.set(zm);
        if (lastKept === -1) wl *= 0.5;
        wr = 1;
        lastKept = -1;
      } else {
        tl = tm;
        zl.set(zm);
        if (lastKept === 1) wr *= 0.5;
        wl = 1;
        lastKept = 1;
      }
    }
    this.tLeft = tl;
    return tr;
  }
}
