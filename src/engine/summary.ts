/**
 * Per-output summary of a result: min, max, time-weighted mean and final value, computed on
 * the full-resolution columns with the same definitions as the KPIs of the same names.
 *
 * A column with some NaN / ±Inf samples (an FMU that divided by zero for a while) is summarized
 * over its finite samples: min and max of those, the mean over the time covered by segments whose
 * two ends are finite, final only when the last sample is finite. The count of left-out samples is
 * in `non_finite` and in a warning, so nothing is hidden and nothing becomes all-null.
 */
import type { ResultColumn, SimulationResult } from './types.ts';
import { computeMetric } from './kpis.ts';

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

function countNonFinite(y: Float64Array): number {
  let n = 0;
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i] as number)) n++;
  return n;
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

export function summarizeColumn(time: Float64Array, column: ResultColumn & { values: Float64Array }): ColumnSummary {
  const bad = countNonFinite(column.values);
  const s: ColumnSummary =
    bad === 0
      ? {
          min: computeMetric('min', time, column.values),
          max: computeMetric('max', time, column.values),
          mean: computeMetric('mean', time, column.values),
          final: computeMetric('final', time, column.values),
        }
      : { ...finiteSummary(time, column.values), non_finite: bad };
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
