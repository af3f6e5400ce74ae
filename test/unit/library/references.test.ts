/**
 * The reference solutions are themselves checked here, against each other and against
 * textbook closed forms, so a wrong reference cannot silently bless a wrong model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bouncingBall, dampedOscillator, dcMotorStep, linear2, pendulumPeriod, rk4, rk45, rlcStep, stepMetrics, thermalStep, timeGrid,
} from '../../helpers/references.ts';

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
}

describe('reference integrators', () => {
  const times = timeGrid(0, 10, 0.5);

  it('rk4 with a fine step matches the harmonic oscillator cos/sin to 1e-9', () => {
    const ys = rk4((_t, y, d) => { d[0] = y[1] as number; d[1] = -(y[0] as number); }, [1, 0], times, 1e-3);
    times.forEach((t, i) => {
      close(ys[i]?.[0] as number, Math.cos(t), 1e-9, `x(${t})`);
      close(ys[i]?.[1] as number, -Math.sin(t), 1e-9, `v(${t})`);
    });
  });

  it('rk45 at default tolerance matches exponential decay to 1e-9 relative', () => {
    const ys = rk45((_t, y, d) => { d[0] = -0.7 * (y[0] as number); }, [2], times);
    times.forEach((t, i) => close(ys[i]?.[0] as number, 2 * Math.exp(-0.7 * t), 1e-9 * 2, `x(${t})`));
  });

  it('rk45 and rk4 agree on the nonlinear Van der Pol oscillator', () => {
    const vdp = (_t: number, y: Float64Array, d: Float64Array): void => {
      const x = y[0] as number, v = y[1] as number;
      d[0] = v; d[1] = (1 - x * x) * v - x;
    };
    const a = rk45(vdp, [2, 0], times);
    const b = rk4(vdp, [2, 0], times, 1e-3);
    times.forEach((t, i) => close(a[i]?.[0] as number, b[i]?.[0] as number, 1e-8, `x(${t})`));
  });

  it('timeGrid ends exactly at the stop time', () => {
    const g = timeGrid(0, 1, 0.1);
    assert.equal(g.length, 11);
    assert.equal(g[10], 1);
  });
});

describe('closed forms', () => {
  const times = timeGrid(0, 6, 0.25);
  for (const c of [0.4, 4, 10]) {
    it(`dampedOscillator solves m x'' + c x' + k x = F for c=${c} (checked by rk45)`, () => {
      const p = { m: 1, c, k: 4, x0: 1, v0: 0.5, xEq: 0.25 };
      const ys = rk45((_t, y, d) => {
        d[0] = y[1] as number;
        d[1] = (p.k * p.xEq - p.c * (y[1] as number) - p.k * (y[0] as number)) / p.m;
      }, [p.x0, p.v0], times);
      times.forEach((t, i) => {
        const r = dampedOscillator(p, t);
        close(r.x, ys[i]?.[0] as number, 1e-8, `x(${t})`);
        close(r.v, ys[i]?.[1] as number, 1e-8, `v(${t})`);
      });
    });
  }

  it('dampedOscillator names the regime by the damping ratio', () => {
    assert.equal(dampedOscillator({ m: 1, c: 0.4, k: 4, x0: 1, v0: 0 }, 1).regime, 'underdamped');
    assert.equal(dampedOscillator({ m: 1, c: 4, k: 4, x0: 1, v0: 0 }, 1).regime, 'critical');
    assert.equal(dampedOscillator({ m: 1, c: 10, k: 4, x0: 1, v0: 0 }, 1).regime, 'overdamped');
  });

  it('rlcStep charges the capacitor towards V with i = C dvC/dt', () => {
    const p = { R: 2, L: 0.5, C: 0.05, V: 1, vC0: 0, i0: 0 };
    const ys = rk45((_t, y, d) => {
      d[0] = (y[1] as number) / p.C;
      d[1] = (p.V - p.R * (y[1] as number) - (y[0] as number)) / p.L;
    }, [0, 0], times);
    times.forEach((t, i) => {
      const r = rlcStep(p, t);
      close(r.vC, ys[i]?.[0] as number, 1e-8, `vC(${t})`);
      close(r.i, ys[i]?.[1] as number, 1e-8, `i(${t})`);
    });
    close(rlcStep(p, 1000).vC, 1, 1e-12, 'final vC');
  });

  it('linear2 handles complex, real and repeated eigenvalues', () => {
    const cases: [number, number, number, number][] = [[0, 1, -4, -0.4], [-2, -0.02, 1, -10], [-1, 1, 0, -1]];
    for (const A of cases) {
      const b: [number, number] = [0.3, -0.2];
      const ys = rk45((_t, y, d) => {
        d[0] = A[0] * (y[0] as number) + A[1] * (y[1] as number) + b[0];
        d[1] = A[2] * (y[0] as number) + A[3] * (y[1] as number) + b[1];
      }, [1, -1], times);
      times.forEach((t, i) => {
        const x = linear2(A, b, [1, -1], t);
        close(x[0], ys[i]?.[0] as number, 1e-8, `A=${A.join(',')} x0(${t})`);
        close(x[1], ys[i]?.[1] as number, 1e-8, `A=${A.join(',')} x1(${t})`);
      });
    }
  });

  it('dcMotorStep reaches the textbook steady state w = K V / (R b + K^2)', () => {
    const p = { R: 1, L: 0.5, K: 0.01, J: 0.01, b: 0.1, V: 12, tauL: 0, i0: 0, w0: 0 };
    const r = dcMotorStep(p, 100);
    close(r.w, (p.K * p.V) / (p.R * p.b + p.K * p.K), 1e-9, 'w_ss');
    close(r.i, (p.b * p.V) / (p.R * p.b + p.K * p.K), 1e-9, 'i_ss');
  });

  it('thermalStep starts at T0 and tends to Tamb + Q/hA', () => {
    const p = { C: 1000, hA: 10, Q: 500, Tamb: 293.15, T0: 293.15 };
    close(thermalStep(p, 0), 293.15, 1e-12, 'T(0)');
    close(thermalStep(p, 1e5), 343.15, 1e-9, 'T(inf)');
    close(thermalStep(p, 100), 343.15 - 50 * Math.exp(-1), 1e-9, 'T(tau)');
  });

  it('bouncingBall lands at sqrt(2 h0 / g) and rebounds with e times the impact speed', () => {
    const p = { h0: 1, g: 9.81, e: 0.7 };
    const t1 = Math.sqrt(2 / 9.81);
    close(bouncingBall(p, t1 - 1e-9).h, 0, 1e-8, 'h at first impact');
    close(bouncingBall(p, t1 + 1e-12).v, 0.7 * 9.81 * t1, 1e-6, 'rebound speed');
    // Apex after the first bounce: (e v)^2 / 2g = e^2 h0.
    close(bouncingBall(p, t1 + 0.7 * t1).h, 0.49, 1e-9, 'second apex');
  });
});

describe('pendulum and step-response helpers', () => {
  it('pendulumPeriod tends to 2 pi sqrt(L/g) for small angles and matches rk45 at 2.5 rad', () => {
    close(pendulumPeriod({ L: 1, g: 9.81, theta0: 1e-6 }), 2 * Math.PI / Math.sqrt(9.81), 1e-10, 'small-angle period');
    // Quarter period = first time theta reaches 0 from rest; find it by rk45 and bisection on the grid.
    const T = pendulumPeriod({ L: 1, g: 9.81, theta0: 2.5 });
    const ys = rk45((_t, y, d) => { d[0] = y[1] as number; d[1] = -9.81 * Math.sin(y[0] as number); }, [2.5, 0], [0, T / 4, T / 2]);
    close(ys[1]?.[0] as number, 0, 1e-8, 'theta at T/4');
    close(ys[2]?.[0] as number, -2.5, 1e-8, 'theta at T/2');
  });

  it('stepMetrics reports overshoot and settling of a known second-order response', () => {
    // Underdamped unit step: overshoot exp(-zeta pi / sqrt(1 - zeta^2)).
    const zeta = 0.3, wn = 2;
    const time = timeGrid(0, 20, 0.001);
    const y = time.map((t) => dampedOscillator({ m: 1, c: 2 * zeta * wn, k: wn * wn, x0: 0, v0: 0, xEq: 1 }, t).x);
    const m = stepMetrics(time, y, 0, 1);
    close(m.overshoot, Math.exp((-zeta * Math.PI) / Math.sqrt(1 - zeta * zeta)), 1e-6, 'overshoot');
    close(m.peakTime, Math.PI / (wn * Math.sqrt(1 - zeta * zeta)), 1e-3, 'peak time');
    assert.ok(m.settlingTime > 4 && m.settlingTime < 8, `settling ${m.settlingTime}`);
  });
});

describe('bouncing ball reference', () => {
  it('comes to rest at impact 11, t = 2.499113 s, with the default v_min = 0.1 m/s', () => {
    const p = { h0: 1, g: 9.81, e: 0.7, vMin: 0.1 };
    const V = Math.sqrt(2 * 9.81);
    let t11 = Math.sqrt(2 / 9.81);
    for (let n = 1; n <= 10; n++) t11 += (2 * 0.7 ** n * V) / 9.81;
    const r = bouncingBall(p, 3);
    assert.equal(r.bounces, 11);
    close(r.restTime, t11, 1e-12, 'rest time');
    close(r.restTime, 2.499113, 1e-6, 'documented rest time');
    assert.deepEqual([r.h, r.v], [0, 0]);
  });
});
