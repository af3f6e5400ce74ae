/**
 * The REST API over real HTTP (`serve --port 0`), the same scenario on each store backend: SQLite
 * (zero configuration), DATABASE_URL (PostgreSQL) and REDIS_URL (Redis), the servers started by
 * the test on loopback. Keys, a multipart upload, variables, simulations of a library model and
 * of the upload, the CSV with a Range, usage records, and what other keys and no key get. Our
 * shapes, under /v2/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { postgresMissing, redisMissing, startPostgres, startRedis, type RunningServer } from '../helpers/db-servers.ts';
import { buildUploadFixture, parseCsv, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

type Json = Record<string, unknown>;
interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

let fmuBytes: Buffer;
const fixtureDir = mkdtempSync(join(tmpdir(), 'fmu-gw-rest-fixture-'));

async function call(
  base: string,
  method: string,
  path: string,
  opts: { key?: string; json?: unknown; body?: FormData; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => Json }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  let body: string | FormData | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) body = opts.body;
  // Our shapes are under /v2 (the root paths answer in the original gateway's: compat-api.test.ts).
  const root = /^\/(health|openapi\.json|docs|nope)/.test(path);
  const res = await fetch(`${base}${root ? '' : '/v2'}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Json };
}

function fmuForm(bytes: Uint8Array, field = 'file'): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes]), 'model.fmu');
  return form;
}

function assertCoded(r: { status: number; json: () => Json }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json()));
  const body = r.json() as unknown as ErrorBody;
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
}

function scenario(name: string, env: () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>, skip?: string): void {
  describe(`REST API on ${name}`, { timeout: 240_000, skip }, () => {
    let gw: HttpGateway;
    let base: string;
    let stopBackend: () => Promise<void> = async () => undefined;
    let keyA: string;
    let keyB: string;
    let uploadId: string;
    let libRun: string;
    let uploadRun: string;

    before(async () => {
      fmuBytes ??= readFileSync(await buildUploadFixture(fixtureDir));
      const e = await env();
      stopBackend = e.stop;
      gw = await startHttpGateway([], { MAX_FMU_MB: '1', KEY_CREATION_PER_HOUR: '1000', ...e.env });
      base = gw.url.replace(/\/mcp$/, '');
    });
    after(async () => {
      await gw?.close();
      await stopBackend();
    });

    it('answers /health without a key and names its store', async () => {
      const r = await call(base, 'GET', '/health');
      assert.equal(r.status, 200);
      assert.equal(r.json().store, name);
    });

    it('refuses every keyed route without a key or with a wrong one, coded 401', async () => {
      for (const [method, path] of [
        ['GET', '/library'],
        ['POST', '/simulate'],
        ['POST', '/fmus'],
        ['GET', '/usage'],
        ['GET', '/runs/rmq1abcd-0123456789ab'],
        ['GET', '/runs/rmq1abcd-0123456789ab/result.csv'],
        ['GET', `/fmus/by-sha256/${'0'.repeat(64)}`],
      ] as const) {
        const none = await call(base, method, path);
        assertCoded(none, 401, 'UNAUTHORIZED');
        assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
        assertCoded(await call(base, method, path, { key: `fmugw_${'A'.repeat(43)}` }), 401, 'UNAUTHORIZED');
        assertCoded(await call(base, method, path, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'UNAUTHORIZED');
      }
    });

    it('creates keys with POST /keys', async () => {
      const a = await call(base, 'POST', '/keys', { json: { label: 'a' } });
      assert.equal(a.status, 201, a.text);
      keyA = a.json().key as string;
      assert.match(keyA, /^fmugw_/);
      const b = await call(base, 'POST', '/keys');
      assert.equal(b.status, 201, b.text);
      keyB = b.json().key as string;
      assert.notEqual(keyA, keyB);
      assert.equal((await call(base, 'GET', '/library', { key: keyA })).status, 200);
    });

    it('uploads an FMU as multipart "file", content-addressed', async () => {
      const r = await call(base, 'POST', '/fmus', { key: keyA, body: fmuForm(fmuBytes) });
      assert.equal(r.status, 201, r.text);
      const { createHash } = await import('node:crypto');
      uploadId = r.json().fmu_id as string;
      assert.equal(uploadId, `sha256:${createHash('sha256').update(fmuBytes).digest('hex')}`);
      const again = await call(base, 'POST', '/fmus', { key: keyA, body: fmuForm(fmuBytes) });
      assert.equal(again.status, 200);
      assert.equal(again.json().already_stored, true);
    });

    it('refuses an upload over MAX_FMU_MB with 413 and keeps nothing of it', async () => {
      const r = await call(base, 'POST', '/fmus', { key: keyA, body: fmuForm(Buffer.alloc(1_500_000, 7)) });
      assertCoded(r, 413, 'BAD_REQUEST');
      assert.deepEqual(
        readdirSync(join(gw.dataDir, 'fmus')).filter((f) => !f.endsWith('.fmu')),
        [],
      );
    });

    it('refuses bytes that are not an FMU, and a wrong field name', async () => {
      assertCoded(await call(base, 'POST', '/fmus', { key: keyA, body: fmuForm(Buffer.from('not a zip')) }), 422, 'FMU_INVALID');
      assertCoded(await call(base, 'POST', '/fmus', { key: keyA, body: fmuForm(fmuBytes, 'upload') }), 400, 'BAD_REQUEST');
      assertCoded(await call(base, 'POST', '/fmus', { key: keyA, json: { file: 'x' } }), 400, 'BAD_REQUEST');
    });

    it('answers by sha256 for the uploader only', async () => {
      const sha = uploadId.slice(7);
      const mine = await call(base, 'GET', `/fmus/by-sha256/${sha}`, { key: keyA });
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.json().fmu_id, uploadId);
      const head = await fetch(`${base}/fmus/by-sha256/${sha}`, { method: 'HEAD', headers: { authorization: `Bearer ${keyA}` } });
      assert.equal(head.status, 200);
      assertCoded(await call(base, 'GET', `/fmus/by-sha256/${sha}`, { key: keyB }), 404, 'NOT_FOUND');
      assertCoded(await call(base, 'GET', `/fmus/by-sha256/${'f'.repeat(64)}`, { key: keyA }), 404, 'NOT_FOUND');
    });

    it('lists variables and describes the upload for its owner; other keys get 404', async () => {
      const v = await call(base, 'GET', `/fmus/${encodeURIComponent(uploadId)}/variables?causality=parameter`, { key: keyA });
      assert.equal(v.status, 200, v.text);
      assert.deepEqual(
        (v.json().variables as { name: string }[]).map((x) => x.name),
        ['k'],
      );
      const d = await call(base, 'GET', `/fmus/${uploadId}`, { key: keyA });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json().model_name, 'Dahlquist');
      assertCoded(await call(base, 'GET', `/fmus/${uploadId}/variables`, { key: keyB }), 404, 'NOT_FOUND');
      assertCoded(await call(base, 'GET', `/fmus/${uploadId}`, { key: keyB }), 404, 'NOT_FOUND');
      const lib = await call(base, 'GET', '/fmus/msl:BouncingBall/variables?query=h', { key: keyB });
      assert.equal(lib.status, 200, lib.text);
    });

    it('searches the library for every key', async () => {
      const r = await call(base, 'GET', '/library?query=bouncing&limit=5', { key: keyB });
      assert.equal(r.status, 200, r.text);
      assert.ok((r.json().models as { id: string }[]).some((m) => m.id === 'msl:BouncingBall'));
      assertCoded(await call(base, 'GET', '/library?limit=0', { key: keyB }), 400, 'BAD_REQUEST');
    });

    it('simulates a library model and the upload (closed form x = exp(-k t))', async () => {
      const lib = await call(base, 'POST', '/simulate', { key: keyA, json: { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 0.01 } });
      assert.equal(lib.status, 200, lib.text);
      assert.equal(lib.json().status, 'completed');
      libRun = lib.json().run_id as string;
      const up = await call(base, 'POST', '/simulate', {
        key: keyA,
        json: { fmu_id: uploadId, stop_time: 2, step: 0.01, start_values: { k: 0.5 } },
      });
      assert.equal(up.status, 200, up.text);
      uploadRun = up.json().run_id as string;
      const summary = up.json().summary as Record<string, { final: number }>;
      assert.ok(Math.abs((summary.x?.final ?? NaN) - Math.exp(-1)) < 1e-4, JSON.stringify(summary));
      assert.equal(up.json().result_url, `/v2/runs/${uploadRun}/result.csv`);
    });

    it("refuses another key's upload in simulate, and a malformed request, with codes", async () => {
      assertCoded(await call(base, 'POST', '/simulate', { key: keyB, json: { fmu_id: uploadId, stop_time: 1 } }), 404, 'NOT_FOUND');
      assertCoded(
        await call(base, 'POST', '/simulate', { key: keyA, json: { fmu_id: 'msl:BouncingBall', stoptime: 1 } }),
        400,
        'BAD_REQUEST',
      );
      assertCoded(
        await call(base, 'POST', '/simulate', { key: keyA, json: { fmu_id: 'msl:BouncingBall', stop_time: 'soon' } }),
        400,
        'BAD_REQUEST',
      );
      assertCoded(
        await call(base, 'POST', '/simulate', { key: keyA, json: { fmu_id: 'msl:BouncingBall', stop_time: 1, step: 1e-9 } }),
        400,
        'BAD_REQUEST',
      );
      assertCoded(
        await call(base, 'POST', '/simulate', { key: keyA, json: { fmu_id: 'msl:NoSuchModel', stop_time: 1 } }),
        404,
        'NOT_FOUND',
      );
      assertCoded(
        await call(base, 'POST', '/simulate', { key: keyA, json: { fmu_id: 'msl:BouncingBall', stop_time: 1, start_values: { nope: 1 } } }),
        422,
        'UNKNOWN_VARIABLE',
      );
    });

    it('serves the CSV to its owner, with HTTP Range', async () => {
      const full = await call(base, 'GET', `/runs/${uploadRun}/result.csv`, { key: keyA });
      assert.equal(full.status, 200);
      assert.match(full.headers.get('content-type') ?? '', /^text\/csv/);
      assert.equal(full.headers.get('accept-ranges'), 'bytes');
      const csv = parseCsv(full.text);
      assert.deepEqual(csv.header, ['time', 'x']);
      assert.equal(csv.rows.length, 201);
      const last = csv.rows.at(-1) as number[];
      assert.ok(Math.abs((last[1] as number) - Math.exp(-1)) < 1e-4);

      const part = await call(base, 'GET', `/runs/${uploadRun}/result.csv`, { key: keyA, headers: { range: 'bytes=5-104' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 5-104/${Buffer.byteLength(full.text)}`);
      assert.equal(part.text, Buffer.from(full.text).subarray(5, 105).toString());
      const tail = await call(base, 'GET', `/runs/${uploadRun}/result.csv`, { key: keyA, headers: { range: 'bytes=-20' } });
      assert.equal(tail.status, 206);
      assert.equal(tail.text, Buffer.from(full.text).subarray(-20).toString());
      const beyond = await call(base, 'GET', `/runs/${uploadRun}/result.csv`, { key: keyA, headers: { range: 'bytes=99999999-' } });
      assert.equal(beyond.status, 416);
    });

    it('hides a run from other keys: 404 for the run, its CSV, and an unknown id', async () => {
      assertCoded(await call(base, 'GET', `/runs/${uploadRun}/result.csv`, { key: keyB }), 404, 'NOT_FOUND');
      assertCoded(await call(base, 'GET', `/runs/${uploadRun}`, { key: keyB }), 404, 'NOT_FOUND');
      assertCoded(await call(base, 'GET', '/runs/rmq1abcd-0123456789ab', { key: keyA }), 404, 'NOT_FOUND');
      assertCoded(await call(base, 'GET', '/runs/..%2F..%2Fetc%2Fpasswd/result.csv', { key: keyA }), 404, 'NOT_FOUND');
      const mine = await call(base, 'GET', `/runs/${libRun}`, { key: keyA });
      assert.equal(mine.status, 200, mine.text);
      assert.equal((mine.json().run as Json).fmu_id, 'msl:BouncingBall');
    });

    it('records usage per key', async () => {
      const a = await call(base, 'GET', '/usage', { key: keyA });
      assert.equal(a.status, 200, a.text);
      const recs = a.json().records as { run_id?: string; status: string; rows: number; fmu_id: string; surface?: string }[];
      const completed = recs.filter((r) => r.status === 'completed');
      assert.deepEqual(completed.map((r) => r.run_id).sort(), [libRun, uploadRun].sort());
      assert.ok(completed.every((r) => r.rows > 0 && r.surface === 'rest'));
      // The UNKNOWN_VARIABLE request never reached the engine: no usage for it.
      assert.equal(recs.length, 2);
      const b = await call(base, 'GET', '/usage', { key: keyB });
      assert.deepEqual(b.json().records, []);
    });

    it('serves MCP at /mcp with the same key: runs and uploads are per key', async () => {
      const connect = async (key: string) => {
        const client = new Client({ name: 'rest-e2e', version: '0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
        );
        return client;
      };
      const a = await connect(keyA);
      const b = await connect(keyB);
      try {
        const r = (await a.callTool({ name: 'simulate', arguments: { fmu_id: uploadId, stop_time: 1, step: 0.1 } })) as CallToolResult;
        const s = r.structuredContent as { status: string; run_id: string; result_uri: string };
        assert.equal(s.status, 'completed', JSON.stringify(r.content));
        const foreign = (await b.callTool({ name: 'simulate', arguments: { fmu_id: uploadId, stop_time: 1 } })) as CallToolResult;
        assert.equal((foreign.structuredContent as { error: { code: string } }).error.code, 'NOT_FOUND');
        await assert.rejects(b.readResource({ uri: s.result_uri }));
        const read = await a.readResource({ uri: s.result_uri });
        assert.match(String((read.contents[0] as { text?: string }).text), /^time,x/);
        const usage = (await call(base, 'GET', '/usage', { key: keyA })).json().records as { run_id?: string; surface?: string }[];
        assert.equal(usage.find((u) => u.run_id === s.run_id)?.surface, 'mcp');
        assert.equal((await call(base, 'GET', `/runs/${s.run_id}/result.csv`, { key: keyA })).status, 200);
      } finally {
        await a.close();
        await b.close();
      }
      const bad = await fetch(gw.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer fmugw_${'B'.repeat(43)}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: '{}',
      });
      assert.equal(bad.status, 401);
    });

    it('serves /openapi.json generated from the schemas, and /docs', async () => {
      const spec = (await call(base, 'GET', '/openapi.json')).json() as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      for (const p of ['/keys', '/fmus', '/fmus/{id}/variables', '/library', '/simulate', '/runs/{id}/result.csv', '/health', '/usage']) {
        assert.ok(spec.paths[p] !== undefined, `${p} in the spec`);
      }
      const body = JSON.stringify(spec.paths['/simulate']?.post?.requestBody);
      assert.match(body, /fmu_id/);
      assert.match(body, /stop_time/);
      const docs = await fetch(`${base}/docs`);
      assert.equal(docs.status, 200);
      assert.match(await docs.text(), /<html/i);
    });

    it('admits keyless MCP only from a direct loopback client (not through a proxy)', async () => {
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      };
      const post = (headers: Record<string, string>) =>
        fetch(gw.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify(init),
        });
      assert.equal((await post({})).status, 200);
      const proxied = await post({ 'x-forwarded-for': '203.0.113.7' });
      assert.equal(proxied.status, 401);
      assert.equal(((await proxied.json()) as ErrorBody).error.code, 'UNAUTHORIZED');
    });

    it('answers an unknown route with a coded 404', async () => {
      assertCoded(await call(base, 'GET', '/nope', { key: keyA }), 404, 'NOT_FOUND');
    });
  });
}

describe('REST API limits', { timeout: 60_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  before(async () => {
    gw = await startHttpGateway([], { MCP_ANONYMOUS: 'never', RATE_LIMIT_PER_MINUTE: '5', KEY_CREATION_PER_HOUR: '2' });
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => {
    await gw?.close();
  });

  it('limits POST /keys per client address, coded 429', async () => {
    assert.equal((await call(base, 'POST', '/keys')).status, 201);
    const second = await call(base, 'POST', '/keys');
    assert.equal(second.status, 201);
    const third = await call(base, 'POST', '/keys');
    assertCoded(third, 429, 'RATE_LIMITED');
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    const key = second.json().key as string;
    // The per-key budget: 5 a minute here.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(base, 'GET', '/library?limit=1', { key })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
  });

  it('refuses keyless MCP even on loopback with MCP_ANONYMOUS=never', async () => {
    const r = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as ErrorBody).error.code, 'UNAUTHORIZED');
  });
});

after(() => rmSync(fixtureDir, { recursive: true, force: true }));

scenario('sqlite', async () => ({ env: {}, stop: async () => undefined }));

const pgSkip = postgresMissing();
if (pgSkip !== undefined) console.error(`note: REST API on PostgreSQL skipped: ${pgSkip}`);
scenario(
  'postgres',
  async () => {
    const pg: RunningServer = await startPostgres();
    return { env: { DATABASE_URL: pg.url }, stop: () => pg.stop() };
  },
  pgSkip,
);

const redisSkip = redisMissing();
if (redisSkip !== undefined) console.error(`note: REST API on Redis skipped: ${redisSkip}`);
scenario(
  'redis',
  async () => {
    const redis: RunningServer = await startRedis();
    return { env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
  },
  redisSkip,
);
