/**
 * The recorder's running column figures (src/engine/column-stats.ts) stand in for the passes over
 * the rows after a run (summary, the downsampled series' global extrema, the event times): the
 * digest of a recorded result must be exactly the digest of the same rows in fresh arrays (no
 * running figures: every pass runs). Real FMUs through the real binding, both recording paths
 * (native chunks and call by call), with events (ME) and with NaN / ±Inf / ties (unit data).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statsOf, StatsAccumulator, attachStats } from '../../src/engine/column-stats.ts';
import { selectRows } from '../../src/engine/downsample.ts';
import { digestResult } from '../../src/engine/result-digest.ts';
import { summarizeColumn } from '../../src/engine/summary.ts';
import type { SimulationResult } from '../../src/engine/types.ts';
import { runModel } from './me-support.ts';

/** The same rows in new arrays: nothing attached, so every reduction takes its pass. */
function copied(r: SimulationResult): SimulationResult {
  return {
    ...r,
    time: r.time.slice(),
    columns: r.columns.map((c) => ({ ...c, values: c.values instanceof Float64Array ? c.values.slice() : c.values })),
    ...(r.eventRows ? { eventRows: r.eventRows.slice() } : {}),
  };
}

const REQ = { kpis: [], seriesPoints: [7, 60, 500] };

describe('column stats: digests from the recorder equal the passes over the rows', () => {
  for (const native of ['1', '0']) {
    it(`BouncingBall ME (events) and CS, VanDerPol ME Euler, native stepper ${native === '1' ? 'on' : 'off'}`, async () => {
      const saved = process.env.FMU_GATEWAY_NATIVE_STEPPER;
      process.env.FMU_GATEWAY_NATIVE_STEPPER = native;
      try {
        const runs = [
          await runModel('BouncingBall', '3.0', 'ME', { startTime: 0, stopTime: 3, outputInterval: 0.001 }),
          await runModel('BouncingBall', '2.0', 'CS', { startTime: 0, stopTime: 3, outputInterval: 0.001 }),
          await runModel('VanDerPol', '3.0', 'ME', { startTime: 0, stopTime: 20, outputInterval: 0.01, solver: 'euler' }),
        ];
        for (const r of runs) {
          assert.ok(r.rows > 1000);
          // The running figures were attached (otherwise this compares the passes with themselves).
          const numeric = r.columns.filter((c) => c.values instanceof Float64Array);
          assert.ok(numeric.length > 0);
          for (const c of numeric) assert.ok(statsOf(c.values as Float64Array, r.time), `${c.name} has no stats`);
          assert.deepEqual(digestResult(r, REQ), digestResult(copied(r), REQ));
        }
        assert.ok(
          (runs[0]?.eventRows ?? []).some((e) => e === 1),
          'the ME run marked event rows',
        );
      } finally {
        if (saved === undefined) delete process.env.FMU_GATEWAY_NATIVE_STEPPER;
        else process.env.FMU_GATEWAY_NATIVE_STEPPER = saved;
      }
    });
  }

  it('NaN, ±Inf and ties: the accumulator (row by row and in runs) gives the passes’ figures', () => {
    let s = 11;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    for (let trial = 0; trial < 200; trial++) {
      const rows = 2 + Math.floor(rnd() * 3000);
      const time = Float64Array.from({ length: rows }, (_, i) => i * 0.01 + (rnd() < 0.1 ? 0.001 : 0));
      const y = Float64Array.from({ length: rows }, (_, i) => {
        const r = rnd();
        if (trial % 7 === 0) return Number.NaN; // all NaN
        return r < 0.01 ? Number.NaN : r < 0.02 ? Infinity : r < 0.03 ? -Infinity : r < 0.3 ? 1 : Math.round(Math.sin(i / 40) * 8) / 8;
      });
      const acc = new StatsAccumulator(2);
      // Slot 0 row by row, slot 1 in runs of random length: both must give the same figures.
      for (let i = 0; i < rows; i++) acc.add(0, i, y[i] as number, time);
      for (let first = 0; first < rows;) {
        const count = Math.min(rows - first, 1 + Math.floor(rnd() * 300));
        acc.addRun(1, y, first, count, time);
        first += count;
      }
      assert.deepEqual(acc.stats(0, rows, time), acc.stats(1, rows, time));
      const col = { name: 'y', type: 'Float64' as const, values: y };
      const plain = summarizeColumn(time, { ...col, values: y.slice() });
      const rowsPlain = selectRows({ rows, columns: [y.slice()] }, 50);
      attachStats(y, acc.stats(1, rows, time));
      assert.ok(statsOf(y, time));
      assert.deepEqual(summarizeColumn(time, col), plain);
      assert.deepEqual([...selectRows({ rows, columns: [y] }, 50)], [...rowsPlain]);
    }
  });
});
