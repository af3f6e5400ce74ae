/**
 * Independent reference solutions for the built-in library models.
 *
 * Nothing here reads a model's C code or its FMU output: the closed forms are derived
 * by hand from the model equations documented in library/models/<Name>/model.json,
 * and the integrators are written from the textbook (classic RK4, Dormand–Prince 5(4)).
 * Tests compare the FMU results to these, never to the FMU's own earlier output.
 */

/** dy/dt = f(t, y); writes into dydt (no allocation in the integrators' inner loops). */
export type Rhs = (t: number, y: Float64Array, dydt: Float64Array) => void;

/**
 * Classic fixed-step RK4. Returns the state at every time of `times` (ascending,
 * times[0] is the initial time). Each output interval is split into equal sub-steps
 * no longer than `h`, so output times are hit exactly.
 */
export function rk4(rhs: Rhs, y0: readonly number[], times: readonly number[], h: number): Float64Array[] {
  const n = y0.length;
  const y = Float64Array.from(y0);
  const k1 = new Float64Array(n),
    k2 = new Float64Array(n),
    k3 = new Float64Array(n),
    k4 = new Float64Array(n);
  const tmp = new Float64Array(n);
  const out: Float64Array[] = [Float64Array.from(y)];
  for (let i = 1; i < times.length; i++) {
    const ta = times[i - 1] as number,
      tb = times[i] as number;
    const steps = Math.max(1, Math.ceil((tb - ta) / h - 1e-9));
    const dt = (tb - ta) / steps;
    for (let s = 0; s < steps; s++) {
      const t = ta + s * dt;
      rhs(t, y, k1);
      for (let j = 0; j < n; j++) tmp[j] = (y[j] as number) + 0.5 * dt * (k1[j] as number);
      rhs(t + 0.5 * dt, tmp, k2);
      for (let j = 0; j < n; j++) tmp[j] = (y[j] as number) + 0.5 * dt * (k2[j] as number);
      rhs(t + 0.5 * dt, tmp, k3);
      for (let j = 0; j < n; j++) tmp[j] = (y[j] as number) + dt * (k3[j] as number);
      rhs(t + dt, tmp, k4);
      for (let j = 0; j < n; j++) {
        y[j] = (y[j] as number) + (dt / 6) * ((k1[j] as number) + 2 * (k2[j] as number) + 2 * (k3[j] as number) + (k4[j] as number));
      }
    }
    out.push(Float64Array.from(y));
  }
  return out;
}

// Dormand–Prince 5(4) coefficients (Hairer, Nørsett, Wanner, Solving ODEs I, table 5.2).
const C2 = 1 / 5,
  C3 = 3 / 10,
  C4 = 4 / 5,
  C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40,
  A32 = 9 / 40;
const A41 = 44 / 45,
  A42 = -56 / 15,
  A43 = 32 / 9;
const A51 = 19372 / 6561,
  A52 = -25360 / 2187,
  A53 = 64448 / 6561,
  A54 = -212 / 729;
const A61 = 9017 / 3168,
  A62 = -355 / 33,
  A63 = 46732 / 5247,
  A64 = 49 / 176,
  A65 = -5103 / 18656;
const B1 = 35 / 384,
  B3 = 500 / 1113,
  B4 = 125 / 192,
  B5 = -2187 / 6784,
  B6 = 11 / 84;
// Error coefficients: 5th-order weights minus the embedded 4th-order ones.
const E1 = 71 / 57600,
  E3 = -71 / 16695,
  E4 = 71 / 1920,
  E5 = -17253 / 339200,
  E6 = 22 / 525,
  E7 = -1 / 40;

export interface Rk45Options {
  rtol?: number;
  atol?: number;
  /** Largest step (default: the output interval). */
  hMax?: number;
}

/**
 * Adaptive Dormand–Prince 5(4) with step-size control; output times are hit exactly
 * (the step is shortened to land on them). Default tolerances are tight (1e-10), so the
 * result serves as a high-accuracy reference.
 */
export function rk45(rhs: Rhs, y0: readonly number[], times: readonly number[], opts: Rk45Options = {}): Float64Array[] {
  const rtol = opts.rtol ?? 1e-10,
    atol = opts.atol ?? 1e-12;
  const n = y0.length;
  const y = Float64Array.from(y0),
    yNew = new Float64Array(n),
    tmp = new Float64Array(n);
  const k = Array.from({ length: 7 }, () => new Float64Array(n));
  const [k1, k2, k3, k4, k5, k6, k7] = k as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const out: Float64Array[] = [Float64Array.from(y)];
  let t = times[0] as number;
  let h = Math.min(opts.hMax ?? Infinity, ((times[1] ?? t + 1) - t) / 10) || 1e-6;
  rhs(t, y, k1);
  const stage = (coef: readonly number[], ks: readonly Float64Array[], dt: number): void => {
    for (let j = 0; j < n; j++) {
      let acc = y[j] as number;
      for (let s = 0; s < ks.length; s++) acc += dt * (coef[s] as number) * ((ks[s] as Float64Array)[j] as number);
      tmp[j] = acc;
    }
  };
  for (let i = 1; i < times.length; i++) {
    const tEnd = times[i] as number;
    let guard = 0;
    while (t < tEnd - 1e-14 * Math.max(1, Math.abs(tEnd))) {
      if (++guard > 10_000_000) throw new Error('rk45: too many steps');
      if (opts.hMax !== undefined) h = Math.min(h, opts.hMax);
      const last = t + h >= tEnd;
      const dt = last ? tEnd - t : h;
      stage([A21], [k1], dt);
      rhs(t + C2 * dt, tmp, k2);
      stage([A31, A32], [k1, k2], dt);
      rhs(t + C3 * dt, tmp, k3);
      stage([A41, A42, A43], [k1, k2, k3], dt);
      rhs(t + C4 * dt, tmp, k4);
      stage([A51, A52, A53, A54], [k1, k2, k3, k4], dt);
      rhs(t + C5 * dt, tmp, k5);
      stage([A61, A62, A63, A64, A65], [k1, k2, k3, k4, k5], dt);
      rhs(t + dt, tmp, k6);
      stage([B1, 0, B3, B4, B5, B6], [k1, k2, k3, k4, k5, k6], dt);
      yNew.set(tmp);
      rhs(t + dt, yNew, k7);
      let err = 0;
      for (let j = 0; j < n; j++) {
        const e =
          dt *
          (E1 * (k1[j] as number) +
            E3 * (k3[j] as number) +
            E4 * (k4[j] as number) +
            E5 * (k5[j] as number) +
            E6 * (k6[j] as number) +
            E7 * (k7[j] as number));
        const sc = atol + rtol * Math.max(Math.abs(y[j] as number), Math.abs(yNew[j] as number));
        err += (e / sc) ** 2;
      }
      err = Math.sqrt(err / n);
      if (err <= 1) {
        t = last ? tEnd : t + dt;
        y.set(yNew);
        k1.set(k7); // first-same-as-last
      }
      // Standard controller: safety 0.9, growth limited to [0.2, 5].
      const factor = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * err ** -0.2));
      h = dt * factor;
      if (h < 1e-14) throw new Error(`rk45: step size underflow at t=${t}`);
    }
    out.push(Float64Array.from(y));
  }
  return out;
}

/** Evenly spaced times from t0 to t1 inclusive with interval dt (last time exactly t1). */
export function timeGrid(t0: number, t1: number, dt: number): number[] {
  const n = Math.round((t1 - t0) / dt);
  return Array.from({ length: n + 1 }, (_, i) => (i === n ? t1 : t0 + i * dt));
}

// ---------------------------------------------------------------------------------
// Closed forms
// ---------------------------------------------------------------------------------

/**
 * Free response of m·x'' + c·x' + k·(x − xEq) = 0 from x(0)=x0, x'(0)=v0 (xEq = F/k for a
 * constant force F). Under-, critically (|ζ−1| < 1e-9) and over-damped branches.
 */
export function dampedOscillator(
  p: { m: number; c: number; k: number; x0: number; v0: number; xEq?: number },
  t: number,
): { x: number; v: number; regime: 'underdamped' | 'critical' | 'overdamped' } {
  const xEq = p.xEq ?? 0;
  const w0 = Math.sqrt(p.k / p.m);
  const zeta = p.c / (2 * Math.sqrt(p.m * p.k));
  const y0 = p.x0 - xEq,
    v0 = p.v0;
  if (Math.abs(zeta - 1) < 1e-9) {
    const b = v0 + w0 * y0;
    const e = Math.exp(-w0 * t);
    return { x: xEq + (y0 + b * t) * e, v: (b - w0 * (y0 + b * t)) * e, regime: 'critical' };
  }
  if (zeta < 1) {
    const wd = w0 * Math.sqrt(1 - zeta * zeta);
    const s = zeta * w0;
    const B = (v0 + s * y0) / wd;
    const e = Math.exp(-s * t),
      co = Math.cos(wd * t),
      si = Math.sin(wd * t);
    const y = e * (y0 * co + B * si);
    const v = e * ((-s * y0 + B * wd) * co + (-s * B - y0 * wd) * si);
    return { x: xEq + y, v, regime: 'underdamped' };
  }
  const q = w0 * Math.sqrt(zeta * zeta - 1);
  const r1 = -zeta * w0 + q,
    r2 = -zeta * w0 - q;
  const A = (v0 - r2 * y0) / (r1 - r2),
    B = y0 - A;
  const e1 = Math.exp(r1 * t),
    e2 = Math.exp(r2 * t);
  return { x: xEq + A * e1 + B * e2, v: A * r1 * e1 + B * r2 * e2, regime: 'overdamped' };
}

/**
 * Series RLC driven by a constant voltage V from vC(0)=vC0, i(0)=i0:
 * L·C·vC'' + R·C·vC' + vC = V, i = C·vC'. This is the damped oscillator with
 * m = L·C, c = R·C, k = 1 and equilibrium V.
 */
export function rlcStep(p: { R: number; L: number; C: number; V: number; vC0: number; i0: number }, t: number): { vC: number; i: number } {
  const r = dampedOscillator({ m: p.L * p.C, c: p.R * p.C, k: 1, x0: p.vC0, v0: p.i0 / p.C, xEq: p.V }, t);
  return { vC: r.x, i: p.C * r.v };
}

/**
 * x(t) of x' = A·x + b with constant A (2×2, row-major [a11, a12, a21, a22]) and b:
 * x(t) = xss + e^{A t}(x0 − xss), xss = −A⁻¹b, with e^{A t} from the Cayley–Hamilton form
 * e^{st}[f(t)·I + g(t)·(A − sI)], s = tr(A)/2 (f, g = cosh/sinh, cos/sin or 1/t by the discriminant).
 */
export function linear2(
  A: readonly [number, number, number, number],
  b: readonly [number, number],
  x0: readonly [number, number],
  t: number,
): [number, number] {
  const [a11, a12, a21, a22] = A;
  const det = a11 * a22 - a12 * a21;
  const xss0 = -(a22 * b[0] - a12 * b[1]) / det;
  const xss1 = -(-a21 * b[0] + a11 * b[1]) / det;
  const s = (a11 + a22) / 2;
  const disc = s * s - det;
  let f: number, g: number;
  if (Math.abs(disc) < 1e-14 * Math.max(1, s * s)) {
    f = 1;
    g = t;
  } else if (disc > 0) {
    const q = Math.sqrt(disc);
    f = Math.cosh(q * t);
    g = Math.sinh(q * t) / q;
  } else {
    const q = Math.sqrt(-disc);
    f = Math.cos(q * t);
    g = Math.sin(q * t) / q;
  }
  const e = Math.exp(s * t);
  const m11 = e * (f + g * (a11 - s)),
    m12 = e * g * a12,
    m21 = e * g * a21,
    m22 = e * (f + g * (a22 - s));
  const d0 = x0[0] - xss0,
    d1 = x0[1] - xss1;
  return [xss0 + m11 * d0 + m12 * d1, xss1 + m21 * d0 + m22 * d1];
}

/**
 * DC motor with constant armature voltage V and load torque tauL:
 * L·i' = V − R·i − K·w,  J·w' = K·i − b·w − tauL.
 */
export function dcMotorStep(
  p: { R: number; L: number; K: number; J: number; b: number; V: number; tauL: number; i0: number; w0: number },
  t: number,
): { i: number; w: number } {
  const [i, w] = linear2([-p.R / p.L, -p.K / p.L, p.K / p.J, -p.b / p.J], [p.V / p.L, -p.tauL / p.J], [p.i0, p.w0], t);
  return { i, w };
}

/** Lumped thermal mass C·T' = Q − hA·(T − Tamb) with constant Q and Tamb. */
export function thermalStep(p: { C: number; hA: number; Q: number; Tamb: number; T0: number }, t: number): number {
  const Tinf = p.Tamb + p.Q / p.hA;
  return Tinf + (p.T0 - Tinf) * Math.exp((-p.hA / p.C) * t);
}

/** x' = −k·x. */
export function dahlquist(p: { k: number; x0: number }, t: number): number {
  return p.x0 * Math.exp(-p.k * t);
}

/**
 * Ball dropped from h0 with upward speed v0 (default 0), gravity g, coefficient of restitution e
 * (rebound speed = e·impact speed). Exact piecewise parabola. The ball rests (h = v = 0) from the
 * first impact whose rebound speed is below vMin (default 0: never, up to 10 000 impacts).
 * `bounces` counts impacts up to t; `restTime` is when it came to rest (Infinity if not yet).
 */
export function bouncingBall(
  p: { h0: number; g: number; e: number; v0?: number; vMin?: number },
  t: number,
): { h: number; v: number; bounces: number; restTime: number } {
  let h = p.h0,
    v = p.v0 ?? 0,
    t0 = 0;
  const vMin = p.vMin ?? 0;
  for (let bounce = 0; bounce < 10_000; bounce++) {
    // Time until h + v·τ − g·τ²/2 = 0 (the positive root).
    const tau = (v + Math.sqrt(v * v + 2 * p.g * h)) / p.g;
    if (t < t0 + tau) {
      const d = t - t0;
      return { h: h + v * d - 0.5 * p.g * d * d, v: v - p.g * d, bounces: bounce, restTime: Infinity };
    }
    const vImpact = v - p.g * tau;
    t0 += tau;
    h = 0;
    v = -p.e * vImpact;
    if (v < vMin || v <= 0) return { h: 0, v: 0, bounces: bounce + 1, restTime: t0 };
  }
  return { h: 0, v: 0, bounces: 10_000, restTime: t0 };
}

/** Complete elliptic integral of the first kind K(k) (modulus k) by the arithmetic–geometric mean. */
export function ellipticK(k: number): number {
  let a = 1,
    g = Math.sqrt(1 - k * k);
  for (let i = 0; i < 40 && Math.abs(a - g) > 1e-16 * a; i++) [a, g] = [(a + g) / 2, Math.sqrt(a * g)];
  return Math.PI / (2 * a);
}

/** Period of the undamped pendulum released from rest at theta0: 4·sqrt(L/g)·K(sin(theta0/2)). */
export function pendulumPeriod(p: { L: number; g: number; theta0: number }): number {
  return 4 * Math.sqrt(p.L / p.g) * ellipticK(Math.sin(p.theta0 / 2));
}

/**
 * Overshoot (fraction of the step) and settling time (last time outside ±band·|step| of the
 * final value `target`) of a step response sampled at `time`.
 */
export function stepMetrics(
  time: ArrayLike<number>,
  y: ArrayLike<number>,
  y0: number,
  target: number,
  band = 0.02,
): { overshoot: number; settlingTime: number; peakTime: number } {
  const step = target - y0;
  let peak = -Infinity,
    peakTime = 0,
    settlingTime = 0;
  for (let i = 0; i < y.length; i++) {
    const v = ((y[i] as number) - y0) / step;
    if (v > peak) {
      peak = v;
      peakTime = time[i] as number;
    }
    if (Math.abs((y[i] as number) - target) > band * Math.abs(step)) settlingTime = time[i + 1] ?? (time[i] as number);
  }
  return { overshoot: Math.max(0, peak - 1), settlingTime, peakTime };
}
