/**
 * Asynchronous sweeps (REST POST /sweep): accepted at once (202 + results_url), run in the
 * background through the same runner as every simulation (the local pool, or the queue when the
 * gateway scales out), then readable by the key that started them: per-run parameters and KPIs,
 * an overlay chart of the runs and the x–y charts asked for. An accepted sweep is written to disk
 * (temporary file, fsync, rename) before the 202, and again when it ends, so it outlives the
 * process; one that was running when the process ended reads as FAILED (interrupted).
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { requireVariable } from '../engine/variables.ts';
import { estimateRows, type SweepInput } from '../schemas/simulate.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { gatedRun } from './payment-gate.ts';
import { renderPng } from '../report/chart.ts';
import { planSimulation } from './simulate-plan.ts';
import { sweepRuns } from './sweep-runs.ts';
import { readSweepRecord, runsOf, writeSweepRecord, type SweepChart, type SweepJob, type SweepJobRun } from './sweep-store.ts';

export type { SweepChart, SweepJob, SweepJobRun, SweepJobStatus } from './sweep-store.ts';

/** An x–y chart of one KPI over one parameter across the runs ("start_values.k", "kpis.x_max"). */
export interface XYChartRequest {
  chart_title: string;
  x_axis_param: string;
  y_axis_kpi: string;
}

/** Sweeps one key may have running at once: more are refused (503), not queued without bound. */
export const MAX_RUNNING_PER_CALLER = 2;

const jobs = new Map<string, SweepJob>();

function shortPath(path: string): string {
  return path.startsWith('kpis.') || path.startsWith('parameters.') ? path.slice(path.indexOf('.') + 1) : path;
}

/** A value of one run by the original's dot paths: a parameter ("start_values.k") or a KPI ("kpis.x_max"). */
function valueOf(run: SweepJobRun, path: string): number | undefined {
  const direct = run.parameters[path] ?? run.kpis[path] ?? undefined;
  if (typeof direct === 'number') return direct;
  const short = shortPath(path);
  const v = run.parameters[short] ?? run.parameters[`start_values.${short}`] ?? run.kpis[short];
  return typeof v === 'number' ? v : undefined;
}

function xyChart(req: XYChartRequest, runs: SweepJobRun[]): SweepChart | undefined {
  const points = runs
    .map((r) => [valueOf(r, req.x_axis_param), valueOf(r, req.y_axis_kpi)] as const)
    .filter((p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined)
    .sort((a, b) => a[0] - b[0]);
  if (points.length === 0) return undefined;
  const png = renderPng({
    title: `${req.chart_title} (x: ${req.x_axis_param})`,
    time: points.map((p) => p[0]),
    series: [{ name: shortPath(req.y_axis_kpi), values: points.map((p) => p[1]) }],
  });
  return { chart_title: req.chart_title, image_base64: `data:image/png;base64,${png.toString('base64')}` };
}

export interface StartSweepOptions {
  callerId: string;
  charts?: readonly XYChartRequest[];
  /** An x402 payment for the whole sweep (the price of all its rows); a payment_token travels in the input. */
  x402Payment?: unknown;
}

/**
 * Checks the sweep (model, names, times: errors now, not in the background), gates the payment
 * for all its rows, and starts it. Resolves once accepted.
 */
export async function startSweepJob(ctx: ServiceContext, input: SweepInput, opts: StartSweepOptions): Promise<SweepJob> {
  const running = [...jobs.values()].filter((j) => j.caller_id === opts.callerId && j.status === 'RUNNING').length;
  if (running >= MAX_RUNNING_PER_CALLER) {
    throw new GatewayError('QUEUE_FULL', `This key has ${running} sweeps running; at most ${MAX_RUNNING_PER_CALLER} at once`, {
      retry_after: 10,
      hint: 'Wait for one to finish (GET its results_url), then start the next.',
    });
  }
  const total = input.parameters.reduce((n, p) => n * p.values.length, 1);
  const { opened } = await resolveFmu(ctx, input.fmu_id, input.fmi_version);
  // Unknown or unsettable names are refused now (422), not reported later as a failed sweep.
  for (const p of input.parameters) requireVariable(opened.modelDescription, p.name, 'parameters');
  const { parameters: _p, ...base } = input;
  const plan = planSimulation(
    opened.modelDescription,
    { ...base, start_values: { ...base.start_values } },
    ctx.config.limits.maxOutputRows,
  );
  const rows = estimateRows(plan.startTime, plan.stopTime, plan.step) * total;
  const job: SweepJob = {
    sweep_id: randomUUID(),
    caller_id: opts.callerId,
    status: 'RUNNING',
    total_runs: total,
    completed_runs: 0,
    started_at: Date.now() / 1000,
  };
  // Admitted now (503 SERVER_BUSY before any payment or acceptance), held until the sweep ends.
  const ticket = ctx.admission?.admit(opts.callerId);
  try {
    await gatedRun(
      ctx,
      {
        input,
        fmuId: input.fmu_id,
        rows,
        callerId: opts.callerId,
        resource: 'fmu-gateway://rest/sweep',
        ...(opts.x402Payment === undefined ? {} : { x402Payment: opts.x402Payment }),
      },
      async () => {
        // Acknowledged only once on disk: a restart leaves a readable (interrupted) record, never a 404.
        writeSweepRecord(ctx, job);
        jobs.set(job.sweep_id, job);
        return job.sweep_id;
      },
    );
  } catch (e) {
    ticket?.release();
    throw e;
  }
  void (async () => {
    try {
      const { output, plotPng } = await sweepRuns(
        ctx,
        { ...input, plot: true },
        {
          callerId: opts.callerId,
          admitted: true,
          prepaid: true,
          sweepId: job.sweep_id,
          onRunDone: (done) => {
            job.completed_runs = done;
          },
        },
      );
      const results = runsOf(input, output);
      const charts: SweepChart[] = [];
      if (plotPng !== undefined) {
        charts.push({
          chart_title: `Overlay of ${output.completed} runs`,
          image_base64: `data:image/png;base64,${plotPng.toString('base64')}`,
        });
      }
      for (const c of opts.charts ?? []) {
        const chart = xyChart(c, results);
        if (chart !== undefined) charts.push(chart);
      }
      Object.assign(job, { status: 'COMPLETED', completed_runs: output.total, results, charts, output, completed_at: Date.now() / 1000 });
    } catch (e) {
      Object.assign(job, { status: 'FAILED', error: e instanceof Error ? e.message : String(e), completed_at: Date.now() / 1000 });
      ctx.logger.warn('sweep failed', { sweep_id: job.sweep_id, error: job.error });
    }
    ticket?.release();
    try {
      writeSweepRecord(ctx, job);
      jobs.delete(job.sweep_id);
    } catch (e) {
      // Kept in memory: still readable until the process ends.
      ctx.logger.error('sweep result not written', { sweep_id: job.sweep_id, error: e instanceof Error ? e.message : String(e) });
    }
  })();
  return job;
}

/** A sweep of this caller, running or finished; NOT_FOUND for an unknown id or another key's sweep. */
export function getSweepJob(ctx: ServiceContext, sweepId: string, callerId: string): SweepJob {
  const notFound = () =>
    new GatewayError('NOT_FOUND', 'Sweep not found', { sweep_id: sweepId, hint: 'Use the sweep_id of a POST /sweep made with this key.' });
  const job = jobs.get(sweepId) ?? readSweepRecord(ctx, sweepId);
  if (job === undefined) throw notFound();
  if (job.caller_id !== callerId) throw notFound();
  if (job.status === 'RUNNING' && !jobs.has(sweepId)) {
    return { ...job, status: 'FAILED', error: 'The gateway restarted while this sweep was running; start it again.' };
  }
  return job;
}
