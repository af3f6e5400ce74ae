/**
 * Admission control over real HTTP (`serve`, SQLite store): past the bound per key and in total,
 * POST /simulate and the MCP simulate tool are refused at once with SERVER_BUSY (503 +
 * Retry-After; MCP the same code with a hint), and a refused request leaves no usage record in
 * the store. The admitted ones run and are recorded (the positive control), and once they are
 * done the same key is served again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openAccountStore } from '../../src/store/index.ts';
import { hashApiKey } from '../../src/store/api-keys.ts';
import { LONG_RUN, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

/** POST /simulate announcing `length` body bytes but sending only `partial`: the raw answer (headers + body). */
function rawPostPartial(base: string, key: string, partial: string, length: number): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s; got ${JSON.stringify(text)}`));
    }, 10_000);
    socket.on('connect', () =>
      socket.write(
        `POST /simulate HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${key}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${partial}`,
      ),
    );
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      // The whole JSON error body is in once it closes its object.
      const head = text.indexOf('\r\n\r\n');
      if (head >= 0 && text.trimEnd().endsWith('}')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

interface Answer {
  name: string;
  status: number;
  retryAfter: string | null;
  body: { status?: string; error?: { code: string; hint?: string; data?: Record<string, unknown> } };
}

describe('admission control', { timeout: 180_000 }, () => {
  let gw: HttpGateway;
  let base: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-admission-'));

  before(async () => {
    gw = await startHttpGateway(
      [],
      {
        FMU_GATEWAY_POOL_SIZE: '1',
        FMU_GATEWAY_QUEUE_PER_KEY: '2',
        // In flight at most pool size + queue length = 3.
        FMU_GATEWAY_QUEUE_LENGTH: '2',
        SIM_TIMEOUT_SECONDS: '8',
        KEY_CREATION_PER_HOUR: '1000',
      },
      { dataDir },
    );
    base = gw.url.replace(/\/mcp$/, '');
  });
  after(async () => {
    await gw?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const newKey = async (): Promise<string> => ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;

  it('refuses past the bounds at once with 503 SERVER_BUSY + Retry-After, and records nothing for a refusal', async () => {
    const keyA = await newKey();
    const keyB = await newKey();
    const answered: string[] = [];
    const simulate = (name: string, key: string, body: unknown = LONG_RUN): Promise<Answer> =>
      fetch(`${base}/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => {
        answered.push(name);
        return { name, status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as Answer['body'] };
      });

    // A asks three times at once: two are admitted (each run is stopped by the 8 s limit), the
    // third is refused at once, whichever arrives last.
    const aAll = ['a1', 'a2', 'a3'].map((n) => simulate(n, keyA));
    const a3 = await Promise.race(aAll);
    // B asks twice: one admitted (3 in flight, the total), the other refused for the server's bound.
    const bAll = ['b1', 'b2'].map((n) => simulate(n, keyB));
    const b2 = await Promise.race(bAll);

    // Refused before its body is read (src/http/auth.ts registerAdmissionCheck): a request of A
    // whose body never arrives, and whose start is not even valid JSON, is answered 503 at once
    // (not 400, not after waiting for the body).
    const t0 = performance.now();
    const raw = await rawPostPartial(base, keyA, '{"fmu_id": ', 100_000);
    assert.ok(performance.now() - t0 < 5000, 'answered without waiting for the body');
    assert.match(raw, /^HTTP\/1\.1 503 /);
    assert.match(raw, /\r\nretry-after: [1-9]\d*\r\n/i);
    assert.match(raw, /"code":"SERVER_BUSY"/);

    const mcp = new Client({ name: 'admission-test', version: '0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { authorization: `Bearer ${keyA}` } } }),
    );
    const viaMcp = await mcp.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:BouncingBall', stop_time: 3 } });
    answered.push('mcp');
    await mcp.close();

    const admitted = (await Promise.all([...aAll, ...bAll])).filter((r) => r !== a3 && r !== b2);
    // Refused at once: the three refusals were answered before any admitted run ended.
    assert.deepEqual(
      answered.slice(0, 3).map((n) => (n === a3.name || n === b2.name ? 'refused' : n)),
      ['refused', 'refused', 'mcp'],
      `answer order ${answered.join(',')}`,
    );
    assert.equal(admitted.length, 3);

    for (const [r, scope] of [
      [a3, 'caller'],
      [b2, 'server'],
    ] as const) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error?.code, 'SERVER_BUSY');
      assert.equal(r.body.error?.data?.scope, scope);
      assert.match(r.retryAfter ?? '', /^[1-9]\d*$/, 'Retry-After in whole seconds');
      assert.equal(Number(r.retryAfter), r.body.error?.data?.retry_after_seconds);
    }
    assert.equal(viaMcp.isError, true);
    const structured = viaMcp.structuredContent as { error?: { code: string; hint?: string } };
    assert.equal(structured.error?.code, 'SERVER_BUSY');
    assert.ok((structured.error?.hint ?? '').length > 0, 'MCP carries a hint');

    // The admitted ones ran (each stopped by the time limit), as the positive control of the store check.
    for (const r of admitted) assert.equal(r.body.error?.code, 'SIMULATION_TIMEOUT', `${r.name}: ${JSON.stringify(r.body)}`);

    // Once they are done, the same key is served again.
    const again = await simulate('again', keyA, { fmu_id: 'msl:BouncingBall', stop_time: 3 });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.ok(again.body.status === 'ok' || again.body.status === 'completed', JSON.stringify(again.body));

    // The store: A has its two admitted runs and the last one, B its one; no refusal left a record.
    await gw.close();
    const store = await openAccountStore({ dbPath: join(dataDir, 'db.sqlite3') });
    try {
      const usageA = await store.usage.list(hashApiKey(keyA));
      const usageB = await store.usage.list(hashApiKey(keyB));
      assert.deepEqual(usageA.map((u) => u.status).sort(), ['completed', 'failed', 'failed']);
      assert.deepEqual(
        usageA.filter((u) => u.status === 'failed').map((u) => u.error_code),
        ['SIMULATION_TIMEOUT', 'SIMULATION_TIMEOUT'],
      );
      assert.deepEqual(
        usageB.map((u) => u.error_code),
        ['SIMULATION_TIMEOUT'],
      );
    } finally {
      await store.close();
    }
  });
});
