/**
 * The figures a report gives per output (schemas/report.ts REPORT_KPIS), from the full-resolution
 * columns of a stored run. final, min, max, mean, settling_time, peak_to_peak and rms are the
 * engine's KPI definitions (engine/kpis.ts), so a report and a simulate `kpis` request agree to the
 * last digit; the report adds the time of the extremes and the settle value.
 */
import { computeMetric } from '../engine/kpis.ts';
import type { ReportKpi } from '../schemas/report.ts';

/** Share of the run, at its end, over which `settle` averages. */
export const SETTLE_WINDOW = 0.1;

/** First time at which y takes its extreme (null when a sample is NaN, as for min/max). */
function timeOfExtreme(time: Float64Array, y: Float64Array, largest: boolean): number | null {
  let best = largest ? -Infinity : Infinity;
  let at = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (Number.isNaN(v)) return null;
    if (largest ? v > best : v < best) {
      best = v;
      at = i;
    }
  }
  return at < 0 ? null : (time[at] as number);
}

/**
 * Time-weighted mean over [t_end − 10 % of the span, t_end], trapezoidal, with the window's first
 * point interpolated: what the output settles to, with ripple averaged out. null when a sample in
 * the window is not finite.
 */
export function settleValue(time: Float64Array, y: Float64Array): number | null {
  const n = y.length;
  if (n === 0) return null;
  const t1 = time[n - 1] as number;
  const t0 = t1 - SETTLE_WINDOW * (t1 - (time[0] as number));
  if (!(t1 > t0)) return Number.isFinite(y[n - 1] as number) ? (y[n - 1] as number) : null;
  let area = 0;
  for (let i = n - 1; i > 0; i--) {
    const tb = time[i] as number;
    const yb = y[i] as number;
    let ta = time[i - 1] as number;
    let ya = y[i - 1] as number;
    if (!Number.isFinite(ya) || !Number.isFinite(yb)) return null;
    if (tb <= t0) break;
    if (ta < t0) {
      ya = ya + ((yb - ya) * (t0 - ta)) / (tb - ta);
      ta = t0;
    }
    area += 0.5 * (ya + yb) * (tb - ta);
  }
  const v = area / (t1 - t0);
  return Number.isFinite(v) ? v : null;
}

/** One figure of one output; null when it is undefined for the signal. */
export function reportKpi(kpi: ReportKpi, time: Float64Array, y: Float64Array): number | null {
  switch (kpi) {
    case 'time_of_max':
      return timeOfExtreme(time, y, true);
    case 'time_of_min':
      return timeOfExtreme(time, y, false);
    case 'settle':
      return settleValue(time, y);
    default:
      return computeMetric(kpi, time, y);
  }
}

/** Every figure of `kpis` for one output. */
export function reportKpis(kpis: readonly ReportKpi[], time: Float64Array, y: Float64Array): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of kpis) out[k] = reportKpi(k, time, y);
  return out;
}
