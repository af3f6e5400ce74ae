/**
 * Input events: a repeated time in an input table is a jump; Model Exchange must end a step
 * exactly there, do an event, and continue with the new input. SpringMassDamper
 * (m·x'' + c·x' + k·x = F) with F stepping 0 → 1 N at t = 1 s has a piecewise closed form.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column, eventRowIndices, runModel } from './me-support.ts';

const M = 1,
  C = 0.4,
  K = 4;
const W = Math.sqrt(K / M),
  SIGMA = C / (2 * M),
  WD = Math.sqrt(W * W - SIGMA * SIGMA);

/** Free response of y'' + 2σy' + ω²y = 0 from (y0, v0) after τ seconds. */
function free(y0: number, v0: number, tau: number): { y: number; v: number } {
  const ex = Math.exp(-SIGMA * tau),
    c = Math.cos(WD * tau),
    s = Math.sin(WD * tau);
  return { y: ex * (y0 * c + ((v0 + SIGMA * y0) / WD) * s), v: ex * (v0 * c - ((SIGMA * v0 + W * W * y0) / WD) * s) };
}

/** x(t) for x(0) = 1, v(0) = 0, F = 0 before T_JUMP and F_AFTER after. */
const T_JUMP = 1,
  F_AFTER = 1;
function exact(t: number): number {
  if (t <= T_JUMP) return free(1, 0, t).y;
  const at = free(1, 0, T_JUMP);
  const xe = F_AFTER / K; // new equilibrium
  return xe + free(at.y - xe, at.v, t - T_JUMP).y;
}

for (const v of ['2.0', '3.0'] as const) {
  describe(`input events, Model Exchange FMI ${v}`, () => {
    it('stops exactly at an input jump, makes it an event and follows the closed form on both sides', async () => {
      const r = await runModel('SpringMassDamper', v, 'ME', {
        startTime: 0,
        stopTime: 4,
        outputInterval: 0.25,
        tolerance: 1e-9,
        startValues: { m: M, c: C, k: K },
        inputSignals: [{ name: 'F', time: [0, T_JUMP, T_JUMP, 4], values: [0, 0, F_AFTER, F_AFTER] }],
      });
      assert.equal(r.stats.events, 1);
      const rows = eventRowIndices(r);
      assert.deepEqual(
        rows.map((i) => r.time[i]),
        [T_JUMP, T_JUMP],
      );
      const x = column(r, 'x');
      for (let i = 0; i < r.rows; i++) {
        assert.ok(Math.abs(x[i]! - exact(r.time[i]!)) < 1e-7, `t = ${r.time[i]}: ${x[i]} vs ${exact(r.time[i]!)}`);
      }
    });

    it('applies input jumps at the stop time and between grid points, as Co-Simulation does on the grid', async () => {
      const opts = {
        startTime: 0,
        stopTime: 1,
        outputInterval: 0.25,
        outputs: ['Float64_output', 'Int32_output'],
        inputSignals: [
          { name: 'Float64_input', time: [0, 0.5, 0.5, 1, 1], values: [0, 1, 5, 6, 10] },
          { name: 'Int32_input', time: [0.1, 0.6, 1], values: [1, 2, 3] },
        ],
      };
      const me = await runModel('Feedthrough', v, 'ME', opts);
      // Events at the jumps 0.5 (Float64), 0.6 (Int32) and 1 (both, at the stop time).
      assert.deepEqual(
        eventRowIndices(me).map((i) => me.time[i]),
        [0.5, 0.5, 0.6, 0.6, 1, 1],
      );
      const y = column(me, 'Float64_output'),
        n = column(me, 'Int32_output');
      assert.equal(me.time[me.rows - 1], 1);
      assert.equal(y[me.rows - 1], 10); // the right-limit value of the repeated time at the stop
      assert.equal(n[me.rows - 1], 3);
      assert.ok(Math.abs(y[me.rows - 2]! - 6) < 1e-12); // the row before the event: the left limit
      const cs = await runModel('Feedthrough', v, 'CS', opts);
      assert.deepEqual(Array.from(column(cs, 'Float64_output')), [0, 0.5, 5, 5.5, 10]);
      assert.deepEqual(Array.from(column(cs, 'Int32_output')), [1, 1, 1, 2, 3]);
    });

    it('treats a linearly interpolated input without repeated times as continuous (no events)', async () => {
      const r = await runModel('SpringMassDamper', v, 'ME', {
        startTime: 0,
        stopTime: 2,
        outputInterval: 0.5,
        inputSignals: [{ name: 'F', time: [0, 2], values: [0, 1] }],
      });
      assert.equal(r.stats.events, 0);
      assert.ok(r.eventRows?.every((e) => e === 0));
    });
  });
}
