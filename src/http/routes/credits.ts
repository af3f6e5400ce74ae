/**
 * Credit packs over REST (ours: under /v2 and at the root, where the original has no such path):
 * GET /credits (balance, packs on sale, the ledger newest first, paged), POST /credits/checkout
 * {pack} (a Stripe Checkout for a pack; the signed webhook credits it) and GET
 * /credits/checkout/{session_id} (credited yet? asks Stripe when no webhook has said so).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CreditCheckoutInputSchema,
  CreditCheckoutSchema,
  CreditCheckoutStatusSchema,
  CreditsListQuerySchema,
  CreditsSchema,
} from '../../schemas/credits.ts';
import { CheckoutSessionIdSchema } from '../../schemas/payments.ts';
import { buyCredits, creditCheckoutStatus, listCredits, scopeToCaller } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';

export const creditRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const { ctx, accounts, surface } = deps;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');

  app.get(
    '/credits',
    {
      schema: {
        operationId: opId(surface, 'getCredits'),
        summary: 'Prepaid run credits: balance, packs, ledger',
        description:
          'The balance of this key (runs paid in advance), the credit packs on sale (CREDIT_PACKS) and the ledger, newest first: purchases (+runs), runs (-price units) and refunds of runs that failed through the gateway’s fault. Paged with limit and cursor (next_cursor).',
        tags: ['payments'],
        querystring: CreditsListQuerySchema,
        response: { 200: CreditsSchema, 400: RestErrorSchema, 401: RestErrorSchema, 503: RestErrorSchema },
      },
    },
    async (req) => listCredits(scoped(callerOf(req)), req.query),
  );

  app.post(
    '/credits/checkout',
    {
      schema: {
        operationId: opId(surface, 'buyCredits'),
        summary: 'Buy a credit pack',
        description:
          'Opens a Stripe Checkout for a pack ({"pack": "10"}: its id is its run count). Pay at checkout_url; Stripe’s signed webhook credits the runs to this key once (GET /credits/checkout/{session_id} confirms). An unknown pack is 400 UNKNOWN_CREDIT_PACK, listing the packs.',
        tags: ['payments'],
        body: CreditCheckoutInputSchema,
        response: { 200: CreditCheckoutSchema, 400: RestErrorSchema, 401: RestErrorSchema, 502: RestErrorSchema },
      },
    },
    async (req) => buyCredits(scoped(callerOf(req)), req.body.pack),
  );

  app.get(
    '/credits/checkout/:session_id',
    {
      schema: {
        operationId: opId(surface, 'creditCheckoutStatus'),
        summary: 'Has a credit pack purchase been credited?',
        description:
          'pending (not paid yet), credited (the runs are in the balance) or expired. When no webhook has confirmed the payment yet, Stripe is asked, and a paid session is credited now (once, whichever comes first).',
        tags: ['payments'],
        params: z.object({ session_id: CheckoutSessionIdSchema }),
        response: {
          200: CreditCheckoutStatusSchema,
          400: RestErrorSchema,
          401: RestErrorSchema,
          404: RestErrorSchema,
          502: RestErrorSchema,
        },
      },
    },
    async (req) => creditCheckoutStatus(scoped(callerOf(req)), req.params.session_id),
  );
};
