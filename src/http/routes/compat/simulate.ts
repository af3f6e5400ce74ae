/**
 * The original's POST /simulate and GET /simulations/{run_id}. The request is the original's
 * (lenient, mapped onto ours: request.ts), the answer {run_id, status "ok", key_results,
 * provenance, artifacts, summary_url} with ours beside it. Payment as the original: 402 with its
 * payment body when unpaid (error "complete_checkout"), and also for a bad, used or expired token
 * (error "invalid_or_expired_payment_token", with a fresh checkout); quote_only answers the 402
 * quote without running. Runs stay billed to and visible to the key that made them.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isGatewayError, type ErrorCode } from '../../../errors.ts';
import {
  CompatPaymentSchema,
  CompatSimulateRequestSchema,
  CompatSimulationResultSchema,
  CompatSimulationSummarySchema,
} from '../../../schemas/compat.ts';
import { PaymentRequiredSchema } from '../../../schemas/errors.ts';
import { RunPathParamsSchema } from '../../../schemas/rest.ts';
import type { SimulateInput } from '../../../schemas/simulate.ts';
import { getVariables, quote, scopeToCaller, simulate, type ServiceContext } from '../../../service/index.ts';
import { readOwnedMeta, readRunSlice } from '../../../service/run-slice.ts';
import { callerOf } from '../../auth.ts';
import type { RestDeps } from '../../deps.ts';
import { RestErrorSchema } from '../../error-status.ts';
import { toSimulateInput } from './request.ts';
import { paymentFromQuote, paymentFromRequired, simulationResult, type RunFacts } from './shapes.ts';
import { sendSettlement, x402PaymentFromHeaders } from './x402-header.ts';

/** Token refusals the original answered with 402 and a new checkout. */
const TOKEN_REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'PAYMENT_TOKEN_INVALID',
  'PAYMENT_TOKEN_USED',
  'PAYMENT_TOKEN_EXPIRED',
  'PAYMENT_TOKEN_MISMATCH',
]);

/** Most rows of a history inline; a longer run is strided down to this (the CSV has every row). */
export const HISTORY_MAX_ROWS = 100_000;

const withoutPayment = (input: SimulateInput): SimulateInput => {
  const { payment_token: _t, ...rest } = input;
  return rest;
};

/** The GUID / instantiation token of the run's FMU ("" when it is no longer stored). */
async function guidOf(ctx: ServiceContext, fmuId: string): Promise<string> {
  try {
    return (await getVariables(ctx, { fmu_id: fmuId, limit: 1 })).guid;
  } catch {
    return '';
  }
}

async function historyOf(ctx: ServiceContext, runId: string, rows: number, callerId: string) {
  const stride = Math.max(1, Math.ceil(rows / HISTORY_MAX_ROWS));
  const history: Record<string, (number | string | null)[]> = { time: [] };
  let start: number | undefined;
  for (;;) {
    const slice = await readRunSlice(
      ctx,
      runId,
      { stride, maxRows: 5000, ...(start === undefined ? {} : { startTime: start }) },
      { callerId },
    );
    history.time?.push(...slice.time);
    slice.columns.forEach((c, i) => {
      const col = (history[c.name] ??= []);
      for (const v of slice.values[i] ?? []) col.push(typeof v === 'number' && !Number.isFinite(v) ? null : v);
    });
    if (slice.nextStartTime === undefined || slice.time.length === 0) break;
    start = slice.nextStartTime;
  }
  return { history, stride };
}

export const compatSimulateRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');

  app.post(
    '/simulate',
    {
      // Refused before its body is read when there is no place (src/http/auth.ts registerAdmissionCheck).
      config: { admission: true },
      schema: {
        operationId: 'simulateCompat',
        summary: 'Run a simulation (original shape)',
        description:
          'The original gateway\'s request and answer. Unknown fields are ignored and null means absent; input_signals are {name, t, u}; fmu_id may be an upload\'s bare sha256 hex. 402: pay at checkout_url, GET /payments/checkout/{session_id}, send again with payment_token. quote_only: true answers the 402 quote and runs nothing. payment_method "crypto" pays with x402 (PAYMENT-SIGNATURE header) where X402_PAY_TO is set. Our richer answer is POST /v2/simulate.',
        tags: ['original API'],
        body: CompatSimulateRequestSchema,
        response: {
          200: CompatSimulationResultSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          402: CompatPaymentSchema,
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
      const c = scoped(callerOf(req));
      const input = toSimulateInput(ctx, req.body);
      if (req.body.quote_only === true)
        return reply.code(402).send(paymentFromQuote(await quote(c, withoutPayment(input)), 'quote_only', null));
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
      };
      reply.raw.once('close', onClose);
      try {
        const x402Payment = x402PaymentFromHeaders(req);
        const res = await simulate(c, input, { signal: abort.signal, ...(x402Payment === undefined ? {} : { x402Payment }) });
        sendSettlement(reply, res.x402Settlement);
        const out = res.output;
        // The GUID of the FMU that ran (the build of the requested fmi_version), without resolving it again.
        return simulationResult(out, res.guid ?? (await guidOf(c, input.fmu_id)), `/runs/${out.run_id}/result.csv`);
      } catch (e) {
        if (isGatewayError(e) && e.code === 'PAYMENT_REQUIRED') {
          const p = PaymentRequiredSchema.safeParse({ ...e.data, status: 'payment_required' });
          if (p.success) return reply.code(402).send(paymentFromRequired(p.data, 'complete_checkout'));
        }
        if (isGatewayError(e) && TOKEN_REFUSALS.has(e.code)) {
          const q = await quote(c, withoutPayment(input));
          return reply.code(402).send({
            ...paymentFromQuote(q, 'payment_required', 'invalid_or_expired_payment_token'),
            refusal: { code: e.code, message: e.message },
          });
        }
        throw e;
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );

  app.get(
    '/simulations/:id',
    {
      schema: {
        operationId: 'getSimulation',
        summary: 'A run with its history (original shape)',
        description:
          'The answer of POST /simulate plus history {time, <variable>...}: the full result, strided past ' +
          `${HISTORY_MAX_ROWS} rows (history_stride). Only the key that ran it sees a run.`,
        tags: ['original API'],
        params: RunPathParamsSchema,
        response: { 200: CompatSimulationSummarySchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const c = scoped(caller);
      // Sweep runs are stored runs too (no usage record of their own): read the run's metadata.
      const facts = readOwnedMeta(c, req.params.id, { callerId: caller }) as unknown as RunFacts;
      const { history, stride } = await historyOf(c, req.params.id, facts.rows, caller);
      return {
        ...simulationResult(facts, await guidOf(c, facts.provenance.fmu_id), `/runs/${facts.run_id}/result.csv`),
        history,
        history_stride: stride,
      };
    },
  );
};
