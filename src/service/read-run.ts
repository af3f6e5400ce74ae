/**
 * The full result of a run, for the CSV resource (MCP), the download route (HTTP) and the CLI:
 * rendered from the columnar store while it is read, never held whole unless asked for.
 */
import type { Readable } from 'node:stream';
import { GatewayError } from '../errors.ts';
import type { CsvSlice } from '../store/run-result-store.ts';
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
  /** meta.json: provenance, summary, KPIs, columns. */
  meta: Record<string, unknown>;
  /** The CSV (or a slice of it) as a stream: rendered block by block as it is consumed. */
  csvStream(slice?: CsvSlice): Promise<Readable>;
  /**
   * The whole CSV as one string, for one-message answers (an MCP resource read).
   * OUTPUT_LIMIT_EXCEEDED, without rendering the rest, once it passes maxBytes.
   */
  readText(maxBytes: number): Promise<string>;
}

/**
 * NOT_FOUND, exactly as for an unknown run, when the request's caller did not make this run.
 * Call before readRunResult wherever a caller names a run.
 */
export async function assertRunVisible(ctx: ServiceContext, runId: string): Promise<void> {
  await ensureRunsLocal(ctx, [runId]);
  if (ctx.access === undefined) return;
  if (!(await ctx.access.canReadRun(runId))) {
    throw new GatewayError('NOT_FOUND', `There is no stored result for run "${runId}"`, {
      run_id: runId,
      hint: 'Use the run_id (or result_uri) returned by simulate; results of other gateways are not here.',
    });
  }
}

/** Shared storage: runs stored by another node are brought to this one before they are read. */
export async function ensureRunsLocal(ctx: ServiceContext, runIds: readonly string[]): Promise<void> {
  const fetch = ctx.results.fetch;
  if (fetch === undefined) return;
  await Promise.all(runIds.map((id) => fetch.call(ctx.results, id)));
}

export function readRunResult(ctx: ServiceContext, runId: string): RunResultFile {
  const meta = ctx.results.readMeta(runId); // NOT_FOUND for unknown or malformed ids
  return {
    uri: resultUri(runId),
    mimeType: 'text/csv',
    meta,
    csvStream: (slice) => ctx.results.csvStream(runId, slice),
    async readText(maxBytes) {
      const stream = await ctx.results.csvStream(runId);
      const parts: Buffer[] = [];
      let bytes = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
          const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          bytes += b.byteLength;
          if (bytes > maxBytes) {
            throw new GatewayError(
              'OUTPUT_LIMIT_EXCEEDED',
              `The CSV of run "${runId}" is larger than the ${maxBytes} bytes one read returns.`,
              {
                run_id: runId,
                rows: meta.rows,
                limit_bytes: maxBytes,
                hint: `Read it in pieces with get_result {run_id: "${runId}", columns, start_time, stop_time, stride}.`,
              },
            );
          }
          parts.push(b);
        }
      } finally {
        stream.destroy();
      }
      return Buffer.concat(parts).toString('utf8');
    },
  };
}

/**
 * The CSV of a run as a stream, for HTTP downloads (GET /runs/{id}/result.csv) and the CLI.
 * NOT_FOUND for unknown or malformed ids.
 */
export function streamRunCsv(ctx: ServiceContext, runId: string, slice?: CsvSlice): Promise<Readable> {
  return ctx.results.csvStream(runId, slice);
}

/**
 * The full CSV of a run as a file with a known size (rendered once, then kept): for responses
 * with Content-Length or byte ranges (HTTP Range). NOT_FOUND as streamRunCsv.
 */
export function runCsvFile(ctx: ServiceContext, runId: string): Promise<{ path: string; bytes: number }> {
  return ctx.results.csvFile(runId);
}

/** The run as Arrow IPC (file format) for data tools: GET /runs/{id}/result.arrow, CLI --arrow. */
export function streamRunArrow(ctx: ServiceContext, runId: string, slice?: Omit<CsvSlice, 'every'>): Promise<Readable> {
  return ctx.results.arrowStream(runId, slice);
}

/** The run as MATLAB v4 in the Modelica "dsres" layout: GET /runs/{id}/result.mat, CLI --mat. */
export function streamRunMat(ctx: ServiceContext, runId: string): Promise<Readable> {
  return ctx.results.matStream(runId);
}

/** The run as Parquet (built whole: its footer comes last): GET /runs/{id}/result.parquet, CLI --parquet. */
export function runParquetBytes(ctx: ServiceContext, runId: string, slice?: Omit<CsvSlice, 'every'>): Promise<Uint8Array> {
  return ctx.results.parquetBytes(runId, slice);
}
