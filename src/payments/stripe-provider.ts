/**
 * The Stripe SDK behind a small interface: create and retrieve Checkout Sessions, and verify a
 * webhook's signature on the raw body. The only module of the project that imports stripe.
 * `apiBaseUrl` points the SDK at another host (tests: a local stand-in speaking Stripe's API).
 */
import Stripe from 'stripe';
import { GatewayError } from '../errors.ts';

export interface CheckoutSessionParams {
  amountMinor: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
  /** Unix seconds. */
  expiresAt: number;
  description: string;
  metadata: Record<string, string>;
}

export interface ProviderSession {
  id: string;
  url: string;
  /** "open" | "complete" | "expired" (Stripe may add values). */
  status: string;
  /** "paid" | "unpaid" | "no_payment_required" (Stripe may add values). */
  paymentStatus: string;
  amountTotal: number | null;
  currency: string | null;
  /** Unix seconds. */
  expiresAt: number;
  metadata: Record<string, string>;
}

export interface WebhookEvent {
  id: string;
  type: string;
  /** The Checkout Session of checkout.session.* events. */
  session?: ProviderSession;
}

export interface CheckoutProvider {
  createSession(params: CheckoutSessionParams, idempotencyKey: string): Promise<ProviderSession>;
  retrieveSession(sessionId: string): Promise<ProviderSession>;
  /** Throws WEBHOOK_SIGNATURE_INVALID unless `signature` signs `rawBody` with the secret within the tolerance. */
  verifyWebhook(rawBody: Buffer | string, signature: string | undefined): WebhookEvent;
}

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret?: string;
  toleranceSeconds: number;
  apiBaseUrl?: string;
  timeoutMs?: number;
}

function toProviderSession(s: Stripe.Checkout.Session): ProviderSession {
  return {
    id: s.id,
    url: s.url ?? '',
    status: s.status ?? 'open',
    paymentStatus: s.payment_status,
    amountTotal: s.amount_total,
    currency: s.currency,
    expiresAt: s.expires_at,
    metadata: { ...(s.metadata ?? {}) },
  };
}

function providerError(e: unknown, what: string): GatewayError {
  if (e instanceof GatewayError) return e;
  const err = e as { type?: string; statusCode?: number; message?: string; code?: string };
  if (err.statusCode === 404 || err.code === 'resource_missing') {
    return new GatewayError('NOT_FOUND', `${what}: no such checkout session`);
  }
  // The provider's message may name our configuration; keep it in data, not in the headline.
  return new GatewayError('PAYMENT_PROVIDER_ERROR', `${what} failed at the payment provider`, {
    provider_error: err.type ?? 'unknown',
    ...(err.statusCode === undefined ? {} : { provider_status: err.statusCode }),
  });
}

export function createStripeProvider(opts: StripeProviderOptions): CheckoutProvider {
  const config: Stripe.StripeConfig = { maxNetworkRetries: 2, timeout: opts.timeoutMs ?? 15_000 };
  if (opts.apiBaseUrl !== undefined) {
    const u = new URL(opts.apiBaseUrl);
    config.host = u.hostname;
    config.protocol = u.protocol === 'http:' ? 'http' : 'https';
    config.port = u.port === '' ? (u.protocol === 'http:' ? 80 : 443) : Number(u.port);
  }
  const stripe = new Stripe(opts.secretKey, config);
  return {
    async createSession(p, idempotencyKey) {
      try {
        const s = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: p.currency,
                  unit_amount: p.amountMinor,
                  product_data: { name: 'FMU Gateway simulation', description: p.description },
                },
              },
            ],
            success_url: p.successUrl,
            cancel_url: p.cancelUrl,
            expires_at: p.expiresAt,
            metadata: p.metadata,
            client_reference_id: p.metadata.key,
          },
          { idempotencyKey },
        );
        return toProviderSession(s);
      } catch (e) {
        throw providerError(e, 'Creating the checkout session');
      }
    },
    async retrieveSession(sessionId) {
      try {
        return toProviderSession(await stripe.checkout.sessions.retrieve(sessionId));
      } catch (e) {
        throw providerError(e, 'Looking up the checkout session');
      }
    },
    verifyWebhook(rawBody, signature) {
      if (opts.webhookSecret === undefined) {
        throw new GatewayError('WEBHOOK_SIGNATURE_INVALID', 'Webhooks are not accepted: STRIPE_WEBHOOK_SECRET is not configured');
      }
      if (signature === undefined || signature === '') {
        throw new GatewayError('WEBHOOK_SIGNATURE_INVALID', 'The Stripe-Signature header is missing');
      }
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, opts.webhookSecret, opts.toleranceSeconds);
      } catch {
        throw new GatewayError('WEBHOOK_SIGNATURE_INVALID', 'The webhook signature does not match the body (or is too old)');
      }
      const out: WebhookEvent = { id: event.id, type: event.type };
      if (event.type.startsWith('checkout.session.')) out.session = toProviderSession(event.data.object as Stripe.Checkout.Session);
      return out;
    },
  };
}
