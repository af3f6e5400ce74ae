/**
 * Parameter sweeps: one simulation per combination of start values, run in parallel through the
 * worker pool (which reuses a worker per FMU and caller across the runs). A failing run is
 * recorded with its error and does not stop the others.
 */
import { setMaxListeners } from 'node:events';
import { computeKpis, parseKpis } from '../engine/kpis.ts';
import { summarizeResult } from '../engine/summary.ts';
import type { ColumnSummary } from '../engine/summary.ts';
import type { SimulationResult } from '../engine/types.ts';
import { GatewayError, toGatewayError } from '../errors.ts';
import type { RunOptions, SimulationJob } from '../runner/types.ts';
import type { StartValue } from '../schemas/model-description.ts';
import type { SimulationRunner } from './context.ts';

export type SweepSpec = { parameters: Record<string, readonly GridValue[]> } | { runs: readonly Record<string, StartValue>[] };
/** A value a grid can take: numbers, or true/false for a Boolean parameter. */
export type GridValue = number | boolean;

/** A sweep needs only the runner's `run` (the worker pool, or an in-process runner in tests). */
export type SweepRunner = Pick<SimulationRunner, 'run'>;

export interface SweepOptions {
  /** `<variable>_<metric>` names, computed per run on the full-resolution result. */
  kpis?: readonly string[];
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  callerId?: string;
  /** Runs submitted to the pool at once (the pool queues beyond its size); default 16. */
  concurrency?: number;
  /** Largest accepted number of runs; default 10 000. */
  maxRuns?: number;
  /** Each completed run's full result, before it is dropped (store it, plot it); may be async. */
  onResult?: (run: SweepRun, result: SimulationResult) => void | Promise<void>;
}

export interface SweepRun {
  index: number;
  start_values: Record<string, StartValue>;
  status: 'completed' | 'failed';
  error?: { code: string; message: string };
  summary?: Record<string, ColumnSummary>;
  final?: Record<string, number | string | null>;
  kpis?: Record<string, number | null>;
}

export interface SweepResult {
  total: number;
  completed: number;
  failed: number;
  wall_ms: number;
  runs: SweepRun[];
}

/** Cartesian product; the first parameter varies slowest (nested loops in key order). */
export function expandGrid(parameters: Record<string, readonly GridValue[]>): Record<string, GridValue>[] {
  let combos: Record<string, GridValue>[] = [{}];
  for (const [name, values] of Object.entries(parameters)) {
    if (values.length === 0) throw new GatewayError('BAD_REQUEST', `Sweep parameter "${name}" has no values; give at least one.`);
    const next: Record<string, GridValue>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [name]: v });
    combos = next;
  }
  return combos;
}

function combinations(spec: SweepSpec, maxRuns: number): Record<string, StartValue>[] {
  if ('parameters' in spec) {
    const names = Object.keys(spec.parameters);
    if (names.length === 0) throw new GatewayError('BAD_REQUEST', 'A sweep needs at least one parameter with values.');
    const total = Object.values(spec.parameters).reduce((n, v) => n * v.length, 1);
    if (total > maxRuns) {
      throw new GatewayError('BAD_REQUEST', `The grid has ${total} combinations, more than the limit of ${maxRuns}; use fewer values.`, {
        runs: total,
        max_runs: maxRuns,
      });
    }
    return expandGrid(spec.parameters);
  }
  if (spec.runs.length === 0) throw new GatewayError('BAD_REQUEST', 'A sweep needs at least one run.');
  if (spec.runs.length > maxRuns) {
    throw new GatewayError('BAD_REQUEST', `${spec.runs.length} runs is more than the limit of ${maxRuns}.`, {
      runs: spec.runs.length,
      max_runs: maxRuns,
    });
  }
  return spec.runs.map((r) => ({ ...r }));
}

function describeRun(result: SimulationResult, kpis: readonly string[]): Pick<SweepRun, 'summary' | 'final' | 'kpis'> {
  const { summary } = summarizeResult(result);
  const final: Record<string, number | string | null> = {};
  for (const c of result.columns) {
    final[c.name] = c.values instanceof Float64Array ? (summary[c.name]?.final ?? null) : (c.values[c.values.length - 1] ?? null);
  }
  const out: Pick<SweepRun, 'summary' | 'final' | 'kpis'> = { summary, final };
  if (kpis.length > 0) {
    const numeric = result.columns.filter((c) => c.values instanceof Float64Array).map((c) => c.name);
    const parsed = parseKpis(kpis, numeric);
    out.kpis = computeKpis(parsed, result.time, (name) => {
      const col = result.columns.find((c) => c.name === name);
      return col?.values instanceof Float64Array ? col.values : undefined;
    });
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function sweep(runner: SweepRunner, job: SimulationJob, spec: SweepSpec, opts: SweepOptions = {}): Promise<SweepResult> {
  const t0 = performance.now();
  const combos = combinations(spec, opts.maxRuns ?? 10_000);
  const kpis = opts.kpis ?? [];
  const md = job.fmu.modelDescription;
  // Validate KPI names once up front when the variables are known: a typo fails the request, not every run.
  if (kpis.length > 0 && md !== undefined)
    parseKpis(
      kpis,
      md.variables.map((v) => v.name),
    );
  const runs: SweepRun[] = combos.map((start_values, index) => ({ index, start_values, status: 'failed' }));
  const lanes = Math.max(1, Math.min(opts.concurrency ?? 16, runs.length));
  // Every run in flight listens on the signal (the pool cancels its job on abort). The caller's
  // signal gets ONE listener, forwarding to ours, whose listener bound is the number of lanes: a
  // sweep of 11+ runs must not trip Node's MaxListenersExceededWarning (default bound 10).
  const inner = new AbortController();
  setMaxListeners(lanes + 2, inner.signal);
  const forward = (): void => inner.abort(opts.signal?.reason);
  if (opts.signal?.aborted === true) inner.abort(opts.signal.reason);
  else opts.signal?.addEventListener('abort', forward, { once: true });
  const signal = inner.signal;
  let next = 0;
  let done = 0;

  const runOne = async (run: SweepRun): Promise<void> => {
    const runJob: SimulationJob = {
      fmu: job.fmu,
      options: { ...job.options, startValues: { ...(job.options.startValues ?? {}), ...run.start_values } },
    };
    const runOpts: RunOptions = { callerId: opts.callerId ?? 'sweep', signal };
    for (;;) {
      try {
        const result = await runner.run(runJob, runOpts);
        Object.assign(run, { status: 'completed' }, describeRun(result, kpis));
        await opts.onResult?.(run, result);
        return;
      } catch (e) {
        const g = toGatewayError(e);
        // Another caller filled the pool's queue: wait for room rather than fail this run.
        if (g.code === 'QUEUE_FULL' && !signal.aborted) {
          await sleep(50);
          continue;
        }
        run.status = 'failed';
        run.error = { code: g.code, message: g.message };
        return;
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (next < runs.length) {
      const run = runs[next++] as SweepRun;
      if (signal.aborted) run.error = { code: 'CANCELLED', message: 'The sweep was cancelled before this run started.' };
      else await runOne(run);
      done++;
      opts.onProgress?.(done, runs.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    opts.signal?.removeEventListener('abort', forward);
  }
  const completed = runs.filter((r) => r.status === 'completed').length;
  return { total: runs.length, completed, failed: runs.length - completed, wall_ms: Math.round(performance.now() - t0), runs };
}
