import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BDF_STATE_THRESHOLD, chooseSolver, createSolver } from '../../../../src/engine/solvers/select.ts';
import { cvodeAvailable } from '../../../../src/engine/solvers/cvode.ts';
import { setCvodeLibraryNames } from '../../../../src/fmi/cvode.ts';
import { decay, settings } from './problems.ts';

describe('solver selection', () => {
  it('defaults to rk45 for small models and bdf for large ones', () => {
    assert.equal(chooseSolver(undefined, 2), 'rk45');
    assert.equal(chooseSolver(undefined, BDF_STATE_THRESHOLD), 'bdf');
  });

  it('honours an explicit choice', () => {
    assert.equal(chooseSolver('euler', 500), 'euler');
    assert.equal(chooseSolver('bdf', 1), 'bdf');
  });

  it('chooses cvode when SUNDIALS CVODE is installed, bdf in its place otherwise', () => {
    assert.equal(chooseSolver('cvode', 2), cvodeAvailable() ? 'cvode' : 'bdf-fallback');
    setCvodeLibraryNames(['libsundials_cvode_absent_for_test.so.6']);
    try {
      assert.equal(chooseSolver('cvode', 2), 'bdf-fallback');
      const s = createSolver('bdf-fallback', 1, decay, settings(1, 1e-4));
      assert.match(s.name, /^bdf \(built-in/);
      assert.match(s.warning ?? '', /^CVODE_UNAVAILABLE: .*libsundials-cvode6/);
    } finally {
      setCvodeLibraryNames();
    }
  });

  it('builds a cvode solver that names itself', { skip: !cvodeAvailable() && 'SUNDIALS CVODE is not installed' }, () => {
    const s = createSolver('cvode', 1, decay, settings(1, 1e-4));
    assert.match(s.name, /^cvode \(SUNDIALS CVODE/);
    assert.equal(s.warning, undefined);
    s.dispose?.();
  });

  it('builds solvers that name themselves for provenance', () => {
    const s = settings(1, 1e-4, { fixedStep: 0.1, maxStep: 1 });
    assert.match(createSolver('euler', 1, decay, s).name, /^euler/);
    assert.match(createSolver('rk45', 1, decay, s).name, /^rk45 \(built-in Dormand–Prince 5\(4\)\)$/);
    assert.match(createSolver('bdf', 1, decay, s).name, /^bdf \(built-in/);
  });
});
