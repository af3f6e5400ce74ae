/**
 * Time events: Stair increments a counter at t = k·period. With period 0.37 and an output
 * step of 0.1 the events fall between output points; each must be a step end exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column, eventRowIndices, runModel } from './me-support.ts';

const PERIOD = 0.37;

for (const v of ['2.0', '3.0'] as const) {
  describe(`Stair time events, Model Exchange FMI ${v}`, () => {
    it('hits off-grid time events exactly, with the counter before and after each', async () => {
      const r = await runModel('Stair', v, 'ME', { startTime: 0, stopTime: 2, outputInterval: 0.1, startValues: { period: PERIOD } });
      const counter = column(r, 'counter');
      const rows = eventRowIndices(r);
      assert.equal(r.stats.events, 5);
      assert.equal(rows.length, 10);
      for (let k = 1; k <= 5; k++) {
        const before = rows[2 * k - 2]!,
          after = rows[2 * k - 1]!;
        assert.equal(r.time[before], k * PERIOD); // exactly, as the FMU computes it
        assert.equal(r.time[after], k * PERIOD);
        assert.equal(counter[before], k - 1);
        assert.equal(counter[after], k);
      }
      // Grid rows: 21 output points plus the 10 event rows, counter = floor(t / period).
      assert.equal(r.rows, 21 + 10);
      for (let i = 0; i < r.rows; i++) {
        if (r.eventRows?.[i]) continue;
        assert.equal(counter[i], Math.floor(r.time[i]! / PERIOD + 1e-12), `t = ${r.time[i]}`);
      }
      assert.match(r.solver ?? '', /no continuous states/);
    });

    it('handles a time event at the stop time: the last row shows the counter after it, as in CS', async () => {
      const opts = { startTime: 0, stopTime: 1, outputInterval: 0.25, startValues: { period: 0.5 } };
      const me = await runModel('Stair', v, 'ME', opts);
      const cs = await runModel('Stair', v, 'CS', opts);
      assert.equal(me.stats.events, 2);
      assert.deepEqual(
        eventRowIndices(me).map((i) => me.time[i]),
        [0.5, 0.5, 1, 1],
      );
      assert.equal(me.time[me.rows - 1], 1);
      assert.equal(column(me, 'counter')[me.rows - 1], 2); // floor(1 / 0.5), right after the event
      assert.equal(column(cs, 'counter')[cs.rows - 1], 2);
    });

    it('ends early when the FMU requests termination, saying when and why', async () => {
      const r = await runModel('Stair', v, 'ME', {
        startTime: 0,
        stopTime: 10,
        outputInterval: 0.5,
        startValues: { period: PERIOD, terminate_at: 3 },
      });
      assert.ok(r.terminatedEarly);
      assert.equal(r.terminatedEarly.time, 3 * PERIOD);
      assert.match(r.terminatedEarly.reason, /terminat/);
      const counter = column(r, 'counter');
      assert.equal(counter[r.rows - 1], 3);
      assert.equal(r.time[r.rows - 1], 3 * PERIOD);
    });
  });
}
