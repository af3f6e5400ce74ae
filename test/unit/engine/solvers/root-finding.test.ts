import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCrossing, RootLocator } from '../../../../src/engine/root-finding.ts';

describe('root finding (Illinois regula falsi on event indicators)', () => {
  it('detects a change of domain z > 0 vs z ≤ 0, counting z = 0 as the negative side', () => {
    assert.equal(hasCrossing(new Float64Array([1, 2]), new Float64Array([0.5, 3])), false);
    assert.equal(hasCrossing(new Float64Array([1, 2]), new Float64Array([0.5, -3])), true);
    assert.equal(hasCrossing(new Float64Array([1]), new Float64Array([0])), true);
    assert.equal(hasCrossing(new Float64Array([0]), new Float64Array([-1])), false);
  });

  it('locates the root of cos(t) − t to 1e-13 with few evaluations', () => {
    const root = 0.7390851332151607; // Dottie number, the fixed point of cos
    const loc = new RootLocator(1);
    const g = (t: number, z: Float64Array): void => {
      z[0] = Math.cos(t) - t;
    };
    const tr = loc.locate(0, new Float64Array([1]), 2, new Float64Array([Math.cos(2) - 2]), g);
    assert.ok(tr >= root && tr - root < 1e-13, `tr − root = ${tr - root}`);
    assert.ok(loc.zRight[0]! <= 0, 'the returned time is past the crossing');
    assert.ok(loc.tLeft < root);
    assert.ok(loc.evaluations < 20, `${loc.evaluations} evaluations`);
  });

  it('returns the earliest of several crossings in the bracket', () => {
    // z0 crosses at 0.8, z1 at 0.3 (steep and curved, so the secant misleads), z2 never.
    const g = (t: number, z: Float64Array): void => {
      z[0] = 0.8 - t;
      z[1] = Math.exp(10 * (0.3 - t)) - 1;
      z[2] = 1 + t;
    };
    const za = new Float64Array(3),
      zb = new Float64Array(3);
    g(0, za);
    g(1, zb);
    const loc = new RootLocator(3);
    const tr = loc.locate(0, za, 1, zb, g);
    assert.ok(Math.abs(tr - 0.3) < 1e-12, `tr = ${tr}`);
    assert.ok(loc.evaluations < 60, `${loc.evaluations} evaluations`);
  });

  it('handles a root that is an end point where z becomes exactly zero', () => {
    const g = (t: number, z: Float64Array): void => {
      z[0] = 1 - t;
    };
    const loc = new RootLocator(1);
    const tr = loc.locate(0, new Float64Array([1]), 1, new Float64Array([0]), g);
    assert.ok(Math.abs(tr - 1) < 1e-12);
  });

  it('converges on a flat-then-steep indicator where plain regula falsi stalls', () => {
    const g = (t: number, z: Float64Array): void => {
      z[0] = t ** 9 - 0.5 ** 9;
    };
    const za = new Float64Array(1),
      zb = new Float64Array(1);
    g(0, za);
    g(1, zb);
    const loc = new RootLocator(1);
    const tr = loc.locate(0, za, 1, zb, g);
    assert.ok(tr >= 0.5 && tr - 0.5 < 1e-12, `tr = ${tr}`);
    assert.ok(loc.evaluations < 80, `${loc.evaluations} evaluations`);
  });
});
