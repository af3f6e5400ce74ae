/**
 * src/payments against the Stripe stand-in (real SDK over real HTTP, real webhook signatures) and
 * the stand-in facilitator: checkout creation, webhooks (good, bad signature, replay, unknown
 * session, expiry), redeem, single-use tokens, expiry, give-back, x402 verify/settle.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config.ts';
import { GatewayError } from '../../../src/errors.ts';
import { createPayments, type Payments } from '../../../src/payments/payments.ts';
import { priceFor } from '../../../src/payments/pricing.ts';
import { createStripeProvider } from '../../../src/payments/stripe-provider.ts';
import { PaymentRequiredSchema } from '../../../src/schemas/errors.ts';
import type { CheckoutSessionRecord, PaymentStore, PaymentTokenRecord } from '../../../src/payments/port.ts';
import { openAccountStore, type AccountStore } from '../../../src/store/index.ts';
import { startFacilitatorStandin, type FacilitatorStandin } from '../../helpers/facilitator-standin.ts';
import { startStripeStandin, type StripeStandin } from '../../helpers/stripe-standin.ts';

const silent = { info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-payments-'));
let accountStore: AccountStore | undefined;
after(async () => {
  await accountStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Payments' repository on a real SQLite file (the same store the gateway uses). */
async function sqliteStore(): Promise<PaymentStore> {
  accountStore ??= await openAccountStore({ dbPath: join(dir, 'payments.sqlite3') });
  return accountStore.payments<CheckoutSessionRecord, PaymentTokenRecord>();
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof GatewayError && e.code === code);
}

function env(stripe: StripeStandin, extra: Record<string, string> = {}) {
  return loadConfig({
    FMU_GATEWAY_DATA_DIR: '/tmp/unused-fmu-gw',
    STRIPE_ENABLED: 'true',
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_API_BASE_URL: stripe.url,
    ...extra,
  });
}

describe('pricing', () => {
  it('charges one unit per started block of rows and says so in the cost drivers', () => {
    const cfg = { priceCents: 100, currency: 'USD', rowsPerUnit: 100_000 };
    assert.deepEqual(
      [priceFor(501, cfg).amountMinor, priceFor(100_000, cfg).amountMinor, priceFor(100_001, cfg).amountMinor],
      [100, 100, 200],
    );
    const p = priceFor(250_000, cfg);
    assert.equal(p.amount, 3);
    assert.equal(p.currency, 'usd');
    assert.deepEqual(
      p.drivers.map((d) => [d.name, d.value]),
      [
        ['price_per_unit', 1],
        ['estimated_rows', 250_000],
        ['price_units', 3],
      ],
    );
  });
  it('keeps zero-decimal currencies in whole units', () => {
    assert.equal(priceFor(10, { priceCents: 150, currency: 'jpy', rowsPerUnit: 1000 }).amount, 150);
  });
});

describe('payments with the Stripe stand-in', () => {
  let stripe: StripeStandin;
  let facilitator: FacilitatorStandin;
  let payments: Payments;
  let store: PaymentStore;
  const webhook = async (type: string, session: object, o: { id?: string; secret?: string; timestamp?: number } = {}) => {
    const ev = stripe.signedEvent(type, session as never, o);
    return payments.handleWebhook(Buffer.from(ev.payload), ev.signature);
  };

  before(async () => {
    stripe = await startStripeStandin();
    facilitator = await startFacilitatorStandin();
    store = await sqliteStore();
    payments = createPayments(
      env(stripe, { X402_PAY_TO: '0x00000000000000000000000000000000000000bb', X402_FACILITATOR_URL: facilitator.url }),
      {
        store,
        logger: silent,
      },
    );
  });
  after(async () => {
    await stripe.close();
    await facilitator.close();
  });

  it('creates a Checkout Session with amount, currency and metadata, and a valid payment_required envelope', async () => {
    const out = await payments.paymentRequired({
      callerId: 'key-a',
      price: payments.price(501),
      fmuId: 'msl:BouncingBall',
      request: { fmu_id: 'msl:BouncingBall', stop_time: 3 },
      resource: 'fmu-gateway://tools/simulate',
    });
    assert.ok(PaymentRequiredSchema.safeParse(out).success);
    const s = stripe.sessions.get(out.session_id);
    assert.ok(s !== undefined, 'the session exists at the provider');
    assert.equal(s.amount_total, 100);
    assert.equal(s.currency, 'usd');
    assert.equal(s.metadata.fmu_id, 'msl:BouncingBall');
    assert.match(s.metadata.request_hash ?? '', /^[0-9a-f]{64}$/);
    assert.match(s.metadata.key ?? '', /^[0-9a-f]{32}$/);
    assert.ok(!JSON.stringify(stripe.requests).includes('key-a'), 'the API key itself never reaches Stripe');
    assert.match(s.success_url, /\/payments\/success\?session_id=\{CHECKOUT_SESSION_ID\}$/);
    assert.equal(out.checkout_url, s.url);
    assert.deepEqual(out.methods, ['stripe_checkout', 'x402']);
    assert.equal(out.x402Version, 2);
    assert.equal(out.accepts?.[0]?.network, 'eip155:8453');
    assert.equal(out.accepts?.[0]?.amount, '1000000');
  });

  it('paid flow: pending → webhook → redeemed token → one use; second use and redeem refused', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    assert.equal((await payments.redeem('key-a', pr.session_id)).status, 'pending');
    const paid = stripe.markPaid(pr.session_id);
    const hook = await webhook('checkout.session.completed', paid);
    assert.equal(hook.outcome, 'applied');
    const r = await payments.redeem('key-a', pr.session_id);
    assert.equal(r.status, 'redeemed');
    assert.ok(r.status === 'redeemed' && r.payment_token.startsWith('fgpt_'));
    await rejectsWith(payments.redeem('key-a', pr.session_id), 'CHECKOUT_ALREADY_REDEEMED');
    const token = r.status === 'redeemed' ? r.payment_token : '';
    await rejectsWith(payments.takeToken('key-b', token, { fmuId: 'msl:X', price: payments.price(10) }), 'PAYMENT_TOKEN_INVALID');
    const lease = await payments.takeToken('key-a', token, { fmuId: 'msl:X', price: payments.price(10) });
    assert.equal(lease.record.session_id, pr.session_id);
    await rejectsWith(payments.takeToken('key-a', token, { fmuId: 'msl:X', price: payments.price(10) }), 'PAYMENT_TOKEN_USED');
    await lease.giveBack();
    const again = await payments.takeToken('key-a', token, { fmuId: 'msl:X', price: payments.price(10) });
    assert.equal(again.record.session_id, pr.session_id, 'a given-back token pays once more');
    await rejectsWith(payments.takeToken('key-a', token, { fmuId: 'msl:X', price: payments.price(10) }), 'PAYMENT_TOKEN_USED');
  });

  it('redeem asks the provider when the webhook has not arrived', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    stripe.markPaid(pr.session_id);
    assert.equal((await payments.redeem('key-a', pr.session_id)).status, 'redeemed');
  });

  it('another key cannot see or redeem a session', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    stripe.markPaid(pr.session_id);
    await rejectsWith(payments.redeem('key-b', pr.session_id), 'NOT_FOUND');
    assert.equal((await payments.redeem('key-a', pr.session_id)).status, 'redeemed');
  });

  it('a bad signature, a replayed event and an unknown session change nothing', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    const paid = { ...stripe.markPaid(pr.session_id) };
    // The stand-in says "paid" to a direct lookup; use a second session the provider still calls unpaid.
    const pr2 = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    const forged = { ...stripe.sessions.get(pr2.session_id), status: 'complete', payment_status: 'paid' };
    const before = await store.getSession(pr2.session_id);
    await rejectsWith(webhook('checkout.session.completed', forged, { secret: 'whsec_wrong' }), 'WEBHOOK_SIGNATURE_INVALID');
    const ev = stripe.signedEvent('checkout.session.completed', forged as never);
    await rejectsWith(
      payments.handleWebhook(Buffer.from(ev.payload.replace('"paid"', '"paid" ')), ev.signature),
      'WEBHOOK_SIGNATURE_INVALID',
    );
    await rejectsWith(payments.handleWebhook(Buffer.from(ev.payload), undefined), 'WEBHOOK_SIGNATURE_INVALID');
    const old = Math.floor(Date.now() / 1000) - 3600;
    await rejectsWith(webhook('checkout.session.completed', forged, { timestamp: old }), 'WEBHOOK_SIGNATURE_INVALID');
    assert.deepEqual(await store.getSession(pr2.session_id), before, 'nothing changed for the session');
    assert.equal((await payments.redeem('key-a', pr2.session_id)).status, 'pending');

    // Replay: the same event id twice (and a second event for the same session) → one token only.
    const first = await webhook('checkout.session.completed', paid, { id: 'evt_replay_1' });
    assert.equal(first.outcome, 'applied');
    const replay = await webhook('checkout.session.completed', paid, { id: 'evt_replay_1' });
    assert.equal(replay.outcome, 'duplicate');
    assert.equal((await payments.redeem('key-a', pr.session_id)).status, 'redeemed');
    const second = await webhook('checkout.session.completed', paid, { id: 'evt_replay_2' });
    assert.equal(second.outcome, 'duplicate');
    await rejectsWith(payments.redeem('key-a', pr.session_id), 'CHECKOUT_ALREADY_REDEEMED');

    const unknown = await webhook('checkout.session.completed', { ...paid, id: 'cs_test_unknown' }, { id: 'evt_unknown_1' });
    assert.equal(unknown.outcome, 'ignored');
    assert.equal(await store.getSession('cs_test_unknown'), undefined, 'an unknown session creates no record');
    assert.equal(await store.hasFlag('stripe-event:evt_unknown_1'), false, 'and its event is not even recorded');
  });

  it('a paid amount that differs from the checkout is not accepted', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    const s = stripe.sessions.get(pr.session_id);
    const hook = await webhook('checkout.session.completed', { ...s, status: 'complete', payment_status: 'paid', amount_total: 1 });
    assert.equal(hook.outcome, 'ignored');
    assert.equal((await store.getSession(pr.session_id))?.status, 'open');
  });

  it('an expired checkout is refused with CHECKOUT_EXPIRED', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    const hook = await webhook('checkout.session.expired', stripe.expire(pr.session_id));
    assert.equal(hook.outcome, 'applied');
    await rejectsWith(payments.redeem('key-a', pr.session_id), 'CHECKOUT_EXPIRED');
    // A completed event arriving after expiry changes nothing.
    stripe.markPaid(pr.session_id);
    assert.equal((await webhook('checkout.session.completed', stripe.sessions.get(pr.session_id) as object)).outcome, 'duplicate');
    await rejectsWith(payments.redeem('key-a', pr.session_id), 'CHECKOUT_EXPIRED');
  });

  it('an expired token is refused with PAYMENT_TOKEN_EXPIRED, and malformed ones with PAYMENT_TOKEN_INVALID', async () => {
    const short = createPayments(env(stripe, { CHECKOUT_TOKEN_TTL_MINUTES: '0.0005' }), { store, logger: silent });
    const pr = await short.paymentRequired({ callerId: 'key-a', price: short.price(10) });
    stripe.markPaid(pr.session_id);
    const r = await short.redeem('key-a', pr.session_id);
    assert.equal(r.status, 'redeemed');
    await new Promise((res) => setTimeout(res, 100));
    const token = r.status === 'redeemed' ? r.payment_token : '';
    await rejectsWith(short.takeToken('key-a', token, { fmuId: 'msl:X', price: short.price(10) }), 'PAYMENT_TOKEN_EXPIRED');
    await rejectsWith(short.takeToken('key-a', token, { fmuId: 'msl:X', price: short.price(10) }), 'PAYMENT_TOKEN_EXPIRED');
    await rejectsWith(short.takeToken('key-a', 'fgpt_nope', { fmuId: 'msl:X', price: short.price(10) }), 'PAYMENT_TOKEN_INVALID');
    await rejectsWith(
      short.takeToken('key-a', `fgpt_${'A'.repeat(43)}`, { fmuId: 'msl:X', price: short.price(10) }),
      'PAYMENT_TOKEN_INVALID',
    );
  });

  it('a token bought for one model or a cheaper request is refused and kept', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10), fmuId: 'msl:A' });
    stripe.markPaid(pr.session_id);
    const r = await payments.redeem('key-a', pr.session_id);
    const token = r.status === 'redeemed' ? r.payment_token : '';
    await rejectsWith(payments.takeToken('key-a', token, { fmuId: 'msl:B', price: payments.price(10) }), 'PAYMENT_TOKEN_MISMATCH');
    await rejectsWith(payments.takeToken('key-a', token, { fmuId: 'msl:A', price: payments.price(300_000) }), 'PAYMENT_TOKEN_MISMATCH');
    assert.ok(await payments.takeToken('key-a', token, { fmuId: 'msl:A', price: payments.price(10) }));
  });

  it('of 1000 concurrent redeems and 1000 concurrent uses exactly one wins (SQLite)', async () => {
    const pr = await payments.paymentRequired({ callerId: 'key-a', price: payments.price(10) });
    stripe.markPaid(pr.session_id);
    const redeems = await Promise.allSettled(Array.from({ length: 1000 }, () => payments.redeem('key-a', pr.session_id)));
    const won = redeems.filter((r) => r.status === 'fulfilled' && r.value.status === 'redeemed');
    assert.equal(won.length, 1);
    const token = (won[0] as PromiseFulfilledResult<{ payment_token: string }>).value.payment_token;
    const uses = await Promise.allSettled(
      Array.from({ length: 1000 }, () => payments.takeToken('key-a', token, { fmuId: 'msl:X', price: payments.price(10) })),
    );
    assert.equal(uses.filter((u) => u.status === 'fulfilled').length, 1);
  });

  it('x402: verifies through the facilitator, settles once, refuses a replay and a wrong amount', async () => {
    const price = payments.price(10);
    const offer = payments.x402Offer(price, 'fmu-gateway://tools/simulate');
    assert.ok(offer !== undefined);
    const payload = { x402Version: 2, accepted: offer.accepts[0], payload: { signature: 'valid:n1' } };
    const v = await payments.verifyX402(payload, price, 'fmu-gateway://tools/simulate');
    const settled = await v.settle();
    assert.equal(settled.success, true);
    assert.deepEqual(
      facilitator.calls.map((c) => c.path),
      ['/verify', '/settle'],
    );
    await rejectsWith(payments.verifyX402(payload, price, 'fmu-gateway://tools/simulate'), 'PAYMENT_INVALID');
    const cheap = { ...payload, accepted: { ...offer.accepts[0], amount: '1' }, payload: { signature: 'valid:n2' } };
    await rejectsWith(payments.verifyX402(cheap, price, 'fmu-gateway://tools/simulate'), 'PAYMENT_INVALID');
    await rejectsWith(payments.verifyX402({ nope: 1 }, price, 'fmu-gateway://tools/simulate'), 'PAYMENT_INVALID');
    await rejectsWith(
      payments.verifyX402({ ...payload, payload: { signature: 'forged' } }, price, 'fmu-gateway://tools/simulate'),
      'PAYMENT_INVALID',
    );
  });

  it('the provider is called through the real SDK with the secret key', () => {
    assert.ok(stripe.requests.length > 0);
    assert.ok(stripe.requests.every((r) => r.authorization === `Bearer ${stripe.secretKey}`));
    assert.ok(stripe.requests.some((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions' && r.idempotencyKey !== undefined));
  });
});

describe('payments disabled or misconfigured', () => {
  it('STRIPE_ENABLED=true without a secret key is refused at start-up', async () => {
    const store = await sqliteStore();
    assert.throws(() => createPayments(loadConfig({ STRIPE_ENABLED: 'true' }), { store, logger: silent }), /STRIPE_SECRET_KEY/);
  });
  it('disabled payments refuse checkout and tokens with PAYMENTS_DISABLED', async () => {
    const p = createPayments(loadConfig({}), { store: await sqliteStore(), logger: silent });
    assert.equal(p.enabled, false);
    await rejectsWith(p.paymentRequired({ price: p.price(1) }), 'PAYMENTS_DISABLED');
    await rejectsWith(p.takeToken(undefined, 'fgpt_x', { fmuId: 'msl:X', price: p.price(1) }), 'PAYMENTS_DISABLED');
  });
  it('the provider rejects an unreachable Stripe with PAYMENT_PROVIDER_ERROR', async () => {
    const provider = createStripeProvider({
      secretKey: 'sk_test_x',
      toleranceSeconds: 300,
      apiBaseUrl: 'http://127.0.0.1:1',
      timeoutMs: 2000,
    });
    await rejectsWith(provider.retrieveSession('cs_test_1'), 'PAYMENT_PROVIDER_ERROR');
  });
});
