/** The full result of a run, for the CSV resource (MCP) and the download route (HTTP). */
import { readFileSync } from 'node:fs';
import { GatewayError } from '../errors.ts';
import type { ServiceContext } from './context.ts';
import { resultUri } from './simulate-result.ts';

const URI = /^fmu-gateway:\/\/runs\/([^/]+)\/result\.csv$/;

/** run_id of a result URI, or undefined when the URI is not one of ours. */
export function runIdFromUri(uri: string): string | undefined {
  return URI.exec(uri)?.[1];
}

export interface RunResultFile {
  uri: string;
  mimeType: 'text/csv';
  /** Absolute path of result.csv (HTTP can stream it). */
  path: string;
  sizeBytes: number;
  /** meta.json: provenance, summary, KPIs, columns. */
  meta: Record<string, unknown>;
  /** Reads the whole CSV (check sizeBytes first for very large runs). */
  readText(): string;
}

/**
 * NOT_FOUND, exactly as for an unknown run, when the request's caller did not make this run.
 * Call before readRunResult wherever a caller names a run.
 */
export async function assertRunVisible(ctx: ServiceContext, runId: string): Promise<void> {
  if (ctx.access === undefined) return;
  if (!(await ctx.access.canReadRun(runId))) {
    throw new GatewayError('NOT_FOUND', `There is no stored result for run "${runId}"`, {
      run_id: runId,
      hint: 'Use the run_id (or result_uri) returned by simulate; results of other gateways are not here.',
    });
  }
}

export function readRunResult(ctx: ServiceContext, runId: string): RunResultFile {
  const meta = ctx.results.readMeta(runId); // NOT_FOUND for unknown or malformed ids
  const path = ctx.results.csvPath(runId);
  return {
    uri: resultUri(runId),
    mimeType: 'text/csv',
    path,
    sizeBytes: ctx.results.csvSize(runId),
    meta,
    readText: () => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        throw new GatewayError('NOT_FOUND', `The result file of run "${runId}" is gone`, { run_id: runId });
      }
    },
  };
}
