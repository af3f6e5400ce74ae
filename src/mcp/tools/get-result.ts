/** get_result: a window of a stored run (columns, time range, decimation), paged. */
import type { CallToolResult, ContentBlock, McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { RESULT_MEDIA_TYPES } from '../../schemas/result-formats.ts';
import { assertRunVisible } from '../../service/read-run.ts';
import { resultFileUri } from '../resources/uris.ts';
import { GetResultInputSchema, GetResultOutputSchema, type GetResultSuccess } from '../../schemas/results.ts';
import { normalizeRunId, readOwnedMeta, readRunSlice, type RunSlice } from '../../service/run-slice.ts';
import type { ToolDeps } from './deps.ts';
import { guarded, okResult } from './result.ts';

/** Shortest round-trip decimal; NaN / ±Inf spelled as in result.csv. */
function cell(v: number | string): string {
  if (typeof v === 'string') return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
}

export function sliceCsv(slice: RunSlice): string {
  const lines = [['time', ...slice.columns.map((c) => c.name)].map(cell).join(',')];
  for (let r = 0; r < slice.time.length; r++) {
    lines.push([slice.time[r] as number, ...slice.values.map((col) => col[r] as number | string)].map(cell).join(','));
  }
  return lines.join('\n');
}

function toOutput(slice: RunSlice, json: boolean): GetResultSuccess {
  const out: GetResultSuccess = {
    status: 'ok',
    run_id: slice.runId,
    columns: slice.columns,
    total_rows: slice.totalRows,
    returned_rows: slice.time.length,
    stride: slice.stride,
    first_time: slice.time[0] ?? null,
    last_time: slice.time[slice.time.length - 1] ?? null,
  };
  if (slice.nextStartTime !== undefined) out.next_start_time = slice.nextStartTime;
  if (json) {
    const finiteOrNull = (v: number | string) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    const data: Record<string, (number | string | null)[]> = { time: slice.time };
    slice.columns.forEach((c, j) => (data[c.name] = (slice.values[j] ?? []).map(finiteOrNull)));
    out.data = data;
  }
  return out;
}

/**
 * format mat / parquet / arrow: the whole run as a file, linked (resource_link to
 * fmu-gateway://runs/<id>/result.<ext>, read with resources/read) rather than inlined: a binary
 * file has no place in an agent's context, and the client fetches it only when it wants it.
 */
async function fileLink(deps: ToolDeps, runIdOrUri: string, format: 'mat' | 'parquet' | 'arrow'): Promise<CallToolResult> {
  const runId = normalizeRunId(runIdOrUri);
  const access = deps.callerId === undefined ? {} : { callerId: deps.callerId };
  const meta = readOwnedMeta(deps.ctx, runId, access); // NOT_FOUND for another caller's run
  await assertRunVisible(deps.ctx, runId);
  const columns = Array.isArray(meta.columns)
    ? (meta.columns as { name?: unknown; unit?: unknown; type?: unknown }[]).flatMap((c) =>
        typeof c.name === 'string'
          ? [
              {
                name: c.name,
                ...(typeof c.unit === 'string' ? { unit: c.unit } : {}),
                ...(typeof c.type === 'string' ? { type: c.type } : {}),
              },
            ]
          : [],
      )
    : [];
  const rows = typeof meta.rows === 'number' ? meta.rows : 0;
  const uri = resultFileUri(runId, format);
  const out: GetResultSuccess = {
    status: 'ok',
    run_id: runId,
    columns,
    total_rows: rows,
    returned_rows: 0,
    stride: 1,
    first_time: null,
    last_time: null,
    resource_uri: uri,
  };
  const link: ContentBlock = {
    type: 'resource_link',
    uri,
    name: `result.${format} of run ${runId}`,
    description: `The whole run (${rows} rows, ${columns.length} columns) as ${format === 'mat' ? 'MATLAB v4, Modelica dsres layout' : format === 'parquet' ? 'Parquet' : 'an Arrow IPC file'}.`,
    mimeType: RESULT_MEDIA_TYPES[format],
  };
  return okResult(out, `Run ${runId}: ${rows} rows as ${format}: read ${uri}.`, [link]);
}

export function registerGetResult(server: McpServer, deps: ToolDeps): RegisteredTool {
  return server.registerTool(
    'get_result',
    {
      title: 'Read a stored result',
      description: 'Rows of a stored run at full precision: columns, a time window, every stride-th row; next_start_time continues.',
      inputSchema: GetResultInputSchema,
      outputSchema: GetResultOutputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(async () => {
        if (args.format === 'mat' || args.format === 'parquet' || args.format === 'arrow') return fileLink(deps, args.run_id, args.format);
        const slice = await readRunSlice(
          deps.ctx,
          args.run_id,
          {
            ...(args.columns !== undefined ? { columns: args.columns } : {}),
            ...(args.start_time !== undefined ? { startTime: args.start_time } : {}),
            ...(args.stop_time !== undefined ? { stopTime: args.stop_time } : {}),
            ...(args.stride !== undefined ? { stride: args.stride } : {}),
            ...(args.max_rows !== undefined ? { maxRows: args.max_rows } : {}),
          },
          deps.callerId === undefined ? {} : { callerId: deps.callerId },
        );
        const json = args.format === 'json';
        const out = toOutput(slice, json);
        const head =
          `Run ${out.run_id}: ${out.returned_rows} of ${out.total_rows} rows` +
          (out.first_time === null ? '' : `, t = ${out.first_time}..${out.last_time} s`) +
          (slice.stride > 1 ? `, every ${slice.stride}th row` : '') +
          (out.next_start_time === undefined ? '.' : `; more: call again with start_time = ${out.next_start_time}.`);
        // The rows travel once: as CSV text, or (format json) as arrays in the structured content.
        return okResult(out, json ? `${head} Values are in structuredContent.data.` : `${head}\n${sliceCsv(slice)}`);
      }, deps.log),
  );
}
