/**
 * GET /runs/{id} (record and metadata) and GET /runs/{id}/result.csv (the full result, streamed
 * from a file with HTTP Range, ETag and conditional requests by @fastify/static). Only the key
 * that ran it sees a run; anyone else gets 404 as for an unknown id.
 */
import { basename, dirname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RunInfoSchema, RunPathParamsSchema } from '../../schemas/rest.ts';
import { assertRunVisible, getRunInfo, runCsvFile, scopeToCaller, type ServiceContext } from '../../service/index.ts';
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
    async (req, reply) => {
      const scoped = scopeToCaller(ctx, accounts, callerOf(req), 'rest');
      await assertRunVisible(scoped, req.params.id);
      const file = await csvFileOf(scoped, req.params.id);
      void reply.header('content-disposition', `attachment; filename="${req.params.id}.csv"`);
      return reply.sendFile(basename(file.path), dirname(file.path), { acceptRanges: true, cacheControl: false, dotfiles: 'deny' });
    },
  );
};
