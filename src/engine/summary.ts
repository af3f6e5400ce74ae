/**
 * Per-output summary of a result: min, max, time-weighted mean and final value, computed on
 * the full-resolution columns with the same definitions as the KPIs of the same names.
 *
 * A column with some NaN / ±Inf samples (an FMU that divided by zero for a while) is summarized
 * over its finite samples: min and max of those, the mean over the time covered by segments whose
 * two ends are finite, final only when the last sample is finite. The count of left-out samples is
 * in `non_finite` and in a warning, so nothing is hidden and nothing becomes all-null.
 */
import { statsOf } from './column-stats.ts';
import type { ResultColumn, SimulationResult } from './types.ts';

export interface ColumnSummary {
  min: number | null;
  max: number | null;
  mean: number | null;
  final: number | null;
  unit?: string;
  /** Samples that are NaN or ±Inf, left out of min/max/mean (absent when there are none). */
  non_finite?: number;
}

export function isNumericColumn(c: ResultColumn): c is ResultColumn & { values: Float64Array } {
  return c.values instanceof Float64Array;
}

/** Statistics over the finite samples only (see the file comment). */
function finiteSummary(time: Float64Array, y: Float64Array): Pick<ColumnSummary, 'min' | 'max' | 'mean' | 'final'> {
  let min = Infinity;
  let max = -Infinity;
  let area = 0;
  let covered = 0;
  let lastFinite: number | undefined;
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    const prev = y[i - 1];
    if (i > 0 && prev !== undefined && Number.isFinite(prev)) {
      const dt = (time[i] as number) - (time[i - 1] as number);
      area += 0.5 * (prev + v) * dt;
      covered += dt;
    }
    lastFinite = v;
  }
  if (lastFinite === undefined) return { min: null, max: null, mean: null, final: null };
  const last = y[y.length - 1] as number;
  return {
    min,
    max,
    // No two adjacent finite samples: the mean of the isolated finite values is the honest figure.
    mean: covered > 0 ? area / covered : null,
    final: Number.isFinite(last) ? last : null,
  };
}

/**
 * min, max, the trapezoid ∫ y dt and the count of non-finite samples in ONE pass (a million-row
 * result is summarised in the worker after every run: six passes cost ~70 ms there). The same
 * comparisons and the same sum, term by term, as kpis.ts's extremes() and trapezoid().
 */
function onePass(time: Float64Array, y: Float64Array): { bad: number; min: number; max: number; integral: number } {
  let bad = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const n = y.length;
  let prev = n > 0 ? (y[0] as number) : 0;
  let tPrev = n > 0 ? (time[0] as number) : 0;
  for (let i = 0; i < n; i++) {
    const v = y[i] as number;
    if (!Number.isFinite(v)) bad++;
    if (v < min) min = v;
    if (v > max) max = v;
    const t = time[i] as number;
    if (i > 0) sum += 0.5 * (v + prev) * (t - tPrev);
    prev = v;
    tPrev = t;
  }
  return { bad, min, max, integral: sum };
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function summarizeColumn(time: Float64Array, column: ResultColumn & { values: Float64Array }): ColumnSummary {
  const y = column.values;
  const n = y.length;
  // The recorder's running figures when it recorded this column (column-stats.ts): the same numbers, no pass.
  const p = statsOf(y, time) ?? onePass(time, y);
  let s: ColumnSummary;
  if (n === 0) s = { min: null, max: null, mean: null, final: null };
  else if (p.bad === 0) {
    // As computeMetric('min' | 'max' | 'mean' | 'final') (kpis.ts), which the KPIs of those names use.
    const duration = (time[n - 1] as number) - (time[0] as number);
    s = {
      min: orNull(p.min),
      max: orNull(p.max),
      mean: orNull(duration > 0 ? p.integral / duration : (y[0] as number)),
      final: orNull(y[n - 1] as number),
    };
  } else s = { ...finiteSummary(time, y), non_finite: p.bad };
  if (column.unit !== undefined) s.unit = column.unit;
  return s;
}

/** Summaries of every numeric column; string columns are skipped (listed in `skipped`). */
export function summarizeResult(result: Pick<SimulationResult, 'time' | 'columns'>): {
  summary: Record<string, ColumnSummary>;
  skipped: string[];
  /** One line per column with non-finite samples: how many, and that the statistics leave them out. */
  warnings: string[];
} {
  const summary: Record<string, ColumnSummary> = {};
  const skipped: string[] = [];
  const warnings: string[] = [];
  for (const c of result.columns) {
    if (!isNumericColumn(c)) {
      skipped.push(c.name);
      continue;
    }
    const s = summarizeColumn(result.time, c);
    summary[c.name] = s;
    if (s.non_finite !== undefined) {
      warnings.push(
        `${c.name}: ${s.non_finite} of ${c.values.length} samples are NaN or infinite; min/max/mean are over the finite samples` +
          (s.final === null ? ' and the final value is not finite.' : '.'),
      );
    }
  }
  return { summary, skipped, warnings };
}
