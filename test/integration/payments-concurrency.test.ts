/**
 * Single use under contention, on each real store backend (a SQLite file, PostgreSQL and Redis
 * started on loopback by the test): 1000 concurrent redeem_checkout calls of one paid checkout
 * hand out exactly one token, and 1000 concurrent paid simulate calls with that token start
 * exactly one run (the runner counts the runs it is given). A run failing for a gateway reason
 * gives the token back; one failing for the caller's reason does not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { createPayments } from '../../src/payments/payments.ts';
import type { CheckoutSessionRecord, PaymentTokenRecord } from '../../src/payments/port.ts';
import { quote } from '../../src/service/quote.ts';
import { redeemCheckout } from '../../src/service/redeem-checkout.ts';
import { simulate } from '../../src/service/simulate.ts';
import type { ServiceContext, SimulationRunner } from '../../src/service/context.ts';
import { openAccountStore, type AccountStore, type StoreLocation } from '../../src/store/index.ts';
import { postgresMissing, redisMissing, startPostgres, startRedis } from '../helpers/db-servers.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { buildModels, createTestContext } from './service-helpers.ts';

const N = 1000;
const REQUEST = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1 } as const;
const silent = { info() {}, warn() {}, error() {} };

let built: Map<string, string>;
let stripe: StripeStandin;
before(async () => {
  built = await buildModels(['Dahlquist']);
  stripe = await startStripeStandin();
});
after(async () => stripe?.close());

function backend(name: string, setup: () => Promise<{ loc: StoreLocation; teardown: () => Promise<void> }>, skip?: string): void {
  describe(`payments under contention: ${name}`, { skip, timeout: 180_000 }, () => {
    let store: AccountStore;
    let teardown: () => Promise<void>;
    let ctx: ServiceContext;
    let cleanup: () => void;
    let runs = 0;
    let failNext: GatewayError | undefined;
    before(async () => {
      const s = await setup();
      teardown = s.teardown;
      store = await openAccountStore(s.loc);
      const env = {
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
      };
      ({ ctx, cleanup } = createTestContext(built, env));
      const inner = ctx.runner;
      const counting: SimulationRunner = {
        isolation: inner.isolation,
        run: async (job, opts) => {
          runs++;
          if (failNext !== undefined) {
            const e = failNext;
            failNext = undefined;
            throw e;
          }
          return inner.run(job, opts);
        },
      };
      ctx = {
        ...ctx,
        runner: counting,
        payments: createPayments(ctx.config, { store: store.payments<CheckoutSessionRecord, PaymentTokenRecord>(), logger: silent }),
      };
    });
    after(async () => {
      await store?.close();
      await teardown?.();
      cleanup?.();
    });

    async function paidSession(callerId: string): Promise<string> {
      const q = await quote(ctx, REQUEST, { callerId });
      assert.equal(q.payment_required, true);
      const sessionId = q.checkout?.session_id as string;
      stripe.markPaid(sessionId);
      const ev = stripe.signedEvent('checkout.session.completed', stripe.sessions.get(sessionId) as never);
      const hook = await ctx.payments?.handleWebhook(Buffer.from(ev.payload), ev.signature);
      assert.equal(hook?.outcome, 'applied');
      return sessionId;
    }

    it(`${N} concurrent redeems → one token; ${N} concurrent uses → one run`, async () => {
      const sessionId = await paidSession('key-1');
      const redeems = await Promise.allSettled(
        Array.from({ length: N }, () => redeemCheckout(ctx, { session_id: sessionId }, { callerId: 'key-1' })),
      );
      const tokens = redeems.flatMap((r) => (r.status === 'fulfilled' && r.value.status === 'redeemed' ? [r.value.payment_token] : []));
      assert.equal(tokens.length, 1, 'exactly one redeem got a token');
      const codes = new Set(redeems.flatMap((r) => (r.status === 'rejected' ? [(r.reason as GatewayError).code] : [])));
      assert.deepEqual([...codes], ['CHECKOUT_ALREADY_REDEEMED']);

      runs = 0;
      const uses = await Promise.allSettled(
        Array.from({ length: N }, () => simulate(ctx, { ...REQUEST, payment_token: tokens[0] as string }, { callerId: 'key-1' })),
      );
      const completed = uses.filter((u) => u.status === 'fulfilled');
      assert.equal(completed.length, 1, 'exactly one paid simulate completed');
      assert.equal(runs, 1, 'exactly one run was started');
      const refused = new Set(uses.flatMap((u) => (u.status === 'rejected' ? [(u.reason as GatewayError).code] : [])));
      assert.deepEqual([...refused], ['PAYMENT_TOKEN_USED']);
    });

    it('a gateway failure gives the token back; a caller failure does not', async () => {
      const sessionId = await paidSession('key-2');
      const r = await redeemCheckout(ctx, { session_id: sessionId }, { callerId: 'key-2' });
      assert.equal(r.status, 'redeemed');
      const token = r.status === 'redeemed' ? r.payment_token : '';
      failNext = new GatewayError('QUEUE_FULL', 'busy');
      await assert.rejects(
        simulate(ctx, { ...REQUEST, payment_token: token }, { callerId: 'key-2' }),
        (e: unknown) => (e as GatewayError).code === 'QUEUE_FULL',
      );
      failNext = new GatewayError('SIMULATION_FAILED', 'the model failed');
      await assert.rejects(
        simulate(ctx, { ...REQUEST, payment_token: token }, { callerId: 'key-2' }),
        (e: unknown) => (e as GatewayError).code === 'SIMULATION_FAILED',
      );
      await assert.rejects(
        simulate(ctx, { ...REQUEST, payment_token: token }, { callerId: 'key-2' }),
        (e: unknown) => (e as GatewayError).code === 'PAYMENT_TOKEN_USED',
      );
    });

    it('a token is bound to the key that paid', async () => {
      const sessionId = await paidSession('key-3');
      await assert.rejects(
        redeemCheckout(ctx, { session_id: sessionId }, { callerId: 'key-4' }),
        (e: unknown) => (e as GatewayError).code === 'NOT_FOUND',
      );
      const r = await redeemCheckout(ctx, { session_id: sessionId }, { callerId: 'key-3' });
      const token = r.status === 'redeemed' ? r.payment_token : '';
      await assert.rejects(
        simulate(ctx, { ...REQUEST, payment_token: token }, { callerId: 'key-4' }),
        (e: unknown) => (e as GatewayError).code === 'PAYMENT_TOKEN_INVALID',
      );
      assert.equal((await simulate(ctx, { ...REQUEST, payment_token: token }, { callerId: 'key-3' })).output.status, 'completed');
    });
  });
}

backend('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-pay-sqlite-'));
  return { loc: { dbPath: join(dir, 'db.sqlite3') }, teardown: async () => rmSync(dir, { recursive: true, force: true }) };
});

const pgMissing = postgresMissing();
if (pgMissing !== undefined) process.stderr.write(`note: PostgreSQL payment contention test skipped: ${pgMissing}\n`);
backend(
  'postgres',
  async () => {
    const pg = await startPostgres();
    return { loc: { dbPath: ':memory:', databaseUrl: pg.url }, teardown: pg.stop };
  },
  pgMissing,
);

const rMissing = redisMissing();
if (rMissing !== undefined) process.stderr.write(`note: Redis payment contention test skipped: ${rMissing}\n`);
backend(
  'redis',
  async () => {
    const r = await startRedis();
    return { loc: { dbPath: ':memory:', redisUrl: r.url }, teardown: r.stop };
  },
  rMissing,
);
