/**
 * Forwarding, with two real processes on loopback: `serve` is the hosted gateway, `mcp` (stdio) in
 * remote or auto mode forwards to it through a recording proxy, so the test sees exactly what
 * crossed the wire (the bytes of an upload go once; a hung remote gives a coded error in time).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.ts';
import { startStripeStandin, type StripeStandin } from '../helpers/stripe-standin.ts';
import {
  BIN,
  ROOT,
  buildUploadFixture,
  parseCsv,
  startHttpGateway,
  startStdioGateway,
  type HttpGateway,
  type StdioGateway,
} from './mcp-harness.ts';

const execFileAsync = promisify(execFile);

type Structured = Record<string, unknown> & { status?: string };

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; out: Structured }> {
  const r = await client.callTool({ name, arguments: args });
  return { isError: r.isError === true, out: (r.structuredContent ?? {}) as Structured };
}

async function createKey(base: string): Promise<string> {
  const res = await fetch(`${base}/v2/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status < 300, true, `POST /keys answered ${res.status}`);
  const body = (await res.json()) as { key?: unknown };
  assert.equal(typeof body.key, 'string');
  return body.key as string;
}

describe('forwarding to a hosted gateway (serve) from mcp in remote and auto mode', () => {
  let hosted: HttpGateway;
  let proxy: RecordingProxy;
  let key: string;
  let work: string;
  let dahlquist: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fmu-forwarding-'));
    dahlquist = await buildUploadFixture(work);
    hosted = await startHttpGateway();
    const base = hosted.url.replace(/\/mcp$/, '');
    proxy = await startRecordingProxy(base);
    key = await createKey(base);
  });
  after(async () => {
    await proxy?.close();
    await hosted?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('remote mode: every tool forwards', () => {
    let local: StdioGateway;
    before(async () => {
      local = await startStdioGateway({ FMU_GATEWAY_MODE: 'remote', FMU_GATEWAY_URL: proxy.url, FMU_GATEWAY_API_KEY: key });
    });
    after(async () => local?.close());

    it('lists the library and the variables through the remote', async () => {
      const before = proxy.requests.length;
      const lib = await call(local.client, 'list_library', { query: 'bouncing' });
      assert.equal(lib.isError, false, JSON.stringify(lib.out));
      assert.ok((lib.out.models as { id: string }[]).some((m) => m.id === 'msl:BouncingBall'));
      const vars = await call(local.client, 'get_variables', { fmu_id: 'msl:BouncingBall' });
      assert.equal(vars.isError, false, JSON.stringify(vars.out));
      assert.ok((vars.out.variables as { name: string }[]).some((v) => v.name === 'h'));
      const paths = proxy.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]}`);
      assert.ok(paths.includes('GET /v2/library'), paths.join(', '));
      assert.ok(
        paths.some((p) => p.startsWith('GET /v2/fmus/msl') && p.endsWith('/variables')),
        paths.join(', '),
      );
    });

    it('sends an uploaded FMU once: a second upload of the same bytes sends none', async () => {
      const first = await call(local.client, 'upload_fmu', { path: dahlquist });
      assert.equal(first.isError, false, JSON.stringify(first.out));
      const posts = () => proxy.requests.filter((r) => r.method === 'POST' && r.path === '/v2/fmus');
      assert.equal(posts().length, 1);
      assert.ok((posts()[0]?.bodyBytes ?? 0) > 1000, 'the first upload carried the file');
      const second = await call(local.client, 'upload_fmu', { path: dahlquist });
      assert.equal(second.isError, false);
      assert.equal(second.out.fmu_id, first.out.fmu_id);
      assert.equal(second.out.already_stored, true);
      assert.equal(posts().length, 1, 'no second POST /fmus');
    });

    it('simulates the upload on the remote, says so in provenance, and serves its CSV here', async () => {
      const up = await call(local.client, 'upload_fmu', { path: dahlquist });
      const sim = await call(local.client, 'simulate', { fmu_id: up.out.fmu_id, stop_time: 2, step: 0.01 });
      assert.equal(sim.isError, false, JSON.stringify(sim.out));
      assert.equal(sim.out.status, 'completed');
      const prov = sim.out.provenance as { executed_on?: string; remote_url?: string };
      assert.equal(prov.executed_on, 'remote');
      assert.equal(prov.remote_url, proxy.url);
      assert.ok(proxy.requests.some((r) => r.method === 'POST' && r.path === '/v2/simulate'));
      // Dahlquist dx/dt = -k x, x(0) = 1, k = 1 by default: x(2) = e^-2.
      const summary = sim.out.summary as Record<string, { final: number }>;
      const x = summary.x?.final;
      assert.ok(x !== undefined && Math.abs(x - Math.exp(-2)) < 1e-3, `x(2) = ${x}`);
      const read = await local.client.readResource({ uri: sim.out.result_uri as string });
      const text = (read.contents[0] as { text?: string }).text ?? '';
      const csv = parseCsv(text);
      assert.equal(csv.header[0], 'time');
      assert.equal(csv.rows.length, sim.out.rows);
      assert.ok(proxy.requests.some((r) => r.method === 'GET' && /^\/v2\/runs\/[^/]+\/result\.csv$/.test(r.path)));
    });

    it('gives a coded REMOTE_TIMEOUT within the configured deadline when the remote hangs', async () => {
      const hanging = await startStdioGateway({
        FMU_GATEWAY_MODE: 'remote',
        FMU_GATEWAY_URL: proxy.url,
        FMU_GATEWAY_API_KEY: key,
        FMU_GATEWAY_REMOTE_TIMEOUT_SECONDS: '2',
      });
      proxy.hang = true;
      try {
        const started = Date.now();
        const sim = await call(hanging.client, 'simulate', { fmu_id: 'msl:BouncingBall', stop_time: 1 });
        const elapsed = Date.now() - started;
        assert.equal(sim.isError, true);
        assert.equal((sim.out.error as { code: string }).code, 'REMOTE_TIMEOUT');
        assert.ok(elapsed < 10_000, `answered after ${elapsed} ms`);
      } finally {
        proxy.hang = false;
        await hanging.close();
      }
    });
  });

  describe('auto mode: local when it can run here, remote otherwise', () => {
    let local: StdioGateway;
    let foreign: string;
    before(async () => {
      const { buildFmu, LIBRARY_DIR } = await import('../../tools/fmu-builder.ts');
      // A binary for another platform only (plus its sources, which this side will not compile).
      foreign = join(work, 'Dahlquist-foreign.fmu');
      await buildFmu({
        modelDir: join(LIBRARY_DIR, 'models', 'Dahlquist'),
        fmiVersion: '3.0',
        outFile: foreign,
        platformDir: 'aarch64-darwin',
        sources: true,
      });
      local = await startStdioGateway({ FMU_GATEWAY_MODE: 'auto', FMU_GATEWAY_URL: proxy.url, FMU_GATEWAY_API_KEY: key }, [
        '--no-compile-sources',
      ]);
    });
    after(async () => local?.close());

    it('runs a library model locally', async () => {
      const before = proxy.requests.length;
      const sim = await call(local.client, 'simulate', { fmu_id: 'msl:BouncingBall', stop_time: 1 });
      assert.equal(sim.isError, false, JSON.stringify(sim.out));
      assert.equal((sim.out.provenance as { executed_on?: string }).executed_on, 'local');
      assert.equal(proxy.requests.length, before, 'nothing was sent to the remote');
    });

    it('runs an FMU without a binary for this platform on the remote', async () => {
      const up = await call(local.client, 'upload_fmu', { path: foreign });
      assert.equal(up.isError, false, JSON.stringify(up.out));
      const sim = await call(local.client, 'simulate', { fmu_id: up.out.fmu_id, stop_time: 1, step: 0.1 });
      assert.equal(sim.isError, false, JSON.stringify(sim.out));
      const prov = sim.out.provenance as { executed_on?: string; remote_url?: string };
      assert.equal(prov.executed_on, 'remote');
      const x = (sim.out.summary as Record<string, { final: number }>).x?.final;
      assert.ok(x !== undefined && Math.abs(x - Math.exp(-1)) < 1e-3, `x(1) = ${x}`);
    });
  });

  it('doctor reports whether the remote answers', async () => {
    // Asynchronously: the recording proxy runs in this process and must keep answering meanwhile.
    const run = async (url: string) =>
      (
        await execFileAsync(process.execPath, [BIN, 'doctor', '--json'], {
          cwd: ROOT,
          encoding: 'utf8',
          env: { ...process.env, FMU_GATEWAY_MODE: 'auto', FMU_GATEWAY_URL: url },
          timeout: 120_000,
        }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))
      ).stdout;
    const up = JSON.parse(await run(proxy.url)) as { remote: { reachable?: boolean; url?: string; mode: string } };
    assert.equal(up.remote.reachable, true, JSON.stringify(up.remote));
    assert.equal(up.remote.url, proxy.url);
    assert.equal(up.remote.mode, 'auto');
    // A port nothing listens on: reported, with the coded reason, not a crash.
    const down = JSON.parse(await run('http://127.0.0.1:9')) as { remote: { reachable?: boolean; error?: { code: string } } };
    assert.equal(down.remote.reachable, false);
    assert.equal(down.remote.error?.code, 'REMOTE_UNAVAILABLE');
  });

  it('auto mode without a remote names what is missing', async () => {
    const alone = await startStdioGateway({ FMU_GATEWAY_MODE: 'auto' }, ['--no-compile-sources']);
    try {
      const { buildFmu, LIBRARY_DIR } = await import('../../tools/fmu-builder.ts');
      const fmu = join(work, 'Dahlquist-foreign-only.fmu');
      await buildFmu({ modelDir: join(LIBRARY_DIR, 'models', 'Dahlquist'), fmiVersion: '2.0', outFile: fmu, platformDir: 'darwin64' });
      const up = await call(alone.client, 'upload_fmu', { path: fmu });
      assert.equal(up.isError, false, JSON.stringify(up.out));
      const sim = await call(alone.client, 'simulate', { fmu_id: up.out.fmu_id, stop_time: 1 });
      assert.equal(sim.isError, true);
      const err = sim.out.error as { code: string; hint?: string };
      assert.equal(err.code, 'PLATFORM_UNSUPPORTED');
      assert.match(err.hint ?? '', /FMU_GATEWAY_URL/);
    } finally {
      await alone.close();
    }
  });

  describe('remote mode against a paid gateway: quote, payment_required, redeem, run', () => {
    let paid: HttpGateway;
    let stripe: StripeStandin;
    let local: StdioGateway;
    let paidBase: string;
    const REQUEST = { fmu_id: 'msl:Dahlquist', stop_time: 1, step: 0.01, start_values: { k: 3 } };
    before(async () => {
      stripe = await startStripeStandin();
      paid = await startHttpGateway([], {
        STRIPE_ENABLED: 'true',
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_API_BASE_URL: stripe.url,
      });
      paidBase = paid.url.replace(/\/mcp$/, '');
      const paidKey = await createKey(paidBase);
      local = await startStdioGateway({ FMU_GATEWAY_MODE: 'remote', FMU_GATEWAY_URL: paidBase, FMU_GATEWAY_API_KEY: paidKey });
    });
    after(async () => {
      await local?.close();
      await paid?.close();
      await stripe?.close();
    });

    it('prices on the remote, answers its 402 as payment_required, redeems there and runs with the token', async () => {
      const q = await call(local.client, 'quote', REQUEST);
      assert.equal(q.isError, false, JSON.stringify(q.out));
      assert.equal(q.out.payment_required, true);
      const unpaid = await call(local.client, 'simulate', REQUEST);
      assert.equal(unpaid.isError, true);
      assert.equal(unpaid.out.status, 'payment_required', JSON.stringify(unpaid.out));
      const sessionId = unpaid.out.session_id as string;
      assert.match(unpaid.out.checkout_url as string, /^http/);
      assert.equal((await call(local.client, 'redeem_checkout', { session_id: sessionId })).out.status, 'pending');
      const hook = await stripe.sendEvent(`${paidBase}/webhooks/stripe`, 'checkout.session.completed', stripe.markPaid(sessionId));
      assert.equal(hook.status, 200, hook.body);
      const redeemed = await call(local.client, 'redeem_checkout', { session_id: sessionId });
      assert.equal(redeemed.out.status, 'redeemed', JSON.stringify(redeemed.out));
      const token = redeemed.out.payment_token as string;
      const run = await call(local.client, 'simulate', { ...REQUEST, payment_token: token });
      assert.equal(run.isError, false, JSON.stringify(run.out));
      assert.equal((run.out.provenance as { executed_on?: string }).executed_on, 'remote');
      const x = (run.out.summary as Record<string, { final: number }>).x?.final;
      assert.ok(x !== undefined && Math.abs(x - Math.exp(-3)) < 1e-3, `x(1) = ${x}`);
      const again = await call(local.client, 'simulate', { ...REQUEST, payment_token: token });
      assert.equal(again.isError, true);
      assert.equal((again.out.error as { code: string }).code, 'PAYMENT_TOKEN_USED');
    });
  });
});
