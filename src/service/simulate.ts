/**
 * Use case simulate: resolve the FMU, plan (defaults, name and row checks), run through the
 * runner (worker pool), store the full CSV, answer with the `completed` envelope.
 * Errors are thrown as GatewayError; the faces turn them into the error / payment envelopes.
 */
import { assertRunnable } from '../fmi/unsupported-features.ts';
import { DEFAULT_MAX_POINTS, type SimulateCompleted, type SimulateInput } from '../schemas/simulate.ts';
import { newRunId } from '../store/run-result-store.ts';
import { ENGINE_VERSION } from '../version.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { simulateRemote } from './forward.ts';
import { placeRun } from './placement.ts';
import { saveRun } from './run-store.ts';
import { planSimulation } from './simulate-plan.ts';
import { buildCompleted, isolationLabel, PLOT_POINTS, plotResult } from './simulate-result.ts';

export interface SimulateCallOptions {
  signal?: AbortSignal;
  /** Fraction of simulated time done (0..1) and the simulation time reached. */
  onProgress?: (fraction: number, time: number) => void;
  /** Identity of the caller (API key); the pool never shares a worker between callers. */
  callerId?: string;
}

export interface SimulateServiceResult {
  output: SimulateCompleted;
  /** PNG bytes when input.plot was true. */
  plotPng?: Buffer;
}

export async function simulate(ctx: ServiceContext, input: SimulateInput, opts: SimulateCallOptions = {}): Promise<SimulateServiceResult> {
  const placement = await placeRun(ctx, input.fmu_id, {
    ...(input.fmi_version !== undefined ? { fmiVersion: input.fmi_version } : {}),
    ...(input.interface !== undefined ? { interface: input.interface } : {}),
  });
  if (placement.where === 'remote') {
    const remoteOpts = { reason: placement.reason, ...(opts.signal ? { signal: opts.signal } : {}) };
    return { output: await simulateRemote(ctx, placement.client, input, remoteOpts) };
  }
  const resolved = resolveFmu(ctx, input.fmu_id, input.fmi_version);
  const { opened } = resolved;
  const md = opened.modelDescription;
  assertRunnable(md); // before compiling sources or starting a worker
  const plan = planSimulation(md, input, ctx.config.limits.maxOutputRows);
  const iface = plan.options.interface;
  const binaryPath = ctx.ensureBinary ? await ctx.ensureBinary(opened, iface) : undefined;

  const startedAt = new Date();
  const job = {
    fmu: {
      sha256: opened.sha256,
      unpackedDir: opened.unpackedDir,
      modelDescription: md,
      ...(binaryPath !== undefined ? { binaryPath } : {}),
    },
    options: plan.options,
    // Summary, KPIs and series come back computed by the worker (the event loop stays free).
    digest: { kpis: plan.kpis, seriesPoints: [input.max_points ?? DEFAULT_MAX_POINTS, ...(input.plot === true ? [PLOT_POINTS] : [])] },
  };
  const runOpts = {
    // The rows stay in the worker's columnar file, which becomes the stored result (adopted by
    // rename below); this process never holds or scans them.
    rowsInFile: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.callerId !== undefined ? { callerId: opts.callerId } : {}),
  };
  const result = await ctx.runner.run(job, runOpts);

  const runId = newRunId(startedAt.getTime());
  const output = buildCompleted({
    runId,
    input,
    plan,
    result,
    provenance: {
      fmu_id: input.fmu_id,
      fmu_sha256: opened.sha256,
      model_name: md.model_name,
      engine_version: ENGINE_VERSION,
      isolation: isolationLabel(ctx.runner.isolation),
      started_at: startedAt.toISOString(),
      executed_on: 'local',
    },
  });
  saveRun(ctx, output, result, opts.callerId);
  ctx.logger.info('simulation completed', {
    run_id: runId,
    fmu_id: input.fmu_id,
    rows: result.rows,
    wall_ms: result.stats.wallMs,
    interface: result.interface,
  });
  if (input.plot !== true) return { output };
  const title = `${md.model_name} (FMI ${result.fmiVersion}, ${result.interface})`;
  return { output, plotPng: plotResult(result, title, input.plot_variables) };
}
