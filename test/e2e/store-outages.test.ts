/**
 * Issue 18, deliverable 4, on a real `serve` over real HTTP with a real PostgreSQL / Redis that is
 * stopped while requests run, and a Redis that refuses writes:
 * - an outage is a coded 503 STORE_UNAVAILABLE with Retry-After, never a 401 for a valid key and
 *   never a 200 whose records were not written (every 200's run is readable after recovery);
 * - /health says degraded (503) during the outage, ok after it;
 * - the gateway recovers by itself when the store is back (no restart).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@keyv/redis';
import { postgresMissing, redisMissing, startPostgres, startRedis, type RunningServer } from '../helpers/db-servers.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { startHttpGateway, type HttpGateway } from './mcp-harness.ts';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, key?: string, json?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
}

const codeOf = (a: Answer) => (a.body.error as { code?: string } | undefined)?.code;
const SIM = { fmu_id: 'msl:BouncingBall', stop_time: 3, step: 0.01 };

async function until(what: string, f: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function outage(name: 'postgres' | 'redis', skip: string | false): void {
  describe(`store outage: ${name} stopped mid-run`, { skip, timeout: 240_000 }, () => {
    let server: RunningServer;
    let gw: HttpGateway;
    let base: string;
    let key: string;
    before(async () => {
      server = name === 'postgres' ? await startPostgres() : await startRedis({ persistent: true });
      gw = await startHttpGateway([], name === 'postgres' ? { DATABASE_URL: server.url } : { REDIS_URL: server.url });
      base = gw.url.replace(/\/mcp$/, '');
      key = (await call(base, 'POST', '/keys', undefined, {})).body.key as string;
    });
    after(async () => {
      await gw?.close();
      await server?.stop();
    });

    it('answers 503 STORE_UNAVAILABLE (never 401, never 200 without records), says degraded, and recovers', async () => {
      const first = await call(base, 'POST', '/simulate', key, SIM);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal((await call(base, 'GET', '/health')).status, 200);

      // Requests keep coming while the store goes away.
      const answers: Answer[] = [];
      let stop = false;
      const load = (async () => {
        while (!stop) answers.push(await call(base, 'POST', '/simulate', key, SIM));
      })();
      await new Promise((r) => setTimeout(r, 500));
      await server.pause();
      await new Promise((r) => setTimeout(r, 1500));

      const usage = await call(base, 'GET', '/usage', key);
      assert.equal(usage.status, 503, JSON.stringify(usage.body));
      assert.equal(codeOf(usage), 'STORE_UNAVAILABLE');
      assert.ok(Number(usage.retryAfter) > 0, 'Retry-After');
      await until('/health degraded', async () => (await call(base, 'GET', '/health')).status === 503);
      const health = await call(base, 'GET', '/health');
      assert.equal(health.body.status, 'degraded');
      assert.equal((health.body.checks as { store: { ok: boolean } }).store.ok, false);

      stop = true;
      await load;
      await server.resume();
      await until('/health ok again', async () => (await call(base, 'GET', '/health')).status === 200);

      const statuses = answers.map((a) => a.status);
      assert.ok(statuses.includes(503), `some requests met the outage: ${statuses.join(',')}`);
      for (const a of answers) {
        assert.ok(a.status === 200 || a.status === 503, `status ${a.status}: ${JSON.stringify(a.body)}`);
        if (a.status === 503) {
          assert.equal(codeOf(a), 'STORE_UNAVAILABLE', JSON.stringify(a.body));
          assert.ok(Number(a.retryAfter) > 0);
        }
      }
      assert.ok(!statuses.includes(401), 'a valid key was never refused as unknown');

      // Every 200 has its run record and usage record (no answered run was lost).
      await until('the key works again', async () => (await call(base, 'GET', '/usage', key)).status === 200);
      const records = (await call(base, 'GET', '/usage?limit=10000', key)).body.records as { run_id?: string; status: string }[];
      const recorded = new Set(records.filter((r) => r.status === 'completed').map((r) => r.run_id));
      const ok = [first, ...answers.filter((a) => a.status === 200)];
      for (const a of ok) {
        const runId = a.body.run_id as string;
        assert.ok(recorded.has(runId), `run ${runId} answered 200 has a usage record`);
        assert.equal((await call(base, 'GET', `/runs/${runId}`, key)).status, 200, `run ${runId} is readable`);
      }
      const totals = (await call(base, 'GET', '/usage', key)).body;
      assert.equal(totals.total_runs, records.length, 'total_runs counts every record');
      // Recovered without a restart: a new run completes.
      assert.equal((await call(base, 'POST', '/simulate', key, SIM)).status, 200);
    });
  });
}

outage('postgres', prerequisite('PostgreSQL', postgresMissing()));
outage('redis', prerequisite('Redis', redisMissing()));

describe('Redis refusing writes', { skip: prerequisite('Redis', redisMissing()), timeout: 120_000 }, () => {
  let server: RunningServer;
  let gw: HttpGateway;
  let base: string;
  let admin: ReturnType<typeof createClient>;
  before(async () => {
    server = await startRedis();
    gw = await startHttpGateway([], { REDIS_URL: server.url });
    base = gw.url.replace(/\/mcp$/, '');
    admin = createClient({ url: server.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.quit().catch(() => undefined);
    await gw?.close();
    await server?.stop();
  });

  it('a run whose records cannot be written is a coded 503, not 200 completed; reads keep working', async () => {
    const key = (await call(base, 'POST', '/keys', undefined, {})).body.key as string;
    assert.equal((await call(base, 'POST', '/simulate', key, SIM)).status, 200, 'positive control');
    // A real refusal: Redis will not accept writes without a connected replica.
    await admin.sendCommand(['CONFIG', 'SET', 'min-replicas-to-write', '1']);
    try {
      const refused = await call(base, 'POST', '/simulate', key, SIM);
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(codeOf(refused), 'STORE_UNAVAILABLE');
      assert.ok(Number(refused.retryAfter) > 0);
      // Reads still work: the key is known (no 401), the usage lists only the first run.
      const usage = await call(base, 'GET', '/usage', key);
      assert.equal(usage.status, 200);
      assert.equal(usage.body.total_runs, 1);
    } finally {
      await admin.sendCommand(['CONFIG', 'SET', 'min-replicas-to-write', '0']);
    }
    assert.equal((await call(base, 'POST', '/simulate', key, SIM)).status, 200, 'writes accepted again');
    assert.equal((await call(base, 'GET', '/usage', key)).body.total_runs, 2);
  });
});
