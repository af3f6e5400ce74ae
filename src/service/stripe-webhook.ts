/** Use case stripe webhook (REST POST /webhooks/stripe): verify and apply a Stripe event. */
import { GatewayError } from '../errors.ts';
import type { WebhookResult } from '../payments/payments.ts';
import type { ServiceContext } from './context.ts';
import { activePayments } from './payment-gate.ts';

export async function stripeWebhook(ctx: ServiceContext, rawBody: Buffer, signature: string | undefined): Promise<WebhookResult> {
  const payments = activePayments(ctx);
  if (payments === undefined)
    throw new GatewayError('PAYMENTS_DISABLED', 'Payments are disabled on this gateway: no Stripe events are accepted');
  return payments.handleWebhook(rawBody, signature);
}
