/**
 * POST /v2/sweep: the sweep tool over REST, same schema and answer (one row per run with its swept
 * values, summary, KPIs and run_id; each run stored like a simulate run, its CSV at
 * /v2/runs/{run_id}/result.csv). Synchronous, paid like simulate for all its rows at once (402 with
 * the payment body before anything runs). A client that goes away cancels the remaining runs.
 * The root POST /sweep is the original's asynchronous sweep (compat/sweep.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PaymentRequiredSchema } from '../../schemas/errors.ts';
import { SweepInputSchema, SweepSuccessSchema } from '../../schemas/simulate.ts';
import { scopeToCaller } from '../../service/index.ts';
import { sweepRuns } from '../../service/sweep-runs.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';

const SweepRestOutputSchema = SweepSuccessSchema.extend({
  plot_png_base64: z.string().optional().describe('The overlay chart of the runs (PNG, base64), when the request had plot: true.'),
});

export const sweepRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  // The root POST /sweep is the original's (compat/sweep.ts).
  if (deps.surface !== 'v2') return;
  const { ctx, accounts } = deps;
  app.post(
    '/sweep',
    {
      schema: {
        operationId: opId(deps.surface, 'sweep'),
        summary: 'Run a parameter sweep',
        description:
          'The request of POST /v2/simulate plus parameters [{name, values}] (full factorial, at most 1000 runs). Answers when every run has finished: one row per run (swept values, summary, KPIs, run_id; a failed run carries its error). Paid for all its rows at once where payments are on (402 as POST /v2/simulate).',
        tags: ['simulate'],
        body: SweepInputSchema,
        response: {
          200: SweepRestOutputSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          402: PaymentRequiredSchema,
          404: RestErrorSchema,
          422: RestErrorSchema,
          429: RestErrorSchema,
          503: RestErrorSchema,
          507: RestErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
      };
      reply.raw.once('close', onClose);
      try {
        const caller = callerOf(req);
        const { output, plotPng } = await sweepRuns(scopeToCaller(ctx, accounts, caller, 'rest'), req.body, {
          signal: abort.signal,
          callerId: caller,
        });
        return { ...output, ...(plotPng !== undefined ? { plot_png_base64: plotPng.toString('base64') } : {}) };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );
};
