/**
 * Use case report: an engineering report of a stored run or sweep (src/report/writer.ts builds
 * it from the full-resolution results), and the store of finished reports REST serves by id
 * (`<data>/reports/<report_id>/report.json|report.md|report.png`, written atomically, the
 * caller's id beside them). Only the caller that made a run or sweep can report on it; anyone else
 * gets NOT_FOUND as for an unknown id.
 */
import { dirname, join } from 'node:path';
import { GatewayError, isGatewayError } from '../errors.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import type { ReportOptions } from '../schemas/report.ts';
import { writeReport, type ReportRenderOptions, type ReportSubject, type WrittenReport } from '../report/writer.ts';
import { readStoredReport, storeReport, type ReportFile } from '../report/files.ts';
import type { ServiceContext } from './context.ts';
import { resolveFmu } from './fmu-resolver.ts';
import { assertRunVisible, ensureRunsLocal } from './read-run.ts';
import { readSweepRecord, SWEEP_ID_PATTERN, type SweepJob } from './sweep-store.ts';

export { REPORT_FILES, writeReportFiles, type ReportFile } from '../report/files.ts';

function notFound(id: string): GatewayError {
  return new GatewayError('NOT_FOUND', `There is no run or sweep "${id}" to report on`, {
    id,
    hint: 'Use a run_id from simulate or a sweep_id from sweep on this gateway.',
  });
}

/** The sweep's record when this caller may read it. */
function visibleSweep(ctx: ServiceContext, sweepId: string): SweepJob {
  const job = readSweepRecord(ctx, sweepId);
  if (job === undefined) throw notFound(sweepId);
  if (ctx.access !== undefined && job.caller_id !== ctx.access.callerId) throw notFound(sweepId);
  if (job.status === 'RUNNING') {
    throw new GatewayError('BAD_REQUEST', `Sweep "${sweepId}" is still running`, {
      sweep_id: sweepId,
      hint: 'Wait until its results say COMPLETED, then ask for the report.',
    });
  }
  if (job.output === undefined) {
    throw new GatewayError('BAD_REQUEST', `Sweep "${sweepId}" ended without results${job.error === undefined ? '' : `: ${job.error}`}`, {
      sweep_id: sweepId,
    });
  }
  return job;
}

/** What the report is about: a run id or a sweep id, checked against the caller. */
export async function reportSubject(ctx: ServiceContext, id: string): Promise<ReportSubject> {
  if (!SWEEP_ID_PATTERN.test(id)) {
    try {
      await assertRunVisible(ctx, id);
      ctx.results.readMeta(id); // NOT_FOUND for an unknown run or a malformed id
    } catch (e) {
      throw isGatewayError(e) && e.code === 'NOT_FOUND' ? notFound(id) : e;
    }
    return { kind: 'run', id, swept: [], runs: [{ index: 0, run_id: id, status: 'completed', parameters: {} }] };
  }
  const output = visibleSweep(ctx, id).output as NonNullable<SweepJob['output']>;
  const runIds = output.runs.flatMap((r) => (r.run_id === undefined ? [] : [r.run_id]));
  await ensureRunsLocal(ctx, runIds);
  return {
    kind: 'sweep',
    id,
    swept: output.parameters,
    runs: output.runs.map((r) => ({
      index: r.index,
      status: r.status === 'completed' && r.run_id !== undefined ? 'completed' : 'failed',
      parameters: Object.fromEntries(output.parameters.map((p) => [p, r.start_values[p] as number | boolean | string])),
      ...(r.run_id !== undefined ? { run_id: r.run_id } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
    })),
  };
}

/** The model's description for units and descriptions, when its FMU is still here (else the run's own). */
async function modelDescriptionOf(ctx: ServiceContext, fmuId: unknown): Promise<ModelDescription | undefined> {
  if (typeof fmuId !== 'string') return undefined;
  try {
    return (await resolveFmu(ctx, fmuId)).opened.modelDescription;
  } catch {
    // An expired upload or a remote-only model: the report uses what the runs recorded.
    return undefined;
  }
}

/** Builds the report of a run or sweep (nothing is stored). */
export async function buildReport(
  ctx: ServiceContext,
  id: string,
  options: ReportOptions,
  render: ReportRenderOptions = {},
): Promise<WrittenReport> {
  const subject = await reportSubject(ctx, id);
  const first = subject.runs.find((r) => r.run_id !== undefined && r.status === 'completed');
  const meta = first?.run_id === undefined ? undefined : ctx.results.readMeta(first.run_id);
  const provenance = meta?.provenance as { fmu_id?: unknown } | undefined;
  const modelDescription = await modelDescriptionOf(ctx, provenance?.fmu_id);
  return writeReport(subject, { results: ctx.results, ...(modelDescription !== undefined ? { modelDescription } : {}) }, options, render);
}

/** Keeps a report for GET by id (see report/files.ts); returns its id. */
export function saveReport(ctx: ServiceContext, written: WrittenReport, callerId: string | undefined): string {
  return storeReport(reportsDir(ctx), written, callerId);
}

/** One file of a stored report, for its caller; NOT_FOUND otherwise. */
export function readReportFile(ctx: ServiceContext, reportId: string, file: ReportFile): Buffer {
  const stored = readStoredReport(reportsDir(ctx), reportId, file);
  if (stored === undefined || (ctx.access !== undefined && stored.callerId !== ctx.access.callerId)) {
    throw new GatewayError('NOT_FOUND', `There is no report "${reportId}"`, { report_id: reportId });
  }
  return stored.bytes;
}

function reportsDir(ctx: ServiceContext): string {
  return join(dirname(ctx.results.dir), 'reports');
}
