/** The pure parts of the original-contract layer: request mapping, payment bodies, Markdown-safe descriptions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paymentFromQuote, simulationResult } from '../../../src/http/routes/compat/shapes.ts';
import { protectAngleBrackets } from '../../../src/http/routes/openapi-finish.ts';
import { compatSimulateFields } from '../../../src/schemas/compat.ts';
import type { QuoteSuccess } from '../../../src/schemas/payments.ts';

describe('compatSimulateFields', () => {
  it('keeps our fields, drops nulls, unknown fields and empty lists, and renames {t, u} signals', () => {
    const out = compatSimulateFields({
      fmu_id: 'msl:Feedthrough',
      stop_time: 2,
      step: null,
      start_values: {},
      input_signals: [{ name: 'u', t: [0, 1], u: [0, 2] }],
      kpis: [],
      parameters: null,
      drive_cycle: null,
      something_new: 1,
    });
    assert.deepEqual(out, {
      fmu_id: 'msl:Feedthrough',
      stop_time: 2,
      start_values: {},
      input_signals: [{ name: 'u', time: [0, 1], values: [0, 2] }],
    });
  });
  it('leaves signals in our shape alone', () => {
    const s = { name: 'u', time: [0], values: [1], interpolation: 'hold' };
    assert.deepEqual(compatSimulateFields({ input_signals: [s] }).input_signals, [s]);
  });
});

describe('paymentFromQuote', () => {
  const base: QuoteSuccess = {
    status: 'quoted',
    payments_enabled: true,
    payment_required: true,
    amount: 1,
    amount_minor: 100,
    currency: 'usd',
    estimated_rows: 101,
    cost_drivers: [],
    next_steps: [],
  };
  it('names x402 "crypto" and keeps the requirements beside the original fields', () => {
    const p = paymentFromQuote(
      {
        ...base,
        checkout: { checkout_url: 'https://c', session_id: 'cs_1', expires_at: 'x', methods: ['stripe_checkout', 'x402'] },
        x402: { accepts: [{ payTo: '0x1' }] },
      },
      'quote_only',
      null,
    );
    assert.deepEqual(p.methods, ['stripe_checkout', 'crypto']);
    assert.equal(p.session_id, 'cs_1');
    assert.deepEqual((p as { accepts?: unknown }).accepts, [{ payTo: '0x1' }]);
  });
  it('without a checkout (provider down): no URL, the note, and only the methods still offered', () => {
    const p = paymentFromQuote(
      { ...base, checkout_unavailable: { code: 'PAYMENT_PROVIDER_UNAVAILABLE', message: 'down' } },
      'payment_required',
      null,
    );
    assert.equal(p.checkout_url, null);
    assert.deepEqual(p.methods, []);
    assert.equal(p.checkout_unavailable?.code, 'PAYMENT_PROVIDER_UNAVAILABLE');
  });
});

describe('simulationResult', () => {
  it('builds key_results from final values and KPIs, and string provenance with guid and sha256', () => {
    const r = simulationResult(
      {
        run_id: 'r1',
        rows: 3,
        summary: { h: { min: 0, max: 1, mean: 0.5, final: 0.25 } },
        kpis: { h_max: 1, h_overshoot: null },
        provenance: { fmu_sha256: 'ab', fmi_version: '2.0', stop_time: 2, tolerance: null } as never,
      },
      'guid-1',
      '/runs/r1/result.csv',
    );
    assert.deepEqual(r.key_results, { final_time: 2, final_h: 0.25, h_max: 1, h_overshoot: null });
    assert.equal(r.provenance.guid, 'guid-1');
    assert.equal(r.provenance.sha256, 'ab');
    assert.equal(r.provenance.stop_time, '2');
    assert.equal(r.summary_url, '/simulations/r1');
    assert.deepEqual(r.artifacts, ['/runs/r1/result.csv']);
  });
});

describe('protectAngleBrackets', () => {
  it('puts tokens with <...> into code spans, outside existing ones', () => {
    assert.equal(protectAngleBrackets('send Bearer <key> now'), 'send Bearer `<key>` now');
    assert.equal(protectAngleBrackets('"msl:<Name>" or `sha256:<hex>`'), '"`msl:<Name>`" or `sha256:<hex>`');
    assert.equal(protectAngleBrackets('a < b and c > d'), 'a < b and c > d');
  });
});
