/**
 * SQLite backend: @keyv/sqlite on one file. One connection per process (sqlite3 runs its
 * statements in order), WAL so readers do not block the writer, and a busy timeout so a second
 * process on the same file (a CLI beside `serve`) waits instead of failing.
 *
 * take and add are single statements (DELETE … RETURNING, INSERT … ON CONFLICT DO NOTHING
 * RETURNING): SQLite runs each in its own implicit transaction, so of two concurrent callers, in
 * this process or another, exactly one sees the row.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { createKvStore, type KvStore, type RawValue } from './kv.ts';
import { schemaStatements, sqlRange, TABLE, type Query } from './kv-sql.ts';

interface Row {
  key: string;
  value: RawValue;
}

export async function openSqliteKv(path: string): Promise<KvStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, table: TABLE, busyTimeout: 10_000 });
  const errors: Error[] = [];
  adapter.on('error', (e: Error) => errors.push(e));
  const query = adapter.query as (sql: string, ...params: unknown[]) => Promise<Row[]>;
  // Surfaces an unopenable file now, with its reason, instead of at the first request.
  try {
    await query('PRAGMA journal_mode = WAL');
    await query('PRAGMA synchronous = NORMAL');
    // Counters and their triggers; the backfill (a store written before counters) in one
    // transaction, so a crash cannot leave half-counted totals.
    const schema = schemaStatements('sqlite');
    for (const s of schema.setup) await query(s);
    if ((await query(schema.needsBackfill)).length === 0) {
      await query('BEGIN IMMEDIATE');
      try {
        if ((await query(schema.needsBackfill)).length === 0) for (const s of schema.backfill) await query(s);
        await query('COMMIT');
      } catch (e) {
        await query('ROLLBACK').catch(() => {});
        throw e;
      }
    }
  } catch (e) {
    throw new Error(`store: cannot open the SQLite database ${path}: ${(e as Error).message}`);
  }
  const keyv = new Keyv({ store: adapter, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
  keyv.on('error', () => {});
  const sql = sqlRange('sqlite', (text, params) => query(text, ...params) as ReturnType<Query>);
  return createKvStore(
    'sqlite',
    keyv,
    {
      async take(fullKey) {
        const rows = await query(`DELETE FROM ${TABLE} WHERE key = ? RETURNING value`, fullKey);
        return rows[0]?.value;
      },
      async add(fullKey, raw) {
        const rows = await query(`INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key`, fullKey, raw);
        return rows.length === 1;
      },
      ...sql,
      async ping() {
        await query('SELECT 1');
      },
      async deleteMany(fullKeys) {
        await query(`DELETE FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(fullKeys));
      },
    },
    async () => {
      await adapter.disconnect();
    },
  );
}
