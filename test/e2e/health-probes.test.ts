/**
 * /health as a load balancer uses it (real `serve`, SQLite store): probed many times a minute
 * from one address it keeps answering 200 with the same body, never 429, while the same address
 * is rate-limited on another public route (the positive control of the limit).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

describe('/health probes', { timeout: 120_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  before(async () => {
    gw = await startHttpGateway([], { RATE_LIMIT_PER_MINUTE: '5' });
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => {
    await gw?.close();
  });

  it('is never rate-limited, and answers the same checked body each time', async () => {
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${base}/health`);
      assert.equal(r.status, 200, await r.clone().text());
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      bodies.push(await r.text());
    }
    const first = JSON.parse(bodies[0] as string) as { status: string; version: string; store: string; checks: { store: { ok: boolean } } };
    assert.equal(first.status, 'ok');
    assert.equal(first.store, 'sqlite');
    assert.equal(first.checks.store.ok, true);
    assert.ok(first.version.length > 0);
    // Within one background check (refreshed at most once a second) the answer is the same.
    assert.ok(bodies.filter((b) => b === bodies.at(-1)).length >= 2);

    // The positive control: the same address past 5 requests a minute on another public route.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${base}/openapi.json`)).status);
    assert.ok(statuses.includes(429), `openapi.json statuses ${statuses.join(',')}`);
    assert.equal((await fetch(`${base}/health`)).status, 200, 'still 200 once the address is limited elsewhere');
  });
});
