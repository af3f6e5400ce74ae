/**
 * Co-Simulation runs of real FMI 2.0 FMUs compiled from test/fixtures, checked against
 * closed forms. Tolerances: 1e-6 relative for the RK4-integrated lag (its internal substep
 * error is ~1e-13), exact for pass-through values.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import { GatewayError } from '../../src/errors.ts';
import type { SimulationResult } from '../../src/engine/types.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';

function column(r: SimulationResult, name: string): Float64Array {
  const c = r.columns.find((x) => x.name === name);
  assert.ok(c, `column ${name}`);
  assert.ok(c.values instanceof Float64Array);
  return c.values;
}

function assertClose(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-12, `${what}: ${actual} vs ${expected}`);
}

describe('FMI 2.0 Co-Simulation', () => {
  let lag: OpenedFmu;
  let raw: OpenedFmu;
  before(async () => {
    lag = openFixture(await buildFixture('lag', '2.0'));
    raw = openFixture(await buildFixture('raw-fmi2', '2.0', { raw: true }));
  });

  it('matches the closed-form step response of the lag to 1e-6 relative (stop 10, step 1e-3)', () => {
    const K = 2;
    const tau = 0.5;
    const r = runSimulation(lag, { startTime: 0, stopTime: 10, outputInterval: 1e-3, startValues: { K, tau, u: 1 }, outputs: ['y'] });
    assert.equal(r.rows, 10001);
    assert.equal(r.interface, 'CS');
    assert.equal(r.fmiVersion, '2.0');
    const y = column(r, 'y');
    for (let i = 0; i < r.rows; i++) {
      const t = r.time[i] as number;
      assertClose(t, i * 1e-3, 1e-15, 'time grid');
      assertClose(y[i] as number, K * (1 - Math.exp(-t / tau)), 1e-6, `y(${t})`);
    }
    assert.equal(r.terminatedEarly, undefined);
  });

  it('interpolates a continuous input linearly: lag response to a ramp, input held over each step', () => {
    const K = 1.5;
    const tau = 0.8;
    const h = 0.01;
    // Samples that are not on the grid: u(t) = 3t for t <= 1, then 3 + (t - 1) to t = 2.
    const r = runSimulation(lag, {
      startTime: 0,
      stopTime: 2,
      outputInterval: h,
      startValues: { K, tau },
      inputSignals: [{ name: 'u', time: [0, 1, 2], values: [0, 3, 4] }],
      outputs: ['y', 'u'],
    });
    const ref = (t: number): number => (t <= 1 ? 3 * t : 3 + (t - 1));
    const y = column(r, 'y');
    const u = column(r, 'u');
    const a = Math.exp(-h / tau);
    let yRef = 0;
    for (let i = 0; i < r.rows; i++) {
      const t = r.time[i] as number;
      assertClose(u[i] as number, ref(t), 1e-12, `u(${t})`);
      assertClose(y[i] as number, yRef, 1e-6, `y(${t})`);
      yRef = yRef * a + K * ref(t) * (1 - a); // exact solution with u held at u(t) over [t, t + h]
    }
    assert.ok((y[r.rows - 1] as number) > 3, 'the ramp drove the lag (a hold of the first sample would leave y = 0)');
  });

  it('holds a jump (repeated time) and Boolean / Int32 inputs exactly', () => {
    const K = 1;
    const tau = 0.25;
    const r = runSimulation(lag, {
      startTime: 0,
      stopTime: 1,
      outputInterval: 0.01,
      startValues: { K, tau },
      inputSignals: [
        { name: 'u', time: [0, 0.5, 0.5, 1], values: [0, 0, 1, 1] },
        { name: 'enable', time: [0, 0.3], values: [false, true] },
        { name: 'count', time: [0, 0.2, 0.7], values: [1, 5, 9] },
      ],
      outputs: ['y', 'gated'],
    });
    const y = column(r, 'y');
    const gated = column(r, 'gated');
    for (let i = 0; i < r.rows; i++) {
      const t = r.time[i] as number;
      const expectedY = t < 0.5 - 1e-12 ? 0 : K * (1 - Math.exp(-(t - 0.5) / tau));
      assertClose(y[i] as number, expectedY, 1e-6, `y(${t})`);
      const enable = t >= 0.3 - 1e-12;
      const count = t >= 0.7 - 1e-12 ? 9 : t >= 0.2 - 1e-12 ? 5 : 1;
      assert.equal(gated[i], enable ? count : -1, `gated(${t})`);
    }
  });

  it('records every causality=output variable by default, on the grid plus a final point off the grid', () => {
    const r = runSimulation(lag, { startTime: 0, stopTime: 0.25, outputInterval: 0.1 });
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ['y', 'gated'],
    );
    assert.deepEqual([...r.time], [0, 0.1, 0.2, 0.25]);
  });

  it('ends early with terminatedEarly when the FMU discards a step', () => {
    const r = runSimulation(raw, {
      startTime: 0,
      stopTime: 1,
      outputInterval: 0.1,
      startValues: { discard_at: 0.55 },
      outputs: ['y', 'n', 'label'],
    });
    assert.ok(r.terminatedEarly);
    assert.equal(r.terminatedEarly.time, 0.55);
    assert.match(r.terminatedEarly.reason, /Discard/);
    assert.equal(r.rows, 7);
    assert.equal(r.time[6], 0.55);
    assert.equal(column(r, 'y')[6], 0.55);
    assert.deepEqual([...column(r, 'n')], [0, 1, 2, 3, 4, 5, 5]);
  });

  it('fails with FMI_CALL_FAILED on a Pending (asynchronous) step instead of recording unfinished outputs', () => {
    assert.throws(
      () => runSimulation(raw, { startTime: 0, stopTime: 1, outputInterval: 0.1, startValues: { pending_at: 0.35 }, outputs: ['y'] }),
      (e: unknown) => {
        assert.ok(e instanceof GatewayError);
        assert.equal(e.code, 'FMI_CALL_FAILED');
        assert.equal((e.data as { function?: string; status?: string }).function, 'fmi2DoStep');
        assert.equal((e.data as { function?: string; status?: string }).status, 'Pending');
        return true;
      },
    );
  });

  it('ends early when the model requests termination (stop_at), at that time', () => {
    const r = runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0.1, startValues: { stop_at: 0.25, u: 1 } });
    assert.ok(r.terminatedEarly, 'terminatedEarly');
    assertClose(r.terminatedEarly.time, 0.25, 1e-9, 'stop time');
    assertClose(r.time[r.rows - 1] as number, 0.25, 1e-9, 'last row');
  });

  it('rejects a result larger than maxRows before allocating or loading anything', () => {
    // 1e12 rows would be 8 TB: reaching an allocation would throw a RangeError instead.
    assert.throws(() => runSimulation(lag, { startTime: 0, stopTime: 1e9, outputInterval: 1e-3, maxRows: 1000 }), {
      code: 'OUTPUT_LIMIT_EXCEEDED',
    });
  });

  it('rejects a grid too large for memory even when the caller sets no row limit', () => {
    assert.throws(() => runSimulation(lag, { startTime: 0, stopTime: 1e9, outputInterval: 1e-3 }), { code: 'OUTPUT_LIMIT_EXCEEDED' });
  });

  it('rejects stop_time before start_time and a non-positive step', () => {
    assert.throws(() => runSimulation(lag, { startTime: 1, stopTime: 0, outputInterval: 0.1 }), { code: 'BAD_REQUEST' });
    assert.throws(() => runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0 }), { code: 'BAD_REQUEST' });
  });

  it('rejects an unknown output name with UNKNOWN_VARIABLE and suggestions', () => {
    assert.throws(
      () => runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0.1, outputs: ['Y'] }),
      (e: { code: string; data: { suggestions: string[] } }) => {
        assert.equal(e.code, 'UNKNOWN_VARIABLE');
        assert.ok(e.data.suggestions.includes('y'));
        return true;
      },
    );
  });

  it('rejects a start value for a calculated output with INVALID_START_VALUE', () => {
    assert.throws(() => runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0.1, startValues: { gated: 3 } }), {
      code: 'INVALID_START_VALUE',
    });
  });

  it('reports progress, throttled, and ends at fraction 1', () => {
    const seen: number[] = [];
    runSimulation(raw, { startTime: 0, stopTime: 1, outputInterval: 1e-5, progressIntervalMs: 0, onProgress: (f) => seen.push(f) });
    assert.ok(seen.length >= 2 && seen.length < 1000, `${seen.length} progress calls for 1e5 steps`);
    assert.equal(seen.at(-1), 1);
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) >= (seen[i - 1] as number));
  });

  it('stops with CANCELLED when the abort signal fires', () => {
    const ac = new AbortController();
    assert.throws(
      () =>
        runSimulation(raw, {
          startTime: 0,
          stopTime: 1,
          outputInterval: 1e-5,
          progressIntervalMs: 0,
          signal: ac.signal,
          onProgress: (f) => {
            if (f > 0.1) ac.abort();
          },
        }),
      { code: 'CANCELLED' },
    );
  });
});
