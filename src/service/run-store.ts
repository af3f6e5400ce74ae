/** Storing a finished run: its full result, and the metadata get_result, compare_runs and resources/list read. */
import { findRecordable } from '../engine/variables.ts';
import type { SimulationResult } from '../engine/types.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import type { SimulateCompleted } from '../schemas/simulate.ts';
import { isGatewayError } from '../errors.ts';
import type { ServiceContext } from './context.ts';

/**
 * A column's description as the exports (MAT, Parquet, Arrow) carry it: from the model
 * description when the run has one (causality, variability, description, display unit).
 */
function columnMeta(md: ModelDescription | undefined, c: SimulationResult['columns'][number]): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name, type: c.type, unit: c.unit };
  const v = md === undefined ? undefined : findRecordable(md, c.name)?.variable;
  if (v === undefined) return out;
  if (v.description !== undefined) out.description = v.description;
  if (v.display_unit !== undefined) out.display_unit = v.display_unit;
  out.causality = v.causality;
  out.variability = v.variability;
  return out;
}

/** Writes the run's full result and its metadata (everything of the answer but the inline series). */
export async function saveRun(
  ctx: ServiceContext,
  output: SimulateCompleted,
  result: SimulationResult,
  callerId: string | undefined,
  md?: ModelDescription,
): Promise<number> {
  const { series: _series, ...meta } = output;
  const bytes = await ctx.results.save(output.run_id, result, {
    ...meta,
    columns: result.columns.map((c) => columnMeta(md, c)),
    // Who may list and read the run (get_result, resources/list); absent = not identified.
    ...(callerId !== undefined ? { caller_id: callerId } : {}),
  });
  // Shared storage: every node can read the run before its id is handed out.
  await ctx.results.publish?.(output.run_id);
  return typeof bytes === 'number' ? bytes : 0;
}

/**
 * Keeps a finished run: its result on disk, then its records (`record`, awaited). When the records
 * cannot be written, the result is removed again (a run nobody may read and nobody was billed for
 * must not linger) and the store's fault propagates: the run is never reported completed.
 */
export async function keepRun(
  ctx: ServiceContext,
  output: SimulateCompleted,
  result: SimulationResult,
  callerId: string | undefined,
  md: ModelDescription | undefined,
  record: (resultBytes: number) => Promise<void> | undefined,
): Promise<number> {
  const bytes = await saveRun(ctx, output, result, callerId, md);
  try {
    await record(bytes);
  } catch (e) {
    ctx.results.remove(output.run_id);
    ctx.logger.warn('a finished run was not recorded; its result was removed', { run_id: output.run_id, error: String(e) });
    throw e;
  }
  return bytes;
}

/** What a run was of, for its usage record. */
export interface RunSubject {
  fmuId: string;
  sha256: string;
  startedAt: Date;
}

/** A run that reached the engine and failed is usage too (it took a worker's time). */
export function recordFailedRun(ctx: ServiceContext, subject: RunSubject, e: unknown): Promise<void> | undefined {
  return ctx.access?.onRunFinished({
    fmu_id: subject.fmuId,
    fmu_sha256: subject.sha256,
    started_at: subject.startedAt,
    duration_ms: Date.now() - subject.startedAt.getTime(),
    rows: 0,
    result_bytes: 0,
    status: 'failed',
    error_code: isGatewayError(e) ? e.code : 'INTERNAL',
  });
}

/**
 * keepRun with the completed usage record: before the answer, the run_id it carries must be
 * readable by this caller, and billed.
 */
export function keepCompletedRun(
  ctx: ServiceContext,
  output: SimulateCompleted,
  result: SimulationResult,
  callerId: string | undefined,
  md: ModelDescription | undefined,
  subject: RunSubject,
): Promise<number> {
  return keepRun(ctx, output, result, callerId, md, (resultBytes) =>
    ctx.access?.onRunFinished({
      run_id: output.run_id,
      fmu_id: subject.fmuId,
      fmu_sha256: subject.sha256,
      started_at: subject.startedAt,
      duration_ms: Date.now() - subject.startedAt.getTime(),
      rows: result.rows,
      result_bytes: resultBytes,
      status: 'completed',
    }),
  );
}
