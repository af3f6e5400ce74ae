/**
 * Per-output summary of a result: min, max, time-weighted mean and final value, computed on
 * the full-resolution columns with the same definitions as the KPIs of the same names.
 */
import type { ResultColumn, SimulationResult } from './types.ts';
import { computeMetric } from './kpis.ts';

export interface ColumnSummary {
  min: number | null;
  max: number | null;
  mean: number | null;
  final: number | null;
  unit?: string;
}

export function isNumericColumn(c: ResultColumn): c is ResultColumn & { values: Float64Array } {
  return c.values instanceof Float64Array;
}

export function summarizeColumn(time: Float64Array, column: ResultColumn & { values: Float64Array }): ColumnSummary {
  const s: ColumnSummary = {
    min: computeMetric('min', time, column.values),
    max: computeMetric('max', time, column.values),
    mean: computeMetric('mean', time, column.values),
    final: computeMetric('final', time, column.values),
  };
  if (column.unit !== undefined) s.unit = column.unit;
  return s;
}

/** Summaries of every numeric column; string columns are skipped (listed in `skipped`). */
export function summarizeResult(result: Pick<SimulationResult, 'time' | 'columns'>): {
  summary: Record<string, ColumnSummary>;
  skipped: string[];
} {
  const summary: Record<string, ColumnSummary> = {};
  const skipped: string[] = [];
  for (const c of result.columns) {
    if (isNumericColumn(c)) summary[c.name] = summarizeColumn(result.time, c);
    else skipped.push(c.name);
  }
  return { summary, skipped };
}
