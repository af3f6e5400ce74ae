/**
 * Use case simulate: resolve the FMU, plan (defaults, name and row checks), run through the
 * runner (worker pool), store the full CSV, answer with the `completed` envelope.
 * Errors are thrown as GatewayError; the faces turn them into the error / payment envelopes.
 */
import { assertRunnable } from '../fmi/unsupported-features.ts';
import { DEFAULT_MAX_POINTS, estimateRows, type SimulateCompleted, type SimulateInput } from '../schemas/simulate.ts';
import type { X402SettleResponse } from '../schemas/x402.ts';
import { newRunId } from '../store/run-result-store.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { simulateRemote } from './forward.ts';
import { gatedRun } from './payment-gate.ts';
import { placeRun } from './placement.ts';
import { keepCompletedRun, recordFailedRun } from './run-store.ts';
import { planSimulation } from './simulate-plan.ts';
import { plotStoredRun } from '../report/result-chart.ts';
import { buildCompleted, localProvenance } from './simulate-result.ts';
import type { PhaseClock } from './phases.ts';

export interface SimulateCallOptions {
  signal?: AbortSignal;
  /** Fraction of simulated time done (0..1) and the simulation time reached. */
  onProgress?: (fraction: number, time: number) => void;
  /** Identity of the caller (API key); the pool never shares a worker between callers. */
  callerId?: string;
  /** The client's x402 PaymentPayload (MCP `_meta["x402/payment"]`), when it pays that way. */
  x402Payment?: unknown;
  /** Size of the plot (input.plot): MCP passes MCP_PLOT_SIZE (report/chart.ts); default 800 px wide. */
  plotSize?: { width?: number; height?: number };
  /** Per-phase timestamps (FMU_GATEWAY_PHASES=1, src/service/phases.ts). */
  phases?: PhaseClock;
}

export interface SimulateServiceResult {
  output: SimulateCompleted;
  /** PNG bytes when input.plot was true. */
  plotPng?: Buffer;
  /** x402 settlement, when the run was paid with x402 (MCP: `_meta["x402/payment-response"]`). */
  x402Settlement?: X402SettleResponse;
  /** The GUID / instantiation token of the FMU that ran (the original REST answer carries it). */
  guid?: string;
}

export async function simulate(ctx: ServiceContext, input: SimulateInput, opts: SimulateCallOptions = {}): Promise<SimulateServiceResult> {
  // Admission first: past its bounds the request is refused (SERVER_BUSY, Retry-After) before
  // anything is read, written, recorded or paid (src/runner/admission.ts).
  const ticket = ctx.admission?.admit(opts.callerId ?? ctx.access?.callerId);
  opts.phases?.mark('admission');
  try {
    return await admittedSimulate(ctx, input, opts);
  } finally {
    ticket?.release();
  }
}

async function admittedSimulate(ctx: ServiceContext, input: SimulateInput, opts: SimulateCallOptions): Promise<SimulateServiceResult> {
  const placement = await placeRun(ctx, input.fmu_id, {
    ...(input.fmi_version !== undefined ? { fmiVersion: input.fmi_version } : {}),
    ...(input.interface !== undefined ? { interface: input.interface } : {}),
  });
  const phases = opts.phases;
  phases?.mark('placement');
  // A forwarded run is priced by the gateway that runs it (its 402 reaches the caller as payment
  // data, and payment_token travels in the request); only local runs pass the local payment gate.
  if (placement.where === 'remote') {
    const remoteOpts = { reason: placement.reason, ...(opts.signal ? { signal: opts.signal } : {}) };
    return { output: await simulateRemote(ctx, placement.client, input, remoteOpts) };
  }
  const resolved = await resolveFmu(ctx, input.fmu_id, input.fmi_version);
  phases?.mark('resolve fmu');
  const { opened } = resolved;
  const md = opened.modelDescription;
  assertRunnable(md); // before compiling sources or starting a worker
  const plan = planSimulation(md, input, ctx.config.limits.maxOutputRows);
  const iface = plan.options.interface;
  // The request's caller: given by the face, or the key of a caller-scoped context. It counts
  // against the per-key compile limit (src/fmi/source-build-limit.ts) and owns the run.
  const callerId = opts.callerId ?? ctx.access?.callerId;
  const binaryPath = ctx.ensureBinary ? await ctx.ensureBinary(opened, iface, resolved.compileOptions, callerId) : undefined;
  phases?.mark('plan');

  await ctx.access?.checkQuota(0);
  phases?.mark('quota');
  const startedAt = new Date();
  const subject = { fmuId: input.fmu_id, sha256: opened.sha256, startedAt };
  const job = {
    fmu: {
      sha256: opened.sha256,
      unpackedDir: opened.unpackedDir,
      modelDescription: md,
      ...(binaryPath !== undefined ? { binaryPath } : {}),
    },
    options: plan.options,
    // Summary, KPIs and series come back computed by the worker (the event loop stays free).
    digest: { kpis: plan.kpis, seriesPoints: [input.max_points ?? DEFAULT_MAX_POINTS] },
  };
  const runOpts = {
    // The rows stay in the worker's columnar file, which becomes the stored result (adopted by
    // rename below); this process never holds or scans them.
    rowsInFile: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(callerId !== undefined ? { callerId } : {}),
    ...(phases !== undefined ? { phases } : {}),
  };
  // Payment is taken after every check of the request and just before the run (payment-gate.ts).
  const gated = await gatedRun(
    ctx,
    {
      input,
      fmuId: input.fmu_id,
      rows: estimateRows(plan.startTime, plan.stopTime, plan.step),
      ...(callerId === undefined ? {} : { callerId }),
      ...(opts.x402Payment === undefined ? {} : { x402Payment: opts.x402Payment }),
      resource: 'fmu-gateway://tools/simulate',
    },
    async () => {
      phases?.mark('payment gate');
      const result = await ctx.runner.run(job, runOpts).catch(async (e: unknown) => {
        // A run that reached the engine and failed is usage too (it took a worker's time).
        await recordFailedRun(ctx, subject, e);
        throw e;
      });
      // Stored and recorded inside the payment gate: when the disk or the store cannot keep the
      // run, the answer is that fault (never "completed" without its record), and the gate
      // decides about the payment (run-store.ts keepRun).
      const runId = newRunId(startedAt.getTime());
      const output = buildCompleted({
        runId,
        input,
        plan,
        result,
        provenance: localProvenance(input.fmu_id, opened, ctx.runner.isolation, startedAt, result),
      });
      phases?.mark('build answer');
      await keepCompletedRun(ctx, output, result, callerId, md, subject, phases);
      return { result, output, runId };
    },
  );
  const { result, output, runId } = gated.value;
  const paid = { guid: md.guid, ...(gated.settlement === undefined ? {} : { x402Settlement: gated.settlement }) };
  phases?.mark('payment settle');

  // Written once the answer is on its way (the next event-loop turn): a log line on a pipe is a
  // synchronous write, which the caller need not wait for.
  const logged = {
    run_id: runId,
    fmu_id: input.fmu_id,
    rows: result.rows,
    wall_ms: result.stats.wallMs,
    interface: result.interface,
  };
  setImmediate(() => ctx.logger.info('simulation completed', logged));
  phases?.mark('log');
  if (input.plot !== true) return { output, ...paid };
  const title = `${md.model_name} (FMI ${result.fmiVersion}, ${result.interface})`;
  // Drawn from every stored row (report/result-chart.ts), not from a downsampled series.
  const plotPng = await plotStoredRun(ctx.results, runId, {
    title,
    ...opts.plotSize,
    ...(input.plot_variables !== undefined ? { variables: input.plot_variables } : {}),
  });
  return { output, plotPng, ...paid };
}
