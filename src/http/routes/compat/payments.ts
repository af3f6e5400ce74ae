/**
 * The original's payment routes: POST /pay → 200 with its payment body, and GET
 * /payments/checkout/{session_id} → 200 {session_id, payment_token, expires_at}, 404 while the
 * checkout is unpaid, 410 once its token was handed out or it expired. Stronger than the
 * original, kept: the token is shown once (a second GET is 410, not the token again), redirect
 * URLs are the gateway's own, and only the key that opened a checkout can redeem it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError, isGatewayError } from '../../../errors.ts';
import { CompatPayRequestSchema, CompatPaymentSchema, CompatTokenSchema } from '../../../schemas/compat.ts';
import { CheckoutSessionIdSchema } from '../../../schemas/payments.ts';
import { payForRun, redeemCheckout, scopeToCaller } from '../../../service/index.ts';
import { callerOf } from '../../auth.ts';
import type { RestDeps } from '../../deps.ts';
import { RestErrorSchema, restErrorBody } from '../../error-status.ts';
import { compatFmuId } from './request.ts';

export const compatPaymentRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx, accounts } = deps;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');

  app.post(
    '/pay',
    {
      schema: {
        operationId: 'payCompat',
        summary: 'Open a checkout for one simulation (original shape)',
        description:
          "Answers 200 with the payment body (checkout_url, session_id). success_url / cancel_url are ignored: the gateway's own pages are used.",
        tags: ['original API'],
        body: CompatPayRequestSchema.nullish(),
        response: { 200: CompatPaymentSchema, 400: RestErrorSchema, 401: RestErrorSchema, 404: RestErrorSchema, 502: RestErrorSchema },
      },
    },
    async (req) => {
      const fmuId = req.body?.fmu_id;
      const out = await payForRun(scoped(callerOf(req)), fmuId === undefined || fmuId === null ? {} : { fmu_id: compatFmuId(fmuId) });
      return {
        status: 'payment_required' as const,
        amount: out.amount,
        currency: out.currency,
        methods: out.methods.map((m) => (m === 'x402' ? 'crypto' : m)),
        description: 'FMU Simulation Charge',
        next_step: 'Complete checkout and call /payments/checkout/{session_id} to retrieve your simulation token',
        checkout_url: out.checkout_url,
        session_id: out.session_id,
        error: null,
        payment_required: true,
        expires_at: out.expires_at,
        next_steps: out.next_steps,
      };
    },
  );

  app.get(
    '/payments/checkout/:session_id',
    {
      schema: {
        operationId: 'redeemCheckoutCompat',
        summary: 'The payment token of a paid checkout (original shape)',
        description:
          '200 with payment_token once paid (shown once); 404 while unpaid; 410 when already redeemed or expired. Same key only.',
        tags: ['original API'],
        params: z.object({ session_id: CheckoutSessionIdSchema }),
        response: { 200: CompatTokenSchema, 401: RestErrorSchema, 404: RestErrorSchema, 410: RestErrorSchema },
      },
    },
    async (req, reply) => {
      try {
        const out = await redeemCheckout(scoped(callerOf(req)), { session_id: req.params.session_id });
        if (out.status === 'pending') {
          throw new GatewayError('NOT_FOUND', 'Payment not completed yet', {
            session_id: out.session_id,
            checkout_url: out.checkout_url,
            hint: 'Pay at checkout_url, then ask again.',
          });
        }
        return await reply.code(200).send({
          session_id: out.session_id,
          payment_token: out.payment_token,
          expires_at: out.expires_at,
          ...(out.fmu_id === undefined ? {} : { fmu_id: out.fmu_id }),
        });
      } catch (e) {
        // Ours answers 409 for a token already handed out; the original answered 410 (gone).
        if (isGatewayError(e) && e.code === 'CHECKOUT_ALREADY_REDEEMED') return reply.code(410).send(restErrorBody(e));
        throw e;
      }
    },
  );
};
