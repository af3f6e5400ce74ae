/**
 * The original FMU Gateway's REST contract (keshelto/FMU_Gateway: its SDK, quick-start script and
 * tests) against our `serve` over real HTTP, with the original's request bodies, on SQLite and on
 * PostgreSQL: keys (200), library (a list), upload ({id: bare hex}), by-hash, variables (a list),
 * simulate (lenient body, {name, t, u} signals, key_results), /simulations/{id} with history,
 * 422 validation errors with `detail`, asynchronous sweeps with an overlay chart, the paid flow
 * (402 body, 404 → 200 → 410 on redemption, 402 for a used or bad token, quote_only) and, on one
 * gateway, crypto → x402 and a quote while the payment provider is down. Written from the
 * contract; none of the original's code or tests.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, postgresMissing, startPostgres, type RunningServer } from '../helpers/db-servers.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { buildUploadFixture, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

type Json = Record<string, unknown>;
const fixtureDir = mkdtempSync(join(tmpdir(), 'fmu-gw-compat-fixture-'));
let fmuBytes: Buffer;

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Json>() => T;
}

async function call(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; json?: unknown; body?: FormData; raw?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined || opts.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = opts.raw ?? JSON.stringify(opts.json);
  } else if (opts.body !== undefined) body = opts.body;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

/** The original's error shape: {"detail": "..."}; ours beside it. */
function assertDetail(r: Res, status: number, code?: string): void {
  assert.equal(r.status, status, r.text);
  const b = r.json<{ detail: unknown; error: { code: string; message: string } }>();
  assert.equal(typeof b.detail, 'string');
  assert.ok((b.detail as string).length > 0);
  assert.equal(b.detail, b.error.message);
  if (code !== undefined) assert.equal(b.error.code, code);
}

async function newKey(base: string): Promise<string> {
  const r = await call(base, 'POST', '/keys');
  assert.equal(r.status, 200, r.text);
  const key = r.json().key;
  assert.equal(typeof key, 'string');
  return key as string;
}

/** The original SDK's simulate body: every field, nulls for the surrogate ones. */
const originalBody = (extra: Json): Json => ({
  start_values: {},
  input_signals: [],
  kpis: [],
  parameters: null,
  drive_cycle: null,
  ...extra,
});

async function waitSweep(base: string, key: string, url: string): Promise<Json> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await call(base, 'GET', url, { key });
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    if (b.status !== 'RUNNING') return b;
    assert.match(String(b.progress), /^\d+\/\d+ complete$/);
    if (Date.now() > deadline) throw new Error(`sweep still running: ${r.text}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

function scenario(
  name: string,
  backend: () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>,
  skip: string | false,
): void {
  describe(`original contract on ${name}`, { timeout: 400_000, skip }, () => {
    let gw: HttpGateway;
    let paid: HttpGateway;
    let stripe: StripeStandin;
    let base: string;
    let paidBase: string;
    let stop: () => Promise<void> = async () => undefined;
    let key: string;
    let other: string;
    let hex: string;

    before(async () => {
      fmuBytes ??= readFileSync(await buildUploadFixture(fixtureDir));
      const b = await backend();
      stop = b.stop;
      stripe = await startStripeStandin();
      gw = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000', ...b.env });
      base = gw.url.replace(/\/mcp$/, '');
      paid = await startHttpGateway([], {
        KEY_CREATION_PER_HOUR: '1000',
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
        ...b.env,
      });
      paidBase = paid.url.replace(/\/mcp$/, '');
      key = await newKey(base);
      other = await newKey(base);
    });
    after(async () => {
      await gw?.close();
      await paid?.close();
      await stripe?.close();
      await stop();
    });

    it('POST /keys answers 200 {key}; keyed routes answer 401 with detail without one', async () => {
      assert.ok(key.length >= 20);
      assertDetail(await call(base, 'GET', '/library'), 401, 'UNAUTHORIZED');
      assertDetail(await call(base, 'GET', '/library', { key: `${key}invalid` }), 401, 'UNAUTHORIZED');
      // ours, under /v2, keeps 201 Created
      assert.equal((await call(base, 'POST', '/v2/keys')).status, 201);
    });

    it('GET /library is a list with model_name; ?query= filters', async () => {
      const all = await call(base, 'GET', '/library', { key });
      assert.equal(all.status, 200, all.text);
      const models = all.json<Json[]>();
      assert.ok(Array.isArray(models) && models.length > 5);
      const ball = models.find((m) => m.id === 'BouncingBall');
      assert.ok(ball, all.text);
      assert.equal(ball.model_name, 'BouncingBall');
      assert.equal(ball.fmu_id, 'msl:BouncingBall');
      assert.match(String(ball.sha256), /^[0-9a-f]{64}$/);
      assert.ok((ball.size as number) > 1000);
      const found = (await call(base, 'GET', '/library?query=Bouncing', { key })).json<Json[]>();
      assert.ok(found.some((m) => String(m.model_name).includes('Bouncing')));
      assert.ok(found.length < models.length);
    });

    it('POST /fmus answers 200 {id: bare sha256 hex, sha256, model_name, fmi_version, guid}; by-hash finds it for this key only', async () => {
      const sha = createHash('sha256').update(fmuBytes).digest('hex');
      assertDetail(await call(base, 'GET', `/fmus/by-hash/${sha}`, { key }), 404, 'NOT_FOUND');
      const form = new FormData();
      form.append('file', new Blob([fmuBytes]), 'model.fmu');
      const r = await call(base, 'POST', '/fmus', { key, body: form });
      assert.equal(r.status, 200, r.text);
      const meta = r.json();
      assert.equal(meta.id, sha);
      assert.equal(meta.sha256, sha);
      assert.equal(typeof meta.model_name, 'string');
      assert.match(String(meta.fmi_version), /^[23]\.0$/);
      assert.equal(typeof meta.guid, 'string');
      assert.equal(meta.fmu_id, `sha256:${sha}`);
      hex = sha;
      const again = await call(base, 'GET', `/fmus/by-hash/${sha}`, { key });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json().fmu_id, sha);
      assert.equal(again.json().id, sha);
      assert.equal(again.json().guid, meta.guid);
      // Another key does not learn that these bytes are stored here.
      assertDetail(await call(base, 'GET', `/fmus/by-hash/${sha}`, { key: other }), 404, 'NOT_FOUND');
    });

    it('GET /fmus/{id}/variables is a plain list [{name, causality, variability, declaredType}] for bare-hex and msl ids', async () => {
      const up = await call(base, 'GET', `/fmus/${hex}/variables`, { key });
      assert.equal(up.status, 200, up.text);
      const vars = up.json<Json[]>();
      assert.ok(Array.isArray(vars) && vars.length > 0);
      for (const v of vars) {
        assert.equal(typeof v.name, 'string');
        assert.equal(typeof v.causality, 'string');
        assert.equal(typeof v.variability, 'string');
        assert.ok(v.declaredType === null || typeof v.declaredType === 'string');
      }
      const ball = (await call(base, 'GET', '/fmus/msl:BouncingBall/variables', { key })).json<Json[]>();
      assert.ok(ball.some((v) => v.name === 'h' && v.causality === 'output'));
      assertDetail(await call(base, 'GET', `/fmus/${hex}/variables`, { key: other }), 404, 'NOT_FOUND');
    });

    it('POST /simulate takes the original body (nulls, unknown fields) and answers {run_id, status "ok", key_results, provenance, artifacts, summary_url}', async () => {
      const r = await call(base, 'POST', '/simulate', {
        key,
        json: originalBody({
          fmu_id: 'msl:BouncingBall',
          stop_time: 1.0,
          step: 0.01,
          kpis: ['h_rms', 'h_max'],
          payment_method: 'stripe',
          some_future_field: 1,
        }),
      });
      assert.equal(r.status, 200, r.text);
      const b = r.json<{
        run_id: string;
        status: string;
        key_results: Json;
        provenance: Json;
        artifacts: string[];
        summary_url: string;
        rows: number;
      }>();
      assert.equal(b.status, 'ok');
      assert.equal(b.key_results.final_time, 1);
      assert.equal(typeof b.key_results.final_h, 'number');
      assert.equal(typeof b.key_results.h_rms, 'number');
      // h starts at 1 m and never exceeds it: the maximum is the start height.
      assert.ok(Math.abs((b.key_results.h_max as number) - 1) < 1e-6, String(b.key_results.h_max));
      assert.ok((b.key_results.h_rms as number) > 0 && (b.key_results.h_rms as number) < 1);
      assert.match(String(b.provenance.sha256), /^[0-9a-f]{64}$/);
      assert.equal(typeof b.provenance.guid, 'string');
      assert.ok(String(b.provenance.guid).length > 0);
      assert.match(String(b.provenance.fmi_version), /^[23]\.0$/);
      assert.equal(b.summary_url, `/simulations/${b.run_id}`);
      assert.equal(b.artifacts.length, 1);

      const s = await call(base, 'GET', b.summary_url, { key });
      assert.equal(s.status, 200, s.text);
      const summary = s.json<{ history: Record<string, number[]>; key_results: Json; history_stride: number }>();
      assert.equal(summary.history.time?.length, b.rows);
      assert.equal(summary.history.time?.[0], 0);
      assert.equal(summary.history.h?.length, b.rows);
      assert.equal(summary.history.h?.[0], 1);
      assert.deepEqual(summary.key_results, b.key_results);
      assert.equal(summary.history_stride, 1);
      const csv = await call(base, 'GET', b.artifacts[0] as string, { key });
      assert.equal(csv.status, 200);
      assert.equal(csv.text.trim().split('\n').length, b.rows + 1);
      // Another key sees neither the run nor its result.
      assertDetail(await call(base, 'GET', b.summary_url, { key: other }), 404, 'NOT_FOUND');
    });

    it('input_signals {name, t, u} drive an input; bare-hex ids simulate uploads', async () => {
      const r = await call(base, 'POST', '/simulate', {
        key,
        json: originalBody({
          fmu_id: 'msl:Feedthrough',
          stop_time: 2,
          step: 0.5,
          input_signals: [{ name: 'Float64_input', t: [0, 2], u: [0, 20] }],
        }),
      });
      assert.equal(r.status, 200, r.text);
      const b = r.json<{ key_results: Json; summary_url: string }>();
      assert.equal(b.key_results.final_Float64_output, 20);
      const h = (await call(base, 'GET', b.summary_url, { key })).json<{ history: Record<string, number[]> }>().history;
      assert.deepEqual(h.time, [0, 0.5, 1, 1.5, 2]);
      assert.deepEqual(h.Float64_output, [0, 5, 10, 15, 20]);
      const up = await call(base, 'POST', '/simulate', { key, json: originalBody({ fmu_id: hex, stop_time: 0.5, step: 0.1 }) });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.json<{ provenance: Json }>().provenance.sha256, hex);
    });

    it('answers invalid bodies with 422 and detail; the surrogate fields with a coded refusal', async () => {
      assertDetail(await call(base, 'POST', '/simulate', { key, json: { stop_time: 1 } }), 422, 'BAD_REQUEST');
      assertDetail(await call(base, 'POST', '/simulate', { key, json: { fmu_id: 'msl:BouncingBall', stop_time: 'soon' } }), 422);
      assertDetail(await call(base, 'POST', '/simulate', { key, json: { fmu_id: 'msl:BouncingBall', stop_time: -1, step: 0.1 } }), 422);
      assertDetail(
        await call(base, 'POST', '/simulate', { key, json: { fmu_id: 'msl:BouncingBall', stop_time: 1, kpis: ['nonsense'] } }),
        422,
      );
      assertDetail(
        await call(base, 'POST', '/simulate', { key, json: { fmu_id: 'msl:BouncingBall', stop_time: 1, parameters: { gamma: 0.5 } } }),
        422,
        'UNSUPPORTED_FEATURE',
      );
      assertDetail(
        await call(base, 'POST', '/simulate', { key, json: originalBody({ fmu_id: 'msl:NoSuchModel', stop_time: 1, step: 0.1 }) }),
        404,
        'NOT_FOUND',
      );
      // Payment fields on a free gateway are refused rather than silently ignored.
      assertDetail(
        await call(base, 'POST', '/simulate', {
          key,
          json: originalBody({ fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.1, payment_token: 'tok' }),
        }),
        400,
        'PAYMENTS_DISABLED',
      );
    });

    it('POST /sweep answers 202 {sweep_id, ACCEPTED, results_url}; results carry per-run KPIs, an overlay chart and the x-y chart', async () => {
      const r = await call(base, 'POST', '/sweep', {
        key,
        json: {
          base_request: originalBody({ fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1, kpis: ['x_max'] }),
          sweep_parameters: [{ path: 'start_values.k', values: [1, 2, 3] }],
          post_processing: [
            { chart_type: 'xy_plot', chart_title: 'x(1) over k', x_axis_param: 'start_values.k', y_axis_kpi: 'kpis.final_x' },
          ],
        },
      });
      assert.equal(r.status, 202, r.text);
      const acc = r.json();
      assert.equal(acc.status, 'ACCEPTED');
      assert.equal(acc.results_url, `/sweep/${acc.sweep_id as string}/results`);
      assertDetail(await call(base, 'GET', acc.results_url as string, { key: other }), 404, 'NOT_FOUND');
      const done = await waitSweep(base, key, acc.results_url as string);
      assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
      const results = done.results as { parameters: Json; kpis: Json; run_id: string }[];
      assert.equal(results.length, 3);
      for (const run of results) {
        const k = run.parameters['start_values.k'] as number;
        // x(t) = exp(-k t): the closed form at t = 1.
        assert.ok(Math.abs((run.kpis.final_x as number) - Math.exp(-k)) < 1e-3, JSON.stringify(run));
        assert.ok(Math.abs((run.kpis.x_max as number) - 1) < 1e-9);
      }
      const charts = done.charts as { chart_title: string; image_base64: string }[];
      assert.equal(charts.length, 2);
      for (const c of charts) {
        assert.match(c.image_base64, /^data:image\/png;base64,/);
        const png = Buffer.from(c.image_base64.split(',')[1] as string, 'base64');
        assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
        assert.ok(png.length > 2000);
      }
      assert.equal(charts[1]?.chart_title, 'x(1) over k');
      // A run of the sweep is a stored run like any other.
      const one = await call(base, 'GET', `/simulations/${results[0]?.run_id ?? ''}`, { key });
      assert.equal(one.status, 200, one.text);
      assertDetail(
        await call(base, 'POST', '/sweep', {
          key,
          json: { base_request: { fmu_id: 'msl:Dahlquist' }, sweep_parameters: [{ path: 'stop_time', values: [1] }] },
        }),
        422,
        'UNSUPPORTED_FEATURE',
      );
      assertDetail(await call(base, 'GET', '/sweep/00000000-0000-0000-0000-000000000000/results', { key }), 404, 'NOT_FOUND');
    });

    it('paid: 402 with the payment body; checkout 404 until paid, 200 with the token, then 410; the token runs once, a used or bad token gets 402', async () => {
      const pkey = await newKey(paidBase);
      const body = { fmu_id: 'msl:BouncingBall', stop_time: 1.0, step: 0.01, kpis: ['h_rms'] };
      const unpaid = await call(paidBase, 'POST', '/simulate', { key: pkey, json: body });
      assert.equal(unpaid.status, 402, unpaid.text);
      const p = unpaid.json();
      assert.equal(p.status, 'payment_required');
      assert.equal(p.amount, 1.0);
      assert.equal(p.currency, 'usd');
      assert.deepEqual(p.methods, ['stripe_checkout']);
      assert.match(String(p.session_id), /^cs_test/);
      // The original's test wants https://checkout.stripe.com; the stand-in serves its own page on loopback.
      assert.match(String(p.checkout_url), new RegExp(`^(https://|${stripe.url})`));
      assert.equal(p.error, 'complete_checkout');
      assert.equal(typeof p.description, 'string');
      assert.equal(typeof p.next_step, 'string');
      const sid = p.session_id as string;

      assertDetail(await call(paidBase, 'GET', `/payments/checkout/${sid}`, { key: pkey }), 404, 'NOT_FOUND');
      // The original accepted unsigned events; ours accepts only signed ones, and an unsigned one changes nothing.
      const forged = await call(paidBase, 'POST', '/webhooks/stripe', {
        json: { type: 'checkout.session.completed', data: { object: { id: sid, metadata: {}, amount_total: 100, currency: 'usd' } } },
      });
      assert.equal(forged.status, 400, forged.text);
      assertDetail(await call(paidBase, 'GET', `/payments/checkout/${sid}`, { key: pkey }), 404, 'NOT_FOUND');
      const hook = await stripe.sendEvent(`${paidBase}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(sid));
      assert.equal(hook.status, 200, hook.body);
      // Another key cannot redeem this checkout.
      const stranger = await newKey(paidBase);
      assertDetail(await call(paidBase, 'GET', `/payments/checkout/${sid}`, { key: stranger }), 404, 'NOT_FOUND');
      const tok = await call(paidBase, 'GET', `/payments/checkout/${sid}`, { key: pkey });
      assert.equal(tok.status, 200, tok.text);
      const t = tok.json();
      assert.equal(t.session_id, sid);
      assert.equal(typeof t.payment_token, 'string');
      assert.ok(!Number.isNaN(Date.parse(String(t.expires_at))));
      assertDetail(await call(paidBase, 'GET', `/payments/checkout/${sid}`, { key: pkey }), 410);

      const ran = await call(paidBase, 'POST', '/simulate', { key: pkey, json: { ...body, payment_token: t.payment_token } });
      assert.equal(ran.status, 200, ran.text);
      assert.equal(ran.json().status, 'ok');
      assert.equal(typeof ran.json<{ key_results: Json }>().key_results.h_rms, 'number');

      for (const token of [t.payment_token, 'not-a-token']) {
        const again = await call(paidBase, 'POST', '/simulate', { key: pkey, json: { ...body, payment_token: token } });
        assert.equal(again.status, 402, again.text);
        const a = again.json();
        assert.equal(a.error, 'invalid_or_expired_payment_token');
        assert.match(String(a.session_id), /^cs_test/);
        assert.notEqual(a.session_id, sid);
      }
    });

    it('paid: quote_only answers the 402 quote and runs nothing; POST /pay answers 200 with a checkout; crypto without X402_PAY_TO is a coded refusal', async () => {
      const pkey = await newKey(paidBase);
      const q = await call(paidBase, 'POST', '/simulate', {
        key: pkey,
        json: { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01, quote_only: true },
      });
      assert.equal(q.status, 402, q.text);
      assert.equal(q.json().status, 'quote_only');
      assert.equal(q.json().amount, 1);
      assert.equal(q.json().payment_required, true);
      const usage = await call(paidBase, 'GET', '/usage', { key: pkey });
      assert.equal((usage.json<{ records: unknown[] }>().records ?? []).length, 0, usage.text);
      const pay = await call(paidBase, 'POST', '/pay', { key: pkey, json: { fmu_id: 'msl:BouncingBall' } });
      assert.equal(pay.status, 200, pay.text);
      assert.match(String(pay.json().session_id), /^cs_test/);
      assert.equal(pay.json().status, 'payment_required');
      // A sweep is paid for before anything runs; a bad token gets the 402 with a fresh checkout.
      const sweep = {
        base_request: { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.1 },
        sweep_parameters: [{ path: 'start_values.k', values: [1, 2] }],
      };
      const unpaidSweep = await call(paidBase, 'POST', '/sweep', { key: pkey, json: sweep });
      assert.equal(unpaidSweep.status, 402, unpaidSweep.text);
      assert.equal(unpaidSweep.json().error, 'complete_checkout');
      const badSweep = await call(paidBase, 'POST', '/sweep', {
        key: pkey,
        json: { ...sweep, base_request: { ...sweep.base_request, payment_token: 'nope' } },
      });
      assert.equal(badSweep.status, 402, badSweep.text);
      assert.equal(badSweep.json().error, 'invalid_or_expired_payment_token');
      const crypto = await call(paidBase, 'POST', '/simulate', {
        key: pkey,
        json: { fmu_id: 'msl:BouncingBall', stop_time: 1, payment_method: 'crypto' },
      });
      assertDetail(crypto, 400, 'PAYMENT_METHOD_UNSUPPORTED');
      assert.equal(crypto.json<{ error: { data: Json } }>().error.data.setting, 'X402_PAY_TO');
    });
  });
}

after(() => rmSync(fixtureDir, { recursive: true, force: true }));

scenario('sqlite', async () => ({ env: {}, stop: async () => undefined }), false);
scenario(
  'postgres',
  async () => {
    const pg: RunningServer = await startPostgres();
    return { env: { DATABASE_URL: pg.url }, stop: () => pg.stop() };
  },
  prerequisite('PostgreSQL', postgresMissing()),
);

describe('crypto → x402, and a quote while the payment provider is down', { timeout: 200_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  before(async () => {
    // Stripe's API points at a port nothing listens on: the provider is unreachable.
    const dead = await freePort();
    gw = await startHttpGateway([], {
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: 'sk_test_unreachable',
      STRIPE_WEBHOOK_SECRET: 'whsec_unused',
      STRIPE_API_BASE_URL: `http://127.0.0.1:${dead}`,
      X402_PAY_TO: '0x1111111111111111111111111111111111111111',
    });
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => gw?.close());

  it('quote_only answers the locally computed price with checkout_unavailable PAYMENT_PROVIDER_UNAVAILABLE, and the x402 offer', async () => {
    const key = await newKey(base);
    const q = await call(base, 'POST', '/simulate', {
      key,
      json: { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01, quote_only: true },
    });
    assert.equal(q.status, 402, q.text);
    const b = q.json<Json & { checkout_unavailable: { code: string }; accepts?: Json[] }>();
    assert.equal(b.amount, 1);
    assert.equal(b.checkout_url, null);
    assert.equal(b.checkout_unavailable.code, 'PAYMENT_PROVIDER_UNAVAILABLE');
    // x402 needs no provider: its requirements are offered, and "crypto" is among the methods.
    assert.ok(Array.isArray(b.accepts) && b.accepts.length > 0, q.text);
    assert.equal(b.accepts[0]?.payTo, '0x1111111111111111111111111111111111111111');
    const v2 = await call(base, 'POST', '/v2/quote', { key, json: { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01 } });
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.json<{ checkout_unavailable: { code: string } }>().checkout_unavailable.code, 'PAYMENT_PROVIDER_UNAVAILABLE');
    assert.equal(v2.json().amount_minor, 100);
  });
});
