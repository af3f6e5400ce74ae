/**
 * Use case simulate_system: a connected system (stored by upload_system, or inline) → its
 * components resolved like simulate's fmu_id (caller access included), checked as a whole
 * (src/systems/plan.ts), bundled into one directory, run in ONE sandboxed worker (the system's
 * FMUs share it: same caller), stored and answered like simulate (columns "component.variable").
 * A crash is attributed: the run is repeated once with tracing, so FMU_CRASHED names the component.
 */
import { join } from 'node:path';
import { GatewayError, isGatewayError } from '../errors.ts';
import { buildSystemModel } from '../engine/system-model.ts';
import { TRACE_PREFIX, type SystemPlan } from '../engine/system-types.ts';
import type { SimulationResult } from '../engine/types.ts';
import { assertRunnable } from '../fmi/unsupported-features.ts';
import type { SimulationJob } from '../runner/types.ts';
import { DEFAULT_MAX_POINTS, estimateRows, type SimulateCompleted, type SimulateInput } from '../schemas/simulate.ts';
import type { SimulateSystemInput, SystemDescription } from '../schemas/system.ts';
import { ensureBundle } from '../systems/bundle.ts';
import { planSystem, type PlannedComponent } from '../systems/plan.ts';
import { createSystemStore, systemIdOf } from '../systems/store.ts';
import { newRunId } from '../store/run-result-store.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { gatedRun } from './payment-gate.ts';
import { keepCompletedRun, recordFailedRun } from './run-store.ts';
import type { SimulateCallOptions, SimulateServiceResult } from './simulate.ts';
import { planSimulation } from './simulate-plan.ts';
import { buildCompleted, localProvenance } from './simulate-result.ts';
import { plotStoredRun } from '../report/result-chart.ts';

export function systemStoreOf(ctx: ServiceContext) {
  return createSystemStore(join(ctx.config.dataDir, 'systems'));
}

/** The component named in the last trace line before the crash. */
export function crashedComponent(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as string;
    const at = l.indexOf(TRACE_PREFIX);
    if (at >= 0) return l.slice(at + TRACE_PREFIX.length).trim();
  }
  return undefined;
}

export async function simulateSystem(
  ctx: ServiceContext,
  input: SimulateSystemInput,
  opts: SimulateCallOptions = {},
): Promise<SimulateServiceResult> {
  // Admission first, as simulate: past its bounds the request is refused (SERVER_BUSY) before
  // anything is read, written, recorded or paid.
  const ticket = ctx.admission?.admit(opts.callerId ?? ctx.access?.callerId);
  try {
    return await admittedSimulateSystem(ctx, input, opts);
  } finally {
    ticket?.release();
  }
}

async function admittedSimulateSystem(
  ctx: ServiceContext,
  input: SimulateSystemInput,
  opts: SimulateCallOptions,
): Promise<SimulateServiceResult> {
  const description: SystemDescription = input.system ?? systemStoreOf(ctx).get(input.system_id as string);
  const systemId = input.system_id ?? systemIdOf(description);

  // Components: resolved (and access-checked) like simulate's fmu_id.
  const names = Object.keys(description.components);
  const resolved = await Promise.all(
    names.map(async (name) => {
      const spec = description.components[name];
      const c = typeof spec === 'string' ? { fmu_id: spec } : (spec as Exclude<typeof spec, string | undefined>);
      try {
        const r = await resolveFmu(ctx, c.fmu_id, 'fmi_version' in c ? c.fmi_version : undefined);
        assertRunnable(r.opened.modelDescription);
        return { name, spec: c, resolved: r };
      } catch (e) {
        if (isGatewayError(e)) throw new GatewayError(e.code, `Component ${name}: ${e.message}`, { ...e.data, component: name });
        throw e;
      }
    }),
  );
  const components: PlannedComponent[] = resolved.map((r) => ({
    name: r.name,
    modelDescription: r.resolved.opened.modelDescription,
    ...('interface' in r.spec && r.spec.interface !== undefined ? { interface: r.spec.interface } : {}),
  }));
  const { plan, warnings: planWarnings } = planSystem(description, components, {
    ...(input.interface !== undefined ? { interface: input.interface } : {}),
    ...(input.master !== undefined ? { master: input.master } : {}),
    ...(input.communication_step !== undefined ? { communicationStep: input.communication_step } : {}),
  });
  const model = buildSystemModel(plan);
  const md = model.modelDescription;
  if (description.default_experiment !== undefined) md.default_experiment = { ...description.default_experiment };
  if (description.name !== undefined) md.model_name = description.name;

  // The run options of simulate, checked against the system's model description by name.
  const { system_id: _sid, system: _sys, master: _m, communication_step: _cs, interface: _i, ...run } = input;
  const simInput: SimulateInput = {
    ...run,
    fmu_id: systemId,
    start_values: { ...description.start_values, ...input.start_values },
    ...(md.model_exchange ? { interface: 'ME' as const } : { interface: 'CS' as const }),
  };
  if (Object.keys(simInput.start_values ?? {}).length === 0) delete simInput.start_values;
  const simPlan = planSimulation(md, simInput, ctx.config.limits.maxOutputRows);

  // Binaries: compiled from sources when a component has none for this platform.
  const fmus = await Promise.all(
    resolved.map(async (r, i) => {
      const opened = r.resolved.opened;
      const iface = plan.components[i]?.interface ?? 'CS';
      const binaryPath = ctx.ensureBinary ? await ctx.ensureBinary(opened, iface, r.resolved.compileOptions) : undefined;
      return { sha256: opened.sha256, unpackedDir: opened.unpackedDir, ...(binaryPath !== undefined ? { binaryPath } : {}) };
    }),
  );
  const bundle = ensureBundle(ctx.config.cacheDir, fmus);
  plan.components.forEach((c, i) => {
    const part = bundle.parts[i] as { dir: string; binary?: string };
    c.dir = part.dir;
    if (part.binary !== undefined) c.binary = part.binary;
  });

  await ctx.access?.checkQuota(0);
  const startedAt = new Date();
  const subject = { fmuId: systemId, sha256: bundle.hash, startedAt };
  const makeJob = (p: SystemPlan): SimulationJob => ({
    fmu: { sha256: bundle.hash, unpackedDir: bundle.dir, modelDescription: md },
    options: { ...simPlan.options, system: p },
    digest: { kpis: simPlan.kpis, seriesPoints: [input.max_points ?? DEFAULT_MAX_POINTS] },
  });
  const callerId = opts.callerId ?? ctx.access?.callerId;
  const runOpts = {
    rowsInFile: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(callerId !== undefined ? { callerId } : {}),
  };
  const runOnce = async (): Promise<SimulationResult> => {
    try {
      return await ctx.runner.run(makeJob(plan), runOpts);
    } catch (e) {
      if (!isGatewayError(e) || e.code !== 'FMU_CRASHED') throw e;
      throw await attributeCrash(ctx, e, makeJob({ ...plan, trace: true }), { ...runOpts, rowsInFile: false });
    }
  };
  const gated = await gatedRun(
    ctx,
    {
      input: simInput,
      fmuId: systemId,
      rows: estimateRows(simPlan.startTime, simPlan.stopTime, simPlan.step),
      ...(callerId === undefined ? {} : { callerId }),
      ...(opts.x402Payment === undefined ? {} : { x402Payment: opts.x402Payment }),
      resource: 'fmu-gateway://tools/simulate_system',
    },
    async () => {
      const result = await runOnce().catch(async (e: unknown) => {
        await recordFailedRun(ctx, subject, e);
        throw e;
      });
      result.warnings.unshift(...planWarnings);
      // Stored and recorded inside the payment gate, as simulate: a run whose record cannot be
      // written is never reported completed (run-store.ts keepRun).
      const runId = newRunId(startedAt.getTime());
      const output: SimulateCompleted = buildCompleted({
        runId,
        input: simInput,
        plan: simPlan,
        result,
        provenance: localProvenance(systemId, { sha256: bundle.hash, modelDescription: md }, ctx.runner.isolation, startedAt, result),
      });
      await keepCompletedRun(ctx, output, result, callerId, undefined, subject);
      return { result, output, runId };
    },
  );
  const { result, output, runId } = gated.value;
  ctx.logger.info('system simulation completed', { run_id: runId, system_id: systemId, rows: result.rows, components: names.length });
  const paid = gated.settlement === undefined ? {} : { x402Settlement: gated.settlement };
  if (input.plot !== true) return { output, ...paid };
  // Drawn from every stored row (report/result-chart.ts), as simulate's plot.
  const plotPng = await plotStoredRun(ctx.results, runId, {
    title: `${md.model_name} (system, ${result.interface})`,
    ...opts.plotSize,
    ...(input.plot_variables !== undefined ? { variables: input.plot_variables } : {}),
  });
  return { output, plotPng, ...paid };
}

/**
 * A component crashed the shared worker. Which one is not knowable after the fact without
 * tracing every call (too costly for every run), so the run is repeated once with a trace line
 * before each call into a component; the last one before the crash names it.
 */
async function attributeCrash(
  ctx: ServiceContext,
  original: GatewayError,
  traced: SimulationJob,
  runOpts: Parameters<ServiceContext['runner']['run']>[1],
): Promise<GatewayError> {
  let lines: string[] = [];
  try {
    await ctx.runner.run(traced, runOpts);
    // It did not crash again: report the original crash without a name.
  } catch (e) {
    if (isGatewayError(e) && e.code === 'FMU_CRASHED') lines = (e.data?.last_log_lines as string[] | undefined) ?? [];
  }
  const component = crashedComponent(lines);
  const data = { ...original.data, ...(component !== undefined ? { component } : {}) };
  const message = component !== undefined ? `Component ${component} crashed the simulation worker. ${original.message}` : original.message;
  return new GatewayError('FMU_CRASHED', message, data);
}
