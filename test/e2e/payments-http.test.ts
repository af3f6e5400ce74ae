/**
 * The paid flow over HTTP: `serve` with payments on and the Stripe SDK pointed at the stand-in.
 * MCP over Streamable HTTP (the SDK client): simulate → payment_required → the human pays and
 * Stripe's signed webhook reaches POST /webhooks/stripe → redeem_checkout (answered from the
 * webhook, without asking Stripe) → simulate with the token → completed; reuse and expiry
 * refused. REST: POST /simulate → 402 with the same body, POST /pay, GET /payments/checkout/{id}
 * (same key only), and webhooks with a bad signature, a replay or an unknown session change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

type Structured = Record<string, unknown> & { status: string };
const structured = (r: unknown): Structured => (r as CallToolResult).structuredContent as Structured;
const REQUEST = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, start_values: { k: 3 } };
const TTL_MINUTES = 0.1;

describe('paid flow over HTTP', { timeout: 180_000 }, () => {
  let stripe: StripeStandin;
  let gw: HttpGateway;
  let client: Client;
  let base: string;

  const rest = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const res = await fetch(`${base}/v2${path}`, {
      method,
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> & { error?: { code: string } } };
  };
  const newKey = async (): Promise<string> => {
    const r = await rest('POST', '/keys', undefined, {});
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.key as string;
  };
  const providerLookups = (sessionId: string) =>
    stripe.requests.filter((r) => r.method === 'GET' && r.path === `/v1/checkout/sessions/${sessionId}`).length;

  before(async () => {
    stripe = await startStripeStandin();
    gw = await startHttpGateway([], {
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_BASE_URL: stripe.url,
      CHECKOUT_TOKEN_TTL_MINUTES: String(TTL_MINUTES),
    });
    base = gw.url.replace(/\/mcp$/, '');
    client = await gw.connect();
  });
  after(async () => {
    await gw?.close();
    await stripe?.close();
  });

  it('MCP: simulate → payment_required → paid + signed webhook → redeem_checkout → completed; reuse refused', async () => {
    const unpaid = await client.callTool({ name: 'simulate', arguments: REQUEST });
    const p = structured(unpaid) as Structured & { session_id: string; checkout_url: string; amount: number };
    assert.equal(unpaid.isError, true);
    assert.equal(p.status, 'payment_required');
    assert.equal(structured(await client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } })).status, 'pending');

    const lookups = providerLookups(p.session_id);
    const hook = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(p.session_id));
    assert.equal(hook.status, 200, hook.body);
    assert.equal((JSON.parse(hook.body) as { outcome: string }).outcome, 'applied');
    const r = structured(await client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } })) as Structured & {
      payment_token: string;
    };
    assert.equal(r.status, 'redeemed');
    assert.equal(providerLookups(p.session_id), lookups, 'the webhook, not a lookup at Stripe, made it redeemable');

    const done = structured(
      await client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: r.payment_token } }),
    ) as Structured & {
      summary: { x: { final: number } };
    };
    assert.equal(done.status, 'completed');
    assert.ok(Math.abs(done.summary.x.final - Math.exp(-3)) < 1e-3 * Math.exp(-3));
    const reuse = structured(
      await client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: r.payment_token } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(reuse.error.code, 'PAYMENT_TOKEN_USED');
  });

  it('MCP: an expired token is refused with PAYMENT_TOKEN_EXPIRED', async () => {
    const p = structured(await client.callTool({ name: 'simulate', arguments: REQUEST })) as Structured & { session_id: string };
    stripe.markPaid(p.session_id);
    const r = structured(await client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } })) as Structured & {
      payment_token: string;
    };
    await new Promise((res) => setTimeout(res, TTL_MINUTES * 60_000 + 500));
    const late = structured(
      await client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: r.payment_token } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(late.error.code, 'PAYMENT_TOKEN_EXPIRED');
  });

  it('REST: POST /simulate → 402 with the payment body; POST /pay; GET /payments/checkout/{id} for the same key only', async () => {
    const key = await newKey();
    const other = await newKey();
    const unpaid = await rest('POST', '/simulate', key, REQUEST);
    assert.equal(unpaid.status, 402);
    assert.equal(unpaid.body.status, 'payment_required');
    for (const f of ['amount', 'currency', 'checkout_url', 'session_id', 'expires_at', 'methods', 'next_steps'])
      assert.ok(f in unpaid.body, f);
    const sid = unpaid.body.session_id as string;
    assert.equal((await rest('GET', `/payments/checkout/${sid}`, key)).status, 202);
    stripe.markPaid(sid);
    assert.equal((await rest('GET', `/payments/checkout/${sid}`, other)).body.error?.code, 'NOT_FOUND', 'another key cannot redeem it');
    assert.equal((await rest('GET', `/payments/checkout/${sid}`, undefined)).status, 401);
    const redeemed = await rest('GET', `/payments/checkout/${sid}`, key);
    assert.equal(redeemed.status, 200);
    const token = redeemed.body.payment_token as string;
    assert.equal((await rest('POST', '/simulate', other, { ...REQUEST, payment_token: token })).body.error?.code, 'PAYMENT_TOKEN_INVALID');
    const done = await rest('POST', '/simulate', key, { ...REQUEST, payment_token: token });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'completed');

    const pay = await rest('POST', '/pay', key, { fmu_id: 'msl:Dahlquist' });
    assert.equal(pay.status, 201, JSON.stringify(pay.body));
    assert.equal(stripe.sessions.get(pay.body.session_id as string)?.metadata.fmu_id, 'msl:Dahlquist');
    assert.equal((await rest('POST', '/pay', undefined, {})).status, 401);
  });

  it('REST webhooks: a bad signature, a replayed event and an unknown session change nothing', async () => {
    const key = await newKey();
    const pay = await rest('POST', '/pay', key, {});
    const sid = pay.body.session_id as string;
    // The event says paid while Stripe's own record still says unpaid: only the webhook can change our state.
    const paid = { ...stripe.sessions.get(sid), status: 'complete', payment_status: 'paid' };
    const forged = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', paid, { secret: 'whsec_not_ours' });
    assert.equal(forged.status, 400);
    assert.equal((JSON.parse(forged.body) as { error: { code: string } }).error.code, 'WEBHOOK_SIGNATURE_INVALID');
    const unsigned = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'evt_x', type: 'checkout.session.completed', data: { object: paid } }),
    });
    assert.equal(unsigned.status, 400);
    assert.equal((await rest('GET', `/payments/checkout/${sid}`, key)).status, 202, 'still pending after the bad webhooks');

    const first = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', paid, { id: 'evt_http_1' });
    assert.equal((JSON.parse(first.body) as { outcome: string }).outcome, 'applied');
    const replay = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', paid, { id: 'evt_http_1' });
    assert.equal(replay.status, 200);
    assert.equal((JSON.parse(replay.body) as { outcome: string }).outcome, 'duplicate');
    assert.equal((await rest('GET', `/payments/checkout/${sid}`, key)).status, 200);
    const again = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', paid, { id: 'evt_http_2' });
    assert.equal((JSON.parse(again.body) as { outcome: string }).outcome, 'duplicate');
    assert.equal(
      (await rest('GET', `/payments/checkout/${sid}`, key)).body.error?.code,
      'CHECKOUT_ALREADY_REDEEMED',
      'still one token only',
    );

    const unknown = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', { ...paid, id: 'cs_test_not_ours' });
    assert.equal(unknown.status, 200);
    assert.equal((JSON.parse(unknown.body) as { outcome: string }).outcome, 'ignored');
    assert.equal((await rest('GET', '/payments/checkout/cs_test_not_ours', key)).status, 404);
  });
});
