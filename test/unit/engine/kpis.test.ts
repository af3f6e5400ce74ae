import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { computeKpis, computeMetric, parseKpis } from '../../../src/engine/kpis.ts';

function sample(t0: number, t1: number, n: number, f: (t: number) => number): { t: Float64Array; y: Float64Array } {
  const t = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = t0 + ((t1 - t0) * i) / (n - 1);
    y[i] = f(t[i] as number);
  }
  return { t, y };
}

function close(actual: number | null, expected: number, tol: number, what: string): void {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);
}

describe('KPI metrics against closed forms', () => {
  it('second-order step response: overshoot = 100·exp(−ζπ/√(1−ζ²)) within 1e-4 %', () => {
    for (const zeta of [0.2, 0.5, 0.7]) {
      const wn = 2;
      const wd = wn * Math.sqrt(1 - zeta * zeta);
      const phi = Math.acos(zeta);
      const { t, y } = sample(0, 40, 200_001, (s) => 1 - (Math.exp(-zeta * wn * s) / Math.sqrt(1 - zeta * zeta)) * Math.sin(wd * s + phi));
      const expected = 100 * Math.exp((-zeta * Math.PI) / Math.sqrt(1 - zeta * zeta));
      close(computeMetric('overshoot', t, y), expected, 1e-4, `overshoot ζ=${zeta}`);
      // Peak value and time also follow: max = 1 + Mp.
      close(computeMetric('max', t, y), 1 + expected / 100, 1e-6, `max ζ=${zeta}`);
    }
  });

  it('first-order step 1 − e^(−t/τ): rise time τ·ln 9, settling time τ·ln 50, overshoot 0', () => {
    const tau = 0.5;
    const { t, y } = sample(0, 20 * tau, 100_001, (s) => 1 - Math.exp(-s / tau));
    // y(T) = 1 − e^−20 ≈ 1 − 2e-9: the final value is the steady state to 2e-9.
    close(computeMetric('rise_time', t, y), tau * Math.log(9), 1e-6, 'rise_time');
    close(computeMetric('settling_time', t, y), tau * Math.log(50), 1e-6, 'settling_time');
    close(computeMetric('overshoot', t, y), 0, 0, 'overshoot');
  });

  it('falling step e^(−t/τ) from 2 to 0 gives the same rise and settling times', () => {
    const tau = 1;
    const { t, y } = sample(3, 3 + 25 * tau, 100_001, (s) => 2 * Math.exp(-(s - 3) / tau));
    close(computeMetric('rise_time', t, y), tau * Math.log(9), 1e-5, 'rise_time');
    // Settling time is counted from the first recorded time (3 s).
    close(computeMetric('settling_time', t, y), tau * Math.log(50), 1e-5, 'settling_time');
    close(computeMetric('final', t, y), 2 * Math.exp(-25), 1e-15, 'final');
  });

  it('sine over whole periods: mean 0, rms A/√2, integral over half period 2A/ω, peak_to_peak 2A', () => {
    const A = 3;
    const w = 2 * Math.PI;
    const full = sample(0, 2, 20_001, (s) => A * Math.sin(w * s));
    // Trapezoid error is O(dt²): dt = 1e-4 → ~1e-7 relative.
    close(computeMetric('mean', full.t, full.y), 0, 1e-9, 'mean');
    close(computeMetric('rms', full.t, full.y), A / Math.SQRT2, 1e-6, 'rms');
    close(computeMetric('peak_to_peak', full.t, full.y), 2 * A, 1e-6, 'peak_to_peak');
    const half = sample(0, 0.5, 10_001, (s) => A * Math.sin(w * s));
    close(computeMetric('integral', half.t, half.y), (2 * A) / w, 1e-6, 'integral');
  });

  it('trapezoidal mean and integral are exact for a ramp on an uneven grid', () => {
    const t = Float64Array.from([0, 0.1, 0.5, 2]);
    const y = Float64Array.from(t, (s) => 4 * s + 1);
    close(computeMetric('integral', t, y), 2 * 4 + 2, 1e-12, 'integral'); // ∫0^2 (4t+1) dt = 10
    close(computeMetric('mean', t, y), 5, 1e-12, 'mean');
    close(computeMetric('rms', Float64Array.from([0, 1]), Float64Array.from([3, 3])), 3, 1e-12, 'rms of constant');
  });

  it('gives null for step metrics of a constant and for NaN samples, never NaN', () => {
    const t = Float64Array.from([0, 1, 2]);
    const c = Float64Array.from([5, 5, 5]);
    for (const m of ['overshoot', 'rise_time', 'settling_time'] as const) assert.equal(computeMetric(m, t, c), null, m);
    const bad = Float64Array.from([0, Number.NaN, 1]);
    for (const m of ['min', 'max', 'mean', 'rms', 'integral', 'peak_to_peak', 'settling_time'] as const) {
      assert.equal(computeMetric(m, t, bad), null, m);
    }
  });

  it('handles a single sample', () => {
    const t = Float64Array.of(1);
    const y = Float64Array.of(-2);
    assert.equal(computeMetric('mean', t, y), -2);
    assert.equal(computeMetric('rms', t, y), 2);
    assert.equal(computeMetric('integral', t, y), 0);
    assert.equal(computeMetric('rise_time', t, y), null);
  });

  it('interpolates the 10 % / 90 % and band crossings between samples', () => {
    // Δ = 1: 0.1 is reached at t = 0.2 (on 0→0.5), 0.9 at t = 2 + 0.4/0.5 = 2.8 (on 0.5→1).
    const t = Float64Array.from([0, 1, 2, 3]);
    close(computeMetric('rise_time', t, Float64Array.from([0, 0.5, 0.5, 1])), 2.6, 1e-12, 'rise_time');
    // |error| falls from 1 to 0 on [0, 1]: it enters the 0.02 band at t = 0.98.
    close(computeMetric('settling_time', t, Float64Array.from([0, 1, 1, 1])), 0.98, 1e-12, 'settling_time');
  });
});

describe('KPI metrics on edge signals (hand-computed)', () => {
  it('falling step with an undershoot: overshoot, rise and settling times measured downwards', () => {
    // 10 → 0 (Δ = −10), dips to −1: overshoot 1/10 = 10 %; 90 % level (9) at t = 0.2, 10 % level (1)
    // at t = 1.8 → rise 1.6; last outside ±0.2 is −1 at t = 3, back to −0.2 at t = 3.8.
    const t = Float64Array.from([0, 1, 2, 3, 4]);
    const y = Float64Array.from([10, 5, 0, -1, 0]);
    close(computeMetric('overshoot', t, y), 10, 1e-12, 'overshoot');
    close(computeMetric('rise_time', t, y), 1.6, 1e-12, 'rise_time');
    close(computeMetric('settling_time', t, y), 3.8, 1e-12, 'settling_time');
  });

  it('settling time interpolates the signed error when the last segment crosses the final value', () => {
    // yf = 1, band ±0.02; from 1.1 (t = 1) to 0.99 (t = 2): y − yf = 0.1 − 0.11·(t − 1) meets +0.02
    // at t = 1 + 0.08/0.11. (|error| interpolated from 0.1 to 0.01 would say 1 + 0.08/0.09.)
    const t = Float64Array.from([0, 1, 2, 3]);
    close(computeMetric('settling_time', t, Float64Array.from([0, 1.1, 0.99, 1])), 1 + 0.08 / 0.11, 1e-12, 'settling_time');
    // Same from below: from 0.9 to 1.01, y − yf = −0.1 + 0.11·(t − 1) meets −0.02 at the same time.
    close(computeMetric('settling_time', t, Float64Array.from([0, 0.9, 1.01, 1])), 1 + 0.08 / 0.11, 1e-12, 'from below');
  });

  it('a signal that never settles reports the last time it was outside the band (near the end)', () => {
    // Sine ending at 0.5: Δ = 0.5, band ±0.01; last outside is 1 at t = 3, then falls to 0.5 at t = 4.
    const t = Float64Array.from([0, 1, 2, 3, 4]);
    close(computeMetric('settling_time', t, Float64Array.from([0, 1, -1, 1, 0.5])), 3 + 0.49 / 0.5, 1e-12, 'settling_time');
  });

  it('step metrics are null when any sample is NaN or infinite, like min and max', () => {
    const t = Float64Array.from([0, 1, 2, 3]);
    for (const bad of [Number.NaN, Infinity]) {
      const y = Float64Array.from([0, bad, 1.5, 1]);
      for (const m of ['overshoot', 'rise_time', 'settling_time'] as const) assert.equal(computeMetric(m, t, y), null, `${m} with ${bad}`);
    }
  });

  it('event rows (a repeated time) give a zero-width jump', () => {
    const t = Float64Array.from([0, 1, 1, 2]);
    const y = Float64Array.from([0, 0, 1, 1]);
    assert.equal(computeMetric('rise_time', t, y), 0);
    assert.equal(computeMetric('settling_time', t, y), 1);
    assert.equal(computeMetric('overshoot', t, y), 0);
    assert.equal(computeMetric('mean', t, y), 0.5);
  });
});

describe('KPI names', () => {
  it('splits on the metric suffix and prefers an existing variable with underscores', () => {
    assert.deepEqual(parseKpis(['x_max', 'body_v_rise_time', 'a_max_min'], ['x', 'body_v', 'a_max']), [
      { name: 'x_max', variable: 'x', metric: 'max' },
      { name: 'body_v_rise_time', variable: 'body_v', metric: 'rise_time' },
      { name: 'a_max_min', variable: 'a_max', metric: 'min' },
    ]);
  });

  it('rejects an unknown metric listing the valid ones', () => {
    assert.throws(
      () => parseKpis(['x_median'], ['x']),
      (e: unknown) => e instanceof GatewayError && e.code === 'BAD_REQUEST' && Array.isArray(e.data?.valid_metrics),
    );
  });

  it('rejects an unknown variable listing the valid ones', () => {
    assert.throws(
      () => parseKpis(['y_max'], ['x', 'v']),
      (e: unknown) => e instanceof GatewayError && e.code === 'UNKNOWN_VARIABLE' && JSON.stringify(e.data?.valid_variables) === '["x","v"]',
    );
  });

  it('computes a set of KPIs from columns and rejects a non-recorded variable', () => {
    const t = Float64Array.from([0, 1, 2]);
    const cols = new Map([['x', Float64Array.from([0, 2, 1])]]);
    assert.deepEqual(
      computeKpis(parseKpis(['x_max', 'x_final'], ['x']), t, (n) => cols.get(n)),
      { x_max: 2, x_final: 1 },
    );
    assert.throws(() => computeKpis(parseKpis(['s_max'], ['s']), t, (n) => cols.get(n)), /not recorded or is not numeric/);
  });
});
