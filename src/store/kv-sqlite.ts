/**
 * SQLite backend on one file, through libsql (SQLite's own C engine with a better-sqlite3 style
 * API). Why this driver: it ships prebuilt binaries as platform packages, so installing the
 * gateway compiles nothing (the previous driver, sqlite3, was built from source at install: 5–8
 * minutes, and not at all where npm runs no dependency install scripts). The file is a plain
 * SQLite database with the same table as before (@keyv/sqlite's layout), so existing
 * local.db files open unchanged.
 *
 * One connection per process; statements run synchronously, in order. WAL so readers do not
 * block the writer, and a busy timeout so a second process on the same file (a CLI beside
 * `serve`) waits instead of failing. A statement that fails throws, and the store call rejects
 * with it: a write is acknowledged only after SQLite committed it.
 *
 * take and add are single statements (DELETE … RETURNING, INSERT … ON CONFLICT DO NOTHING
 * RETURNING): SQLite runs each in its own implicit transaction, so of two concurrent callers, in
 * this process or another, exactly one sees the row.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Keyv from 'keyv';
import { createKvStore, likePrefix, type KvStore, type RawValue } from './kv.ts';
import { schemaStatements, sqlRange, TABLE, type Query } from './kv-sql.ts';
import { mergedDayValue, sumUsageRecords } from './usage-fold.ts';
import { sqliteAtomic } from './kv-atomic.ts';

interface Row {
  key: string;
  value: RawValue;
  n?: number | string;
}

/** The part of libsql's Database this module uses. */
interface Statement {
  /** True when the statement returns rows (SELECT, … RETURNING, some PRAGMAs). */
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}
interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): unknown;
  pragma(sql: string): unknown;
  close(): void;
}
type DatabaseConstructor = new (path: string, opts: { timeout: number }) => Database;

/** libsql is CommonJS with a native part: loaded with require so bundles leave it external. */
function loadDriver(): DatabaseConstructor {
  return createRequire(import.meta.url)('libsql') as DatabaseConstructor;
}

/** keyv's storage adapter over one libsql connection (the statements @keyv/sqlite ran). */
class SqliteAdapter extends EventEmitter {
  namespace?: string;
  private readonly cache = new Map<string, Statement>();
  constructor(private readonly db: Database) {
    super();
  }
  /** Runs one statement; its rows, or [] for a statement that returns none (DDL, BEGIN, COMMIT). */
  rows(sql: string, ...params: unknown[]): Row[] {
    let st = this.cache.get(sql);
    if (st === undefined) this.cache.set(sql, (st = this.db.prepare(sql)));
    if (st.reader) return st.all(...params) as Row[];
    st.run(...params);
    return [];
  }
  async get(key: string): Promise<RawValue | undefined> {
    return this.rows(`SELECT key, value FROM ${TABLE} WHERE key = ?`, key)[0]?.value;
  }
  async getMany(keys: string[]): Promise<(RawValue | undefined)[]> {
    const rows = this.rows(`SELECT key, value FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(keys));
    const byKey = new Map(rows.map((r) => [r.key, r.value]));
    return keys.map((k) => byKey.get(k));
  }
  async set(key: string, value: RawValue): Promise<void> {
    this.rows(
      `INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING key`,
      key,
      value,
    );
  }
  async delete(key: string): Promise<boolean> {
    return this.rows(`DELETE FROM ${TABLE} WHERE key = ? RETURNING key`, key).length > 0;
  }
  async deleteMany(keys: string[]): Promise<boolean> {
    return this.rows(`DELETE FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?)) RETURNING key`, JSON.stringify(keys)).length > 0;
  }
  async has(key: string): Promise<boolean> {
    return this.rows(`SELECT key FROM ${TABLE} WHERE key = ?`, key).length > 0;
  }
  async clear(): Promise<void> {
    this.rows(`DELETE FROM ${TABLE} WHERE key LIKE ? ESCAPE '\\' RETURNING key`, likePrefix(this.namespace ? `${this.namespace}:` : ''));
  }
  async disconnect(): Promise<void> {
    this.cache.clear();
    this.db.close();
  }
}

const UPSERT = `INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING key`;

/**
 * Runs `work` in one synchronous BEGIN IMMEDIATE transaction (the write lock from the start, so
 * another process cannot write between our reads and writes; no await inside, so on this single
 * connection no other request's statement joins it). Rolled back if `work` throws.
 */
function immediateTransaction<T>(adapter: SqliteAdapter, work: () => T): T {
  adapter.rows('BEGIN IMMEDIATE');
  try {
    const out = work();
    adapter.rows('COMMIT');
    return out;
  } catch (e) {
    try {
      adapter.rows('ROLLBACK');
    } catch {
      // the transaction is already gone: the original error is what matters
    }
    throw e;
  }
}

export async function openSqliteKv(path: string): Promise<KvStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Database;
  let adapter: SqliteAdapter;
  // Surfaces an unopenable file now, with its reason, instead of at the first request.
  try {
    const Driver = loadDriver();
    db = new Driver(path, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (key VARCHAR(255) PRIMARY KEY, value TEXT)`);
    adapter = new SqliteAdapter(db);
    // Counters and their triggers; the backfill (a store written before counters) in one
    // transaction, so a crash cannot leave half-counted totals.
    const schema = schemaStatements('sqlite');
    for (const st of schema.setup) adapter.rows(st);
    if (adapter.rows(schema.needsBackfill).length === 0) {
      immediateTransaction(adapter, () => {
        if (adapter.rows(schema.needsBackfill).length === 0) for (const st of schema.backfill) adapter.rows(st);
      });
    }
  } catch (e) {
    throw new Error(`store: cannot open the SQLite database ${path}: ${(e as Error).message}`);
  }
  const keyv = new Keyv({ store: adapter, namespace: undefined, useKeyPrefix: false, throwOnErrors: true });
  keyv.on('error', () => {});
  const sql = sqlRange('sqlite', async (text, params) => adapter.rows(text, ...params) as Awaited<ReturnType<Query>>);
  return createKvStore(
    'sqlite',
    keyv,
    {
      async take(fullKey) {
        return adapter.rows(`DELETE FROM ${TABLE} WHERE key = ? RETURNING value`, fullKey)[0]?.value;
      },
      async add(fullKey, raw) {
        return (
          adapter.rows(`INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key`, fullKey, raw).length ===
          1
        );
      },
      ...sql,
      atomic: sqliteAtomic((text, ...params) => adapter.rows(text, ...params)),
      async ping() {
        adapter.rows('SELECT 1');
      },
      async setMany(rows) {
        // One synchronous transaction (no await inside: on this single connection another
        // request's statement would otherwise join it); the counters' triggers run inside it.
        immediateTransaction(adapter, () => {
          for (const [key, raw] of rows) adapter.rows(UPSERT, key, raw);
        });
      },
      async deleteMany(fullKeys) {
        adapter.rows(`DELETE FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?)) RETURNING key`, JSON.stringify(fullKeys));
      },
      async foldUsage(fullKeys, opts) {
        // One synchronous transaction (no await inside: on this single connection another
        // request's statement would otherwise join it). IMMEDIATE: the write lock from the start,
        // so another process cannot change the day rows between our read and our write.
        const folded = immediateTransaction(adapter, () => {
          const records = adapter.rows(
            `SELECT key, value FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`,
            JSON.stringify(fullKeys),
          );
          const sum = sumUsageRecords(records.map((r) => [r.key, r.value]));
          for (const [dayKey, add] of sum.days) {
            const previous = adapter.rows(`SELECT key, value FROM ${TABLE} WHERE key = ?`, dayKey)[0]?.value;
            adapter.rows(UPSERT, dayKey, mergedDayValue(previous, add));
          }
          opts?.at?.('days-written');
          adapter.rows(`DELETE FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?)) RETURNING key`, JSON.stringify(sum.folded));
          return sum.folded;
        });
        opts?.at?.('committed');
        return folded.length;
      },
    },
    async () => {
      await adapter.disconnect();
    },
  );
}
