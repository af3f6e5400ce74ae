/**
 * `fmu-gateway run --auto` as the original's `run_fmu_simulation.py --auto`: against a `serve` on a
 * free port through FMU_GATEWAY_URL (through a recording proxy, to see what is sent), found by the
 * local probe (FMU_GATEWAY_LOCAL_URL, never a fixed port in tests), and with none (in-process);
 * a key created once per gateway and remembered, an FMU uploaded only when the gateway lacks it,
 * --config in the original's JSON shape; and against a paid `serve`: --quote, `redeem`,
 * --payment-token.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../helpers/db-servers.ts';
import { buildLibraryModel } from '../helpers/fixtures.ts';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import { BIN, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

const exec = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'fmu-cli-auto-'));
after(() => rmSync(home, { recursive: true, force: true }));

async function cli(args: string[], extra: Record<string, string>, cwd = home): Promise<{ stdout: string; stderr: string; code: number }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    FMU_GATEWAY_DATA_DIR: join(home, 'data'),
    FMU_GATEWAY_CONFIG_DIR: join(home, 'config'),
    FMU_GATEWAY_POOL_SIZE: '1',
    ...extra,
  };
  try {
    const r = await exec(process.execPath, [BIN, ...args], { env, cwd, maxBuffer: 64 * 1024 * 1024 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

const keysFile = () => join(home, 'config', 'keys.json');
const readKeys = (): Record<string, string> =>
  existsSync(keysFile()) ? (JSON.parse(readFileSync(keysFile(), 'utf8')) as Record<string, string>) : {};
const summaryOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    run_id: string;
    provenance: { executed_on?: string; fmu_sha256: string };
    summary: Record<string, { final: number }>;
  };

describe('fmu-gateway run --auto', { timeout: 400_000 }, () => {
  let gw: HttpGateway;
  let proxy: RecordingProxy;
  let base: string;
  let nothingThere: string;
  let dahlquist: string;

  before(async () => {
    gw = await startHttpGateway([], { KEY_CREATION_PER_HOUR: '1000' });
    base = gw.url.replace(/\/mcp$/, '');
    proxy = await startRecordingProxy(base);
    nothingThere = `http://127.0.0.1:${await freePort()}`;
    // A private copy: other test files may rebuild the shared build output meanwhile (new zip
    // timestamps, new bytes), and "uploads once" is about these exact bytes.
    dahlquist = join(home, 'Dahlquist.fmu');
    copyFileSync(await buildLibraryModel('Dahlquist', '2.0'), dahlquist);
  });
  after(async () => {
    await proxy?.close();
    await gw?.close();
  });

  it('through FMU_GATEWAY_URL: creates and remembers a key, uploads once, runs there, saves the results', async () => {
    const config = join(home, 'params.json');
    // The original's --config: {stop_time, step, start_values, kpis}; here for Dahlquist x(t) = exp(-k t).
    writeFileSync(config, JSON.stringify({ stop_time: 1, step: 0.1, start_values: { k: 2 }, input_signals: [], kpis: ['x_max'] }));
    const out1 = join(home, 'out1');
    const r = await cli(['run', '--auto', '--fmu', dahlquist, '--config', config, '--out', out1], {
      FMU_GATEWAY_URL: proxy.url,
      FMU_GATEWAY_LOCAL_URL: nothingThere,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /created an API key/);
    const key = readKeys()[proxy.url];
    assert.ok(key !== undefined && key.length > 20, JSON.stringify(readKeys()));
    const s = summaryOf(out1);
    assert.equal(s.provenance.executed_on, 'remote');
    assert.ok(Math.abs((s.summary.x?.final ?? NaN) - Math.exp(-2)) < 1e-3, JSON.stringify(s.summary));
    assert.ok(existsSync(join(out1, 'result.csv')));
    // The run is the remote's, under the remembered key.
    const run = await fetch(`${base}/v2/runs/${s.run_id}`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(run.status, 200);
    const uploads = () => proxy.requests.filter((q) => q.method === 'POST' && q.path === '/v2/fmus').length;
    const keys = () => proxy.requests.filter((q) => q.method === 'POST' && q.path === '/v2/keys').length;
    assert.equal(uploads(), 1);
    assert.equal(keys(), 1);

    const r2 = await cli(['run', '--auto', dahlquist, '--config', config, '--set', 'k=1', '--out', join(home, 'out2')], {
      FMU_GATEWAY_URL: proxy.url,
    });
    assert.equal(r2.code, 0, r2.stderr);
    assert.doesNotMatch(r2.stderr, /created an API key/);
    assert.equal(
      uploads(),
      1,
      `the gateway had the bytes: nothing uploaded again; requests: ${JSON.stringify(proxy.requests.map((q) => `${q.method} ${q.path} ${q.status ?? '-'}`))}`,
    );
    assert.equal(keys(), 1, 'the remembered key was used');
    // The command line wins over --config.
    assert.ok(Math.abs((summaryOf(join(home, 'out2')).summary.x?.final ?? NaN) - Math.exp(-1)) < 1e-3);
  });

  it('finds a local serve through the probe URL when no FMU_GATEWAY_URL is set', async () => {
    const out = join(home, 'out-local');
    const r = await cli(['run', '--auto', 'msl:Dahlquist', '--stop', '1', '--step', '0.5', '--out', out], { FMU_GATEWAY_LOCAL_URL: base });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`gateway: ${base.replace(/[.]/g, '\\.')} \\(a local serve answers`));
    assert.equal(summaryOf(out).provenance.executed_on, 'remote');
    assert.ok(readKeys()[base] !== undefined);
  });

  it('runs in-process when there is no gateway at all', async () => {
    const out = join(home, 'out-inproc');
    const r = await cli(['run', '--auto', 'msl:Dahlquist', '--stop', '1', '--step', '0.5', '--out', out], {
      FMU_GATEWAY_LOCAL_URL: nothingThere,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /gateway: in-process/);
    assert.notEqual(summaryOf(out).provenance.executed_on, 'remote');
    assert.ok(Math.abs((summaryOf(out).summary.x?.final ?? NaN) - Math.exp(-1)) < 1e-3);
  });

  it('--quote of a free run prints the quote and exits 0', async () => {
    const r = await cli(['run', '--auto', 'msl:Dahlquist', '--stop', '1', '--quote'], { FMU_GATEWAY_URL: base });
    assert.equal(r.code, 0, r.stderr);
    const q = JSON.parse(r.stdout) as { status: string; payment_required: boolean };
    assert.equal(q.status, 'quoted');
    assert.equal(q.payment_required, false);
  });
});

describe('fmu-gateway run --auto against a paid serve: --quote, redeem, --payment-token', { timeout: 300_000 }, () => {
  let gw: HttpGateway;
  let stripe: StripeStandin;
  let base: string;

  before(async () => {
    stripe = await startStripeStandin();
    gw = await startHttpGateway([], {
      KEY_CREATION_PER_HOUR: '1000',
      STRIPE_ENABLED: 'true',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_BASE_URL: stripe.url,
    });
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => {
    await gw?.close();
    await stripe?.close();
  });

  it('quotes at the gateway (exit 4), redeems the paid checkout, runs with the token once', async () => {
    const env = { FMU_GATEWAY_URL: base };
    const args = ['run', '--auto', 'msl:Dahlquist', '--stop', '1', '--step', '0.1'];
    const q = await cli([...args, '--quote'], env);
    assert.equal(q.code, 4, q.stderr);
    const quote = JSON.parse(q.stdout) as { payment_required: boolean; amount: number; checkout: { session_id: string } };
    assert.equal(quote.payment_required, true);
    assert.equal(quote.amount, 1);
    const sid = quote.checkout.session_id;
    assert.ok(stripe.sessions.has(sid), 'the checkout was opened at the paid gateway');

    const early = await cli(['redeem', sid], env);
    assert.equal(early.code, 4, early.stderr);
    const hook = await stripe.sendEvent(`${base}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(sid));
    assert.equal(hook.status, 200, hook.body);
    const red = await cli(['redeem', sid], env);
    assert.equal(red.code, 0, red.stderr);
    const token = red.stdout.trim();
    assert.ok(token.length > 10);

    const out = join(home, 'out-paid');
    const ran = await cli([...args, '--payment-token', token, '--out', out], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(summaryOf(out).provenance.executed_on, 'remote');
    const again = await cli([...args, '--payment-token', token], env);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /PAYMENT_TOKEN_USED/);
    const unpaid = await cli(args, env);
    assert.equal(unpaid.code, 4, unpaid.stderr);
    assert.match(unpaid.stderr, /fmu-gateway redeem cs_test_/);
  });
});
