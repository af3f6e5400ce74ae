/**
 * The "solver" of a model without continuous states: time simply advances (by at most
 * maxStep, so event indicators that depend on time alone are still sampled densely enough
 * for root finding, and time events / the stop time are hit exactly).
 */
import { newStats, stepLimitError, type OdeSolver, type SolverSettings, type SolverStats } from './types.ts';

export class NoStateSolver implements OdeSolver {
  readonly name = 'none (the model has no continuous states)';
  readonly n = 0;
  readonly x = new Float64Array(0);
  readonly stats: SolverStats = newStats();
  t = 0;
  tPrev = 0;

  constructor(private readonly settings: Pick<SolverSettings, 'maxStep' | 'maxSteps'>) {}

  reset(t: number): void {
    this.t = t;
    this.tPrev = t;
  }

  setAbsoluteTolerance(): void {
    // No states, no tolerances.
  }

  step(tMax: number): number {
    if (this.stats.steps >= this.settings.maxSteps) throw stepLimitError('none', this.t, this.settings.maxSteps);
    const h = this.settings.maxStep;
    this.tPrev = this.t;
    this.t = this.t + h * (1 + 1e-9) >= tMax ? tMax : this.t + h;
    this.stats.steps++;
    return this.t;
  }

  interpolate(): void {
    // Nothing to interpolate.
  }
}
