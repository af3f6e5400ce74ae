/**
 * The payment use cases on a real service context (built library FMUs, in-process runner, a real
 * SQLite store, the Stripe stand-in): quote prices by estimated rows, a token bought for a small
 * request does not pay for a large one, /pay checkouts restricted to a model, free prices, and
 * payment_required data that validates against simulate's output schema.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { createPayments } from '../../src/payments/payments.ts';
import type { CheckoutSessionRecord, PaymentTokenRecord } from '../../src/payments/port.ts';
import { toErrorOutput } from '../../src/schemas/errors.ts';
import { SimulateOutputSchema } from '../../src/schemas/simulate.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { payForRun, quote, redeemCheckout, simulate } from '../../src/service/index.ts';
import { openAccountStore, type AccountStore } from '../../src/store/index.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { buildModels, createTestContext } from './service-helpers.ts';

const silent = { info() {}, warn() {}, error() {} };
const code = (c: string) => (e: unknown) => e instanceof GatewayError && e.code === c;

describe('payment use cases', { timeout: 120_000 }, () => {
  let stripe: StripeStandin;
  let store: AccountStore;
  let ctx: ServiceContext;
  let cleanup: () => void;

  const withPrice = (cents: string): ServiceContext => {
    const base = createTestContext(built, {
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_BASE_URL: stripe.url,
      STRIPE_SIMULATION_PRICE_CENTS: cents,
      STRIPE_SIMULATION_ROWS_PER_UNIT: '1000',
      MAX_OUTPUT_ROWS: '20000',
    });
    cleanups.push(base.cleanup);
    return {
      ...base.ctx,
      payments: createPayments(base.ctx.config, { store: store.payments<CheckoutSessionRecord, PaymentTokenRecord>(), logger: silent }),
    };
  };
  const cleanups: (() => void)[] = [];
  let built: Map<string, string>;

  before(async () => {
    built = await buildModels(['Dahlquist']);
    stripe = await startStripeStandin();
    const first = createTestContext(built);
    cleanups.push(first.cleanup);
    store = await openAccountStore({ dbPath: join(first.dir, 'db.sqlite3') });
    ctx = withPrice('150');
    cleanup = () => cleanups.forEach((c) => c());
  });
  after(async () => {
    await store?.close();
    await stripe?.close();
    cleanup?.();
  });

  async function tokenFor(sessionId: string, callerId: string): Promise<string> {
    stripe.markPaid(sessionId);
    const r = await redeemCheckout(ctx, { session_id: sessionId }, { callerId });
    assert.equal(r.status, 'redeemed');
    return r.status === 'redeemed' ? r.payment_token : '';
  }

  it('quote: the price follows the estimated rows, as the cost drivers say', async () => {
    const small = await quote(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01 }, { callerId: 'k' });
    const large = await quote(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 25, step: 0.01 }, { callerId: 'k' });
    assert.deepEqual([small.estimated_rows, small.amount, small.amount_minor], [101, 1.5, 150]);
    assert.deepEqual([large.estimated_rows, large.amount_minor], [2501, 450]);
    assert.equal(large.cost_drivers.find((d) => d.name === 'price_units')?.value, 3);
    assert.equal(stripe.sessions.get(large.checkout?.session_id as string)?.amount_total, 450, 'the checkout charges the quoted amount');
  });

  it('quote refuses what simulate would refuse, before any checkout', async () => {
    const before = stripe.sessions.size;
    await assert.rejects(
      quote(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, outputs: ['nope'] }, { callerId: 'k' }),
      code('UNKNOWN_VARIABLE'),
    );
    await assert.rejects(quote(ctx, { fmu_id: 'msl:Nope', stop_time: 1 }, { callerId: 'k' }), code('NOT_FOUND'));
    assert.equal(stripe.sessions.size, before);
  });

  it('simulate without a token throws PAYMENT_REQUIRED whose data is a valid payment_required result', async () => {
    const err = await simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1 }, { callerId: 'k' }).catch((e: unknown) => e);
    assert.ok(code('PAYMENT_REQUIRED')(err));
    const out = toErrorOutput(err);
    assert.equal(out.status, 'payment_required');
    assert.ok(SimulateOutputSchema.safeParse(out).success);
  });

  it('a token bought for a small request does not pay for a larger one, and stays usable', async () => {
    const q = await quote(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01 }, { callerId: 'k' });
    const token = await tokenFor(q.checkout?.session_id as string, 'k');
    await assert.rejects(
      simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 25, step: 0.01, payment_token: token }, { callerId: 'k' }),
      code('PAYMENT_TOKEN_MISMATCH'),
    );
    const ok = await simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, payment_token: token }, { callerId: 'k' });
    assert.equal(ok.output.status, 'completed');
  });

  it('POST /pay: a checkout for one standard run, restricted to fmu_id when given', async () => {
    await assert.rejects(payForRun(ctx, { fmu_id: 'msl:Nope' }, { callerId: 'k' }), code('NOT_FOUND'));
    const pay = await payForRun(ctx, { fmu_id: 'msl:Dahlquist' }, { callerId: 'k' });
    assert.equal(pay.status, 'checkout_created');
    assert.equal(stripe.sessions.get(pay.session_id)?.metadata.fmu_id, 'msl:Dahlquist');
    const token = await tokenFor(pay.session_id, 'k');
    assert.equal(
      await redeemCheckout(ctx, { session_id: pay.session_id }, { callerId: 'k' }).catch((e: GatewayError) => e.code),
      'CHECKOUT_ALREADY_REDEEMED',
    );
    const out = await simulate(ctx, { fmu_id: 'msl:Dahlquist', stop_time: 2, step: 0.01, payment_token: token }, { callerId: 'k' });
    assert.equal(out.output.status, 'completed');
  });

  it('a price of 0 runs free and quote says no payment is required', async () => {
    const free = withPrice('0');
    const q = await quote(free, { fmu_id: 'msl:Dahlquist', stop_time: 1 }, { callerId: 'k' });
    assert.deepEqual([q.payments_enabled, q.payment_required, q.amount], [true, false, 0]);
    assert.equal((await simulate(free, { fmu_id: 'msl:Dahlquist', stop_time: 1 }, { callerId: 'k' })).output.status, 'completed');
  });
});
