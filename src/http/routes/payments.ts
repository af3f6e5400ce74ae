/**
 * Payments over REST: POST /pay {fmu_id?} opens a checkout for one run, GET
 * /payments/checkout/{session_id} exchanges a paid checkout for the payment token (same key only),
 * POST /webhooks/stripe takes Stripe's events (no key: the signature on the raw body is the
 * authentication), and the success / cancel pages Stripe sends the paying human back to.
 * POST /simulate answers 402 with the payment_required body (src/http/routes/simulate.ts).
 */
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import {
  CheckoutSessionIdSchema,
  createQuoteInputSchema,
  PayInputSchema,
  PayOutputSchema,
  PendingSchema,
  QuoteSuccessSchema,
  RedeemedSchema,
} from '../../schemas/payments.ts';
import { payForRun, quote, redeemCheckout, scopeToCaller, stripeWebhook } from '../../service/index.ts';
import { callerOf } from '../auth.ts';
import { RestErrorSchema } from '../error-status.ts';
import { opId, type MountOptions } from './surface.ts';

const WebhookAckSchema = z.object({
  received: z.literal(true),
  event_id: z.string(),
  outcome: z.enum(['applied', 'duplicate', 'ignored']),
  reason: z.string().optional(),
});

type FastifyInstanceZod = FastifyInstance<any, any, any, any, ZodTypeProvider>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Fastify's generic server types

/** Stripe's events are small; anything larger is not one. */
const WEBHOOK_MAX_BYTES = 1024 * 1024;

function page(title: string, text: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}

export const paymentRoutes: FastifyPluginAsyncZod<MountOptions> = async (app, deps) => {
  const { ctx, accounts, surface } = deps;
  const scoped = (caller: string) => scopeToCaller(ctx, accounts, caller, 'rest');

  app.post(
    '/quote',
    {
      schema: {
        operationId: opId(surface, 'quote'),
        summary: 'Price a simulation',
        description:
          'The body of POST /v2/simulate → its price, whether payment is required, estimated rows and cost drivers; when payment is due, a checkout to pay at (then GET /v2/payments/checkout/{session_id}). Nothing runs. The price is computed here: when the payment provider cannot be reached, the quote still answers, without checkout and with checkout_unavailable.',
        tags: ['payments'],
        body: createQuoteInputSchema(deps.ctx.config.limits),
        response: { 200: QuoteSuccessSchema, 400: RestErrorSchema, 401: RestErrorSchema, 404: RestErrorSchema, 422: RestErrorSchema },
      },
    },
    async (req) => quote(scoped(callerOf(req)), req.body),
  );

  if (surface === 'root') await registerStripeCallbacks(app, deps);
  // The root /pay and /payments/checkout/{id} are the original's (compat/payments.ts).
  if (surface !== 'v2') return;

  app.post(
    '/pay',
    {
      schema: {
        operationId: opId(surface, 'pay'),
        summary: 'Open a checkout for one simulation',
        description:
          'Creates a Stripe Checkout session for one run (of fmu_id, when given). Pay at checkout_url, then GET /payments/checkout/{session_id} for the payment_token.',
        tags: ['payments'],
        body: PayInputSchema.optional(),
        response: { 201: PayOutputSchema, 400: RestErrorSchema, 401: RestErrorSchema, 409: RestErrorSchema, 502: RestErrorSchema },
      },
    },
    async (req, reply) => reply.code(201).send(await payForRun(scoped(callerOf(req)), req.body ?? {})),
  );

  app.get(
    '/payments/checkout/:session_id',
    {
      schema: {
        operationId: opId(surface, 'redeemCheckout'),
        summary: 'Exchange a paid checkout for a payment token',
        description:
          'status "redeemed" with payment_token (single use, shown once) once paid; status "pending" (HTTP 202) before. Only the key that opened the checkout can redeem it.',
        tags: ['payments'],
        params: z.object({ session_id: CheckoutSessionIdSchema }),
        response: {
          200: RedeemedSchema,
          202: PendingSchema,
          401: RestErrorSchema,
          404: RestErrorSchema,
          409: RestErrorSchema,
          410: RestErrorSchema,
        },
      },
    },
    async (req, reply) => {
      const out = await redeemCheckout(scoped(callerOf(req)), { session_id: req.params.session_id });
      return reply.code(out.status === 'pending' ? 202 : 200).send(out);
    },
  );
};

/** POST /webhooks/stripe and the pages Stripe sends the paying human back to: at the root only. */
async function registerStripeCallbacks(app: FastifyInstanceZod, deps: MountOptions): Promise<void> {
  const { ctx } = deps;
  // Its own encapsulated context: the raw body parser applies to the webhook only.
  await app.register(async (hooks) => {
    hooks.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_MAX_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    hooks.post(
      '/webhooks/stripe',
      {
        // No key (the signature is the authentication) and no rate limit: Stripe's deliveries after
        // an outage come in bursts, and a throttled payment confirmation only delays the payer.
        config: { auth: 'public', rateLimit: false },
        schema: {
          operationId: 'stripeWebhook',
          summary: 'Stripe webhook',
          security: [],
          description:
            'checkout.session.completed / .expired, signed with STRIPE_WEBHOOK_SECRET (Stripe-Signature header, checked on the raw body). Duplicates and unknown sessions are acknowledged and change nothing.',
          tags: ['payments'],
          response: { 200: WebhookAckSchema, 400: RestErrorSchema },
        },
      },
      async (req) => {
        if (!Buffer.isBuffer(req.body)) throw new GatewayError('WEBHOOK_SIGNATURE_INVALID', "The webhook body must be Stripe's JSON event");
        const sig = req.headers['stripe-signature'];
        return stripeWebhook(ctx, req.body, typeof sig === 'string' ? sig : undefined);
      },
    );
  });

  for (const [path, title, text] of [
    [
      '/payments/success',
      'Payment received',
      'Thank you. You can close this page: the agent can now redeem the checkout and run the simulation.',
    ],
    ['/payments/cancelled', 'Payment cancelled', 'Nothing was charged. The agent can ask for a new checkout.'],
  ] as const) {
    app.get(path, { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send(page(title, text)),
    );
  }
}
