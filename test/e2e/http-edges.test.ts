/**
 * Issue 18 holes (c) and (e) on a real `serve` over real HTTP: a flood of wrong keys is
 * rate-limited by client address before authentication (so it never reaches the store), and the
 * answers Node or the multipart parser produce on their own (414, 431, a malformed multipart
 * boundary) come in the gateway's error shape `{ error: { code, message } }`.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request (fetch refuses some of what we send on purpose). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { host: u.host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function assertShaped(a: Answer, status: number): { code: string; message: string } {
  assert.equal(a.status, status, a.body);
  assert.match(String(a.headers['content-type']), /application\/json/);
  const parsed = JSON.parse(a.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof parsed.error?.code, 'string', a.body);
  assert.match(String(parsed.error?.code), /^[A-Z_]+$/);
  assert.equal(typeof parsed.error?.message, 'string');
  return parsed.error as { code: string; message: string };
}

describe('HTTP edges: pre-auth rate limit and error shapes', { timeout: 120_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  before(async () => {
    gw = await startHttpGateway([], { MCP_ANONYMOUS: 'never', RATE_LIMIT_PER_MINUTE: '20' });
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => {
    await gw?.close();
  });

  it('a flood of wrong keys from one address gets 429 with Retry-After, before any key lookup', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const bad = `fmugw_${String(i).padStart(43, 'x')}`;
      statuses.push((await raw(base, 'GET', '/usage', { authorization: `Bearer ${bad}` })).status);
    }
    assert.equal(statuses[0], 401, 'positive control: a wrong key is 401 at first');
    assert.ok(statuses.filter((s) => s === 429).length >= 15, `statuses: ${statuses.join(',')}`);
    const last = await raw(base, 'GET', '/usage', { authorization: 'Bearer fmugw_whatever' });
    const e = assertShaped(last, 429);
    assert.equal(e.code, 'RATE_LIMITED');
    assert.ok(Number(last.headers['retry-after']) > 0);
  });

  it('a 10k-character path is answered in the gateway’s shape', async () => {
    const a = await raw(base, 'GET', `/fmus/${'a'.repeat(10_000)}/variables`);
    assert.ok(a.status === 414 || a.status === 404, `status ${a.status}`);
    assertShaped(a, a.status);
  });

  it('headers too large (2000 ranges) are a coded 431', async () => {
    const ranges = Array.from({ length: 2000 }, (_, i) => `${i * 10}-${i * 10 + 5}`).join(',');
    const a = await raw(base, 'GET', '/health', { range: `bytes=${ranges}` });
    const e = assertShaped(a, 431);
    assert.equal(e.code, 'BAD_REQUEST');
  });

  it('a 5000-character multipart boundary is a coded 400, not a 500', async () => {
    const key = JSON.parse((await raw(base, 'POST', '/keys', { 'content-type': 'application/json' }, '{}')).body).key as string;
    const boundary = 'b'.repeat(5000);
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.fmu"\r\nContent-Type: application/octet-stream\r\n\r\nPK\r\n--${boundary}--\r\n`;
    const a = await raw(
      base,
      'POST',
      '/fmus',
      { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    );
    assert.ok(a.status >= 400 && a.status < 500, `status ${a.status}: ${a.body}`);
    assertShaped(a, a.status);
    assert.equal((await raw(base, 'GET', '/health')).status, 200, 'the server still serves');
  });
  it("an idle keep-alive connection is kept past Node's 5 s default (a busy client does not write into a closed socket)", async () => {
    // One socket for both requests: the second must reuse it after the pause.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const u = new URL(base);
    const get = (): Promise<{ status: number; reused: boolean; keepAlive: string | undefined }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: '/health', agent }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, keepAlive: res.headers['keep-alive'] as string | undefined }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await get();
      assert.equal(first.status, 200);
      assert.equal(first.reused, false);
      const timeout = Number(/timeout=(\d+)/.exec(first.keepAlive ?? '')?.[1]);
      assert.ok(timeout >= 60, `Keep-Alive: ${first.keepAlive}`);
      await new Promise((r) => setTimeout(r, 6_000));
      const second = await get();
      assert.equal(second.status, 200);
      assert.equal(second.reused, true, 'the server closed the idle connection within 6 s');
    } finally {
      agent.destroy();
    }
  });
});
