/**
 * Co-Simulation runs of real FMI 3.0 FMUs compiled from test/fixtures, checked against
 * closed forms (1e-6 relative for the RK4-integrated lag; exact for held values).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { runSimulation } from '../../src/engine/run.ts';
import type { SimulationResult } from '../../src/engine/types.ts';
import type { OpenedFmu } from '../../src/fmi/opened-fmu.ts';
import { buildFixture, openFixture } from '../helpers/fixtures.ts';

function column(r: SimulationResult, name: string): Float64Array {
  const c = r.columns.find((x) => x.name === name);
  assert.ok(c && c.values instanceof Float64Array, `column ${name}`);
  return c.values;
}

function assertClose(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-12, `${what}: ${actual} vs ${expected}`);
}

describe('FMI 3.0 Co-Simulation', () => {
  let lag: OpenedFmu;
  before(async () => {
    lag = openFixture(await buildFixture('lag', '3.0'));
  });

  it('matches the closed-form step response of the lag to 1e-6 relative (stop 10, step 1e-3)', () => {
    const K = 2;
    const tau = 0.5;
    const r = runSimulation(lag, { startTime: 0, stopTime: 10, outputInterval: 1e-3, startValues: { K, tau, u: 1 }, outputs: ['y'] });
    assert.equal(r.fmiVersion, '3.0');
    assert.equal(r.rows, 10001);
    const y = column(r, 'y');
    for (let i = 0; i < r.rows; i++) {
      const t = r.time[i] as number;
      assertClose(y[i] as number, K * (1 - Math.exp(-t / tau)), 1e-6, `y(${t})`);
    }
  });

  it('interpolates a continuous input linearly: lag response to a ramp, input held over each step', () => {
    const K = 1.5;
    const tau = 0.8;
    const h = 0.01;
    const r = runSimulation(lag, {
      startTime: 0,
      stopTime: 2,
      outputInterval: h,
      startValues: { K, tau },
      inputSignals: [{ name: 'u', time: [0, 1, 2], values: [0, 3, 4] }],
      outputs: ['y'],
    });
    const ref = (t: number): number => (t <= 1 ? 3 * t : 3 + (t - 1));
    const y = column(r, 'y');
    const a = Math.exp(-h / tau);
    let yRef = 0;
    for (let i = 0; i < r.rows; i++) {
      const t = r.time[i] as number;
      assertClose(y[i] as number, yRef, 1e-6, `y(${t})`);
      yRef = yRef * a + K * ref(t) * (1 - a);
    }
  });

  it('holds a jump and Boolean / Int32 inputs exactly', () => {
    const tau = 0.25;
    const r = runSimulation(lag, {
      startTime: 0,
      stopTime: 1,
      outputInterval: 0.01,
      startValues: { tau },
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
      assertClose(y[i] as number, t < 0.5 - 1e-12 ? 0 : 1 - Math.exp(-(t - 0.5) / tau), 1e-6, `y(${t})`);
      const count = t >= 0.7 - 1e-12 ? 9 : t >= 0.2 - 1e-12 ? 5 : 1;
      assert.equal(gated[i], t >= 0.3 - 1e-12 ? count : -1, `gated(${t})`);
    }
  });

  it('ends early when the model sets terminateSimulation, at the time it asked', () => {
    const r = runSimulation(lag, { startTime: 0, stopTime: 1, outputInterval: 0.25, startValues: { stop_at: 0.6, u: 1 } });
    assert.ok(r.terminatedEarly);
    assertClose(r.terminatedEarly.time, 0.6, 1e-9, 'early end');
    assert.match(r.terminatedEarly.reason, /terminat/);
    assert.equal(r.rows, 4);
    assertClose(r.time[3] as number, 0.6, 1e-9, 'last row');
    assertClose(column(r, 'y')[3] as number, 1 - Math.exp(-0.6), 1e-6, 'y at the early end');
  });
});
