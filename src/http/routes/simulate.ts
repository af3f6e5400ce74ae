/**
 * POST /simulate: the simulate tool over REST, same schema (fmu_id "msl:<Name>" or an upload of
 * this key). The run is billed to the key and its result is readable only with it. A client that
 * goes away cancels its run.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SimulateRestOutputSchema } from '../../schemas/rest.ts';
import { createSimulateInputSchema } from '../../schemas/simulate.ts';
import { scopeToCaller, simulate } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import type { RestDeps } from '../deps.ts';
import { RestErrorSchema } from '../error-status.ts';

export const simulateRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx, accounts } = deps;
  app.post(
    '/simulate',
    {
      schema: {
        summary: 'Run a simulation',
        description: 'The same request as the MCP tool simulate. The full result is at result_url (CSV).',
        tags: ['simulate'],
        body: createSimulateInputSchema(ctx.config.limits),
        response: {
          200: SimulateRestOutputSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          404: RestErrorSchema,
          422: RestErrorSchema,
          503: RestErrorSchema,
          504: RestErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const abort = new AbortController();
      // The client hung up before the answer: stop the run rather than finish it for no one.
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
      };
      reply.raw.once('close', onClose);
      try {
        const { output, plotPng } = await simulate(scopeToCaller(ctx, accounts, callerOf(req), 'rest'), req.body, { signal: abort.signal });
        return {
          ...output,
          result_url: `/runs/${output.run_id}/result.csv`,
          ...(plotPng !== undefined ? { plot_png_base64: plotPng.toString('base64') } : {}),
        };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
};
