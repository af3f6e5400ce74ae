/**
 * Reading a stored run piece by piece, for results too large to hand over whole: chosen columns,
 * a time window, a decimation (every stride-th row) and a page size, with the time to continue
 * from. And the list of a caller's recent runs.
 *
 * The rows come from the run's columnar file by index: the window's ends are found by binary
 * search on the (non-decreasing) time column, then only the page's row range of the chosen
 * columns is read, one read per column. No CSV is parsed, no other column is touched.
 */
import { readdirSync } from 'node:fs';
import { GatewayError } from '../errors.ts';
import type { ColumnValues, ResultFile } from '../store/run-result-store.ts';
import { DEFAULT_SLICE_ROWS, MAX_SLICE_ROWS } from '../schemas/results.ts';
import type { ServiceContext } from './context.ts';
import { ensureRunsLocal, runIdFromUri } from './read-run.ts';
import { resultUri } from './simulate-result.ts';

export interface RunSliceQuery {
  columns?: readonly string[];
  /** Inclusive window, s. */
  startTime?: number;
  stopTime?: number;
  /** Every stride-th row of the window, counted from its first row. Default 1. */
  stride?: number;
  /** Page size; default DEFAULT_SLICE_ROWS, at most MAX_SLICE_ROWS. */
  maxRows?: number;
}

export interface RunColumnInfo {
  name: string;
  unit?: string;
  type?: string;
}

export interface RunSlice {
  runId: string;
  columns: RunColumnInfo[];
  totalRows: number;
  time: number[];
  /** One array per selected column, aligned with `time`; numbers (NaN / ±Infinity kept) or strings. */
  values: (number | string)[][];
  stride: number;
  /** Set when the window has more rows after this page: the start_time of the next page. */
  nextStartTime?: number;
}

/** Who may read a run: the caller that made it (stdio has one local caller). */
export interface RunAccess {
  callerId?: string;
}

/** "fmu-gateway://runs/<id>/result.csv" or a bare id → the id. */
export function normalizeRunId(idOrUri: string): string {
  return runIdFromUri(idOrUri) ?? idOrUri;
}

function notFound(runId: string): GatewayError {
  return new GatewayError('NOT_FOUND', `There is no stored result for run "${runId}"`, {
    run_id: runId,
    hint: 'Use a run_id returned by simulate or sweep on this gateway (resources/list shows your recent runs).',
  });
}

/** The run's metadata, when the caller may see it (another caller's run looks absent). */
export function readOwnedMeta(ctx: ServiceContext, runId: string, access: RunAccess = {}): Record<string, unknown> {
  const meta = ctx.results.readMeta(runId);
  const owner = meta.caller_id;
  if (access.callerId !== undefined && typeof owner === 'string' && owner !== access.callerId) throw notFound(runId);
  return meta;
}

function columnsOf(meta: Record<string, unknown>): RunColumnInfo[] {
  const cols = Array.isArray(meta.columns) ? (meta.columns as { name?: unknown; unit?: unknown; type?: unknown }[]) : [];
  return cols.map((c) => {
    const info: RunColumnInfo = { name: String(c.name) };
    if (typeof c.unit === 'string') info.unit = c.unit;
    if (typeof c.type === 'string') info.type = c.type;
    return info;
  });
}

/** First row in [lo, hi) whose time is >= t (strict: > t), by binary search with one-value reads. */
async function firstRowAtOrAfter(file: ResultFile, t: number, strict: boolean, lo = 0, hi = file.rows): Promise<number> {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = (await file.readTime(mid, mid + 1))[0] as number;
    if (strict ? v > t : v >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Every stride-th value as a plain array: numbers (64-bit integers as the nearest number, bools 0/1) or strings. */
function strided(v: ColumnValues, stride: number, count: number): (number | string)[] {
  const out: (number | string)[] = new Array<number | string>(count);
  for (let k = 0; k < count; k++) {
    const x = v[k * stride] as number | bigint | string;
    out[k] = typeof x === 'bigint' ? Number(x) : x;
  }
  return out;
}

export async function readRunSlice(
  ctx: ServiceContext,
  runIdOrUri: string,
  query: RunSliceQuery = {},
  access: RunAccess = {},
): Promise<RunSlice> {
  const runId = normalizeRunId(runIdOrUri);
  await ensureRunsLocal(ctx, [runId]);
  const meta = readOwnedMeta(ctx, runId, access); // NOT_FOUND for unknown or malformed ids
  const all = columnsOf(meta);
  const names = all.map((c) => c.name);
  const wanted = query.columns ?? names;
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    throw new GatewayError('UNKNOWN_VARIABLE', `Run ${runId} has no column ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      unknown,
      valid_names: names,
      hint: `Use columns from: ${names.join(', ')}.`,
    });
  }
  const start = query.startTime ?? -Infinity;
  const stop = query.stopTime ?? Infinity;
  if (stop < start) {
    throw new GatewayError('BAD_REQUEST', `stop_time (${stop}) is before start_time (${start})`, { hint: 'Give stop_time >= start_time.' });
  }
  const stride = Math.max(1, Math.floor(query.stride ?? 1));
  const maxRows = Math.min(MAX_SLICE_ROWS, Math.max(1, Math.floor(query.maxRows ?? DEFAULT_SLICE_ROWS)));
  const slice: RunSlice = {
    runId,
    columns: wanted.map((n) => all.find((c) => c.name === n) as RunColumnInfo),
    totalRows: typeof meta.rows === 'number' ? meta.rows : 0,
    time: [],
    values: wanted.map(() => []),
    stride,
  };
  let file: ResultFile;
  try {
    file = await ctx.results.open(runId);
  } catch (e) {
    if (e instanceof GatewayError && e.code === 'NOT_FOUND') throw notFound(runId);
    throw e;
  }
  try {
    const fileNames = file.columns.map((c) => c.name);
    const index = wanted.map((n) => fileNames.indexOf(n));
    const first = await firstRowAtOrAfter(file, start, false);
    const end = await firstRowAtOrAfter(file, stop, true, first);
    const inWindow = Math.ceil(Math.max(0, end - first) / stride);
    const count = Math.min(maxRows, inWindow);
    if (count > 0) {
      const last = first + (count - 1) * stride + 1;
      const [time, ...values] = await Promise.all([file.readTime(first, last), ...index.map((k) => file.readColumn(k, first, last))]);
      slice.time = strided(time as Float64Array, stride, count) as number[];
      slice.values = values.map((v) => strided(v as ColumnValues, stride, count));
    }
    if (inWindow > count) slice.nextStartTime = (await file.readTime(first + count * stride, first + count * stride + 1))[0] as number;
  } finally {
    await file.close();
  }
  return slice;
}

export interface RunListing {
  runId: string;
  uri: string;
  modelName?: string;
  fmuId?: string;
  rows?: number;
  startedAt?: string;
}

/**
 * The caller's most recent runs, newest first. Run ids begin with their start time (base 36), so
 * sorting the ids sorts by time; metadata is read only until `limit` runs of the caller are found.
 */
export function listRecentRuns(ctx: ServiceContext, access: RunAccess & { limit?: number } = {}): RunListing[] {
  const limit = access.limit ?? 50;
  let ids: string[];
  try {
    // Unfinished runs are hidden dot-folders; any other odd name fails readMeta and is skipped.
    ids = readdirSync(ctx.results.dir).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
  ids.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const out: RunListing[] = [];
  for (const runId of ids) {
    if (out.length >= limit) break;
    let meta: Record<string, unknown>;
    try {
      meta = readOwnedMeta(ctx, runId, access);
    } catch {
      continue;
    }
    const prov = (meta.provenance ?? {}) as { model_name?: unknown; fmu_id?: unknown; started_at?: unknown };
    const item: RunListing = { runId, uri: resultUri(runId) };
    if (typeof prov.model_name === 'string') item.modelName = prov.model_name;
    if (typeof prov.fmu_id === 'string') item.fmuId = prov.fmu_id;
    if (typeof meta.rows === 'number') item.rows = meta.rows;
    if (typeof prov.started_at === 'string') item.startedAt = prov.started_at;
    out.push(item);
  }
  return out;
}
