/**
 * Charts of stored runs, drawn from every row: the chosen columns of a run's columnar file are
 * read in blocks and reduced to per-pixel-column envelopes (envelope.ts), then handed to the one
 * renderer (chart.ts). Used by simulate's plot (REST, MCP), the CLI's `run` plot.png, sweep
 * overlays and compare_runs.
 *
 * How a column is drawn follows its FMI type and variability: Boolean and Clock as steps on a
 * false/true axis; integers, enumerations and discrete reals as steps; continuous reals as lines.
 */
import { exportInfoOf, type ColumnInfo, type ExportInfo } from '../store/result-columns.ts';
import type { ResultFile } from '../store/result-file-reader.ts';
import type { ResultFileColumn } from '../schemas/result-file.ts';
import { plotAreaWidth, renderPng, type PlotInput, type PlotSeries } from './chart.ts';
import { EnvelopeBuilder, type Envelope } from './envelope.ts';

/** Rows read per block while reducing. */
const BLOCK_ROWS = 65_536;

const INTEGER_TYPES = new Set(['Int8', 'UInt8', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Enumeration']);

/** How a column is drawn (see the file comment). */
export function drawingOf(c: Pick<ResultFileColumn, 'fmi_type'>, info?: ColumnInfo): { boolean?: true; step?: true } {
  if (c.fmi_type === 'Boolean' || c.fmi_type === 'Clock') return { boolean: true };
  if (INTEGER_TYPES.has(c.fmi_type) || info?.variability === 'discrete') return { step: true };
  return {};
}

/** The first and last time of a stored result (undefined when it has no rows). */
export async function timeRangeOf(file: ResultFile): Promise<{ t0: number; t1: number } | undefined> {
  if (file.rows === 0) return undefined;
  const first = (await file.readTime(0, 1))[0] as number;
  const last = (await file.readTime(file.rows - 1, file.rows))[0] as number;
  return { t0: first, t1: last };
}

/** Envelopes of columns `indexes` of `file` over [t0, t1] in `pixels` columns, in one pass over the rows. */
export async function columnEnvelopes(
  file: ResultFile,
  indexes: readonly number[],
  t0: number,
  t1: number,
  pixels: number,
): Promise<Envelope[]> {
  const builders = indexes.map(() => new EnvelopeBuilder(t0, t1, pixels));
  for (let from = 0; from < file.rows; from += BLOCK_ROWS) {
    const to = Math.min(file.rows, from + BLOCK_ROWS);
    const [time, ...values] = await Promise.all([file.readTime(from, to), ...indexes.map((i) => file.readColumn(i, from, to))]);
    values.forEach((v, k) => {
      if (!Array.isArray(v)) (builders[k] as EnvelopeBuilder).add(time as Float64Array, v as ArrayLike<number | bigint>);
    });
  }
  return builders.map((b) => b.result());
}

/** Indexes of the columns to draw: the named ones (unknown names are skipped), else every numeric one but "time". */
export function plottedColumns(file: ResultFile, variables?: readonly string[]): number[] {
  if (variables !== undefined) {
    return variables.map((n) => file.columns.findIndex((c) => c.name === n)).filter((i) => i >= 0 && file.columns[i]?.storage !== 'string');
  }
  return file.columns.flatMap((c, i) => (c.storage !== 'string' && c.name !== 'time' ? [i] : []));
}

export interface ResultChartOptions {
  title: string;
  variables?: readonly string[];
  /** Column descriptions (variability) from the run's meta. */
  info?: ExportInfo;
  width?: number;
  height?: number;
}

/** The chart input of one stored result, every row reduced to the chart's pixel columns. */
export async function chartOfResult(file: ResultFile, opts: ResultChartOptions): Promise<PlotInput> {
  const indexes = plottedColumns(file, opts.variables);
  const range = (await timeRangeOf(file)) ?? { t0: 0, t1: 1 };
  const t1 = range.t1 > range.t0 ? range.t1 : range.t0 + 1;
  const envelopes = await columnEnvelopes(file, indexes, range.t0, t1, plotAreaWidth(opts.width));
  const series: PlotSeries[] = indexes.map((i, k) => {
    const c = file.columns[i] as ResultFileColumn;
    const s: PlotSeries = { name: c.name, envelope: envelopes[k] as Envelope, ...drawingOf(c, opts.info?.columns.get(c.name)) };
    if (c.unit !== undefined) s.unit = c.unit;
    return s;
  });
  return {
    title: opts.title,
    time: [],
    series,
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    ...(opts.height !== undefined ? { height: opts.height } : {}),
  };
}

/** PNG of one stored result (see chartOfResult). */
export async function plotResultFile(file: ResultFile, opts: ResultChartOptions): Promise<Buffer> {
  return renderPng(await chartOfResult(file, opts));
}

export interface OverlayRun {
  file: ResultFile;
  /** Legend text of the run's lines (its parameter values, or its id). */
  label: string;
  info?: ExportInfo;
}

/**
 * Sweep and comparison overlays: one panel per variable, one line per run, each run's every row
 * reduced over the common time span.
 */
export async function overlayChart(
  runs: readonly OverlayRun[],
  variables: readonly string[],
  opts: { title: string; width?: number; height?: number },
): Promise<PlotInput> {
  const ranges = (await Promise.all(runs.map((r) => timeRangeOf(r.file)))).filter((r) => r !== undefined);
  const t0 = ranges.length > 0 ? Math.min(...ranges.map((r) => r.t0)) : 0;
  const t1raw = ranges.length > 0 ? Math.max(...ranges.map((r) => r.t1)) : 1;
  const t1 = t1raw > t0 ? t1raw : t0 + 1;
  const pixels = plotAreaWidth(opts.width);
  const series: PlotSeries[] = [];
  for (const run of runs) {
    const indexes = plottedColumns(run.file, variables);
    const envelopes = await columnEnvelopes(run.file, indexes, t0, t1, pixels);
    indexes.forEach((i, k) => {
      const c = run.file.columns[i] as ResultFileColumn;
      const s: PlotSeries = {
        name: c.name,
        label: run.label,
        envelope: envelopes[k] as Envelope,
        ...drawingOf(c, run.info?.columns.get(c.name)),
      };
      if (c.unit !== undefined) s.unit = c.unit;
      series.push(s);
    });
  }
  return {
    title: opts.title,
    time: [],
    series,
    groupBy: 'variable',
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    ...(opts.height !== undefined ? { height: opts.height } : {}),
  };
}

/** What plotting a stored run needs of the result store. */
export interface StoredRuns {
  open(runId: string): Promise<ResultFile>;
  readMeta(runId: string): Record<string, unknown>;
}

/** PNG of a stored run, from every row of its result (NOT_FOUND as the store's open). */
export async function plotStoredRun(results: StoredRuns, runId: string, opts: Omit<ResultChartOptions, 'info'>): Promise<Buffer> {
  const info = exportInfoOf(results.readMeta(runId));
  const file = await results.open(runId);
  try {
    return await plotResultFile(file, { ...opts, info });
  } finally {
    await file.close();
  }
}

/** PNG overlay of stored runs (sweeps, compare_runs): one panel per variable, one line per run. */
export async function plotStoredOverlay(
  results: StoredRuns,
  runs: readonly { runId: string; label: string }[],
  variables: readonly string[],
  opts: { title: string; width?: number; height?: number },
): Promise<Buffer> {
  const opened: OverlayRun[] = [];
  try {
    for (const r of runs) {
      const info = exportInfoOf(results.readMeta(r.runId));
      opened.push({ file: await results.open(r.runId), label: r.label, info });
    }
    return renderPng(await overlayChart(opened, variables, opts));
  } finally {
    await Promise.all(opened.map((o) => o.file.close()));
  }
}
