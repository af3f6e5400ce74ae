/**
 * The reductions of a result an answer needs (per-output summary, requested KPIs, downsampled
 * series for the requested point budgets), computed where the full columns already are: in the
 * worker, right after the run. The gateway's event loop then never scans a million rows; the
 * answer is the same as computing them in the gateway (same functions, same definitions).
 */
import { eventRowsOf } from './column-stats.ts';
import { pick, selectRows } from './downsample.ts';
import { computeKpis, type ParsedKpi } from './kpis.ts';
import { isNumericColumn, summarizeResult, type ColumnSummary } from './summary.ts';
import type { SimulationResult } from './types.ts';

export interface DigestRequest {
  kpis: readonly ParsedKpi[];
  /** Point budgets of the downsampled series wanted (the inline series, a plot). */
  seriesPoints: readonly number[];
}

export type Series = Record<string, (number | null)[]>;

export interface ResultDigest {
  summary: Record<string, ColumnSummary>;
  /** Non-numeric columns, not summarised. */
  skipped: string[];
  /** What the summary has to say (non-finite samples left out). */
  warnings: string[];
  kpis: Record<string, number | null>;
  /** Series by point budget: "time" and every numeric column except one named "time". */
  series: { points: number; values: Series }[];
  /** Times of the rows recorded at events (ME), each once, at most MAX_EVENT_TIMES. */
  eventTimes: number[];
}

/** Enough for any agent-sized answer; the full result has every row. */
export const MAX_EVENT_TIMES = 1000;

/** Times of the events the ME driver handled (rows marked before/after an event), at most MAX_EVENT_TIMES. */
export function eventTimesOf(result: Pick<SimulationResult, 'rows' | 'time' | 'eventRows'>): number[] {
  const out: number[] = [];
  const marks = result.eventRows;
  if (marks === undefined) return out;
  const listed = eventRowsOf(marks);
  if (listed !== undefined) {
    for (let k = 0; k < listed.length && out.length < MAX_EVENT_TIMES; k++) {
      const r = listed[k] as number;
      if (r >= result.rows) break;
      const t = result.time[r] as number;
      if (out[out.length - 1] !== t) out.push(t);
    }
    return out;
  }
  for (let r = 0; r < result.rows && out.length < MAX_EVENT_TIMES; r++) {
    const t = result.time[r] as number;
    if (marks[r] === 1 && out[out.length - 1] !== t) out.push(t);
  }
  return out;
}

/** The downsampled series of a result: time and the numeric outputs at the same chosen rows. */
export function downsampleSeries(result: Pick<SimulationResult, 'rows' | 'time' | 'columns' | 'eventRows'>, maxPoints: number): Series {
  const cols = result.columns.filter(isNumericColumn).filter((c) => c.name !== 'time');
  const rows = selectRows(
    { rows: result.rows, columns: cols.map((c) => c.values), ...(result.eventRows ? { eventRows: result.eventRows } : {}) },
    maxPoints,
  );
  const series: Series = { time: pick(result.time, rows) };
  for (const c of cols) series[c.name] = pick(c.values, rows);
  return series;
}

export function digestResult(result: Pick<SimulationResult, 'rows' | 'time' | 'columns' | 'eventRows'>, req: DigestRequest): ResultDigest {
  const { summary, skipped, warnings } = summarizeResult(result);
  const byName = new Map(result.columns.filter(isNumericColumn).map((c) => [c.name, c.values]));
  return {
    summary,
    skipped,
    warnings,
    kpis: computeKpis(req.kpis, result.time, (n) => byName.get(n)),
    series: [...new Set(req.seriesPoints)].map((points) => ({ points, values: downsampleSeries(result, points) })),
    eventTimes: eventTimesOf(result),
  };
}
