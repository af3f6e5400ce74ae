/**
 * Payments over REST: POST /pay (a checkout for one run), GET /payments/checkout/{session_id}
 * (the payment token once paid: 200; 202 while pending; only for the key that made the checkout)
 * and POST /webhooks/stripe (no key: the Stripe signature over the raw body is the check).
 * POST /simulate answers 402 with the payment body through the common error handler.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CheckoutSessionIdSchema, PayInputSchema, PayOutputSchema, PendingSchema, RedeemedSchema } from '../../schemas/payments.ts';
import { payForRun, redeemCheckout, stripeWebhook } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import type { RestDeps } from '../deps.ts';
import { RestErrorSchema } from '../error-status.ts';

export const paymentRoutes: FastifyPluginAsyncZod<RestDeps> = async (app, deps) => {
  const { ctx } = deps;
  app.post(
    '/pay',
    {
      schema: {
        summary: 'Create a checkout for one simulation',
        tags: ['payments'],
        body: PayInputSchema.nullish(),
        response: { 201: PayOutputSchema, 400: RestErrorSchema, 401: RestErrorSchema },
      },
    },
    async (req, reply) => reply.code(201).send(await payForRun(ctx, req.body ?? {}, { callerId: callerOf(req) })),
  );

  app.get(
    '/payments/checkout/:session_id',
    {
      schema: {
        summary: 'Redeem a paid checkout for a payment token',
        description: '200 with payment_token once paid (single-use, shown once); 202 while the payment is pending.',
        tags: ['payments'],
        params: z.object({ session_id: CheckoutSessionIdSchema }),
        response: { 200: RedeemedSchema, 202: PendingSchema, 401: RestErrorSchema, 404: RestErrorSchema },
      },
    },
    async (req, reply) => {
      const out = await redeemCheckout(ctx, { session_id: req.params.session_id }, { callerId: callerOf(req) });
      return out.status === 'pending' ? reply.code(202).send(out) : reply.code(200).send(out);
    },
  );

  // Encapsulated: the raw body (bytes as sent) is what the signature covers.
  await app.register(async (hook) => {
    hook.removeAllContentTypeParsers();
    hook.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    hook.post('/webhooks/stripe', { config: { auth: 'public', rateLimit: false }, schema: { hide: true } }, async (req) => {
      const sig = req.headers['stripe-signature'];
      return stripeWebhook(ctx, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), typeof sig === 'string' ? sig : undefined);
    });
  });
};
