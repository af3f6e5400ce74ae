/**
 * The store contract, run against the three real backends: a SQLite file, and PostgreSQL and
 * Redis servers started by the test on loopback (test/helpers/db-servers.ts). Each backend must
 * give the same answers; atomic take/add hold under concurrency.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAccountStore, type AccountStore, type StoreLocation } from '../../../src/store/index.ts';
import { freePort, postgresMissing, redisMissing, startPostgres, startRedis, type RunningServer } from '../../helpers/db-servers.ts';

interface Token {
  key_ref: string;
  session_id: string;
  expires_at: string;
  amount_minor: number;
}
interface Session {
  session_id: string;
  key_ref: string;
  status: 'open' | 'paid' | 'expired' | 'redeemed';
}

const K1 = 'a'.repeat(64);
const K2 = 'b'.repeat(64);
const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function contract(name: string, setup: () => Promise<{ loc: StoreLocation; teardown: () => Promise<void> }>, skip?: string): void {
  describe(`store contract: ${name}`, { skip }, () => {
    let loc: StoreLocation;
    let teardown: () => Promise<void>;
    let store: AccountStore;
    before(async () => {
      ({ loc, teardown } = await setup());
      store = await openAccountStore(loc);
    });
    after(async () => {
      await store?.close();
      await teardown?.();
    });

    it('reports its backend', () => {
      assert.equal(store.backend, name);
    });

    it('an awaited write survives closing and reopening the store', async () => {
      await store.kv.set('t:durable', { n: 42, s: ':colon-leading' });
      await store.close();
      store = await openAccountStore(loc);
      assert.deepEqual(await store.kv.get('t:durable'), { n: 42, s: ':colon-leading' });
    });

    it('creates API keys that verify, storing only their hash', async () => {
      const { key, record } = await store.keys.create({ label: 'ci' });
      assert.match(key, /^fmugw_[A-Za-z0-9_-]{43}$/);
      assert.equal((await store.keys.verify(key))?.key_hash, record.key_hash);
      assert.equal(record.label, 'ci');
      const raw = await store.kv.scan<unknown>('');
      assert.ok(raw.length > 0);
      assert.ok(!JSON.stringify(raw).includes(key), 'the plain key must not be stored');
      assert.equal(await store.keys.verify(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')), undefined);
      assert.equal(await store.keys.verify('not a key'), undefined);
      assert.equal(await store.keys.revoke(record.key_hash), true);
      assert.equal(await store.keys.verify(key), undefined);
    });

    it('200 concurrent key creations give 200 distinct, verifiable keys', async () => {
      const made = await Promise.all(Array.from({ length: 200 }, () => store.keys.create()));
      assert.equal(new Set(made.map((m) => m.key)).size, 200);
      const checked = await Promise.all(made.map((m) => store.keys.verify(m.key)));
      assert.ok(checked.every((r, i) => r?.key_hash === made[i]?.record.key_hash));
    });

    it('lists usage per caller, newest first, with since and limit', async () => {
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (let i = 0; i < 5; i++) {
        await store.usage.record({
          key_hash: K1,
          time: new Date(base + i * 1000).toISOString(),
          fmu_id: 'msl:BouncingBall',
          duration_ms: 10 + i,
          rows: 100 * i,
          status: 'completed',
          run_id: `run${i}`,
        });
      }
      await store.usage.record({
        key_hash: K2,
        time: new Date(base).toISOString(),
        fmu_id: 'msl:X',
        duration_ms: 1,
        rows: 1,
        status: 'failed',
      });
      const all = await store.usage.list(K1);
      assert.deepEqual(
        all.map((r) => r.run_id),
        ['run4', 'run3', 'run2', 'run1', 'run0'],
      );
      assert.equal((await store.usage.list(K1, { limit: 2 })).length, 2);
      assert.deepEqual(
        (await store.usage.list(K1, { since: new Date(base + 3000) })).map((r) => r.run_id),
        ['run4', 'run3'],
      );
      assert.equal((await store.usage.list(K2)).length, 1);
      const before = await store.usage.totals(K1);
      assert.deepEqual(before, { total_runs: 5, total_rows: 1000, total_duration_ms: 60 });
      // Records before the cutoff (run0..run2 of K1 and K2's one) roll up into per-day totals.
      assert.equal(await store.usage.rollUp(new Date(base + 2500), 2), 4);
      assert.deepEqual(
        (await store.usage.list(K1)).map((r) => r.run_id),
        ['run4', 'run3'],
      );
      assert.deepEqual(await store.usage.days(K1), [{ day: '2026-01-01', runs: 3, failed: 0, rows: 300, duration_ms: 33 }]);
      assert.deepEqual(await store.usage.days(K2), [{ day: '2026-01-01', runs: 1, failed: 1, rows: 1, duration_ms: 1 }]);
      assert.deepEqual(await store.usage.totals(K1), before, 'all-time totals survive the roll-up');
      assert.equal(await store.usage.rollUp(new Date(base + 2500)), 0, 'nothing left to fold');
    });

    it('pages a caller’s usage with a cursor, newest first, with true totals', async () => {
      const K3 = '3'.repeat(64);
      const base = Date.parse('2026-03-01T00:00:00Z');
      await Promise.all(
        Array.from({ length: 23 }, (_, i) =>
          store.usage.record({
            key_hash: K3,
            time: new Date(base + i * 1000).toISOString(),
            fmu_id: 'msl:X',
            duration_ms: 2,
            rows: 10,
            status: 'completed',
            run_id: `p${i}`,
          }),
        ),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const p = await store.usage.page(K3, { limit: 10, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...p.records.map((r) => r.run_id ?? ''));
        cursor = p.next_cursor;
        pages++;
      } while (cursor !== undefined);
      assert.equal(pages, 3);
      assert.deepEqual(
        seen,
        Array.from({ length: 23 }, (_, i) => `p${22 - i}`),
      );
      assert.deepEqual(await store.usage.totals(K3), { total_runs: 23, total_rows: 230, total_duration_ms: 46 });
      await assert.rejects(store.usage.page(K1, { limit: 5, cursor: Buffer.from('fmugw:usage:zzz:').toString('base64url') }), {
        code: 'BAD_REQUEST',
      });
    });

    it('keeps each caller’s disk counter with run and upload writes, overwrites and deletes', async () => {
      const K4 = '4'.repeat(64);
      const run = (id: string, bytes: number) => ({
        run_id: id,
        key_hash: K4,
        fmu_id: 'msl:X',
        created_at: '2030-01-01T00:00:00.000Z',
        status: 'completed' as const,
        rows: 1,
        result_bytes: bytes,
        duration_ms: 1,
      });
      await store.runs.put(run('rmq1abcd-00000000000a', 1000));
      await store.runs.put(run('rmq1abcd-00000000000b', 500));
      assert.equal(await store.kv.counter('disk_bytes', K4), 1500);
      await store.runs.put(run('rmq1abcd-00000000000b', 700));
      assert.equal(await store.kv.counter('disk_bytes', K4), 1700, 'an overwrite counts the difference');
      const sha = 'e'.repeat(64);
      await store.uploads.recordUpload(
        { sha256: sha, size_bytes: 300, model_name: 'M', fmi_version: '2.0', first_uploaded_at: '2026-01-01T00:00:00.000Z' },
        K4,
      );
      await store.uploads.touch(sha, K4);
      assert.equal(await store.kv.counter('disk_bytes', K4), 2000, 'a touch does not count the upload twice');
      await store.runs.delete(run('rmq1abcd-00000000000a', 0));
      await store.uploads.deleteOwnership(sha, K4);
      assert.equal(await store.kv.counter('disk_bytes', K4), 700);
      assert.equal(await store.kv.counter('disk_bytes', '5'.repeat(64)), 0);
    });

    it('writes a finished run’s records in one setMany: each readable, counters kept, nothing for an empty list', async () => {
      const K6 = '6'.repeat(64);
      const run = {
        run_id: 'rmq1abcd-00000000006a',
        key_hash: K6,
        fmu_id: 'msl:X',
        created_at: '2030-01-01T00:00:00.000Z',
        status: 'completed' as const,
        rows: 3,
        result_bytes: 1234,
        duration_ms: 5,
      };
      const usage = {
        key_hash: K6,
        time: '2030-01-01T00:00:00.005Z',
        fmu_id: 'msl:X',
        duration_ms: 5,
        rows: 3,
        status: 'completed' as const,
        run_id: run.run_id,
      };
      await store.kv.setMany([store.usage.entry(usage), ...store.runs.entries(run)]);
      assert.deepEqual(await store.runs.getOwned(run.run_id, K6), run);
      assert.deepEqual(
        (await store.runs.listByOwner(K6)).map((r) => r.run_id),
        [run.run_id],
      );
      const listed = await store.usage.list(K6);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.run_id, run.run_id);
      assert.equal(await store.kv.counter('disk_bytes', K6), 1234);
      assert.equal((await store.usage.totals(K6)).total_runs, 1);
      await store.kv.setMany([]);
      assert.equal((await store.usage.totals(K6)).total_runs, 1);
      // A malformed record is refused before anything is written.
      assert.throws(() => store.usage.entry({ ...usage, duration_ms: -1 }));
    });

    it('refuses a malformed usage record before writing it', async () => {
      await assert.rejects(store.usage.record({ key_hash: 'nope', time: 'x', fmu_id: 'f', duration_ms: -1, rows: 0, status: 'completed' }));
    });

    it('keeps run ownership: foreign runs look absent', async () => {
      const run = {
        run_id: 'rmq1abcd-0123456789ab',
        key_hash: K1,
        fmu_id: 'msl:BouncingBall',
        created_at: '2026-01-01T00:00:00.000Z',
        status: 'completed' as const,
        rows: 301,
        result_bytes: 9000,
        duration_ms: 12,
      };
      await store.runs.put(run);
      assert.deepEqual(await store.runs.getOwned(run.run_id, K1), run);
      assert.equal(await store.runs.getOwned(run.run_id, K2), undefined);
      assert.deepEqual(
        (await store.runs.listByOwner(K1)).map((r) => r.run_id),
        [run.run_id],
      );
      assert.deepEqual(await store.runs.listByOwner(K2), []);
      assert.equal((await store.runs.listOlderThan(new Date('2026-01-02'))).length, 1);
      assert.equal((await store.runs.listOlderThan(new Date('2025-12-31'))).length, 0);
      await store.runs.delete(run);
      assert.equal(await store.runs.get(run.run_id), undefined);
      assert.deepEqual(await store.runs.listByOwner(K1), []);
    });

    it('keeps upload ownership per caller over one copy of the metadata', async () => {
      const sha = 'c'.repeat(64);
      const meta = { sha256: sha, size_bytes: 1234, model_name: 'M', fmi_version: '2.0', first_uploaded_at: '2026-01-01T00:00:00.000Z' };
      await store.uploads.recordUpload(meta, K1, new Date('2026-01-01T00:00:00Z'));
      assert.deepEqual(await store.uploads.getOwned(sha, K1), meta);
      assert.equal(await store.uploads.getOwned(sha, K2), undefined);
      await store.uploads.recordUpload(
        { ...meta, model_name: 'changed', first_uploaded_at: '2026-02-01T00:00:00.000Z' },
        K2,
        new Date('2026-02-01T00:00:00Z'),
      );
      assert.equal((await store.uploads.get(sha))?.model_name, 'M', 'the first upload keeps the metadata');
      await store.uploads.touch(sha, K1, new Date('2026-03-01T00:00:00Z'));
      const owned = await store.uploads.listOwned(K1);
      assert.equal(owned.length, 1);
      assert.equal(owned[0]?.last_used_at, '2026-03-01T00:00:00.000Z');
      assert.equal(owned[0]?.uploaded_at, '2026-01-01T00:00:00.000Z');
      assert.equal(owned[0]?.size_bytes, 1234);
      assert.equal((await store.uploads.listOwnerships()).filter((o) => o.sha256 === sha).length, 2);
      await store.uploads.deleteOwnership(sha, K1);
      assert.equal(await store.uploads.getOwned(sha, K1), undefined);
      assert.deepEqual(await store.uploads.getOwned(sha, K2), meta);
    });

    it('consumes a payment token exactly once under 50 concurrent consumers', async () => {
      const pay = store.payments<Session, Token>();
      const rec: Token = { key_ref: K1, session_id: 'cs_1', expires_at: inOneHour(), amount_minor: 100 };
      await pay.putToken('t'.repeat(64), rec, 3_600_000);
      assert.deepEqual(await pay.getToken('t'.repeat(64)), rec);
      const got = await Promise.all(Array.from({ length: 50 }, () => pay.consumeToken('t'.repeat(64))));
      const winners = got.filter((g) => g !== undefined);
      assert.equal(winners.length, 1);
      assert.deepEqual(winners[0], rec);
      assert.equal(await pay.consumeToken('t'.repeat(64)), undefined);
    });

    it('consumes exactly once across two independent connections', async () => {
      const other = await openAccountStore(loc);
      try {
        const a = store.payments<Session, Token>();
        const b = other.payments<Session, Token>();
        for (let round = 0; round < 10; round++) {
          const h = `x${round}`.padEnd(64, '0');
          await a.putToken(h, { key_ref: K1, session_id: 'cs', expires_at: inOneHour(), amount_minor: 1 }, 60_000);
          const got = await Promise.all([a.consumeToken(h), b.consumeToken(h), a.consumeToken(h), b.consumeToken(h)]);
          assert.equal(got.filter((g) => g !== undefined).length, 1, `round ${round}`);
        }
      } finally {
        await other.close();
      }
    });

    it('gives a consumed token back with restoreToken, and not after it expired', async () => {
      const pay = store.payments<Session, Token>();
      const h = 'r'.repeat(64);
      const rec: Token = { key_ref: K1, session_id: 'cs_2', expires_at: inOneHour(), amount_minor: 100 };
      await pay.putToken(h, rec, 3_600_000);
      const taken = await pay.consumeToken(h);
      assert.ok(taken);
      assert.equal(await pay.restoreToken(h, taken), true);
      assert.deepEqual(await pay.consumeToken(h), rec);
      assert.equal(await pay.restoreToken(h, { ...rec, expires_at: new Date(Date.now() - 1000).toISOString() }), false);
      assert.equal(await pay.consumeToken(h), undefined);
    });

    it('does not return a token after its TTL or its expires_at', async () => {
      const pay = store.payments<Session, Token>();
      await pay.putToken('e'.repeat(64), { key_ref: K1, session_id: 's', expires_at: inOneHour(), amount_minor: 1 }, 80);
      await pay.putToken(
        'f'.repeat(64),
        { key_ref: K1, session_id: 's', expires_at: new Date(Date.now() - 1).toISOString(), amount_minor: 1 },
        60_000,
      );
      assert.equal(await pay.consumeToken('f'.repeat(64)), undefined);
      await sleep(200);
      assert.equal(await pay.getToken('e'.repeat(64)), undefined);
      assert.equal(await pay.consumeToken('e'.repeat(64)), undefined);
    });

    it('stores checkout sessions and takes a one-shot flag once', async () => {
      const pay = store.payments<Session, Token>();
      await pay.putSession({ session_id: 'cs_9', key_ref: K1, status: 'open' });
      await pay.putSession({ session_id: 'cs_9', key_ref: K1, status: 'paid' });
      assert.equal((await pay.getSession('cs_9'))?.status, 'paid');
      assert.equal(await pay.getSession('cs_missing'), undefined);
      await pay.putFlag('redeem:cs_9', 60_000);
      assert.equal(await pay.hasFlag('redeem:cs_9'), true);
      const took = await Promise.all(Array.from({ length: 20 }, () => pay.takeFlag('redeem:cs_9')));
      assert.equal(took.filter(Boolean).length, 1);
      assert.equal(await pay.hasFlag('redeem:cs_9'), false);
    });

    it('add inserts only when absent, once under concurrency', async () => {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => store.kv.add('t:unique', { i })));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.deepEqual(await store.kv.get('t:unique'), { i: winner });
    });

    it('scans a literal prefix (LIKE and glob characters are not wildcards)', async () => {
      await store.kv.set('p:a_b%*?[x]:1', 1);
      await store.kv.set('p:aXbY*?[x]:2', 2);
      await store.kv.set('p:a_b%*?[x]:3', 3);
      const rows = await store.kv.scan<number>('p:a_b%*?[x]:');
      assert.deepEqual(rows, [
        ['p:a_b%*?[x]:1', 1],
        ['p:a_b%*?[x]:3', 3],
      ]);
    });
  });
}

contract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmugw-store-'));
  return { loc: { dbPath: join(dir, 'nested', 'gateway.sqlite3') }, teardown: async () => rmSync(dir, { recursive: true, force: true }) };
});

const pgSkip = postgresMissing();
if (pgSkip !== undefined) console.error(`note: store contract on PostgreSQL skipped: ${pgSkip}`);
contract(
  'postgres',
  async () => {
    const pg: RunningServer = await startPostgres();
    return { loc: { dbPath: '/nonexistent', databaseUrl: pg.url }, teardown: () => pg.stop() };
  },
  pgSkip,
);

const redisSkip = redisMissing();
if (redisSkip !== undefined) console.error(`note: store contract on Redis skipped: ${redisSkip}`);
contract(
  'redis',
  async () => {
    const redis: RunningServer = await startRedis();
    return { loc: { dbPath: '/nonexistent', redisUrl: redis.url }, teardown: () => redis.stop() };
  },
  redisSkip,
);

describe('store: unreachable backends fail with a clear error', () => {
  it('PostgreSQL on a closed port', async () => {
    const port = await freePort();
    await assert.rejects(openAccountStore({ dbPath: '/x', databaseUrl: `postgresql://u:secret@127.0.0.1:${port}/db` }), (e: Error) => {
      assert.match(e.message, /cannot reach PostgreSQL/);
      assert.ok(!e.message.includes('secret'));
      return true;
    });
  });
  it('Redis on a closed port', async () => {
    const port = await freePort();
    await assert.rejects(openAccountStore({ dbPath: '/x', redisUrl: `redis://127.0.0.1:${port}` }), /cannot reach Redis/);
  });
  it('SQLite on a path that is a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmugw-store-'));
    try {
      await assert.rejects(openAccountStore({ dbPath: dir }), /cannot open the SQLite database/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
