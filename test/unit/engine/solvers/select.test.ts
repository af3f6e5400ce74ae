import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BDF_STATE_THRESHOLD, chooseSolver, createSolver } from '../../../../src/engine/solvers/select.ts';
import { isGatewayError } from '../../../../src/errors.ts';
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

  it('rejects cvode, which this build does not bundle, naming the alternatives', () => {
    assert.throws(
      () => chooseSolver('cvode', 2),
      (e: unknown) => isGatewayError(e) && e.code === 'BAD_REQUEST' && /bdf/.test(e.message),
    );
  });

  it('builds solvers that name themselves for provenance', () => {
    const s = settings(1, 1e-4, { fixedStep: 0.1, maxStep: 1 });
    assert.match(createSolver('euler', 1, decay, s).name, /^euler/);
    assert.match(createSolver('rk45', 1, decay, s).name, /^rk45 \(built-in Dormand–Prince 5\(4\)\)$/);
    assert.match(createSolver('bdf', 1, decay, s).name, /^bdf \(built-in/);
  });
});
