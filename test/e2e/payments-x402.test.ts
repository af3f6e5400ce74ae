/**
 * x402 and URL-mode elicitation over stdio, with a client that declares `elicitation.url`:
 * the payment_required result also carries the x402 v2 PaymentRequired object and the checkout
 * URL is offered by elicitation; a call retried with `_meta["x402/payment"]` is verified at the
 * stand-in facilitator, runs, is settled, and answers `_meta["x402/payment-response"]`; a replayed
 * or forged payment is refused with PAYMENT_INVALID and nothing more is settled.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { startFacilitatorStandin, type FacilitatorStandin } from '../helpers/facilitator-standin.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { BIN, ROOT, gatewayEnv } from './mcp-harness.ts';

type Structured = Record<string, unknown> & { status: string };
const structured = (r: unknown): Structured => (r as CallToolResult).structuredContent as Structured;
const REQUEST = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01 };
const PAY_TO = '0x00000000000000000000000000000000000000bb';

interface Accept {
  scheme: string;
  network: string;
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
}

describe('x402 and URL elicitation over stdio', { timeout: 120_000 }, () => {
  let stripe: StripeStandin;
  let facilitator: FacilitatorStandin;
  let client: Client;
  let dataDir: string;
  const elicitations: ElicitRequest['params'][] = [];

  before(async () => {
    stripe = await startStripeStandin();
    facilitator = await startFacilitatorStandin();
    dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-x402-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      cwd: ROOT,
      stderr: 'pipe',
      env: gatewayEnv(dataDir, {
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_API_BASE_URL: stripe.url,
        X402_PAY_TO: PAY_TO,
        X402_FACILITATOR_URL: facilitator.url,
      }),
    });
    client = new Client({ name: 'x402-agent', version: '0' }, { capabilities: { elicitation: { url: {} } } });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      elicitations.push(req.params);
      return { action: 'accept' };
    });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
    await stripe?.close();
    await facilitator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let accepts: Accept[] = [];

  it('payment_required carries the x402 v2 object, and the checkout URL is offered by URL elicitation', async () => {
    const r = await client.callTool({ name: 'simulate', arguments: REQUEST });
    assert.equal(r.isError, true);
    const p = structured(r) as Structured & {
      x402Version: number;
      resource: { url: string };
      accepts: Accept[];
      methods: string[];
      checkout_url: string;
      session_id: string;
    };
    assert.equal(p.status, 'payment_required');
    assert.equal(p.x402Version, 2);
    assert.equal(p.resource.url, 'fmu-gateway://tools/simulate');
    assert.deepEqual(p.methods, ['stripe_checkout', 'x402']);
    const a = p.accepts[0] as Accept;
    assert.deepEqual([a.scheme, a.network, a.amount, a.payTo], ['exact', 'eip155:8453', '1000000', PAY_TO]);
    assert.ok(a.maxTimeoutSeconds > 0);
    accepts = p.accepts;
    const e = elicitations.at(-1) as { mode?: string; url?: string; elicitationId?: string };
    assert.deepEqual([e.mode, e.url, e.elicitationId], ['url', p.checkout_url, p.session_id]);
  });

  it('a verified x402 payment runs the simulation, settles once and answers the settlement in _meta', async () => {
    const payment = { x402Version: 2, accepted: accepts[0], payload: { signature: 'valid:nonce-1' } };
    const r = await client.callTool({ name: 'simulate', arguments: REQUEST, _meta: { 'x402/payment': payment } });
    const s = structured(r) as Structured & { summary: { x: { final: number } } };
    assert.equal(s.status, 'completed', JSON.stringify(r.content));
    assert.ok(Math.abs(s.summary.x.final - Math.exp(-1)) < 1e-3 * Math.exp(-1));
    const settlement = r._meta?.['x402/payment-response'] as { success: boolean; transaction: string; network: string };
    assert.equal(settlement.success, true);
    assert.equal(settlement.network, 'eip155:8453');
    assert.ok(facilitator.settled.has('nonce-1'));
    assert.deepEqual(
      facilitator.calls.map((c) => c.path),
      ['/verify', '/settle'],
    );
  });

  it('a replayed, a forged and an underpaying payment are refused with PAYMENT_INVALID', async () => {
    const base = { x402Version: 2, accepted: accepts[0] };
    const cases = [
      { ...base, payload: { signature: 'valid:nonce-1' } },
      { ...base, payload: { signature: 'forged' } },
      { ...base, accepted: { ...accepts[0], amount: '1' }, payload: { signature: 'valid:nonce-2' } },
      { not: 'a payload' },
    ];
    for (const payment of cases) {
      const r = structured(
        await client.callTool({ name: 'simulate', arguments: REQUEST, _meta: { 'x402/payment': payment } }),
      ) as Structured & {
        error: { code: string };
      };
      assert.equal(r.error?.code, 'PAYMENT_INVALID', JSON.stringify(payment));
    }
    assert.equal(facilitator.calls.filter((c) => c.path === '/settle').length, 1, 'nothing else was settled');
  });
});
