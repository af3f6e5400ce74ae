/**
 * The original's asynchronous sweep: POST /sweep {base_request, sweep_parameters [{path, values}],
 * post_processing [{chart_type "xy_plot", chart_title, x_axis_param, y_axis_kpi}]} → 202
 * {sweep_id, status "ACCEPTED", results_url}; GET /sweep/{id}/results → RUNNING with progress,
 * then COMPLETED with per-run parameters and KPIs, an overlay chart of the runs and the x–y charts
 * (or FAILED with the error). Paid like simulate, for all its rows at once (402 before anything
 * runs). Only the key that started a sweep reads it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError, isGatewayError } from '../../../errors.ts';
import {
  CompatPaymentSchema,
  CompatSweepAcceptedSchema,
  CompatSweepRequestSchema,
  CompatSweepResultsSchema,
  type CompatSweepRequest,
} from '../../../schemas/compat.ts';
import { PaymentRequiredSchema } from '../../../schemas/errors.ts';
import { SweepInputSchema, type SweepInput } from '../../../schemas/simulate.ts';
import { scopeToCaller, type ServiceContext } from '../../../service/index.ts';
import { getSweepJob, startSweepJob, type SweepJob } from '../../../service/sweep-jobs.ts';
import { callerOf } from '../../auth.ts';
import type { RestDeps } from '../../deps.ts';
import { RestErrorSchema } from '../../error-status.ts';
import { CompatValidationError, toSimulateInput } from './request.ts';
import { paymentFromRequired } from './shapes.ts';
import { x402PaymentFromHeaders } from './x402-header.ts';

const REQUEST_FIELDS = new Set([
  'fmu_id',
  'start_time',
  'stop_time',
  'step',
  'tolerance',
  'fixed_step',
  'interface',
  'solver',
  'kpis',
  'outputs',
]);

/** "start_values.k" or "k" → the variable; other paths of the original's request are not sweepable here. */
function variableOfPath(path: string): string {
  if (path.startsWith('start_values.')) return path.slice('start_values.'.length);
  // A bare name is a start value, unless it names a field of the request itself (stop_time, step...).
  if (!path.includes('.') && !REQUEST_FIELDS.has(path)) return path;
  throw new GatewayError('UNSUPPORTED_FEATURE', `sweep_parameters path "${path}" is not a start value`, {
    feature: 'sweep_path',
    hint: 'Sweep start values: "start_values.<variable>" (parameters and initial values of the model).',
  });
}

function toSweepInput(ctx: ServiceContext, body: CompatSweepRequest): SweepInput {
  const base = toSimulateInput(ctx, body.base_request);
  const parsed = SweepInputSchema.safeParse({
    ...base,
    parameters: body.sweep_parameters.map((p) => ({ name: variableOfPath(p.path), values: p.values })),
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message }));
    throw new CompatValidationError(`Invalid sweep: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  return parsed.data;
}

function resultsOf(job: SweepJob) {
  const common = {
    sweep_id: job.sweep_id,
    status: job.status,
    completed_runs: job.completed_runs,
    total_runs: job.total_runs,
    started_at: job.started_at,
    ...(job.completed_at === undefined ? {} : { completed_at: job.completed_at }),
  };
  if (job.status === 'RUNNING') return { ...common, progress: `${job.completed_runs}/${job.total_runs} complete` };
  if (job.status === 'FAILED') return { ...common, error: job.error ?? 'failed' };
  return { ...common, results: job.results ?? [], charts: job.charts ?? [] };
}

export const compatSweepRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx, accounts } = deps;

  app.post(
    '/sweep',
    {
      // Refused before its body is read when there is no place (src/http/auth.ts registerAdmissionCheck).
      config: { admission: true },
      schema: {
        operationId: 'startSweep',
        summary: 'Start a parameter sweep (asynchronous)',
        description:
          'Every combination of sweep_parameters (full factorial, start values) runs like POST /simulate with base_request. 202 at once; GET results_url until status is COMPLETED (or FAILED). Paid for all its rows at once where payments are on (402 as POST /simulate).',
        tags: ['original API'],
        body: CompatSweepRequestSchema,
        response: {
          202: CompatSweepAcceptedSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          402: CompatPaymentSchema,
          404: RestErrorSchema,
          422: RestErrorSchema,
          503: RestErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const input = toSweepInput(ctx, req.body);
      const x402Payment = x402PaymentFromHeaders(req);
      const scoped = scopeToCaller(ctx, accounts, caller, 'rest');
      const charts = (req.body.post_processing ?? []).filter((c) => c.chart_type === 'xy_plot');
      try {
        let job;
        try {
          job = await startSweepJob(scoped, input, { callerId: caller, charts, ...(x402Payment === undefined ? {} : { x402Payment }) });
        } catch (e) {
          // As for simulate: a used, unknown or expired token gets the 402 with a fresh checkout.
          if (!isGatewayError(e) || !e.code.startsWith('PAYMENT_TOKEN_')) throw e;
          const { payment_token: _t, ...unpaid } = input;
          job = await startSweepJob(scoped, unpaid, { callerId: caller, charts });
        }
        return await reply.code(202).send({
          sweep_id: job.sweep_id,
          status: 'ACCEPTED' as const,
          results_url: `/sweep/${job.sweep_id}/results`,
          total_runs: job.total_runs,
        });
      } catch (e) {
        if (isGatewayError(e) && e.code === 'PAYMENT_REQUIRED') {
          const p = PaymentRequiredSchema.safeParse({ ...e.data, status: 'payment_required' });
          if (p.success)
            return reply
              .code(402)
              .send(
                paymentFromRequired(p.data, input.payment_token === undefined ? 'complete_checkout' : 'invalid_or_expired_payment_token'),
              );
        }
        throw e;
      }
    },
  );

  app.get(
    '/sweep/:id/results',
    {
      schema: {
        operationId: 'getSweepResults',
        summary: 'The state or results of a sweep',
        description:
          'RUNNING (progress), COMPLETED (results: parameters and KPIs per run; charts: an overlay of the runs and the requested x–y plots, PNG data URLs) or FAILED.',
        tags: ['original API'],
        params: z.object({ id: z.string().max(100) }),
        response: { 200: CompatSweepResultsSchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => resultsOf(getSweepJob(ctx, req.params.id, callerOf(req))),
  );
};
