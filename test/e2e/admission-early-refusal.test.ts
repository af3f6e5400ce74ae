/**
 * Refusals of admission control answered before the key is looked up (src/http/auth.ts
 * earlyRefusal), over real HTTP with a real Redis account store, whose own command statistics
 * (INFO commandstats) count the store reads:
 * - a key whose requests hold all its places is refused 503 SERVER_BUSY + Retry-After without any
 *   store command; the same detector counts the lookup of a wrong key (the positive control);
 * - a wrong key is never taken for a busy one: while only a valid key is at its bound, a wrong key
 *   gets 401 (looked up), and a malformed one 401;
 * - while the gateway holds all its places, a well-formed wrong key gets the same 503 (scope
 *   server) as a valid key, so the answer says nothing about which keys are valid; no store read;
 * - once the places are free, the keys are served again (and the wrong key is 401 again).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@keyv/redis';
import { redisMissing, startRedis, type RunningServer } from '../helpers/db-servers.ts';
import { prerequisite } from '../helpers/prereq.ts';
import { LONG_RUN, startHttpGateway, type HttpGateway } from './mcp-harness.ts';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { status?: string; detail?: string; error?: { code: string; message?: string; hint?: string; data?: Record<string, unknown> } };
}

const QUICK = { fmu_id: 'msl:BouncingBall', stop_time: 3 };
const WRONG_KEY = `fmugw_${'Q'.repeat(43)}`;

describe('admission refusals before the key lookup', { skip: prerequisite('Redis', redisMissing()), timeout: 180_000 }, () => {
  let server: RunningServer;
  let gw: HttpGateway;
  let base: string;
  let admin: ReturnType<typeof createClient>;

  before(async () => {
    server = await startRedis();
    gw = await startHttpGateway([], {
      REDIS_URL: server.url,
      FMU_GATEWAY_POOL_SIZE: '1',
      FMU_GATEWAY_QUEUE_PER_KEY: '1',
      // In flight at most pool size + queue length = 2.
      FMU_GATEWAY_QUEUE_LENGTH: '1',
      SIM_TIMEOUT_SECONDS: '60',
      KEY_CREATION_PER_HOUR: '1000',
    });
    base = gw.url.replace(/\/mcp$/, '');
    admin = createClient({ url: server.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.quit().catch(() => undefined);
    await gw?.close();
    await server?.stop();
  });

  const newKey = async (): Promise<string> => ((await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { key: string }).key;
  const simulate = (authorization: string | undefined, body: unknown = QUICK, signal?: AbortSignal): Promise<Answer> =>
    fetch(`${base}/simulate`, {
      method: 'POST',
      ...(signal === undefined ? {} : { signal }),
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as Answer['body'] }));

  /** Commands the store has run so far, by name (INFO commandstats), the admin's own left out. */
  async function storeCommands(): Promise<Map<string, number>> {
    const info = String(await admin.sendCommand(['INFO', 'commandstats']));
    const out = new Map<string, number>();
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const name = m[1] as string;
      if (!['info', 'config', 'hello', 'client', 'ping'].includes(name)) out.set(name, Number(m[2]));
    }
    return out;
  }
  const delta = (a: Map<string, number>, b: Map<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of b) if (v !== (a.get(k) ?? 0)) out[k] = v - (a.get(k) ?? 0);
    return out;
  };

  /** Polls until `key`'s requests hold all its places (a request of it is refused, scope caller). */
  async function untilHeld(key: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const r = await simulate(`Bearer ${key}`);
      if (r.status === 503 && r.body.error?.data?.['scope'] === 'caller') return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('the long run never took its place');
  }

  /** The store is idle (nothing of the admitted runs' start still reading or writing). */
  async function quietStore(): Promise<Map<string, number>> {
    let last = await storeCommands();
    for (let i = 0; i < 50; i++) {
      await new Promise((res) => setTimeout(res, 200));
      const now = await storeCommands();
      if (Object.keys(delta(last, now)).length === 0) return now;
      last = now;
    }
    throw new Error('the store never went quiet');
  }

  it('refuses a key at its bound, and everyone at the gateway bound, without a store read; wrong keys stay 401 otherwise', async () => {
    const keyA = await newKey();
    const keyB = await newKey();
    const keyC = await newKey();
    // Warm: A's first run starts a worker; the positive control that A is served at all.
    const first = await simulate(`Bearer ${keyA}`);
    assert.equal(first.status, 200, JSON.stringify(first.body));

    // A's one place is held by a long run.
    const stopA = new AbortController();
    const holdA = simulate(`Bearer ${keyA}`, LONG_RUN, stopA.signal);
    await untilHeld(keyA);
    let before = await quietStore();

    // A at its bound: 503 SERVER_BUSY + Retry-After, scope caller, and not one store command.
    for (let i = 0; i < 10; i++) {
      const r = await simulate(`Bearer ${keyA}`);
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error?.code, 'SERVER_BUSY');
      assert.equal(r.body.error?.data?.['scope'], 'caller');
      assert.equal(r.body.detail, r.body.error?.message, 'the REST error shape: detail is the message');
      assert.ok((r.body.error?.hint ?? '').length > 0);
      assert.match(r.retryAfter ?? '', /^[1-9]\d*$/);
      assert.equal(Number(r.retryAfter), r.body.error?.data?.['retry_after_seconds']);
    }
    let after = await storeCommands();
    assert.deepEqual(delta(before, after), {}, 'a refusal of a key at its bound reads nothing from the store');

    // Positive control of the detector, and no leak: a well-formed wrong key while only A is at
    // its bound is looked up (the detector sees it) and is 401, not A's 503.
    before = after;
    const wrong = await simulate(`Bearer ${WRONG_KEY}`);
    assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
    assert.equal(wrong.body.error?.code, 'UNAUTHORIZED');
    after = await storeCommands();
    assert.ok((delta(before, after)['get'] ?? 0) >= 1, `the lookup of a wrong key is seen: ${JSON.stringify(delta(before, after))}`);
    // A malformed Bearer and no Bearer are 401 as before.
    assert.equal((await simulate('Bearer not-a-key')).status, 401);
    assert.equal((await simulate(undefined)).status, 401);

    // B takes the gateway's last place: every caller is refused now, valid or not.
    const stopB = new AbortController();
    const holdB = simulate(`Bearer ${keyB}`, LONG_RUN, stopB.signal);
    await untilHeld(keyB);
    before = await quietStore();
    const wrongBusy = await simulate(`Bearer ${WRONG_KEY}`);
    const validBusy = await simulate(`Bearer ${keyC}`);
    for (const r of [wrongBusy, validBusy]) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error?.code, 'SERVER_BUSY');
      assert.equal(r.body.error?.data?.['scope'], 'server');
      assert.match(r.retryAfter ?? '', /^[1-9]\d*$/);
    }
    // The same answer for a wrong key as for a valid one, but for the retry estimate (a queue place).
    const shape = (r: Answer) => ({ status: r.status, code: r.body.error?.code, data: { ...r.body.error?.data, retry_after_seconds: 0 } });
    assert.deepEqual(shape(wrongBusy), shape(validBusy));
    after = await storeCommands();
    assert.deepEqual(delta(before, after), {}, 'refusals at the gateway bound read nothing from the store');

    // The long runs end (a client that disconnects cancels its run): the places free, A is served
    // again and the wrong key is back to 401.
    stopA.abort();
    stopB.abort();
    await Promise.allSettled([holdA, holdB]);
    let again: Answer | undefined;
    for (let i = 0; i < 100 && again?.status !== 200; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 100));
      again = await simulate(`Bearer ${keyA}`);
    }
    assert.equal(again?.status, 200, JSON.stringify(again?.body));
    assert.equal((await simulate(`Bearer ${WRONG_KEY}`)).status, 401);
  });
});
