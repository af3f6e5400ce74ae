/**
 * POST /simulate: the simulate tool over REST, same schema (fmu_id "msl:<Name>" or an upload of
 * this key). The run is billed to the key and its result is readable only with it. A client that
 * goes away cancels its run. Served under /v2 (the root POST /simulate is the original's).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SimulateRestOutputSchema } from '../../schemas/rest.ts';
import { PaymentRequiredSchema } from '../../schemas/errors.ts';
import { createSimulateInputSchema } from '../../schemas/simulate.ts';
import { scopeToCaller, simulate } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { emitPhases, phaseClockIfEnabled } from '../../service/phases.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, prefixOf, type MountOptions } from './surface.ts';

export const simulateRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  // The root POST /simulate is the original's (compat/simulate.ts).
  if (deps.surface !== 'v2') return;
  const { ctx, accounts } = deps;
  const prefix = prefixOf(deps.surface);
  app.post(
    '/simulate',
    {
      // Refused before its body is read when there is no place (src/http/auth.ts registerAdmissionCheck).
      config: { admission: true },
      schema: {
        operationId: opId(deps.surface, 'simulate'),
        summary: 'Run a simulation',
        description: 'The same request as the MCP tool simulate. The full result is at result_url (CSV).',
        tags: ['simulate'],
        body: createSimulateInputSchema(ctx.config.limits),
        response: {
          200: SimulateRestOutputSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          402: PaymentRequiredSchema,
          404: RestErrorSchema,
          422: RestErrorSchema,
          429: RestErrorSchema,
          503: RestErrorSchema,
          504: RestErrorSchema,
          507: RestErrorSchema,
        },
      },
    },
    async (req, reply) => {
      // Auth (key lookup) and body validation ran before: bench/warm.ts shows them as the client's time less the handler's.
      const phases = phaseClockIfEnabled(ctx.config);
      const abort = new AbortController();
      // The client hung up before the answer: stop the run rather than finish it for no one.
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
      };
      reply.raw.once('close', onClose);
      try {
        const scoped = scopeToCaller(ctx, accounts, callerOf(req), 'rest');
        const { output, plotPng } = await simulate(scoped, req.body, { signal: abort.signal, ...(phases === undefined ? {} : { phases }) });
        const answer = {
          ...output,
          result_url: `${prefix}/runs/${output.run_id}/result.csv`,
          ...(plotPng !== undefined ? { plot_png_base64: plotPng.toString('base64') } : {}),
        };
        emitPhases(phases, 'rest');
        return answer;
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
};
