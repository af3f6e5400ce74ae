/**
 * Which solver runs a Model Exchange simulation, and its construction.
 *
 * Default policy: rk45 unless the user names a solver, or the model has at least
 * BDF_STATE_THRESHOLD continuous states. Why: stiffness cannot be known before running, and
 * for the small, mostly non-stiff models of the library rk45 is cheaper per step and needs no
 * Jacobian; when a model is stiff, rk45 hits the step limit and its error names bdf. Large state
 * vectors, however, usually come from assembled physical models (Modelica exports), which are
 * stiff far more often than not — there BDF with a reused Jacobian wins by orders of magnitude.
 */
import { AUTO_BDF_STATES } from '../../schemas/kpi-names.ts';
import type { SolverName } from '../types.ts';
import { CVODE_DEBIAN_PACKAGE } from '../../fmi/cvode-package.ts';
import { BdfSolver, checkBdfSize } from './bdf.ts';
import { cvodeAvailable, CvodeSolver } from './cvode.ts';
import { EulerSolver } from './euler.ts';
import { Rk45Solver } from './rk45.ts';
import type { OdeRhs, OdeSolver, SolverSettings } from './types.ts';

/** The rule solver "auto" follows, stated in the simulate tool's description (schemas/simulate.ts). */
export const BDF_STATE_THRESHOLD = AUTO_BDF_STATES;
export const DEFAULT_RTOL = 1e-4;
export const DEFAULT_MAX_STEPS = 1_000_000;

/** 'cvode' only when SUNDIALS CVODE is installed (src/fmi/cvode.ts); 'bdf-fallback' is bdf run in its place. */
export type BuiltinSolver = 'euler' | 'rk45' | 'bdf' | 'cvode' | 'bdf-fallback';

/** The warning a run carries when "cvode" was asked for and bdf ran instead (stable leading code). */
export const CVODE_FALLBACK_WARNING = `CVODE_UNAVAILABLE: solver "cvode" needs SUNDIALS CVODE (Debian/Ubuntu: apt-get install ${CVODE_DEBIAN_PACKAGE}), which is not installed on this gateway; the run used the built-in "bdf" solver (also variable-order BDF) instead.`;

/** bdf in place of an unavailable cvode: the run says so in its warnings. */
class BdfFallbackSolver extends BdfSolver {
  readonly warning = CVODE_FALLBACK_WARNING;
}

export function chooseSolver(requested: SolverName | undefined, nStates: number): BuiltinSolver {
  if (requested === 'cvode') return cvodeAvailable() ? 'cvode' : 'bdf-fallback';
  if (requested !== undefined) return requested;
  return nStates >= BDF_STATE_THRESHOLD ? 'bdf' : 'rk45';
}

export function createSolver(name: BuiltinSolver, n: number, f: OdeRhs, settings: SolverSettings): OdeSolver {
  switch (name) {
    case 'euler':
      return new EulerSolver(n, f, settings);
    case 'rk45':
      return new Rk45Solver(n, f, settings);
    case 'bdf':
      checkBdfSize(n);
      return new BdfSolver(n, f, settings);
    case 'bdf-fallback':
      checkBdfSize(n);
      return new BdfFallbackSolver(n, f, settings);
    case 'cvode':
      return new CvodeSolver(n, f, settings);
  }
}
