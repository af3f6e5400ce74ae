/**
 * POST /webhooks/stripe: verify the signature on the raw body, then apply checkout.session.completed
 * (paid) and checkout.session.expired to the session we created. Idempotent on the event id, and
 * each transition is taken at most once anyway (checkout.ts), so replays and duplicates change
 * nothing; events for sessions we do not know are acknowledged and ignored.
 */
import type { Logger } from './logger.ts';
import { markExpired, markPaid } from './checkout.ts';
import type { PaymentStore } from './port.ts';
import type { CheckoutProvider } from './stripe-provider.ts';
import type { CreditPayments } from './credits.ts';

export type WebhookResult = { received: true; event_id: string; outcome: 'applied' | 'duplicate' | 'ignored'; reason?: string };

const EVENT_FLAG_TTL_MS = 30 * 24 * 3600 * 1000;
const eventFlag = (id: string): string => `stripe-event:${id}`;

export async function handleStripeWebhook(
  deps: { store: PaymentStore; provider: CheckoutProvider; logger: Logger; credits?: CreditPayments },
  rawBody: Buffer | string,
  signature: string | undefined,
): Promise<WebhookResult> {
  // Throws WEBHOOK_SIGNATURE_INVALID: nothing below runs for an unsigned or tampered body.
  const event = deps.provider.verifyWebhook(rawBody, signature);
  const ignored = (reason: string): WebhookResult => ({ received: true, event_id: event.id, outcome: 'ignored', reason });
  if (await deps.store.hasFlag(eventFlag(event.id))) return { received: true, event_id: event.id, outcome: 'duplicate' };

  const s = event.session;
  const paidEvent = event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded';
  if (s === undefined || (!paidEvent && event.type !== 'checkout.session.expired')) return ignored(`event type ${event.type} is not used`);
  const record = await deps.store.getSession(s.id);
  if (record === undefined) {
    deps.logger.warn('stripe webhook for an unknown checkout session', { event_id: event.id, session_id: s.id });
    return ignored('unknown session');
  }
  let outcome;
  if (paidEvent) {
    // completed with payment_status "unpaid" = a delayed method; async_payment_succeeded follows.
    if (s.paymentStatus !== 'paid') return ignored(`payment_status is ${s.paymentStatus}`);
    // A credit pack: credited once per event and once per session, atomically with the balance.
    outcome =
      record.credit_runs !== undefined
        ? deps.credits === undefined
          ? 'mismatch'
          : await deps.credits.creditPaid(record, s, event.id)
        : await markPaid(deps.store, record, s, event.id);
    if (outcome === 'mismatch') {
      deps.logger.error('stripe webhook: paid amount differs from the checkout we created', {
        event_id: event.id,
        session_id: s.id,
        amount_total: s.amountTotal,
        expected: record.amount_minor,
      });
      return ignored('amount or currency differs from the checkout created');
    }
  } else {
    outcome = await markExpired(deps.store, record, event.id);
  }
  await deps.store.putFlag(eventFlag(event.id), EVENT_FLAG_TTL_MS);
  deps.logger.info('stripe webhook', { event_id: event.id, type: event.type, session_id: s.id, outcome });
  return outcome === 'applied'
    ? { received: true, event_id: event.id, outcome: 'applied' }
    : { received: true, event_id: event.id, outcome: 'duplicate' };
}
