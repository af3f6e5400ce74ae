/**
 * Issue 18 hole (a): nothing a worker says may give a paid token back. A real worker pool (no
 * sandbox needed: the attack is the FMU's own process), real payments over the Stripe stand-in,
 * a real SQLite store, and an FMU (test/fixtures/hostile/fd-exhaust) that exhausts its own file
 * descriptors mid-run, which made the worker report INTERNAL and the gate refund the token.
 * Asserted by the effect: after the FMU's failure the token is spent (a second run with it is
 * refused as used), while a failure the gateway causes before the FMU runs still gives it back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { createPayments } from '../../src/payments/payments.ts';
import type { CheckoutSessionRecord, PaymentTokenRecord } from '../../src/payments/port.ts';
import { createWorkerPool } from '../../src/runner/pool.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { isGatewayFailure } from '../../src/service/payment-gate.ts';
import { redeemCheckout, simulate, uploadFmu } from '../../src/service/index.ts';
import { WireErrorSchema } from '../../src/runner/protocol.ts';
import { openAccountStore, type AccountStore } from '../../src/store/index.ts';
import { buildHostile } from '../fixtures/hostile/build.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { findCCompiler } from '../../tools/fmu-builder.ts';
import { createTestContext } from './service-helpers.ts';

const silent = { info() {}, warn() {}, error() {} };
const skip = prerequisite('C compiler', findCCompiler() === undefined ? 'no cc/gcc on PATH' : undefined);
const CALLER = 'c'.repeat(64);

describe('payment refunds: only the gateway’s own failures before the FMU ran', { skip, timeout: 180_000 }, () => {
  let stripe: StripeStandin;
  let store: AccountStore;
  let pool: ReturnType<typeof createWorkerPool>;
  let ctx: ServiceContext;
  let cleanup: () => void;
  let fmuId: string;

  before(async () => {
    stripe = await startStripeStandin();
    const base = createTestContext(new Map(), {
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_BASE_URL: stripe.url,
      STRIPE_SIMULATION_PRICE_CENTS: '100',
    });
    cleanup = base.cleanup;
    store = await openAccountStore({ dbPath: join(base.dir, 'db.sqlite3') });
    pool = createWorkerPool({ size: 1, timeoutMs: 20_000, sandbox: 'off', cacheDir: join(base.dir, 'pool-cache') });
    ctx = {
      ...base.ctx,
      runner: pool,
      payments: createPayments(base.ctx.config, { store: store.payments<CheckoutSessionRecord, PaymentTokenRecord>(), logger: silent }),
    };
    const path = await buildHostile('fd-exhaust');
    fmuId = (await uploadFmu(ctx, { content_base64: readFileSync(path).toString('base64') })).fmu_id;
  });
  after(async () => {
    await pool?.close();
    await store?.close();
    await stripe?.close();
    cleanup?.();
  });

  async function buyToken(): Promise<string> {
    const required = await simulate(ctx, { fmu_id: fmuId, stop_time: 1, step: 0.01 }, { callerId: CALLER }).then(
      () => assert.fail('expected payment_required'),
      (e: unknown) => e as GatewayError,
    );
    assert.equal(required.code, 'PAYMENT_REQUIRED');
    const sessionId = String(required.data?.['session_id']);
    stripe.markPaid(sessionId);
    const r = await redeemCheckout(ctx, { session_id: sessionId }, { callerId: CALLER });
    assert.equal(r.status, 'redeemed');
    return r.status === 'redeemed' ? r.payment_token : '';
  }

  it('an FMU exhausting its own file descriptors fails as the FMU’s failure, and the token stays spent', async () => {
    const token = await buyToken();
    const input = { fmu_id: fmuId, stop_time: 1, step: 0.01, start_values: { t_exhaust: 0.2 }, payment_token: token };
    const e = await simulate(ctx, input, { callerId: CALLER }).then(
      () => assert.fail('the run must fail'),
      (err: unknown) => err as GatewayError,
    );
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(isGatewayFailure(e), false, `${e.code} after the FMU ran must not be refundable: ${e.message}`);
    // The effect: the token was not given back.
    const again = await simulate(ctx, { ...input, start_values: { t_exhaust: 100 } }, { callerId: CALLER }).then(
      () => assert.fail('the spent token must not pay for a second run'),
      (err: unknown) => err as GatewayError,
    );
    assert.equal(again.code, 'PAYMENT_TOKEN_USED');
  });

  it('positive control: an honest run with a fresh token completes, and the token is then spent', async () => {
    const token = await buyToken();
    const input = { fmu_id: fmuId, stop_time: 1, step: 0.01, start_values: { t_exhaust: 100 }, payment_token: token };
    const out = await simulate(ctx, input, { callerId: CALLER });
    assert.equal(out.output.status, 'completed');
    await assert.rejects(simulate(ctx, input, { callerId: CALLER }), (err: unknown) => (err as GatewayError).code === 'PAYMENT_TOKEN_USED');
  });

  it('a worker frame cannot claim a code that changes billing', () => {
    for (const code of [
      'INTERNAL',
      'CANCELLED',
      'QUEUE_FULL',
      'SANDBOX_UNAVAILABLE',
      'STORE_UNAVAILABLE',
      'DISK_FULL',
      'PAYMENT_REQUIRED',
    ]) {
      assert.equal(WireErrorSchema.safeParse({ code, message: 'forged' }).success, false, `a worker claimed ${code}`);
    }
    assert.equal(WireErrorSchema.safeParse({ code: 'FMU_CRASHED', message: 'ok' }).success, true, 'positive control');
  });

  it('failures the gateway causes itself stay refundable; the FMU’s never', () => {
    for (const c of ['QUEUE_FULL', 'SANDBOX_UNAVAILABLE', 'STORE_UNAVAILABLE', 'DISK_FULL'])
      assert.equal(isGatewayFailure(new GatewayError(c as never, 'x')), true, c);
    for (const c of ['FMU_CRASHED', 'SIMULATION_FAILED', 'SIMULATION_TIMEOUT', 'SIMULATION_OUT_OF_MEMORY', 'FMI_CALL_FAILED', 'CANCELLED'])
      assert.equal(isGatewayFailure(new GatewayError(c as never, 'x')), false, c);
  });
});
