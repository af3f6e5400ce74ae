/**
 * The payments facade the use cases receive (ServiceContext.payments): prices, checkout creation,
 * redeeming a paid checkout for a token, taking a token for a run, x402 offers and verification,
 * and the Stripe webhook. Built once by the composition root from Config and a PaymentStore.
 */
import type { Config } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { parseCreditPacks } from '../schemas/credits.ts';
import type { PaymentRequired } from '../schemas/errors.ts';
import type { PaymentMethod, Pending, Redeemed } from '../schemas/payments.ts';
import type { X402PaymentRequired } from '../schemas/x402.ts';
import { createCheckout, markExpired, markPaid, redeemFlag } from './checkout.ts';
import { createCreditPayments, type CreditPayments } from './credits.ts';
import { keyRef, requestHash } from './identity.ts';
import type { Logger } from './logger.ts';
import type { CheckoutSessionRecord, PaymentStore } from './port.ts';
import { priceFor, type Price } from './pricing.ts';
import { createStripeProvider, type CheckoutProvider } from './stripe-provider.ts';
import { issueToken, takeToken, type TokenLease } from './tokens.ts';
import { handleStripeWebhook, type WebhookResult } from './webhook.ts';
import { verifyX402Payment, x402Requirements, type FetchLike, type VerifiedX402Payment } from './x402.ts';

export type { Price } from './pricing.ts';
export type { TokenLease } from './tokens.ts';
export type { VerifiedX402Payment } from './x402.ts';
export type { WebhookResult } from './webhook.ts';
export type { CreditLease, CreditPayments } from './credits.ts';
export type { PaymentStore, CheckoutSessionRecord, PaymentTokenRecord } from './port.ts';

export interface CheckoutRequest {
  callerId?: string;
  price: Price;
  fmuId?: string;
  /** The simulate request paid for (its hash goes into the checkout metadata). */
  request?: Record<string, unknown>;
  /** What is paid for, for the x402 resource (e.g. "fmu-gateway://tools/simulate"). */
  resource?: string;
}

export interface Payments {
  /** STRIPE_ENABLED: when false nothing asks for money. */
  readonly enabled: boolean;
  readonly methods: readonly PaymentMethod[];
  price(rows: number): Price;
  /** Creates a checkout and returns the payment_required envelope (with the x402 object when offered). */
  paymentRequired(req: CheckoutRequest): Promise<PaymentRequired>;
  redeem(callerId: string | undefined, sessionId: string): Promise<Redeemed | Pending>;
  takeToken(callerId: string | undefined, token: string, use: { fmuId: string; price: Price }): Promise<TokenLease>;
  x402Offer(price: Price, resource: string): X402PaymentRequired | undefined;
  verifyX402(payment: unknown, price: Price, resource: string): Promise<VerifiedX402Payment>;
  handleWebhook(rawBody: Buffer | string, signature: string | undefined): Promise<WebhookResult>;
  /** Credit packs (CREDIT_PACKS): absent when payments are off or the store keeps no credits. */
  readonly credits?: CreditPayments;
}

export interface PaymentsDeps {
  store: PaymentStore;
  logger: Logger;
  /** Default: the Stripe SDK configured from Config (tests pass the same, pointed at a stand-in). */
  provider?: CheckoutProvider;
  /** For the x402 facilitator; default Node's fetch. */
  fetch?: FetchLike;
  /** Where the success/cancel pages live when STRIPE_SUCCESS_URL / STRIPE_CANCEL_URL are unset. */
  publicBaseUrl?: string;
}

const REDEEM_NEXT = (token: string): string[] => [
  `Call simulate again with the same arguments plus "payment_token": "${token}".`,
  'The token pays for one run and is bound to your API key; keep it secret.',
];

function pendingSteps(url: string, sessionId: string): string[] {
  return [
    `Open ${url} and complete the payment (a human pays there).`,
    `Then call redeem_checkout {"session_id": "${sessionId}"} again; it answers "pending" until the payment is confirmed.`,
  ];
}

export function createPayments(config: Config, deps: PaymentsDeps): Payments {
  const s = config.stripe;
  const enabled = s.enabled;
  let provider = deps.provider;
  if (enabled && provider === undefined) {
    if (s.secretKey === undefined || s.secretKey === '') {
      throw new GatewayError('BAD_REQUEST', 'STRIPE_ENABLED=true needs STRIPE_SECRET_KEY', {
        hint: 'Set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET for webhooks), or STRIPE_ENABLED=false.',
      });
    }
    provider = createStripeProvider({
      secretKey: s.secretKey,
      ...(s.webhookSecret === undefined ? {} : { webhookSecret: s.webhookSecret }),
      toleranceSeconds: s.webhookToleranceSeconds,
      ...(s.apiBaseUrl === undefined ? {} : { apiBaseUrl: s.apiBaseUrl }),
    });
  }
  const x = config.x402;
  const x402 =
    enabled && x.payTo !== undefined && x.payTo !== ''
      ? {
          payTo: x.payTo,
          network: x.network,
          asset: x.asset,
          assetDecimals: x.assetDecimals,
          facilitatorUrl: x.facilitatorUrl,
          maxTimeoutSeconds: x.maxTimeoutSeconds,
        }
      : undefined;
  const fetchFn: FetchLike = deps.fetch ?? ((url, init) => fetch(url, init));
  const base = (deps.publicBaseUrl ?? config.publicBaseUrl ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  const urls = {
    successUrl: s.successUrl ?? `${base}/payments/success?session_id={CHECKOUT_SESSION_ID}`,
    cancelUrl: s.cancelUrl ?? `${base}/payments/cancelled?session_id={CHECKOUT_SESSION_ID}`,
  };
  const methods: PaymentMethod[] = ['stripe_checkout', ...(x402 === undefined ? [] : (['x402'] as const))];
  const store = deps.store;

  const needProvider = (): CheckoutProvider => {
    if (provider === undefined) {
      throw new GatewayError('PAYMENTS_DISABLED', 'Payments are disabled on this gateway (STRIPE_ENABLED=false)');
    }
    return provider;
  };
  const price = (rows: number): Price => priceFor(rows, { priceCents: s.priceCents, currency: s.currency, rowsPerUnit: s.rowsPerUnit });
  const x402Offer = (p: Price, resource: string): X402PaymentRequired | undefined =>
    x402 === undefined ? undefined : x402Requirements(x402, p, resource, `FMU Gateway: one run (${p.units} price unit(s))`);

  /** A session of this caller, or NOT_FOUND (another key's session is not confirmed to exist). */
  const ownSession = async (callerId: string | undefined, sessionId: string): Promise<CheckoutSessionRecord> => {
    const record = await store.getSession(sessionId);
    if (record === undefined || record.key_ref !== keyRef(callerId)) {
      throw new GatewayError('NOT_FOUND', `No checkout session "${sessionId}" for this API key`, {
        hint: 'Use the session_id of a payment_required answer received with the same API key.',
      });
    }
    return record;
  };

  const credits =
    enabled && store.credits !== undefined
      ? createCreditPayments({
          store,
          provider: needProvider,
          urls,
          sessionTtlMinutes: s.sessionTtlMinutes,
          packs: parseCreditPacks(s.creditPacks),
          currency: s.currency,
          logger: deps.logger,
        })
      : undefined;

  return {
    enabled,
    methods,
    price,
    x402Offer,
    ...(credits === undefined ? {} : { credits }),
    async paymentRequired(req) {
      const p = needProvider();
      const record = await createCheckout(
        { store, provider: p, urls, sessionTtlMinutes: s.sessionTtlMinutes },
        {
          keyRef: keyRef(req.callerId),
          price: req.price,
          ...(req.fmuId === undefined ? {} : { fmuId: req.fmuId }),
          ...(req.request === undefined ? {} : { requestHash: requestHash(req.request) }),
        },
      );
      const offer = req.resource === undefined ? undefined : x402Offer(req.price, req.resource);
      const out: PaymentRequired = {
        status: 'payment_required',
        amount: req.price.amount,
        currency: req.price.currency,
        checkout_url: record.checkout_url,
        session_id: record.session_id,
        expires_at: record.expires_at,
        methods: offer === undefined ? ['stripe_checkout'] : methods,
        next_steps: [
          `Open checkout_url (${record.checkout_url}) and pay ${req.price.amount} ${req.price.currency.toUpperCase()} (a human pays there).`,
          `Call redeem_checkout {"session_id": "${record.session_id}"}: it answers "pending" until paid, then returns payment_token.`,
          'Call this tool again with the same arguments plus payment_token.',
          ...(offer === undefined ? [] : ['Or pay with x402: sign one of `accepts` and call again with _meta["x402/payment"].']),
        ],
        ...(offer === undefined ? {} : { x402Version: offer.x402Version, resource: offer.resource, accepts: offer.accepts }),
      };
      return out;
    },
    async redeem(callerId, sessionId) {
      const p = needProvider();
      let record = await ownSession(callerId, sessionId);
      if (record.credit_runs !== undefined) {
        throw new GatewayError('BAD_REQUEST', `Checkout "${sessionId}" buys a credit pack, not a payment token`, {
          hint: `Its runs are added to your balance once paid: GET /credits/checkout/${sessionId} (or buy_credits) confirms, GET /credits shows the balance.`,
        });
      }
      if (record.status === 'open') {
        // The webhook may be late or not configured: ask the provider directly.
        const remote = await p.retrieveSession(sessionId);
        if (remote.paymentStatus === 'paid') await markPaid(store, record, remote);
        else if (remote.status === 'expired') await markExpired(store, record);
        record = await ownSession(callerId, sessionId);
      }
      if (record.status === 'open') {
        return {
          status: 'pending',
          session_id: sessionId,
          checkout_url: record.checkout_url,
          expires_at: record.expires_at,
          next_steps: pendingSteps(record.checkout_url, sessionId),
        };
      }
      if (record.status === 'expired') {
        throw new GatewayError('CHECKOUT_EXPIRED', `Checkout session "${sessionId}" expired unpaid`);
      }
      // paid (or redeemed): exactly one caller wins the redeem flag and gets the token.
      if (!(await store.takeFlag(redeemFlag(sessionId)))) {
        throw new GatewayError('CHECKOUT_ALREADY_REDEEMED', `The payment token of checkout "${sessionId}" was already handed out`, {
          ...(record.redeemed_at === undefined ? {} : { redeemed_at: record.redeemed_at }),
        });
      }
      const { token, record: tokenRecord } = await issueToken(
        store,
        {
          key_ref: record.key_ref,
          session_id: sessionId,
          amount_minor: record.amount_minor,
          currency: record.currency,
          ...(record.fmu_id === undefined ? {} : { fmu_id: record.fmu_id }),
          ...(record.request_hash === undefined ? {} : { request_hash: record.request_hash }),
        },
        s.tokenTtlMinutes,
      );
      await store.putSession({ ...record, status: 'redeemed', redeemed_at: new Date().toISOString() });
      return {
        status: 'redeemed',
        session_id: sessionId,
        payment_token: token,
        expires_at: tokenRecord.expires_at,
        ...(record.fmu_id === undefined ? {} : { fmu_id: record.fmu_id }),
        next_steps: REDEEM_NEXT(token),
      };
    },
    async takeToken(callerId, token, use) {
      needProvider();
      return takeToken(store, token, {
        keyRef: keyRef(callerId),
        fmuId: use.fmuId,
        amountMinor: use.price.amountMinor,
        currency: use.price.currency,
      });
    },
    async verifyX402(payment, p, resource) {
      const offer = x402Offer(p, resource);
      if (x402 === undefined || offer === undefined) {
        throw new GatewayError('PAYMENT_METHOD_UNSUPPORTED', 'This gateway does not accept x402 payments for this request', {
          methods: enabled ? ['stripe_checkout'] : [],
        });
      }
      return verifyX402Payment(x402, fetchFn, payment, offer);
    },
    async handleWebhook(rawBody, signature) {
      return handleStripeWebhook(
        { store, provider: needProvider(), logger: deps.logger, ...(credits === undefined ? {} : { credits }) },
        rawBody,
        signature,
      );
    },
  };
}
