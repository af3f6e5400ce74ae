/**
 * Credit packs end to end over HTTP, on each real store (SQLite file, PostgreSQL, Redis): `serve`
 * with payments on and the Stripe SDK pointed at the stand-in. A key buys a pack through Stripe
 * Checkout (the stand-in's signed webhook credits it; a replayed event or a second event for the
 * same session credits nothing), runs 10 paid runs from the credits, and the 11th answers 402
 * offering the packs; 50 concurrent paid runs against a balance of 10 → exactly 10 complete, the
 * balance is 0 and the ledger holds exactly their 10 draws. Also: the REST shapes, an unknown
 * pack, quote and MCP (quote shows the balance; buy_credits opens the checkout).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { postgresMissing, redisMissing, startPostgres, startRedis, type RunningServer } from '../helpers/db-servers.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

type Body = Record<string, unknown> & { error?: { code: string; data?: Record<string, unknown> } };
interface Pack {
  pack: string;
  runs: number;
  amount_cents: number;
  currency: string;
}
interface Ledger {
  id: string;
  created_at: string;
  delta: number;
  reason: string;
  run_id?: string;
  checkout_session_id?: string;
}
const REQUEST = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1, start_values: { k: 2 } };
const DEFAULT_PACKS: Pack[] = [
  { pack: '10', runs: 10, amount_cents: 800, currency: 'usd' },
  { pack: '50', runs: 50, amount_cents: 3500, currency: 'usd' },
];

function flow(backend: string, skip: string | false, storeEnv: () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>) {
  describe(`credit packs over HTTP (${backend})`, { skip, timeout: 300_000 }, () => {
    let stripe: StripeStandin;
    let gw: HttpGateway;
    let base: string;
    let stopStore: () => Promise<void> = async () => undefined;

    const rest = async (method: string, path: string, key: string | undefined, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Body };
    };
    const newKey = async (): Promise<string> => {
      const r = await rest('POST', '/v2/keys', undefined, {});
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.key as string;
    };
    const credits = async (key: string, query = '') => {
      const r = await rest('GET', `/v2/credits${query}`, key);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { balance: number; packs: Pack[]; ledger: Ledger[]; next_cursor: string | null };
    };
    const wholeLedger = async (key: string): Promise<Ledger[]> => {
      const out: Ledger[] = [];
      let cursor: string | null = null;
      do {
        const page = await credits(key, `?limit=7${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        out.push(...page.ledger);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return out;
    };
    /** Buys a pack of 10 for `key`: checkout, the human pays, Stripe's signed webhook. */
    const buyPack = async (key: string): Promise<{ sessionId: string; eventId: string }> => {
      const co = await rest('POST', '/v2/credits/checkout', key, { pack: '10' });
      assert.equal(co.status, 200, JSON.stringify(co.body));
      const sessionId = co.body.session_id as string;
      const hook = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(sessionId));
      assert.equal(hook.status, 200, hook.body);
      assert.equal((JSON.parse(hook.body) as { outcome: string }).outcome, 'applied');
      return { sessionId, eventId: hook.eventId };
    };

    before(async () => {
      const store = await storeEnv();
      stopStore = store.stop;
      stripe = await startStripeStandin();
      gw = await startHttpGateway([], {
        ...store.env,
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
        // 50 concurrent requests of one key must all reach the payment gate (not SERVER_BUSY first).
        FMU_GATEWAY_QUEUE_PER_KEY: '64',
        FMU_GATEWAY_QUEUE_LENGTH: '128',
      });
      base = gw.url.replace(/\/mcp$/, '');
    });
    after(async () => {
      await gw?.close();
      await stripe?.close();
      await stopStore();
    });

    it('buy a pack (signed webhook, credited once), 10 runs from credits, the 11th answers 402 offering the packs', async () => {
      const key = await newKey();
      const empty = await credits(key);
      assert.deepEqual(empty, { balance: 0, packs: DEFAULT_PACKS, ledger: [], next_cursor: null });

      const co = await rest('POST', '/v2/credits/checkout', key, { pack: 10 });
      assert.equal(co.status, 200, JSON.stringify(co.body));
      const sid = co.body.session_id as string;
      assert.match(sid, /^cs_/);
      assert.deepEqual({ ...co.body, checkout_url: 'x', session_id: 'x' }, { ...DEFAULT_PACKS[0], checkout_url: 'x', session_id: 'x' });
      const atStripe = stripe.sessions.get(sid);
      assert.equal(atStripe?.amount_total, 800);
      assert.equal(atStripe?.currency, 'usd');
      assert.equal(atStripe?.url, co.body.checkout_url);
      // Not paid yet: nothing credited, and the status says pending.
      assert.equal((await rest('GET', `/v2/credits/checkout/${sid}`, key)).body.status, 'pending');
      assert.equal((await credits(key)).balance, 0);

      const paid = stripe.markPaid(sid);
      const first = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', paid);
      assert.equal((JSON.parse(first.body) as { outcome: string }).outcome, 'applied', 'positive control: the first event credits');
      const replay = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', paid, { id: first.eventId });
      assert.equal(replay.status, 200);
      assert.equal((JSON.parse(replay.body) as { outcome: string }).outcome, 'duplicate');
      const second = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.async_payment_succeeded', paid);
      assert.equal((JSON.parse(second.body) as { outcome: string }).outcome, 'duplicate', 'a second event for the same session');
      const after1 = await credits(key);
      assert.equal(after1.balance, 10, 'credited exactly once');
      assert.equal(after1.ledger.length, 1);
      assert.deepEqual(
        { ...after1.ledger[0], id: 'x', created_at: 'x' },
        { id: 'x', created_at: 'x', delta: 10, reason: 'purchase', checkout_session_id: sid },
      );
      assert.ok(!Number.isNaN(Date.parse(after1.ledger[0]?.created_at ?? '')));
      const st = await rest('GET', `/v2/credits/checkout/${sid}`, key);
      assert.deepEqual(st.body, {
        session_id: sid,
        status: 'credited',
        pack: '10',
        runs: 10,
        amount_cents: 800,
        currency: 'usd',
        checkout_url: co.body.checkout_url,
        balance: 10,
      });
      // A pack checkout is not a payment token.
      assert.equal((await rest('GET', `/v2/payments/checkout/${sid}`, key)).body.error?.code, 'BAD_REQUEST');
      // Another key sees neither the session nor the balance.
      const other = await newKey();
      assert.equal((await rest('GET', `/v2/credits/checkout/${sid}`, other)).status, 404);
      assert.equal((await credits(other)).balance, 0);

      const q = await rest('POST', '/v2/quote', key, REQUEST);
      assert.equal(q.status, 200, JSON.stringify(q.body));
      assert.equal(q.body.payment_required, false);
      assert.deepEqual(q.body.credits, { balance: 10, packs: DEFAULT_PACKS });
      assert.equal(q.body.checkout, undefined, 'covered by credits: no checkout opened');

      const runIds: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await rest('POST', '/v2/simulate', key, REQUEST);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.status, 'completed');
        runIds.push(r.body.run_id as string);
      }
      const eleventh = await rest('POST', '/v2/simulate', key, REQUEST);
      assert.equal(eleventh.status, 402, JSON.stringify(eleventh.body));
      assert.equal(eleventh.body.status, 'payment_required');
      assert.deepEqual(eleventh.body.credits, { balance: 0, packs: DEFAULT_PACKS });
      assert.match(JSON.stringify(eleventh.body.next_steps), /credit pack/);
      // The root path answers the same (ours, where the original has none).
      assert.equal((await rest('GET', '/credits', key)).body.balance, 0);

      const q0 = await rest('POST', '/v2/quote', key, REQUEST);
      assert.equal(q0.body.payment_required, true);
      assert.equal((q0.body.credits as { balance: number }).balance, 0);

      const ledger = await wholeLedger(key);
      assert.equal(ledger.length, 11);
      assert.equal(
        ledger.reduce((s, e) => s + e.delta, 0),
        0,
      );
      assert.deepEqual(new Set(ledger.filter((e) => e.reason === 'run').map((e) => e.run_id)), new Set(runIds));
      const times = ledger.map((e) => Date.parse(e.created_at));
      assert.deepEqual(
        [...times].sort((a, b) => b - a),
        times,
        'newest first',
      );
      assert.equal(ledger[10]?.reason, 'purchase');
    });

    it('50 concurrent paid runs against a balance of 10: exactly 10 complete, balance 0, ledger consistent', async () => {
      const key = await newKey();
      await buyPack(key);
      assert.equal((await credits(key)).balance, 10);
      const answers = await Promise.all(Array.from({ length: 50 }, () => rest('POST', '/v2/simulate', key, REQUEST)));
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 402).length, 40, statuses.join(','));
      const c = await credits(key);
      assert.equal(c.balance, 0);
      const ledger = await wholeLedger(key);
      const runs = ledger.filter((e) => e.reason === 'run');
      assert.equal(runs.length, 10);
      assert.deepEqual(new Set(runs.map((e) => e.run_id)), new Set(answers.filter((a) => a.status === 200).map((a) => a.body.run_id)));
      assert.equal(
        ledger.reduce((s, e) => s + e.delta, 0),
        0,
      );
    });

    it('an unknown pack is 400 UNKNOWN_CREDIT_PACK listing the packs; no key is 401', async () => {
      const key = await newKey();
      const bad = await rest('POST', '/v2/credits/checkout', key, { pack: '7' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error?.code, 'UNKNOWN_CREDIT_PACK');
      assert.deepEqual(bad.body.error?.data?.packs, DEFAULT_PACKS);
      assert.equal((await rest('POST', '/v2/credits/checkout', key, { pack: '10; DROP' })).status, 400);
      assert.equal((await rest('POST', '/v2/credits/checkout', undefined, { pack: '10' })).status, 401);
      assert.equal((await rest('GET', '/v2/credits', undefined)).status, 401);
    });
  });
}

flow('sqlite', false, async () => ({ env: {}, stop: async () => undefined }));
flow('postgres', prerequisite('PostgreSQL', postgresMissing()), async () => {
  const pg: RunningServer = await startPostgres();
  return { env: { DATABASE_URL: pg.url }, stop: () => pg.stop() };
});
flow('redis', prerequisite('Redis', redisMissing()), async () => {
  const redis: RunningServer = await startRedis();
  return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
});

describe('credit packs over MCP (SQLite)', { timeout: 180_000 }, () => {
  let stripe: StripeStandin;
  let gw: HttpGateway;
  let client: Client;
  let base: string;
  const structured = (r: unknown) => (r as CallToolResult).structuredContent as Record<string, unknown>;
  before(async () => {
    stripe = await startStripeStandin();
    gw = await startHttpGateway([], {
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_BASE_URL: stripe.url,
    });
    base = gw.url.replace(/\/mcp$/, '');
    client = await gw.connect();
  });
  after(async () => {
    await gw?.close();
    await stripe?.close();
  });

  it('buy_credits opens a pack checkout; once paid, quote shows the balance and simulate draws from it', async () => {
    const q0 = structured(await client.callTool({ name: 'quote', arguments: REQUEST }));
    assert.deepEqual(q0.credits, { balance: 0, packs: DEFAULT_PACKS });
    const bought = await client.callTool({ name: 'buy_credits', arguments: { pack: '10' } });
    assert.notEqual(bought.isError, true, JSON.stringify(bought.content));
    const b = structured(bought);
    assert.equal(b.status, 'pending');
    assert.equal(b.runs, 10);
    const sid = b.session_id as string;
    assert.equal(stripe.sessions.get(sid)?.amount_total, 800);
    const hook = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(sid));
    assert.equal((JSON.parse(hook.body) as { outcome: string }).outcome, 'applied');
    const q = structured(await client.callTool({ name: 'quote', arguments: REQUEST }));
    assert.equal(q.payment_required, false);
    assert.deepEqual(q.credits, { balance: 10, packs: DEFAULT_PACKS });
    const run = structured(await client.callTool({ name: 'simulate', arguments: REQUEST }));
    assert.equal(run.status, 'completed');
    assert.equal((structured(await client.callTool({ name: 'quote', arguments: REQUEST })).credits as { balance: number }).balance, 9);
    const unknown = await client.callTool({ name: 'buy_credits', arguments: { pack: '3' } });
    assert.equal(unknown.isError, true);
    assert.equal((structured(unknown).error as { code: string }).code, 'UNKNOWN_CREDIT_PACK');
  });
});
