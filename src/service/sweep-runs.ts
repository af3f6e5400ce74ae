/**
 * Use case sweep: one simulate request with some parameters varied over a full-factorial grid.
 * Every run is checked like simulate (once, before any worker is busy), runs in parallel through
 * the runner, and is stored like a simulate run (get_result / compare_runs work on it). The answer
 * is one row per run (swept values, summary, KPIs, run_id) and, on request, an overlay plot.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { LOCAL_CALLER } from '../schemas/accounts.ts';
import { assertRunnable } from '../fmi/unsupported-features.ts';
import type { SimulationResult } from '../engine/types.ts';
import { findVariable, isNumericType, requireVariable } from '../engine/variables.ts';
import type { ModelDescription, StartValue } from '../schemas/model-description.ts';
import { estimateRows, type SimulateInput, type SweepInput, type SweepRunOutput, type SweepSuccess } from '../schemas/simulate.ts';
import { newRunId } from '../store/run-result-store.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { gatedRun } from './payment-gate.ts';
import { plotStoredOverlay } from '../report/result-chart.ts';
import { keepCompletedRun } from './run-store.ts';
import { planSimulation } from './simulate-plan.ts';
import { buildCompleted, localProvenance } from './simulate-result.ts';
import { runsOf, writeSweepRecord } from './sweep-store.ts';
import { expandGrid, sweep, type GridValue, type SweepRun } from './sweep.ts';

/** Lines in an overlay plot: beyond this the chart is a blur; the table has every run. */
export const MAX_PLOTTED_RUNS = 40;

export interface SweepCallOptions {
  signal?: AbortSignal;
  callerId?: string;
  /** After each finished run (completed or failed): how many are done of how many. */
  onRunDone?: (done: number, total: number) => void;
  /** The caller already holds an admission ticket for this sweep (it releases it). */
  admitted?: boolean;
  /** Runs submitted to the runner at once (default: the sweep's own default). */
  concurrency?: number;
  /** Size of the overlay plot (input.plot): MCP passes MCP_PLOT_SIZE (report/chart.ts). */
  plotSize?: { width?: number; height?: number };
  /** The caller already took the payment for every run of this sweep (REST POST /sweep, sweep-jobs.ts). */
  prepaid?: boolean;
  /** An x402 payment for the whole sweep (MCP `_meta["x402/payment"]`). */
  x402Payment?: unknown;
  /**
   * The sweep's id when its caller keeps the record (the asynchronous REST sweep, sweep-jobs.ts);
   * otherwise a new id is made and the record written here (sweep-store.ts), for `report`.
   */
  sweepId?: string;
}

export interface SweepServiceResult {
  output: SweepSuccess;
  plotPng?: Buffer;
}

function label(values: Record<string, StartValue>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(', ');
}

export async function sweepRuns(ctx: ServiceContext, input: SweepInput, opts: SweepCallOptions = {}): Promise<SweepServiceResult> {
  // One place per sweep (its runs take turns with other callers' jobs in the pool's scheduler);
  // an asynchronous sweep (sweep-jobs.ts) holds its place from acceptance on.
  const ticket = opts.admitted === true ? undefined : ctx.admission?.admit(opts.callerId ?? ctx.access?.callerId);
  try {
    return await admittedSweep(ctx, input, opts);
  } finally {
    ticket?.release();
  }
}

async function admittedSweep(ctx: ServiceContext, input: SweepInput, opts: SweepCallOptions): Promise<SweepServiceResult> {
  const { parameters, ...base } = input;
  const names = parameters.map((p) => p.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) {
    throw new GatewayError('BAD_REQUEST', `parameters names ${repeated.map((n) => `"${n}"`).join(', ')} more than once`, {
      hint: 'Give each parameter once, with all its values.',
    });
  }
  const fixed = names.filter((n) => base.start_values?.[n] !== undefined);
  if (fixed.length > 0) {
    throw new GatewayError('BAD_REQUEST', `${fixed.map((n) => `"${n}"`).join(', ')} is both swept and fixed in start_values`, {
      variables: fixed,
      hint: 'Remove the swept parameters from start_values.',
    });
  }
  const combos = expandGrid(Object.fromEntries(parameters.map((p): [string, GridValue[]] => [p.name, p.values])));
  const resolved = await resolveFmu(ctx, input.fmu_id, input.fmi_version);
  const { opened } = resolved;
  const md = opened.modelDescription;
  assertRunnable(md);
  for (const name of names) requireVariable(md, name, 'parameters');
  const first: SimulateInput = { ...base, start_values: { ...base.start_values, ...combos[0] } };
  // Checks every name (swept ones included), times, rows and KPIs once for all runs.
  const plan = planSimulation(md, first, ctx.config.limits.maxOutputRows);
  const binaryPath = ctx.ensureBinary
    ? await ctx.ensureBinary(opened, plan.options.interface, resolved.compileOptions, opts.callerId ?? ctx.access?.callerId)
    : undefined;
  const job = {
    fmu: {
      sha256: opened.sha256,
      unpackedDir: opened.unpackedDir,
      modelDescription: md,
      ...(binaryPath !== undefined ? { binaryPath } : {}),
    },
    options: plan.options,
  };
  const plotVars = input.plot === true ? (input.plot_variables ?? plan.recorded.filter((n) => isPlottable(md, n)).slice(0, 6)) : [];
  const overlays: { run: number; runId: string }[] = [];
  const startedAt = new Date();
  const onResult = async (run: SweepRun, result: SimulationResult): Promise<void> => {
    const runId = newRunId();
    const completed = buildCompleted({
      runId,
      // The runs' start values are the grid's (numbers, booleans), never FMI 3 arrays.
      input: { ...base, start_values: { ...base.start_values, ...(run.start_values as Record<string, GridValue>) } },
      plan,
      result,
      provenance: localProvenance(input.fmu_id, opened, ctx.runner.isolation, startedAt, result),
    });
    // Stored and, for an identified caller (REST, MCP over HTTP), recorded like a simulate run:
    // its owner can read it by run_id (GET /v2/runs/{id}/result.csv) and it is in the usage.
    const ranFor = completed.stats.wall_ms;
    await keepCompletedRun(ctx, completed, result, opts.callerId, md, {
      fmuId: input.fmu_id,
      sha256: opened.sha256,
      startedAt: new Date(Date.now() - (Number.isFinite(ranFor) ? ranFor : 0)),
    });
    Object.assign(run, { run_id: runId, summary: completed.summary, kpis: completed.kpis });
    if (plotVars.length > 0 && overlays.length < MAX_PLOTTED_RUNS) overlays.push({ run: run.index, runId });
  };
  const runSweep = () =>
    sweep(
      ctx.runner,
      job,
      { runs: combos },
      {
        onResult,
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        ...(opts.callerId !== undefined ? { callerId: opts.callerId } : {}),
        ...(opts.onRunDone !== undefined ? { onProgress: opts.onRunDone } : {}),
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      },
    );
  // A sweep is paid like its runs: the price of all its rows, taken once before the first run
  // (payment-gate.ts; without payments this only runs it). REST's asynchronous sweep paid already.
  const callerId = opts.callerId ?? ctx.access?.callerId;
  const result =
    opts.prepaid === true
      ? await runSweep()
      : (
          await gatedRun(
            ctx,
            {
              input,
              fmuId: input.fmu_id,
              rows: estimateRows(plan.startTime, plan.stopTime, plan.step) * combos.length,
              ...(callerId === undefined ? {} : { callerId }),
              ...(opts.x402Payment === undefined ? {} : { x402Payment: opts.x402Payment }),
              resource: 'fmu-gateway://tools/sweep',
            },
            runSweep,
          )
        ).value;
  const runs: SweepRunOutput[] = result.runs.map((r) => {
    const row: SweepRunOutput = { index: r.index, start_values: r.start_values as Record<string, GridValue>, status: r.status };
    const extra = r as SweepRun & { run_id?: string };
    if (extra.run_id !== undefined) row.run_id = extra.run_id;
    if (r.error !== undefined) row.error = r.error;
    if (r.summary !== undefined) row.summary = r.summary;
    if (r.kpis !== undefined && Object.keys(r.kpis).length > 0) row.kpis = r.kpis;
    return row;
  });
  const warnings = [...plan.warnings];
  if (plotVars.length > 0 && result.completed > MAX_PLOTTED_RUNS) {
    warnings.push(`The plot shows the first ${MAX_PLOTTED_RUNS} completed runs of ${result.completed}.`);
  }
  const output: SweepSuccess = {
    status: 'ok',
    total: result.total,
    completed: result.completed,
    failed: result.failed,
    wall_ms: result.wall_ms,
    parameters: names,
    runs,
    warnings,
  };
  if (opts.sweepId !== undefined) output.sweep_id = opts.sweepId;
  else recordSweep(ctx, input, output, callerId, startedAt);
  ctx.logger.info('sweep completed', { fmu_id: input.fmu_id, runs: result.total, failed: result.failed, wall_ms: result.wall_ms });
  if (plotVars.length === 0 || overlays.length === 0) return { output };
  overlays.sort((a, b) => a.run - b.run);
  const title = `${md.model_name}: sweep of ${names.join(', ')} (${result.completed} runs)`;
  // Every stored row of each run, reduced per pixel column (report/result-chart.ts).
  const runsToPlot = overlays.map((o) => ({ runId: o.runId, label: label(combos[o.run] ?? {}) }));
  return { output, plotPng: await plotStoredOverlay(ctx.results, runsToPlot, plotVars, { title, ...opts.plotSize }) };
}

/**
 * Keeps a finished synchronous sweep as a record (its runs are stored already) and puts its id in
 * the answer. A record that cannot be written costs the id, not the sweep: the runs and their
 * run_ids are still the answer, and an id is handed out only once its record is on disk.
 */
function recordSweep(ctx: ServiceContext, input: SweepInput, output: SweepSuccess, callerId: string | undefined, startedAt: Date): void {
  const sweepId = randomUUID();
  try {
    writeSweepRecord(ctx, {
      sweep_id: sweepId,
      caller_id: callerId ?? LOCAL_CALLER,
      status: 'COMPLETED',
      total_runs: output.total,
      completed_runs: output.total,
      started_at: startedAt.getTime() / 1000,
      completed_at: Date.now() / 1000,
      results: runsOf(input, output),
      output: { ...output, sweep_id: sweepId },
    });
    output.sweep_id = sweepId;
  } catch (e) {
    ctx.logger.warn('sweep record not written; the answer has no sweep_id', { error: e instanceof Error ? e.message : String(e) });
  }
}

function isPlottable(md: ModelDescription, name: string): boolean {
  const v = findVariable(md, name);
  return v !== undefined && isNumericType(v.type);
}
