/**
 * The conditional multi-key write (kv.ts AtomicWrite) on each backend: a counter that must stay at
 * or above a floor, one-shot markers that must be absent, and records written with them, all or
 * nothing. What credits are built on: a draw never takes the balance below zero however many runs
 * race for it, and a purchase or refund is applied once however often its event is delivered.
 * - SQLite: one IMMEDIATE transaction (the write lock first, so a second process on the file
 *   waits; in this process the statements run synchronously, nothing interleaves);
 * - PostgreSQL: one transaction on one pooled connection; the counter changes through a
 *   conditional UPDATE … WHERE n + delta >= min RETURNING n (the row lock orders concurrent
 *   draws, each re-checks the latest balance), markers through INSERT … ON CONFLICT DO NOTHING;
 * - Redis: one Lua script (scripts run alone on the server).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { indexOfKey, type AtomicOutcome, type AtomicWrite, type RawValue } from './kv.ts';
import { COUNTERS, TABLE } from './kv-sql.ts';

type Rows = (sql: string, ...params: unknown[]) => { key: string; value: RawValue; n?: number | string }[];

export function sqliteAtomic(rows: Rows): (w: AtomicWrite) => Promise<AtomicOutcome> {
  const apply = (w: AtomicWrite): AtomicOutcome => {
    const cur = Number(rows(`SELECT key, n FROM ${COUNTERS} WHERE key = ?`, w.counter.key)[0]?.n ?? 0);
    for (const [k] of w.once)
      if (rows(`SELECT key FROM ${TABLE} WHERE key = ?`, k).length > 0) return { ok: false, reason: 'once', value: cur };
    if (cur + w.counter.delta < w.counter.min) return { ok: false, reason: 'counter', value: cur };
    for (const [k, v] of w.once) rows(`INSERT INTO ${TABLE} (key, value) VALUES (?, ?) RETURNING key`, k, v);
    for (const [k, v] of w.puts)
      rows(`INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING key`, k, v);
    const n = rows(
      `INSERT INTO ${COUNTERS} (key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n RETURNING key, n`,
      w.counter.key,
      w.counter.delta,
    )[0]?.n;
    return { ok: true, value: Number(n) };
  };
  return async (w) => {
    rows('BEGIN IMMEDIATE');
    try {
      const out = apply(w);
      rows(out.ok ? 'COMMIT' : 'ROLLBACK');
      return out;
    } catch (e) {
      try {
        rows('ROLLBACK');
      } catch {
        // the transaction is already gone: the original error is what matters
      }
      throw e;
    }
  };
}

export function postgresAtomic(pool: pg.Pool): (w: AtomicWrite) => Promise<AtomicOutcome> {
  // On the connection already held, when there is one: a refused write waiting for a second pooled
  // connection while holding the first would exhaust the pool under a burst (all wait, none frees).
  const current = async (key: string, on: Pick<pg.Pool, 'query'> = pool): Promise<number> =>
    Number((await on.query<{ n: string }>(`SELECT n FROM ${COUNTERS} WHERE key = $1`, [key])).rows[0]?.n ?? 0);
  return async (w) => {
    const { key, delta, min } = w.counter;
    // A committed balance that is already too low refuses without a transaction: the losers of a
    // race for the last credits do not queue on the row lock (a refusal is as true now as at commit).
    if (delta < min) {
      const now = await current(key);
      if (now + delta < min) return { ok: false, reason: 'counter', value: now };
    }
    const client = await pool.connect();
    let open = false;
    try {
      await client.query('BEGIN');
      open = true;
      for (const [k, v] of w.once) {
        const r = await client.query(`INSERT INTO ${TABLE} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`, [
          k,
          v,
        ]);
        if (r.rows.length === 0) {
          await client.query('ROLLBACK');
          open = false;
          return { ok: false, reason: 'once', value: await current(key, client) };
        }
      }
      // delta >= min: an absent row may be created (0 + delta passes); otherwise only an existing
      // row can pass, and the conditional UPDATE is the whole check.
      const r =
        delta >= min
          ? await client.query<{ n: string }>(
              `INSERT INTO ${COUNTERS} (key, n) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET n = ${COUNTERS}.n + excluded.n WHERE ${COUNTERS}.n + excluded.n >= $3 RETURNING n`,
              [key, delta, min],
            )
          : await client.query<{ n: string }>(`UPDATE ${COUNTERS} SET n = n + $2 WHERE key = $1 AND n + $2 >= $3 RETURNING n`, [
              key,
              delta,
              min,
            ]);
      if (r.rows.length === 0) {
        await client.query('ROLLBACK');
        open = false;
        return { ok: false, reason: 'counter', value: await current(key, client) };
      }
      for (const [k, v] of w.puts)
        await client.query(`INSERT INTO ${TABLE} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
          k,
          v,
        ]);
      await client.query('COMMIT');
      open = false;
      return { ok: true, value: Number(r.rows[0]?.n) };
    } catch (e) {
      if (open) await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  };
}

const ATOMIC_SCRIPT = `
local delta, min, nOnce, nPut = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
for i = 2, 1 + nOnce do
  if redis.call('EXISTS', KEYS[i]) == 1 then return {0, 'once', cur} end
end
if cur + delta < min then return {0, 'counter', cur} end
for i = 2, 1 + nOnce + nPut do
  redis.call('SET', KEYS[i], ARGV[3 + i])
  local index = ARGV[3 + nOnce + nPut + i]
  if index ~= '' then redis.call('ZADD', index, 0, KEYS[i]) end
end
return {1, 'ok', redis.call('INCRBY', KEYS[1], delta)}
`;
const ATOMIC_SHA = createHash('sha1').update(ATOMIC_SCRIPT).digest('hex');

export function redisAtomic(cmd: (args: string[]) => Promise<unknown>): (w: AtomicWrite) => Promise<AtomicOutcome> {
  return async (w) => {
    const rows = [...w.once, ...w.puts];
    const keys = [w.counter.key, ...rows.map(([k]) => k)];
    // Records of an indexed family (the ledger) join their caller's index in the same script.
    const argv = [
      String(w.counter.delta),
      String(w.counter.min),
      String(w.once.length),
      String(w.puts.length),
      ...rows.map(([, v]) => v),
      ...rows.map(([k]) => indexOfKey(k) ?? ''),
    ];
    let r: unknown;
    try {
      r = await cmd(['EVALSHA', ATOMIC_SHA, String(keys.length), ...keys, ...argv]);
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error).message)) throw e;
      r = await cmd(['EVAL', ATOMIC_SCRIPT, String(keys.length), ...keys, ...argv]);
    }
    const [ok, reason, value] = r as [number, string, number];
    if (Number(ok) === 1) return { ok: true, value: Number(value) };
    return { ok: false, reason: reason === 'once' ? 'once' : 'counter', value: Number(value) };
  };
}
