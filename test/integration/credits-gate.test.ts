/**
 * Credits at the payment gate, on each real store backend (a SQLite file, PostgreSQL and Redis
 * started on loopback): a pack bought through the Stripe stand-in (checkout, the human pays, the
 * signed webhook through payments.handleWebhook), then 300 concurrent paid simulate calls
 * against a balance of 10 → exactly 10 runs start (the runner counts the runs it is given) and
 * the rest answer PAYMENT_REQUIRED offering the packs; the balance is 0. A run failing for a gateway
 * reason (the runner throws WORKER_START_FAILED, as the pool does when a worker cannot start)
 * returns its credit, once; one failing for the FMU's reason (SIMULATION_FAILED) does not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { createPayments, type Payments } from '../../src/payments/payments.ts';
import type { CheckoutSessionRecord, PaymentTokenRecord } from '../../src/payments/port.ts';
import { simulate } from '../../src/service/simulate.ts';
import type { ServiceContext, SimulationRunner } from '../../src/service/context.ts';
import { openAccountStore, type AccountStore, type StoreLocation } from '../../src/store/index.ts';
import { postgresMissing, redisMissing, startPostgres, startRedis } from '../helpers/db-servers.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { buildModels, createTestContext } from './service-helpers.ts';

// The figure: 1000 concurrent paid runs against a balance of 10, on each backend. Each refusal
// also opens a Stripe checkout and writes its session (16 s for all three backends on this machine).
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

function backend(name: string, setup: () => Promise<{ loc: StoreLocation; teardown: () => Promise<void> }>, skip: string | false): void {
  describe(`credits at the payment gate: ${name}`, { skip, timeout: 300_000 }, () => {
    let store: AccountStore;
    let teardown: () => Promise<void>;
    let ctx: ServiceContext;
    let payments: Payments;
    let cleanup: () => void;
    let runs = 0;
    let failNext: GatewayError | undefined;
    before(async () => {
      const s = await setup();
      teardown = s.teardown;
      store = await openAccountStore(s.loc);
      const base = createTestContext(built, {
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
      });
      cleanup = base.cleanup;
      const inner = base.ctx.runner;
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
      payments = createPayments(base.ctx.config, { store: store.payments<CheckoutSessionRecord, PaymentTokenRecord>(), logger: silent });
      ctx = { ...base.ctx, runner: counting, payments };
    });
    after(async () => {
      await store?.close();
      await teardown?.();
      cleanup?.();
    });

    /** The caller buys the pack of 10: checkout, the human pays, Stripe's signed webhook. */
    async function buyTen(caller: string): Promise<void> {
      const co = await payments.credits!.checkout(caller, '10');
      const ev = stripe.signedEvent('checkout.session.completed', stripe.markPaid(co.session_id));
      const out = await payments.handleWebhook(ev.payload, ev.signature);
      assert.equal(out.outcome, 'applied');
      // The same event again: nothing more.
      assert.equal((await payments.handleWebhook(ev.payload, ev.signature)).outcome, 'duplicate');
    }

    it(`${N} concurrent paid runs against a balance of 10: exactly 10 start, the rest answer PAYMENT_REQUIRED offering packs`, async () => {
      const caller = 'd'.repeat(64);
      await buyTen(caller);
      assert.equal((await payments.credits!.info(caller)).balance, 10);
      runs = 0;
      const outcomes = await Promise.allSettled(Array.from({ length: N }, () => simulate(ctx, REQUEST, { callerId: caller })));
      const done = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(done.length, 10);
      assert.equal(runs, 10, 'the runner was given exactly 10 runs');
      assert.equal(refused.length, N - 10);
      for (const r of refused) {
        const e = r.reason as GatewayError;
        assert.equal(e.code, 'PAYMENT_REQUIRED', String(e));
        assert.deepEqual(e.data?.['credits'], { balance: 0, packs: payments.credits!.packs });
      }
      const c = await payments.credits!.list(caller, { limit: 200 });
      assert.equal(c.balance, 0);
      assert.equal(c.ledger.filter((e) => e.reason === 'run').length, 10);
      assert.equal(
        c.ledger.reduce((s, e) => s + e.delta, 0),
        0,
      );
    });

    it('a gateway failure returns the credit (once); the FMU’s own failure keeps it spent', async () => {
      const caller = 'e'.repeat(64);
      await buyTen(caller);
      failNext = new GatewayError('WORKER_START_FAILED', 'no worker could start');
      await assert.rejects(
        simulate(ctx, REQUEST, { callerId: caller }),
        (e: unknown) => (e as GatewayError).code === 'WORKER_START_FAILED',
      );
      let c = await payments.credits!.list(caller, { limit: 50 });
      assert.equal(c.balance, 10, 'the credit came back');
      assert.deepEqual(
        c.ledger.map((e) => [e.reason, e.delta]),
        [
          ['refund', 1],
          ['run', -1],
          ['purchase', 10],
        ],
      );
      failNext = new GatewayError('SIMULATION_FAILED', 'the FMU said no');
      await assert.rejects(simulate(ctx, REQUEST, { callerId: caller }), (e: unknown) => (e as GatewayError).code === 'SIMULATION_FAILED');
      c = await payments.credits!.list(caller, { limit: 50 });
      assert.equal(c.balance, 9, 'the FMU’s failure is paid');
      assert.equal(c.ledger.filter((e) => e.reason === 'refund').length, 1);
      // Positive control: a run that completes draws one and keeps it.
      await simulate(ctx, REQUEST, { callerId: caller });
      assert.equal((await payments.credits!.info(caller)).balance, 8);
    });
  });
}

backend(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmugw-credits-gate-'));
    return { loc: { dbPath: join(dir, 'db.sqlite3') }, teardown: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  false,
);
backend(
  'postgres',
  async () => {
    const pg = await startPostgres();
    return { loc: { dbPath: '/nonexistent', databaseUrl: pg.url }, teardown: () => pg.stop() };
  },
  prerequisite('PostgreSQL', postgresMissing()),
);
backend(
  'redis',
  async () => {
    const redis = await startRedis();
    return { loc: { dbPath: '/nonexistent', redisUrl: redis.url }, teardown: () => redis.stop() };
  },
  prerequisite('Redis', redisMissing()),
);
