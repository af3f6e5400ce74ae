/** fmu-gateway://runs/<run_id>/result.csv: the full result of a simulate call; result.mat / .parquet / .arrow: the same as files. */
import { readFileSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { GatewayError } from '../../errors.ts';
import { RESULT_MEDIA_TYPES } from '../../schemas/result-formats.ts';
import { assertRunVisible, readRunResult, runParquetBytes, streamRunArrow, streamRunMat } from '../../service/index.ts';
import { remoteRunCsv } from '../../service/forward.ts';
import { listRecentRuns, readOwnedMeta } from '../../service/run-slice.ts';
import type { ToolDeps } from '../tools/deps.ts';
import { guardedRead, single } from './errors.ts';
import { RESULT_FILE_URI_TEMPLATE, RESULT_URI_TEMPLATE } from './uris.ts';

/** A resource read is one JSON-RPC message: keep it well below what clients buffer. */
const MAX_RESOURCE_BYTES = 16 * 1024 * 1024;
/** How many of the caller's runs resources/list shows (newest first). */
const RECENT_RUNS = 20;

export function registerRunResources(server: McpServer, deps: ToolDeps): void {
  // resources/list shows the caller's own recent runs only; a caller that is not identified
  // (HTTP without an API key) gets none, since runs belong to whoever started them.
  const callerId = deps.callerId;
  const template = new ResourceTemplate(RESULT_URI_TEMPLATE, {
    list: async () => ({
      resources:
        callerId === undefined
          ? []
          : listRecentRuns(deps.ctx, { callerId, limit: RECENT_RUNS }).map((r) => ({
              uri: r.uri,
              name: `run ${r.runId}`,
              title: `${r.modelName ?? 'run'} ${r.startedAt ?? ''}`.trim(),
              description: `${r.fmuId ?? ''}: ${r.rows ?? '?'} rows. Page it with get_result {run_id: "${r.runId}"}.`,
              mimeType: 'text/csv',
            })),
    }),
  });
  server.registerResource(
    'run-result',
    template,
    {
      title: 'Simulation result (CSV)',
      description: 'Full-resolution result of a simulate run: a header "time,<output>,..." and one row per output step.',
      mimeType: 'text/csv',
    },
    (uri, vars) =>
      guardedRead(
        async () => {
          const runId = single(vars.run_id);
          // A run this gateway forwarded: its CSV comes from the remote (downloaded once, streamed to disk).
          const remote = await remoteRunCsv(deps.ctx, runId);
          if (remote !== undefined) return { contents: [{ uri: uri.href, mimeType: 'text/csv', text: readBounded(remote, runId) }] };
          await assertRunVisible(deps.ctx, runId); // first: brings a run stored by another node here
          if (callerId !== undefined) readOwnedMeta(deps.ctx, runId, { callerId }); // NOT_FOUND for another caller's run
          const file = readRunResult(deps.ctx, runId);
          // OUTPUT_LIMIT_EXCEEDED (with a hint to read it in parts, get_result) beyond what one message should carry.
          const text = await file.readText(MAX_RESOURCE_BYTES);
          return { contents: [{ uri: uri.href, mimeType: 'text/csv', text }] };
        },
        deps.log,
        uri.href,
      ),
  );
}

/** The bytes of a stream, OUTPUT_LIMIT_EXCEEDED (without reading on) past `max`. */
async function drainBounded(stream: NodeJS.ReadableStream, runId: string, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  // pipeline into a collecting sink (the way the CLI writes files), which ends and fails with the source.
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer | Uint8Array | string, _enc, done) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
        bytes += b.byteLength;
        if (bytes > max) return done(tooLarge(runId, bytes, max));
        parts.push(b);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}

function tooLarge(runId: string, size: number, max: number): GatewayError {
  return new GatewayError(
    'OUTPUT_LIMIT_EXCEEDED',
    `The result file of run ${runId} is more than the ${max} bytes a resource read returns.`,
    {
      hint: `Download it over REST (GET /runs/${runId}/result.mat|.parquet|.arrow) or read parts with get_result.`,
      size_bytes: size,
      limit_bytes: max,
    },
  );
}

/**
 * fmu-gateway://runs/<run_id>/result.mat | .parquet | .arrow: the whole run as a file for
 * engineering tools, binary (blob) contents. Not listed (resources/list stays one entry per run);
 * get_result with format mat/parquet/arrow links here.
 */
const FILE_FORMATS = [
  { format: 'mat', title: 'Simulation result (MATLAB v4, Modelica dsres layout)' },
  { format: 'parquet', title: 'Simulation result (Parquet)' },
  { format: 'arrow', title: 'Simulation result (Arrow IPC file)' },
] as const;
/** Templates without callbacks hold no state: built once, shared by every server (one per HTTP request). */
const FILE_TEMPLATES = new Map(
  FILE_FORMATS.map(({ format }) => [format, new ResourceTemplate(RESULT_FILE_URI_TEMPLATE(format), { list: undefined })]),
);

export function registerRunFileResources(server: McpServer, deps: ToolDeps): void {
  const callerId = deps.callerId;
  for (const { format, title } of FILE_FORMATS) {
    const mimeType = RESULT_MEDIA_TYPES[format];
    server.registerResource(
      `run-result-${format}`,
      FILE_TEMPLATES.get(format) as ResourceTemplate,
      { title, description: `The whole run as a .${format} file (base64 blob).`, mimeType },
      (uri, vars) =>
        guardedRead(
          async () => {
            const runId = single(vars.run_id);
            if (callerId !== undefined) readOwnedMeta(deps.ctx, runId, { callerId }); // NOT_FOUND for another caller's run
            await assertRunVisible(deps.ctx, runId);
            let bytes: Buffer;
            if (format === 'parquet') {
              bytes = Buffer.from(await runParquetBytes(deps.ctx, runId));
              if (bytes.byteLength > MAX_RESOURCE_BYTES) throw tooLarge(runId, bytes.byteLength, MAX_RESOURCE_BYTES);
            } else {
              const stream = format === 'mat' ? await streamRunMat(deps.ctx, runId) : await streamRunArrow(deps.ctx, runId);
              bytes = await drainBounded(stream, runId, MAX_RESOURCE_BYTES);
            }
            return { contents: [{ uri: uri.href, mimeType, blob: bytes.toString('base64') }] };
          },
          deps.log,
          uri.href,
        ),
    );
  }
}

function readBounded(path: string, runId: string): string {
  const size = statSync(path).size;
  if (size > MAX_RESOURCE_BYTES) {
    throw new GatewayError(
      'OUTPUT_LIMIT_EXCEEDED',
      `The result of run ${runId} is ${size} bytes, more than the ${MAX_RESOURCE_BYTES} a resource read returns.`,
      {
        hint: 'Run again with a larger step or fewer outputs.',
        size_bytes: size,
        limit_bytes: MAX_RESOURCE_BYTES,
      },
    );
  }
  return readFileSync(path, 'utf8');
}
