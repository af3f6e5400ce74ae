/**
 * Checkout sessions and their life: open → paid (webhook, or a redeem that finds it paid at the
 * provider) → redeemed (the token handed out), or open → expired. Each transition out of a state
 * is won by exactly one caller through an atomic flag, so a replayed or concurrent webhook, or
 * 1000 concurrent redeems, apply it once.
 */
import { GatewayError } from '../errors.ts';
import type { CheckoutSessionRecord, PaymentStore } from './port.ts';
import type { Price } from './pricing.ts';
import type { CheckoutProvider, ProviderSession } from './stripe-provider.ts';

/** Flags outlive the session by a day, so a late duplicate finds them taken. */
const DAY_MS = 24 * 3600 * 1000;

export const openFlag = (sessionId: string): string => `checkout-open:${sessionId}`;
export const redeemFlag = (sessionId: string): string => `checkout-redeem:${sessionId}`;

export interface CheckoutUrls {
  successUrl: string;
  cancelUrl: string;
}

export interface CreateCheckoutRequest {
  keyRef: string;
  price: Price;
  fmuId?: string;
  requestHash?: string;
  /** A credit pack purchase of this many runs (credited by the webhook, never redeemed for a token). */
  creditRuns?: number;
}

export async function createCheckout(
  deps: { store: PaymentStore; provider: CheckoutProvider; urls: CheckoutUrls; sessionTtlMinutes: number },
  req: CreateCheckoutRequest,
  now = Date.now(),
): Promise<CheckoutSessionRecord> {
  const expiresAt = Math.floor(now / 1000) + deps.sessionTtlMinutes * 60;
  const metadata: Record<string, string> = { key: req.keyRef, price_units: String(req.price.units) };
  if (req.fmuId !== undefined) metadata.fmu_id = req.fmuId;
  if (req.requestHash !== undefined) metadata.request_hash = req.requestHash;
  if (req.creditRuns !== undefined) metadata.credit_runs = String(req.creditRuns);
  const description =
    req.creditRuns !== undefined
      ? `Credit pack: ${req.creditRuns} simulation runs`
      : req.fmuId === undefined
        ? 'One simulation run'
        : `One simulation run of ${req.fmuId} (${req.price.units} price unit(s))`;
  // A fresh key per attempt: each payment_required answer is its own checkout; the SDK reuses it on retries.
  const idempotencyKey = `fmu-gateway-${req.keyRef}-${now}-${Math.random().toString(36).slice(2)}`;
  const session = await deps.provider.createSession(
    {
      amountMinor: req.price.amountMinor,
      currency: req.price.currency,
      successUrl: deps.urls.successUrl,
      cancelUrl: deps.urls.cancelUrl,
      expiresAt,
      description,
      metadata,
    },
    idempotencyKey,
  );
  if (session.url === '')
    throw new GatewayError('PAYMENT_PROVIDER_ERROR', 'The payment provider returned a session without a checkout URL');
  const record: CheckoutSessionRecord = {
    session_id: session.id,
    key_ref: req.keyRef,
    status: 'open',
    amount_minor: req.price.amountMinor,
    currency: req.price.currency,
    checkout_url: session.url,
    expires_at: new Date(session.expiresAt * 1000).toISOString(),
    created_at: new Date(now).toISOString(),
    ...(req.fmuId === undefined ? {} : { fmu_id: req.fmuId }),
    ...(req.requestHash === undefined ? {} : { request_hash: req.requestHash }),
    ...(req.creditRuns === undefined ? {} : { credit_runs: req.creditRuns }),
  };
  const ttl = Math.max(0, session.expiresAt * 1000 - now) + DAY_MS;
  // Session first, then the flag: a webhook that wins the flag always finds the record.
  await deps.store.putSession(record);
  await deps.store.putFlag(openFlag(session.id), ttl);
  return record;
}

/** Does the provider's view of the session agree with what we asked for? */
export function matchesRecord(record: CheckoutSessionRecord, s: ProviderSession): boolean {
  return s.amountTotal === record.amount_minor && (s.currency ?? '').toLowerCase() === record.currency;
}

export type TransitionOutcome = 'applied' | 'already' | 'mismatch';

/** open → paid, once; makes the checkout redeemable once. */
export async function markPaid(
  store: PaymentStore,
  record: CheckoutSessionRecord,
  s: ProviderSession,
  eventId?: string,
): Promise<TransitionOutcome> {
  if (!matchesRecord(record, s)) return 'mismatch';
  if (!(await store.takeFlag(openFlag(record.session_id)))) return 'already';
  const paid: CheckoutSessionRecord = {
    ...record,
    status: 'paid',
    paid_at: new Date().toISOString(),
    events: eventId === undefined ? record.events : [...(record.events ?? []), eventId],
  };
  await store.putSession(paid);
  await store.putFlag(redeemFlag(record.session_id), Math.max(0, Date.parse(record.expires_at) - Date.now()) + DAY_MS);
  return 'applied';
}

/** open → expired, once. */
export async function markExpired(store: PaymentStore, record: CheckoutSessionRecord, eventId?: string): Promise<TransitionOutcome> {
  if (!(await store.takeFlag(openFlag(record.session_id)))) return 'already';
  await store.putSession({
    ...record,
    status: 'expired',
    events: eventId === undefined ? record.events : [...(record.events ?? []), eventId],
  });
  return 'applied';
}
