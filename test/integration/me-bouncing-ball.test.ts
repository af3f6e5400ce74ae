/**
 * State events: BouncingBall under Model Exchange. The impact times are derived here from
 * g, e and h0 (free fall between impacts): t1 = √(2h0/g), impact speed V = √(2g·h0), after
 * impact n the rebound speed is eⁿV and the next impact comes 2eⁿV/g later; the ball rests at
 * the first impact whose rebound speed is below v_min.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cvodeAvailable } from '../../src/engine/solvers/cvode.ts';
import { bouncingBall } from '../helpers/references.ts';
import { column, eventRowIndices, runModel } from './me-support.ts';

const G = 9.81,
  E = 0.7,
  H0 = 1,
  V_MIN = 0.1;

function analyticImpacts(): number[] {
  const V = Math.sqrt(2 * G * H0);
  const times = [Math.sqrt((2 * H0) / G)];
  for (let n = 1; E ** n * V >= V_MIN; n++) times.push(times[n - 1]! + (2 * E ** n * V) / G);
  return times;
}

for (const v of ['2.0', '3.0'] as const) {
  describe(`BouncingBall state events, Model Exchange FMI ${v}`, () => {
    for (const solver of ['rk45', 'bdf', 'cvode'] as const) {
      const skip = solver === 'cvode' && !cvodeAvailable() && 'SUNDIALS CVODE is not installed';
      // CVODE's local error control lets the impact times drift ~1e-6 by the 11th bounce at 1e-8.
      const rtol = solver === 'cvode' ? 1e-10 : 1e-8;
      it(`${solver}: located impacts match the analytic times to 1e-6 at rtol ${rtol}`, { skip }, async () => {
        const r = await runModel('BouncingBall', v, 'ME', {
          startTime: 0,
          stopTime: 3,
          outputInterval: 0.1,
          tolerance: rtol,
          solver,
          startValues: { g: G, e: E, h: H0, v_min: V_MIN },
        });
        const impacts = analyticImpacts();
        assert.equal(impacts.length, 11);
        assert.equal(r.stats.events, impacts.length, `events: ${r.stats.events}`);
        const rows = eventRowIndices(r);
        assert.equal(rows.length, 2 * impacts.length);
        const h = column(r, 'h'),
          vel = column(r, 'v'),
          bounces = column(r, 'bounces');
        for (let n = 0; n < impacts.length; n++) {
          const before = rows[2 * n]!,
            after = rows[2 * n + 1]!;
          assert.equal(after, before + 1);
          assert.equal(r.time[before], r.time[after]);
          const t = r.time[before]!;
          assert.ok(Math.abs(t - impacts[n]!) < 1e-6, `impact ${n + 1} at ${t}, analytic ${impacts[n]}`);
          assert.ok(Math.abs(h[before]!) < 1e-7, `h at impact ${h[before]}`);
          assert.equal(bounces[before], n);
          assert.equal(bounces[after], n + 1);
          const last = n === impacts.length - 1;
          // Restitution: v⁺ = −e·v⁻, except at the last impact where the ball comes to rest.
          const expected = last ? 0 : -E * vel[before]!;
          assert.ok(Math.abs(vel[after]! - expected) < 1e-6, `v after impact ${n + 1}: ${vel[after]} vs ${expected}`);
        }
        // Between events, grid rows follow the piecewise parabola.
        for (let i = 0; i < r.rows; i++) {
          if (r.eventRows?.[i]) continue;
          const ref = bouncingBall({ h0: H0, g: G, e: E }, r.time[i]!);
          const resting = r.time[i]! > impacts[impacts.length - 1]!;
          assert.ok(Math.abs(h[i]! - (resting ? 0 : ref.h)) < 1e-6, `h(${r.time[i]}) = ${h[i]} vs ${ref.h}`);
        }
        assert.equal(r.time[r.rows - 1], 3);
      });
    }
  });
}

describe('BouncingBall without a rest speed (v_min = 0)', () => {
  for (const solver of ['rk45', 'bdf'] as const) {
    it(`${solver}: ends with a Zeno error, never falls through the ground`, async () => {
      await assert.rejects(
        runModel('BouncingBall', '3.0', 'ME', {
          startTime: 0,
          stopTime: 3,
          outputInterval: 0.01,
          solver,
          startValues: { v_min: 0 },
        }),
        (e: unknown) => (e as { code?: string }).code === 'SIMULATION_FAILED' && /Zeno/.test((e as Error).message),
      );
    });
  }
});
