/** The payment tools' JSON Schemas: objects at the top, every property described, only status required. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { PaymentRequiredSchema } from '../../../src/schemas/errors.ts';
import {
  QuoteInputSchema,
  QuoteOutputSchema,
  RedeemCheckoutInputSchema,
  RedeemCheckoutOutputSchema,
} from '../../../src/schemas/payments.ts';
import { SimulateOutputSchema } from '../../../src/schemas/simulate.ts';
import { X402PaymentRequiredSchema } from '../../../src/schemas/x402.ts';

type Json = { type?: string; properties?: Record<string, Json>; description?: string; required?: string[] };

describe('payment schemas', () => {
  const all = { QuoteInputSchema, QuoteOutputSchema, RedeemCheckoutInputSchema, RedeemCheckoutOutputSchema };
  for (const [name, schema] of Object.entries(all)) {
    it(`${name} is an object with every property described`, () => {
      const json = z.toJSONSchema(schema, { io: name.includes('Output') ? 'output' : 'input' }) as Json;
      assert.equal(json.type, 'object');
      assert.deepEqual(
        Object.entries(json.properties ?? {})
          .filter(([, p]) => !p.description)
          .map(([k]) => k),
        [],
      );
    });
  }

  it('output schemas require only status, so errors and pending answers validate', () => {
    for (const schema of [QuoteOutputSchema, RedeemCheckoutOutputSchema]) {
      assert.deepEqual((z.toJSONSchema(schema, { io: 'output' }) as Json).required, ['status']);
    }
    assert.ok(RedeemCheckoutOutputSchema.safeParse({ status: 'error', error: { code: 'NOT_FOUND', message: 'x' } }).success);
    assert.ok(
      !RedeemCheckoutOutputSchema.safeParse({ status: 'redeemed', session_id: 'cs_1' }).success,
      'a redeemed answer needs its token',
    );
  });

  it('a payment_required answer with the x402 fields is both our envelope and an x402 v2 PaymentRequired', () => {
    const p = {
      status: 'payment_required',
      amount: 1,
      currency: 'usd',
      checkout_url: 'https://checkout.example/c/1',
      session_id: 'cs_1',
      expires_at: '2026-01-01T00:00:00.000Z',
      methods: ['stripe_checkout', 'x402'],
      next_steps: ['pay'],
      x402Version: 2,
      resource: { url: 'fmu-gateway://tools/simulate' },
      accepts: [{ scheme: 'exact', network: 'eip155:8453', amount: '1000000', asset: '0xa', payTo: '0xb', maxTimeoutSeconds: 60 }],
    };
    assert.ok(SimulateOutputSchema.safeParse(p).success);
    assert.deepEqual(PaymentRequiredSchema.parse(p).accepts, p.accepts);
    assert.ok(X402PaymentRequiredSchema.safeParse(p).success);
    assert.ok(!X402PaymentRequiredSchema.safeParse({ ...p, x402Version: 1 }).success);
  });

  it('redeem_checkout refuses a session id that is not one', () => {
    assert.ok(!RedeemCheckoutInputSchema.safeParse({ session_id: '../etc/passwd' }).success);
    assert.ok(!RedeemCheckoutInputSchema.safeParse({ session_id: 'cs_1', extra: 1 }).success);
  });
});
