/**
 * Key performance indicators of one recorded signal, named `<variable>_<metric>`.
 * Computed on the full-resolution result (never on the downsampled series).
 *
 * Conventions shared by all metrics: t0 = first recorded time, y0 = first value, yf = final value
 * (value at the last recorded time), Δ = yf − y0 (the "step"). Samples are joined by straight
 * lines (the same trapezoidal model everywhere). A metric that is undefined for the signal
 * (e.g. rise time of a constant, or any non-finite sample where the metric needs all of them)
 * gives null, never NaN, so the result is always valid JSON.
 */
import { GatewayError } from '../errors.ts';
import { KPI_METRICS, KPI_PATTERN, type KpiMetric } from '../schemas/kpi-names.ts';

export { KPI_METRICS, type KpiMetric };

/** Fraction of the step that defines rise time (10 % → 90 %). */
const RISE_LOW = 0.1;
const RISE_HIGH = 0.9;
/** Settling band: ±2 % of |Δ| around yf. */
const SETTLING_BAND = 0.02;

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** ∫ y dt over the whole record, trapezoidal. */
export function trapezoid(time: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 1; i < time.length; i++) {
    sum += 0.5 * ((y[i] as number) + (y[i - 1] as number)) * ((time[i] as number) - (time[i - 1] as number));
  }
  return sum;
}

/** ∫ y² dt, trapezoidal on y² (so rms of a sine sampled finely → amplitude/√2). */
function trapezoidSquared(time: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 1; i < time.length; i++) {
    const a = y[i - 1] as number;
    const b = y[i] as number;
    sum += 0.5 * (a * a + b * b) * ((time[i] as number) - (time[i - 1] as number));
  }
  return sum;
}

export function hasNaN(y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (Number.isNaN(y[i])) return true;
  return false;
}

function extremes(y: Float64Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Linear interpolation of the time where y crosses `level` between samples i-1 and i. */
function crossingTime(time: Float64Array, y: Float64Array, i: number, level: number): number {
  const ya = y[i - 1] as number;
  const yb = y[i] as number;
  const ta = time[i - 1] as number;
  const tb = time[i] as number;
  return yb === ya ? tb : ta + ((level - ya) / (yb - ya)) * (tb - ta);
}

/** First time (interpolated) at which the signal, moving in the direction of Δ, reaches `level`. */
function firstReach(time: Float64Array, y: Float64Array, level: number, rising: boolean): number | null {
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (rising ? v >= level : v <= level) return i === 0 ? (time[0] as number) : crossingTime(time, y, i, level);
  }
  return null;
}

function allFinite(y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) return false;
  return true;
}

/**
 * The step Δ, or null when it is zero (relative to the signal's magnitude) or any sample is not
 * finite: overshoot, rise and settling times look at the whole record, and a NaN or ±Infinity
 * anywhere makes them meaningless (extremes would skip a NaN, a crossing at Infinity takes no time).
 */
function step(y: Float64Array): { y0: number; yf: number; delta: number } | null {
  if (!allFinite(y)) return null;
  const y0 = y[0] as number;
  const yf = y[y.length - 1] as number;
  const delta = yf - y0;
  const scale = Math.max(Math.abs(y0), Math.abs(yf), Number.MIN_VALUE);
  if (!Number.isFinite(delta) || Math.abs(delta) <= 1e-12 * scale) return null;
  return { y0, yf, delta };
}

/** Value of one metric; null when undefined for this signal. `time` and `y` have equal length ≥ 1. */
export function computeMetric(metric: KpiMetric, time: Float64Array, y: Float64Array): number | null {
  const n = y.length;
  if (n === 0) return null;
  const duration = (time[n - 1] as number) - (time[0] as number);
  switch (metric) {
    // Smallest / largest sample (a NaN sample makes the result null: the record is not trustworthy).
    case 'min':
    case 'max': {
      if (hasNaN(y)) return null;
      const e = extremes(y);
      return orNull(metric === 'min' ? e.min : e.max);
    }
    // max − min.
    case 'peak_to_peak': {
      if (hasNaN(y)) return null;
      const e = extremes(y);
      return orNull(e.max - e.min);
    }
    // Value at the last recorded time.
    case 'final':
      return orNull(y[n - 1] as number);
    // ∫ y dt from t0 to t_end (trapezoidal); unit = unit of y × s.
    case 'integral':
      return orNull(trapezoid(time, y));
    // Time-weighted mean: ∫ y dt / (t_end − t0); a single sample is its own mean.
    case 'mean':
      return orNull(duration > 0 ? trapezoid(time, y) / duration : (y[0] as number));
    // Root mean square: sqrt(∫ y² dt / (t_end − t0)).
    case 'rms':
      return orNull(duration > 0 ? Math.sqrt(trapezoidSquared(time, y) / duration) : Math.abs(y[0] as number));
    // Overshoot, %: how far the signal goes beyond yf, in the direction of Δ, relative to |Δ|:
    // 100·(max − yf)/Δ for a rising step, 100·(yf − min)/|Δ| for a falling one; 0 when it never passes yf.
    case 'overshoot': {
      const s = step(y);
      if (s === null) return null;
      const e = extremes(y);
      const beyond = s.delta > 0 ? e.max - s.yf : s.yf - e.min;
      return orNull((100 * Math.max(0, beyond)) / Math.abs(s.delta));
    }
    // Rise time, s: from the first time y reaches y0 + 10 %·Δ to the first time it reaches y0 + 90 %·Δ.
    case 'rise_time': {
      const s = step(y);
      if (s === null) return null;
      const rising = s.delta > 0;
      const tLow = firstReach(time, y, s.y0 + RISE_LOW * s.delta, rising);
      const tHigh = firstReach(time, y, s.y0 + RISE_HIGH * s.delta, rising);
      return tLow === null || tHigh === null ? null : orNull(tHigh - tLow);
    }
    // Settling time, s after t0: the last time |y − yf| is outside ±2 %·|Δ| (interpolated to the band
    // edge); 0 when the signal never leaves the band. Meaningful only if the run is long enough for yf
    // to be the steady state.
    case 'settling_time': {
      const s = step(y);
      if (s === null) return null;
      const band = SETTLING_BAND * Math.abs(s.delta);
      for (let i = n - 1; i >= 0; i--) {
        const err = (y[i] as number) - s.yf;
        if (Math.abs(err) > band) {
          // i < n-1 always (the last sample has zero error). Interpolate the signed error, which is
          // linear between samples (|error| is not when the segment crosses yf), to the band edge
          // on the side the signal comes from.
          const errNext = (y[i + 1] as number) - s.yf;
          const edge = err > 0 ? band : -band;
          const ta = time[i] as number;
          const tb = time[i + 1] as number;
          const t = ta + ((err - edge) / (err - errNext)) * (tb - ta);
          return orNull(t - (time[0] as number));
        }
      }
      return 0;
    }
  }
}

export interface ParsedKpi {
  name: string;
  variable: string;
  metric: KpiMetric;
}

/**
 * Split `<variable>_<metric>` names, preferring a split whose variable exists (variable names may
 * contain underscores). Unknown metric → BAD_REQUEST; unknown variable → UNKNOWN_VARIABLE, both
 * listing the valid choices.
 */
export function parseKpis(names: readonly string[], variables: readonly string[], isKnown?: (name: string) => boolean): ParsedKpi[] {
  const set = new Set(variables);
  // isKnown: names beyond the list, e.g. FMI 3 array elements "x[2]" (too many to list).
  const known = (n: string): boolean => set.has(n) || (isKnown?.(n) ?? false);
  return names.map((name) => {
    for (const metric of KPI_METRICS) {
      const suffix = `_${metric}`;
      if (name.endsWith(suffix) && known(name.slice(0, -suffix.length))) {
        return { name, variable: name.slice(0, -suffix.length), metric };
      }
    }
    const m = KPI_PATTERN.exec(name);
    if (m === null) {
      throw new GatewayError('BAD_REQUEST', `KPI "${name}" is not "<variable>_<metric>" with a known metric`, {
        kpi: name,
        valid_metrics: [...KPI_METRICS],
        hint: `Name KPIs "<variable>_<metric>", metric one of ${KPI_METRICS.join(', ')}, e.g. "${variables[0] ?? 'h'}_max".`,
      });
    }
    throw new GatewayError('UNKNOWN_VARIABLE', `KPI "${name}" refers to variable "${m[1]}", which this model does not have`, {
      kpi: name,
      variable: m[1],
      valid_variables: variables.slice(0, 200),
      hint: 'Use a variable name from get_variables before the metric suffix.',
    });
  });
}

/** Compute parsed KPIs; `column(name)` returns the full-resolution values of a recorded variable. */
export function computeKpis(
  kpis: readonly ParsedKpi[],
  time: Float64Array,
  column: (variable: string) => Float64Array | undefined,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of kpis) {
    const y = column(k.variable);
    if (y === undefined) {
      throw new GatewayError('UNKNOWN_VARIABLE', `KPI "${k.name}": variable "${k.variable}" was not recorded or is not numeric`, {
        kpi: k.name,
        hint: 'KPIs need a numeric (not String) variable; check its type with get_variables.',
      });
    }
    out[k.name] = computeMetric(k.metric, time, y);
  }
  return out;
}
