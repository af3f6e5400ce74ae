/**
 * The Streamable HTTP MCP endpoint as a client sees it: `node bin/fmu-gateway.js serve --port 0`
 * (one server for the file), the SDK's Client over StreamableHTTPClientTransport, and raw fetch
 * for the DNS-rebinding checks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LONG_RUN, buildUploadFixture, dcMotorSpeed, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

type Structured = Record<string, unknown> & { status: string };

function structured(r: unknown): Structured {
  const s = (r as CallToolResult).structuredContent;
  assert.ok(s !== undefined, 'structuredContent is present');
  return s as Structured;
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
};

async function rawPost(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(INIT),
  });
}

describe('MCP over Streamable HTTP', { timeout: 120_000 }, () => {
  let gw: HttpGateway;
  let client: Client;
  before(async () => {
    gw = await startHttpGateway();
    client = await gw.connect();
  });
  after(async () => {
    await gw?.close();
  });

  it('prints a loopback URL and reports the isolation level on /health', async () => {
    assert.match(gw.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const res = await fetch(gw.url.replace(/\/mcp$/, '/health'));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; isolation: { level: string } };
    assert.equal(body.status, 'ok');
    assert.ok(['sandboxed', 'process-only'].includes(body.isolation.level));
  });

  it('lists the tools (payments off: no quote / redeem_checkout)', async () => {
    const { tools } = await client.listTools();
    assert.equal(tools.length, 10); // the four, get_result, sweep, compare_runs, upload_system, simulate_system, report
    assert.ok(!tools.some((t) => t.name === 'quote' || t.name === 'redeem_checkout'));
  });

  it('simulates a library model with a start value and an input signal', async () => {
    const r = await client.callTool({
      name: 'simulate',
      arguments: {
        fmu_id: 'msl:DCMotor',
        stop_time: 5,
        step: 0.01,
        start_values: { b: 0.2 },
        input_signals: [{ name: 'V', time: [0, 5], values: [6, 6] }],
      },
    });
    const s = structured(r) as Structured & { summary: Record<string, { final: number }>; result_uri: string };
    assert.equal(s.status, 'completed', JSON.stringify(r.content));
    const expected = dcMotorSpeed({ V: 6, b: 0.2, t: 5 });
    assert.ok(Math.abs((s.summary.w?.final ?? NaN) - expected) <= 1e-3 * expected);
    const res = await client.readResource({ uri: s.result_uri });
    assert.equal(res.contents[0]?.mimeType, 'text/csv');
  });

  it('uploads an FMU as content_base64 and reads its description resource', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-e2e-up-'));
    try {
      const bytes = readFileSync(await buildUploadFixture(dir));
      const r = await client.callTool({ name: 'upload_fmu', arguments: { content_base64: bytes.toString('base64') } });
      const s = structured(r) as Structured & { fmu_id: string };
      assert.equal(s.status, 'ok', JSON.stringify(r.content));
      const { createHash } = await import('node:crypto');
      assert.equal(s.fmu_id, `sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      const res = await client.readResource({ uri: `fmu-gateway://fmus/${s.fmu_id.slice(7)}` });
      assert.equal(res.contents[0]?.mimeType, 'application/json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses upload_fmu by local path over HTTP with a coded error', async () => {
    const r = await client.callTool({ name: 'upload_fmu', arguments: { path: '/etc/passwd' } });
    assert.equal(r.isError, true);
    const s = structured(r) as Structured & { error: { code: string; hint?: string } };
    assert.equal(s.error.code, 'BAD_REQUEST');
    assert.match(s.error.hint ?? '', /content_base64/);
  });

  it('answers an unknown model with NOT_FOUND', async () => {
    const r = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:NoSuchModel', stop_time: 1 } });
    assert.equal(r.isError, true);
    assert.equal((structured(r) as Structured & { error: { code: string } }).error.code, 'NOT_FOUND');
  });

  it('streams progress and stops the run on a cancel notification; the worker is free again', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const call = client.callTool({ name: 'simulate', arguments: LONG_RUN }, undefined, {
      signal: ac.signal,
      onprogress: (p) => {
        seen.push(p.progress);
        if (seen.length === 2) ac.abort('test cancels');
      },
      timeout: 60_000,
    });
    await assert.rejects(call);
    assert.ok(seen.length >= 2 && (seen[1] as number) > (seen[0] as number), `progress ${seen.join(', ')}`);
    const t0 = Date.now();
    const r = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:DCMotor', stop_time: 1, step: 0.01 } });
    assert.equal(structured(r).status, 'completed');
    assert.ok(Date.now() - t0 < 5_000, `next call took ${Date.now() - t0} ms (one worker: it waited for the cancelled job)`);
  });

  it('stops the run when the client goes away', async () => {
    // A raw streaming POST that we abort: the server sees the connection close.
    const ac = new AbortController();
    const started = fetch(gw.url, {
      method: 'POST',
      signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'simulate', arguments: LONG_RUN } }),
    });
    const res = await started;
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await res.body?.cancel().catch(() => undefined);
    const t0 = Date.now();
    const r = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:DCMotor', stop_time: 1, step: 0.01 } });
    assert.equal(structured(r).status, 'completed');
    assert.ok(Date.now() - t0 < 5_000, `next call took ${Date.now() - t0} ms`);
  });

  it('rejects a foreign Host header with 403 (DNS rebinding)', async () => {
    // fetch does not let us set Host; node:http does.
    const { request } = await import('node:http');
    const u = new URL(gw.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: '/mcp',
          method: 'POST',
          headers: { host: `evil.example:${u.port}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(INIT));
    });
    assert.equal(status, 403);
  });

  it('rejects a foreign Origin with 403 and accepts a localhost origin', async () => {
    const evil = await rawPost(gw.url, { origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    const body = (await evil.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    const local = await rawPost(gw.url, { origin: 'http://localhost:6274' });
    assert.equal(local.status, 200);
    await local.body?.cancel();
  });

  it('a client reconnecting after a server restart needs no session (stateless)', async () => {
    const res = await rawPost(gw.url, {});
    assert.equal(res.headers.get('mcp-session-id'), null);
    await res.body?.cancel();
  });
});
