/**
 * The paid flow over stdio, as an agent sees it: the real CLI (`fmu-gateway mcp`) with payments
 * on, the real Stripe SDK pointed at the local Stripe stand-in, the SDK's Client:
 * simulate → payment_required → (the human pays at the stand-in) → redeem_checkout → simulate
 * with the token → completed; the same token again and an expired token → coded refusals.
 * Over stdio there is no webhook endpoint: redeem_checkout asks Stripe for the session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startStdioGateway, type StdioGateway } from './mcp-harness.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';

type Structured = Record<string, unknown> & { status: string };
const structured = (r: unknown): Structured => (r as CallToolResult).structuredContent as Structured;

const REQUEST = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, start_values: { k: 2 } };
/** CHECKOUT_TOKEN_TTL_MINUTES for this gateway: short enough to watch a token expire. */
const TTL_MINUTES = 0.1;

describe('paid simulate over stdio', { timeout: 120_000 }, () => {
  let stripe: StripeStandin;
  let gw: StdioGateway;
  before(async () => {
    stripe = await startStripeStandin();
    gw = await startStdioGateway({
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_BASE_URL: stripe.url,
      CHECKOUT_TOKEN_TTL_MINUTES: String(TTL_MINUTES),
    });
  });
  after(async () => {
    await gw?.close();
    await stripe?.close();
  });

  async function pay(): Promise<{ sessionId: string; token: string }> {
    const unpaid = await gw.client.callTool({ name: 'simulate', arguments: REQUEST });
    const p = structured(unpaid) as Structured & { session_id: string };
    assert.equal(p.status, 'payment_required');
    stripe.markPaid(p.session_id);
    const r = structured(await gw.client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } })) as Structured & {
      payment_token: string;
    };
    assert.equal(r.status, 'redeemed');
    return { sessionId: p.session_id, token: r.payment_token };
  }

  it('lists quote and redeem_checkout beside simulate', async () => {
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    for (const n of ['quote', 'simulate', 'redeem_checkout']) assert.ok(names.includes(n), n);
  });

  it('quote prices the request and opens a checkout', async () => {
    const q = structured(await gw.client.callTool({ name: 'quote', arguments: REQUEST })) as Structured & {
      payment_required: boolean;
      amount: number;
      currency: string;
      estimated_rows: number;
      checkout: { session_id: string; checkout_url: string };
    };
    assert.equal(q.status, 'quoted');
    assert.equal(q.payment_required, true);
    assert.deepEqual([q.amount, q.currency, q.estimated_rows], [1, 'usd', 101]);
    assert.equal(stripe.sessions.get(q.checkout.session_id)?.url, q.checkout.checkout_url);
  });

  it('simulate → payment_required → pay → redeem_checkout → simulate with the token → completed; reuse refused', async () => {
    const unpaid = await gw.client.callTool({ name: 'simulate', arguments: REQUEST });
    assert.equal(unpaid.isError, true);
    const p = structured(unpaid) as Structured & {
      amount: number;
      currency: string;
      checkout_url: string;
      session_id: string;
      expires_at: string;
      methods: string[];
      next_steps: string[];
    };
    assert.equal(p.status, 'payment_required');
    assert.deepEqual([p.amount, p.currency, p.methods], [1, 'usd', ['stripe_checkout']]);
    assert.ok(Date.parse(p.expires_at) > Date.now());
    assert.ok(p.next_steps.some((s) => s.includes('redeem_checkout')));
    // Mirrored as JSON (the last line of the one text block) for clients that ignore structured content.
    const texts = (unpaid.content as { type: string; text?: string }[]).filter((c) => c.type === 'text').map((c) => c.text ?? '');
    assert.equal(texts.length, 1);
    const last = (texts[0] ?? '').split('\n').at(-1) ?? '';
    assert.equal((JSON.parse(last) as { session_id: string }).session_id, p.session_id);
    assert.equal(stripe.sessions.get(p.session_id)?.metadata.fmu_id, 'msl:Dahlquist');

    const pending = structured(await gw.client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } }));
    assert.equal(pending.status, 'pending');

    stripe.markPaid(p.session_id);
    const r = structured(await gw.client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } })) as Structured & {
      payment_token: string;
      expires_at: string;
    };
    assert.equal(r.status, 'redeemed');
    const again = structured(
      await gw.client.callTool({ name: 'redeem_checkout', arguments: { session_id: p.session_id } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(again.error.code, 'CHECKOUT_ALREADY_REDEEMED');

    const paid = await gw.client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: r.payment_token } });
    const s = structured(paid) as Structured & { summary: { x: { final: number } } };
    assert.equal(s.status, 'completed', JSON.stringify(paid.content));
    // x(1) = exp(-k t) with k = 2: the run really happened with the request's parameters.
    assert.ok(Math.abs(s.summary.x.final - Math.exp(-2)) < 1e-3 * Math.exp(-2));

    const reuse = structured(
      await gw.client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: r.payment_token } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(reuse.status, 'error');
    assert.equal(reuse.error.code, 'PAYMENT_TOKEN_USED');
  });

  it('a sweep is paid like its runs: unpaid it runs nothing, with a token it runs once and the token is spent', async () => {
    const SWEEP = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, parameters: [{ name: 'k', values: [1, 2, 3] }] };
    const unpaid = await gw.client.callTool({ name: 'sweep', arguments: SWEEP });
    const u = structured(unpaid) as Structured & { error?: { code: string }; runs?: unknown[] };
    assert.notEqual(u.status, 'ok', JSON.stringify(unpaid.content));
    assert.equal(unpaid.isError, true);
    assert.match(JSON.stringify(unpaid), /PAYMENT_REQUIRED|payment_required/);
    assert.equal(u.runs, undefined, 'no run happened without payment');

    const { token } = await pay();
    const paid = structured(await gw.client.callTool({ name: 'sweep', arguments: { ...SWEEP, payment_token: token } })) as Structured & {
      completed: number;
      runs: { summary?: { x?: { final: number } } }[];
    };
    assert.equal(paid.status, 'ok');
    assert.equal(paid.completed, 3);
    // x(1) = exp(-k): each run really used its k.
    paid.runs.forEach((r, i) => assert.ok(Math.abs((r.summary?.x?.final ?? NaN) - Math.exp(-(i + 1))) < 1e-3));
    const reuse = await gw.client.callTool({ name: 'sweep', arguments: { ...SWEEP, payment_token: token } });
    assert.equal(reuse.isError, true);
    assert.match(JSON.stringify(reuse), /PAYMENT_TOKEN_USED/);
  });

  it('an expired token is refused with PAYMENT_TOKEN_EXPIRED', async () => {
    const { token } = await pay();
    await new Promise((r) => setTimeout(r, TTL_MINUTES * 60_000 + 500));
    const res = structured(
      await gw.client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: token } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(res.error?.code, 'PAYMENT_TOKEN_EXPIRED');
  });

  it('refuses an unknown token, an unknown payment_method and a foreign session with codes', async () => {
    const bad = structured(
      await gw.client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_token: 'fgpt_nope' } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(bad.error.code, 'PAYMENT_TOKEN_INVALID');
    const method = structured(
      await gw.client.callTool({ name: 'simulate', arguments: { ...REQUEST, payment_method: 'bitcoin' } }),
    ) as Structured & {
      error: { code: string; data: { methods: string[] } };
    };
    assert.equal(method.error.code, 'PAYMENT_METHOD_UNSUPPORTED');
    const unknown = structured(
      await gw.client.callTool({ name: 'redeem_checkout', arguments: { session_id: 'cs_test_nope' } }),
    ) as Structured & {
      error: { code: string };
    };
    assert.equal(unknown.error.code, 'NOT_FOUND');
  });
});

describe('payments disabled (default) over stdio', { timeout: 60_000 }, () => {
  let gw: StdioGateway;
  before(async () => {
    gw = await startStdioGateway();
  });
  after(async () => gw?.close());

  it('lists no payment tools and simulate runs without asking for money', async () => {
    // Payments off: quote and redeem_checkout are not registered (a lean tools/list), and a call
    // to them is an unknown-tool error, not a silent success.
    const names = (await gw.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('simulate'));
    assert.ok(!names.includes('quote') && !names.includes('redeem_checkout'), names.join(', '));
    const q = await gw.client.callTool({ name: 'quote', arguments: REQUEST }).then(
      (r) => r,
      (e: unknown) => ({ isError: true, content: [{ type: 'text', text: String(e) }] }),
    );
    assert.equal(q.isError, true);
    assert.equal(structured(await gw.client.callTool({ name: 'simulate', arguments: REQUEST })).status, 'completed');
  });

  it('payment_token and payment_method are refused with PAYMENTS_DISABLED, not ignored', async () => {
    for (const extra of [{ payment_token: 'fgpt_x' }, { payment_method: 'stripe_checkout' }]) {
      const r = structured(await gw.client.callTool({ name: 'simulate', arguments: { ...REQUEST, ...extra } })) as Structured & {
        error: { code: string };
      };
      assert.equal(r.error.code, 'PAYMENTS_DISABLED', JSON.stringify(extra));
    }
  });
});
