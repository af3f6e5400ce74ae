/**
 * GET /runs/{id} (record and metadata) and GET /runs/{id}/result.csv (the full result, streamed
 * from a file with HTTP Range, ETag and conditional requests by @fastify/static); the same result
 * as result.arrow, result.mat, result.parquet, and GET /runs/{id}/result by Accept. Only the key
 * that ran it sees a run; anyone else gets 404 as for an unknown id.
 */
import { basename, dirname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RunInfoSchema, RunPathParamsSchema } from '../../schemas/rest.ts';
import { GatewayError } from '../../errors.ts';
import { negotiateResultFormat, RESULT_MEDIA_TYPES, type ResultFormat } from '../../schemas/result-formats.ts';
import {
  assertRunVisible,
  getRunInfo,
  runCsvFile,
  runParquetBytes,
  scopeToCaller,
  streamRunArrow,
  streamRunMat,
  type ServiceContext,
} from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, prefixOf, type MountOptions } from './surface.ts';

/**
 * The CSV of a run as a complete file with a known size (what Range needs): the store renders it
 * from the columnar result once and keeps it beside (streamRunCsv streams without a file).
 */
async function csvFileOf(ctx: ServiceContext, runId: string): Promise<{ path: string; bytes: number }> {
  return runCsvFile(ctx, runId);
}

export const runRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const prefix = prefixOf(deps.surface);
  // serve: false: no static route is exposed; only reply.sendFile below, on paths we resolved.
  await app.register(fastifyStatic, { root: ctx.results.dir, serve: false });

  app.get(
    '/runs/:id',
    {
      schema: {
        operationId: opId(deps.surface, 'getRun'),
        summary: 'A run: its record and metadata',
        tags: ['runs'],
        params: RunPathParamsSchema,
        response: { 200: RunInfoSchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => {
      const info = await getRunInfo(scopeToCaller(ctx, accounts, callerOf(req), 'rest'), accounts, req.params.id);
      return { ...info, result_url: `${prefix}/runs/${req.params.id}/result.csv` };
    },
  );

  app.get(
    '/runs/:id/result.csv',
    {
      schema: {
        operationId: opId(deps.surface, 'getRunCsv'),
        summary: 'The full result of a run (CSV)',
        description: 'Header "time,<output>,..." then one row per output step. Supports Range (bytes=...), If-Range and ETag.',
        tags: ['runs'],
        params: RunPathParamsSchema,
        produces: ['text/csv'],
        response: { 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req, reply) => sendResult(req, reply, req.params.id, 'csv'),
  );

  /** One run's result in `format`, as an attachment named after the run. */
  async function sendResult(req: FastifyRequest, reply: FastifyReply, runId: string, format: ResultFormat): Promise<FastifyReply> {
    const scoped = scopeToCaller(ctx, accounts, callerOf(req), 'rest');
    await assertRunVisible(scoped, runId);
    void reply.header('content-disposition', `attachment; filename="${runId}.${format}"`);
    if (format === 'csv') {
      const file = await csvFileOf(scoped, runId);
      return reply.sendFile(basename(file.path), dirname(file.path), { acceptRanges: true, cacheControl: false, dotfiles: 'deny' });
    }
    void reply.type(RESULT_MEDIA_TYPES[format]);
    if (format === 'parquet') return reply.send(Buffer.from(await runParquetBytes(scoped, runId)));
    return reply.send(format === 'mat' ? await streamRunMat(scoped, runId) : await streamRunArrow(scoped, runId));
  }

  const exportRoute = (format: Exclude<ResultFormat, 'csv'>, summary: string, description: string): void => {
    app.get(
      `/runs/:id/result.${format}`,
      {
        schema: {
          summary,
          description,
          tags: ['runs'],
          params: RunPathParamsSchema,
          produces: [RESULT_MEDIA_TYPES[format]],
          response: { 400: RestErrorSchema, 401: RestErrorSchema, 404: RestErrorSchema, 501: RestErrorSchema },
        },
      },
      async (req, reply) => sendResult(req, reply, req.params.id, format),
    );
  };
  exportRoute(
    'arrow',
    'The full result of a run (Arrow IPC file)',
    'Typed columns (Float64, Int8 … UInt64 exact, Boolean, Utf8); field metadata unit, displayUnit, description, causality, variability (arrow.modelica keys). Read with pyarrow.ipc.open_file, polars.read_ipc or DuckDB.',
  );
  exportRoute(
    'mat',
    'The full result of a run (MATLAB v4, Modelica "dsres" layout)',
    'Aclass, name, description, dataInfo, data_1 (time range and constant/fixed columns), data_2 (time series). Read by Dymola, OMEdit, DyMat and scipy.io.loadmat. String columns are left out; 64-bit integers become doubles.',
  );
  exportRoute(
    'parquet',
    'The full result of a run (Parquet)',
    'Typed columns (DOUBLE, INT32, INT64 exact, UINT_64, BOOLEAN, UTF8), ZSTD; units and descriptions in the embedded Arrow schema and in the key-value metadata fmu_gateway.columns. 501 OPTIONAL_DEPENDENCY_MISSING when parquet-wasm is not installed.',
  );

  app.get(
    '/runs/:id/result',
    {
      schema: {
        summary: 'The full result of a run, in the format the Accept header asks for',
        description:
          'Content negotiation over text/csv (default), application/vnd.apache.arrow.file, application/x-matlab-data and application/vnd.apache.parquet, with q-values; 406 when none is acceptable. The same bytes as /runs/{id}/result.<csv|arrow|mat|parquet>.',
        tags: ['runs'],
        params: RunPathParamsSchema,
        produces: Object.values(RESULT_MEDIA_TYPES),
        response: { 400: RestErrorSchema, 401: RestErrorSchema, 404: RestErrorSchema, 406: RestErrorSchema, 501: RestErrorSchema },
      },
    },
    async (req, reply) => {
      void reply.header('vary', 'Accept');
      const format = negotiateResultFormat(req.headers.accept);
      if (format === undefined)
        throw new GatewayError('NOT_ACCEPTABLE', `No result format matches Accept: ${req.headers.accept ?? ''}`.slice(0, 300), {
          available: Object.values(RESULT_MEDIA_TYPES),
        });
      return sendResult(req, reply, req.params.id, format);
    },
  );
};
